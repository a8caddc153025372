//! The audit trail on SQLite (table `audit_events`, migration 0007):
//! appending inside a write's transaction, listing, and reading the chain
//! as stored. What a hash is and how the chain is checked is in
//! `xingji_store::audit`, the same for every backend.

use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};
use xingji_api::v1::AuditEvent;

use super::handle::SqliteStore;
use super::records::regions_json;
use xingji_store::audit::{AuditEventFilter, GENESIS_HASH, StoredAuditEvent, seal, time_ns};
use xingji_store::{Page, Result, StoreError};

/// An audit row's columns, as `stored` reads them.
const COLUMNS: &str = "seq, time_ns, region, principal, operation, outcome, body, prev_hash, hash";

impl SqliteStore {
    /// Appends `event` to the chain inside the caller's write transaction.
    pub(super) async fn append_audit_in(
        connection: &mut sqlx::SqliteConnection,
        event: AuditEvent,
    ) -> Result<AuditEvent> {
        let mut sealed = Self::append_audits_in(connection, vec![event]).await?;
        sealed
            .pop()
            .ok_or_else(|| StoreError::Backend("no audit event was sealed".into()))
    }

    /// Appends `events` to the chain, in order, inside the caller's write
    /// transaction, in one statement (a group of new orders appends one
    /// each). The head is read here, under the write lock the transaction
    /// holds (BEGIN IMMEDIATE), so two writers, in this process or
    /// another, never link to the same entry.
    pub(super) async fn append_audits_in(
        connection: &mut sqlx::SqliteConnection,
        events: Vec<AuditEvent>,
    ) -> Result<Vec<AuditEvent>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *connection)
                .await?;
        let (mut seq, mut prev_hash) = match head {
            Some((seq, hash)) => (seq.unsigned_abs() + 1, hash),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let mut rows = Vec::with_capacity(events.len());
        let mut sealed = Vec::with_capacity(events.len());
        for event in events {
            let (row, event) = seal(event, seq, &prev_hash);
            prev_hash.clone_from(&row.hash);
            seq += 1;
            rows.push((seq_column(row.seq)?, row));
            sealed.push(event);
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_events \
             (seq, time_ns, region, principal, operation, outcome, body, prev_hash, hash) ",
        );
        query.push_values(&rows, |mut values, (seq, row)| {
            values
                .push_bind(*seq)
                .push_bind(row.time_ns)
                .push_bind(row.region.as_str())
                .push_bind(row.principal.as_str())
                .push_bind(row.operation.as_str())
                .push_bind(row.outcome)
                .push_bind(row.body.as_slice())
                .push_bind(row.prev_hash.as_str())
                .push_bind(row.hash.as_str());
        });
        query
            .build()
            .persistent(rows.len() == 1)
            .execute(&mut *connection)
            .await?;
        Ok(sealed)
    }

    /// `Store::append_audit`: an event in a transaction of its own.
    pub(super) async fn append_audit(&self, event: AuditEvent) -> Result<AuditEvent> {
        let (_writing, mut tx) = self.begin_write().await?;
        let event = Self::append_audit_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// `Store::list_audit_events`.
    pub(super) async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
        page: &Page,
    ) -> Result<Vec<AuditEvent>> {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"));
        if let Some(regions) = &filter.regions {
            query
                .push(" AND region IN (SELECT value FROM json_each(")
                .push_bind(regions_json(regions))
                .push("))");
        }
        for (column, value) in [
            (" AND principal = ", &filter.principal),
            (" AND operation = ", &filter.operation),
        ] {
            if let Some(value) = value {
                query.push(column).push_bind(value.clone());
            }
        }
        if let Some(outcome) = filter.outcome {
            query.push(" AND outcome = ").push_bind(outcome);
        }
        if let Some(since) = &filter.since {
            query
                .push(" AND time_ns >= ")
                .push_bind(time_ns(Some(since)));
        }
        if let Some(until) = &filter.until {
            query
                .push(" AND time_ns < ")
                .push_bind(time_ns(Some(until)));
        }
        if let Some(after) = &page.after {
            // The kernel's own page token: anything but a seq is a bug.
            let after: i64 = after.parse().map_err(|_| StoreError::Corrupt {
                id: "audit page".to_owned(),
                reason: format!("{after:?} is not a seq"),
            })?;
            query.push(" AND seq > ").push_bind(after);
        }
        query
            .push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(page.limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        // As the chain holds them, then as the API shows them.
        rows.iter()
            .map(|row| {
                let stored = stored(row)?;
                stored.event().map_err(|error| StoreError::Corrupt {
                    id: format!("audit event {}", stored.seq),
                    reason: error.to_string(),
                })
            })
            .collect()
    }

    /// `Store::audit_chain`.
    pub(super) async fn audit_chain(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?"
        )))
        .bind(seq_column(after_seq)?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored).collect()
    }
}

/// A row of `audit_events` as stored. A column edited to another type is
/// named with its entry's seq, as the verifier would name it.
fn stored(row: &sqlx::sqlite::SqliteRow) -> Result<StoredAuditEvent> {
    let seq: i64 = row.try_get("seq")?;
    let corrupt = |error: sqlx::Error| StoreError::Corrupt {
        id: format!("audit event {seq}"),
        reason: error.to_string(),
    };
    Ok(StoredAuditEvent {
        // A negative seq, written by hand, reads as 0: the verifier then
        // names it out of order.
        seq: u64::try_from(seq).unwrap_or(0),
        time_ns: row.try_get("time_ns").map_err(corrupt)?,
        region: row.try_get("region").map_err(corrupt)?,
        principal: row.try_get("principal").map_err(corrupt)?,
        operation: row.try_get("operation").map_err(corrupt)?,
        outcome: row.try_get("outcome").map_err(corrupt)?,
        body: row.try_get("body").map_err(corrupt)?,
        prev_hash: row.try_get("prev_hash").map_err(corrupt)?,
        hash: row.try_get("hash").map_err(corrupt)?,
    })
}

/// A seq as SQLite's signed integer.
fn seq_column(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt {
        id: "audit chain".to_owned(),
        reason: format!("seq {seq} is beyond SQLite's integers"),
    })
}
