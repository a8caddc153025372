//! How every write ends: what it appends (order events, audit entries), the
//! counters it moves, and the commit lock under which the appended entries
//! get their `seq`.
//!
//! The lock is one transaction-scoped advisory lock, taken after the
//! write's own rows are written and held until its commit. Under it the
//! write reads the heads of the event log and of the audit chain, numbers
//! its entries after them, and commits. The next writer cannot read the
//! heads until this one's commit is visible (PostgreSQL makes a commit
//! visible before it releases the transaction's locks), so:
//! - `seq` is commit order, across every kernel: a reader that has seen
//!   event N never later finds one below N;
//! - the audit chain never forks.
//!
//! Locks are taken in one order everywhere, so writes cannot deadlock:
//! records, then `open_loads` (sorted), then `versions`, then this lock.

use prost::Message;
use sqlx::{Postgres, Transaction};
use xingji_api::v1::{AuditEvent, HistoryEntry, Order};

use super::handle::PostgresStore;
use xingji_store::audit::{GENESIS_HASH, seal};
use xingji_store::{RecordedDecision, Result, order_event};

/// The advisory lock key of the commit order ("xingji" in ASCII).
const COMMIT_LOCK: i64 = 0x78_69_6e_67_6a_69;

/// The NOTIFY channel other kernels listen on.
pub(super) const CHANNEL: &str = "xingji_changes";

/// Order event rows per INSERT (a month close appends one per order).
const EVENT_BATCH: usize = 5000;

/// What a write appends and moves, besides its own rows.
#[derive(Default)]
pub(super) struct Appends {
    /// Order events, in order, as the columns they are inserted as (a
    /// month close appends one per order: kept once, bound as slices).
    events: EventColumns,
    /// Audit events, in order.
    pub(super) audits: Vec<AuditEvent>,
    /// Whether outlets or people changed.
    pub(super) network: bool,
    /// Whether plugins or activations changed.
    pub(super) registry: bool,
    /// The plugin decisions the write applies.
    pub(super) decisions: Vec<RecordedDecision>,
}

/// Order events as columns: region, outlet id, the encoded `OrderEvent`.
#[derive(Default)]
struct EventColumns {
    regions: Vec<String>,
    outlets: Vec<String>,
    bodies: Vec<Vec<u8>>,
}

/// What a committed write appended.
pub(super) struct Committed {
    /// The audit events as the chain holds them (`seq` and hashes set).
    pub(super) audits: Vec<AuditEvent>,
}

impl Appends {
    /// A write with one audit event.
    pub(super) fn audited(audit: AuditEvent) -> Self {
        Self {
            audits: vec![audit],
            ..Self::default()
        }
    }

    /// Appends the event of an order write for one of its history entries.
    pub(super) fn event(&mut self, order: &Order, entry: Option<&HistoryEntry>) {
        self.events.regions.push(order.region.clone());
        self.events.outlets.push(order.outlet_id.clone());
        self.events
            .bodies
            .push(order_event(order, entry).encode_to_vec());
    }

    /// Appends the event of an update: its last history entry.
    pub(super) fn last_event(&mut self, order: &Order) {
        self.event(order, order.history.last());
    }
}

impl PostgresStore {
    /// Ends a write: moves the counters, takes the commit lock, numbers and
    /// inserts the appended entries, notifies, commits, and tells this
    /// kernel's watchers at once (others hear it through NOTIFY or poll).
    pub(super) async fn finish(
        &self,
        tx: Transaction<'static, Postgres>,
        appends: Appends,
    ) -> Result<Committed> {
        finish(&self.feed, tx, appends).await
    }
}

/// [`PostgresStore::finish`], for the group committer (which has no handle).
pub(super) async fn finish(
    feed: &super::handle::Feed,
    mut tx: Transaction<'static, Postgres>,
    appends: Appends,
) -> Result<Committed> {
    let Appends {
        events,
        audits,
        network,
        registry,
        decisions,
    } = appends;
    super::decisions::insert_decisions(&mut tx, &decisions).await?;
    let mut moved = (None, None);
    for (name, wanted, version) in [
        ("network", network, &mut moved.0),
        ("registry", registry, &mut moved.1),
    ] {
        if wanted {
            *version = Some(
                sqlx::query_scalar::<_, i64>(
                    "UPDATE versions SET version = version + 1 WHERE name = $1 RETURNING version",
                )
                .bind(name)
                .fetch_one(&mut *tx)
                .await?,
            );
        }
    }
    // A statement of its own: a statement reads what was committed when it
    // began, so the heads are read by the next one, after the lock is held.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(COMMIT_LOCK)
        .execute(&mut *tx)
        .await?;
    let mut last_event = None;
    if !events.bodies.is_empty() {
        let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM order_events")
            .fetch_one(&mut *tx)
            .await?;
        let mut next = head;
        for start in (0..events.bodies.len()).step_by(EVENT_BATCH) {
            let end = (start + EVENT_BATCH).min(events.bodies.len());
            let seqs: Vec<i64> = (next + 1..=next + (end - start) as i64).collect();
            next += (end - start) as i64;
            sqlx::query(
                "INSERT INTO order_events (seq, region, outlet_id, body) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bytea[])",
            )
            .bind(seqs)
            .bind(&events.regions[start..end])
            .bind(&events.outlets[start..end])
            .bind(&events.bodies[start..end])
            .execute(&mut *tx)
            .await?;
        }
        last_event = Some(next);
    }
    let audits = append_audits(&mut tx, audits).await?;
    if last_event.is_some() || network || registry {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    feed.advance(last_event, moved.0, moved.1);
    Ok(Committed { audits })
}

/// Chains `audits` after the head and inserts them (under the commit lock).
async fn append_audits(
    tx: &mut Transaction<'static, Postgres>,
    audits: Vec<AuditEvent>,
) -> Result<Vec<AuditEvent>> {
    if audits.is_empty() {
        return Ok(audits);
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let (mut seq, mut prev_hash) = head
        .map(|(seq, hash)| (seq.unsigned_abs(), hash))
        .unwrap_or((0, GENESIS_HASH.to_owned()));
    let mut rows = AuditRows::default();
    let mut sealed = Vec::with_capacity(audits.len());
    for audit in audits {
        seq += 1;
        let (row, event) = seal(audit, seq, &prev_hash);
        prev_hash = row.hash.clone();
        rows.seq.push(seq as i64);
        rows.time_ns.push(row.time_ns);
        rows.region.push(row.region);
        rows.principal.push(row.principal);
        rows.operation.push(row.operation);
        rows.outcome.push(row.outcome);
        rows.body.push(row.body);
        rows.prev_hash.push(row.prev_hash);
        rows.hash.push(row.hash);
        sealed.push(event);
    }
    sqlx::query(
        "INSERT INTO audit_events \
         (seq, time_ns, region, principal, operation, outcome, body, prev_hash, hash) \
         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                              $6::integer[], $7::bytea[], $8::text[], $9::text[])",
    )
    .bind(rows.seq)
    .bind(rows.time_ns)
    .bind(rows.region)
    .bind(rows.principal)
    .bind(rows.operation)
    .bind(rows.outcome)
    .bind(rows.body)
    .bind(rows.prev_hash)
    .bind(rows.hash)
    .execute(&mut **tx)
    .await?;
    Ok(sealed)
}

/// Audit rows as columns, for one multi-row insert.
#[derive(Default)]
struct AuditRows {
    seq: Vec<i64>,
    time_ns: Vec<i64>,
    region: Vec<String>,
    principal: Vec<String>,
    operation: Vec<String>,
    outcome: Vec<i32>,
    body: Vec<Vec<u8>>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
}

/// Applies changes of orders in hand, `(region, outlet, engineer) -> delta`,
/// in key order (so two writers never wait on each other's rows in a cycle).
pub(super) async fn move_loads(
    tx: &mut Transaction<'static, Postgres>,
    deltas: std::collections::BTreeMap<(String, String, String), i64>,
) -> Result<()> {
    let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((region, outlet, engineer), delta) in deltas {
        if delta != 0 {
            columns.0.push(region);
            columns.1.push(outlet);
            columns.2.push(engineer);
            columns.3.push(delta);
        }
    }
    if columns.0.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO open_loads (region, outlet_id, engineer_id, open) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[]) \
         ON CONFLICT (region, outlet_id, engineer_id) \
         DO UPDATE SET open = open_loads.open + excluded.open",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
