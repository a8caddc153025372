//! Writing a month close: the close, the outlets and people it moved and
//! the orders it settled, in one transaction: the body of
//! `Store::commit_month_close`. Settled orders are recorded beside the
//! orders, not rewritten (see `settled`).

use std::collections::HashMap;

use prost::Message;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use xingji_api::v1::{HistoryEntry, LicenceEvent, MonthClose, OrderEvent, Person};

use super::handle::SqliteStore;
use super::records::decode;
use super::stored::{Stored, Value};
use xingji_store::{MonthCloseCommit, Result, StoreError, ToSettle};

/// Rows a month close writes per statement: a statement per row costs more
/// than its work (each is a round trip to the connection's thread). At most
/// 7 bound values a row, well under SQLite's 32,766.
const BATCH: usize = 1000;

impl SqliteStore {
    pub(super) async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose> {
        let MonthCloseCommit {
            close,
            outlets,
            people,
            settle,
            read_after,
            settlement,
            audit,
        } = commit;
        // Not `begin_orders_write`: a close writes no `orders` row (settled
        // orders are recorded beside them and are in no one's hands), so
        // the open loads kept in memory stay right.
        let (_writing, mut tx) = self.begin_write().await?;
        let id = format!("{}/{}", close.region, close.month);
        let inserted = sqlx::query(
            "INSERT INTO month_closes (id, region, month, body, settlement) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(&close.region)
        .bind(&close.month)
        .bind(close.encode_to_vec())
        .bind(settlement.encode_to_vec())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Err(StoreError::AlreadyExists("month close"));
        }
        let started = std::time::Instant::now();
        for outlet in outlets {
            Self::update_in(&mut tx, outlet).await?;
        }
        let outlets_done = started.elapsed();
        let (people, events): (Vec<Person>, Vec<Vec<LicenceEvent>>) = people.into_iter().unzip();
        for batch in people.chunks(BATCH) {
            charge_people(&mut tx, batch).await?;
        }
        let events: Vec<LicenceEvent> = events.into_iter().flatten().collect();
        for batch in events.chunks(BATCH) {
            insert_all(&mut tx, batch).await?;
        }
        let people_done = started.elapsed();
        let written = (people.len(), events.len(), settle.len());
        // The write lock is held since BEGIN IMMEDIATE: no order moves
        // between the check and the writes.
        check_unmoved(&mut tx, &settle, read_after).await?;
        let mut last = None;
        for batch in settle.chunks(BATCH) {
            last = settle_orders(&mut tx, &id, &close.region, batch, &settlement)
                .await?
                .or(last);
        }
        let orders_done = started.elapsed();
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        // Where a big close's write goes (BENCHMARKS.md, month close).
        tracing::debug!(
            people = written.0,
            licence_events = written.1,
            settled = written.2,
            outlets_ms = outlets_done.as_millis() as u64,
            people_ms = (people_done - outlets_done).as_millis() as u64,
            orders_ms = (orders_done - people_done).as_millis() as u64,
            commit_ms = (started.elapsed() - orders_done).as_millis() as u64,
            "month close written"
        );
        self.network_changed();
        if let Some(seq) = last {
            self.announce(seq);
        }
        Ok(close)
    }
}

/// `VersionMismatch` (or `NotFound`) unless every `(id, version read)` of
/// `wanted` is still at that version in `table`; their rows' `columns`
/// (`id` and `version` among them), by id.
async fn check_versions<'a>(
    tx: &mut SqliteConnection,
    table: &str,
    columns: &str,
    wanted: impl Iterator<Item = (&'a str, i64)> + Clone,
) -> Result<HashMap<String, sqlx::sqlite::SqliteRow>> {
    let mut query =
        QueryBuilder::<Sqlite>::new(format!("SELECT {columns} FROM {table} WHERE id IN ("));
    let mut ids = query.separated(", ");
    for (id, _) in wanted.clone() {
        ids.push_bind(id.to_owned());
    }
    query.push(")");
    let rows: HashMap<String, _> = query
        .build()
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| (row.get("id"), row))
        .collect();
    for (id, read_at) in wanted {
        let current: i64 = rows.get(id).ok_or(StoreError::NotFound)?.get("version");
        if current != read_at {
            return Err(StoreError::VersionMismatch { current });
        }
    }
    Ok(rows)
}

/// Writes charged people, each at the version read, in one statement; only
/// their licence state among the filter columns changes.
async fn charge_people(tx: &mut SqliteConnection, people: &[Person]) -> Result<()> {
    check_versions(
        tx,
        "people",
        "id, version",
        people.iter().map(|p| (p.id.as_str(), p.version)),
    )
    .await?;
    let bumped: Vec<Person> = people
        .iter()
        .map(|p| Person {
            version: p.version + 1,
            ..p.clone()
        })
        .collect();
    SqliteStore::replace_all(tx, &bumped, &["licence_state"], &[]).await
}

/// Inserts append-only records in one statement.
async fn insert_all<R: Stored>(tx: &mut SqliteConnection, records: &[R]) -> Result<()> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    let mut query =
        QueryBuilder::<Sqlite>::new(format!("INSERT INTO {} (id, version, body", R::TABLE));
    for (name, _) in first.columns() {
        query.push(", ").push(name);
    }
    query.push(") ");
    query.push_values(records, |mut row, record| {
        row.push_bind(record.id().to_owned())
            .push_bind(record.version())
            .push_bind(record.encode_to_vec());
        for (_, value) in record.columns() {
            match value {
                Value::Text(text) => row.push_bind(text),
                Value::Int(int) => row.push_bind(int),
            };
        }
    });
    query.build().execute(&mut *tx).await?;
    Ok(())
}

/// `VersionMismatch` if an order of `settle` moved after the close read
/// it. Every order write appends an event in its transaction, and this
/// store has one writer, so events commit in `seq` order: the events after
/// `read_after` are every move since, and the orders themselves need not
/// be read again (a million point reads were a tenth of a big close).
async fn check_unmoved(
    tx: &mut SqliteConnection,
    settle: &[ToSettle],
    read_after: i64,
) -> Result<()> {
    let rows = sqlx::query("SELECT seq, body FROM order_events WHERE seq > ? ORDER BY seq")
        .bind(read_after)
        .fetch_all(&mut *tx)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let read: HashMap<&str, i64> = settle.iter().map(|o| (o.id.as_str(), o.version)).collect();
    let mut moved: Option<OrderEvent> = None;
    for row in rows {
        let seq: i64 = row.try_get("seq")?;
        let event: OrderEvent = decode(&seq.to_string(), row.try_get("body")?)?;
        let newer = read
            .get(event.order_id.as_str())
            .is_some_and(|&version| event.version > version);
        // The first order found moved, at its latest version.
        if newer && moved.as_ref().is_none_or(|m| m.order_id == event.order_id) {
            moved = Some(event);
        }
    }
    match moved {
        Some(event) => Err(StoreError::VersionMismatch {
            current: event.version,
        }),
        None => Ok(()),
    }
}

/// Records a batch of orders as settled by close `close_id` (`NotFound`
/// unless every one exists) and appends each one's event. The last
/// event's `seq`.
async fn settle_orders(
    tx: &mut SqliteConnection,
    close_id: &str,
    region: &str,
    batch: &[ToSettle],
    settlement: &HistoryEntry,
) -> Result<Option<i64>> {
    let mut query =
        QueryBuilder::<Sqlite>::new("INSERT INTO settled_orders (order_id, close_id) SELECT id, ");
    query
        .push_bind(close_id.to_owned())
        .push(" FROM orders WHERE id IN (");
    let mut ids = query.separated(", ");
    for order in batch {
        ids.push_bind(order.id.clone());
    }
    query.push(")");
    let settled = query.build().execute(&mut *tx).await?.rows_affected();
    if settled != batch.len() as u64 {
        return Err(StoreError::NotFound);
    }
    // What each event says: the settled order's ids and version, then the
    // settlement, encoded once for the batch and appended (protobuf reads
    // concatenated messages as one, as `SettleTail` does).
    let entry = OrderEvent {
        entry: Some(settlement.clone()),
        ..OrderEvent::default()
    }
    .encode_to_vec();
    let rows: Vec<(&str, &str, Vec<u8>)> = batch
        .iter()
        .map(|order| {
            let mut body = OrderEvent {
                order_id: order.id.clone(),
                region: region.to_owned(),
                outlet_id: order.outlet_id.clone(),
                engineer_id: order.engineer_id.clone(),
                version: order.version + 1,
                ..OrderEvent::default()
            }
            .encode_to_vec();
            body.extend_from_slice(&entry);
            (region, order.outlet_id.as_str(), body)
        })
        .collect();
    SqliteStore::append_event_rows(tx, &rows).await
}
