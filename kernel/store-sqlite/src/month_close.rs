//! Writing a month close: the close, the outlets and people it moved and
//! the orders it settled, in one transaction: the body of
//! `Store::commit_month_close`.

use std::collections::HashMap;

use prost::Message;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use xingji_api::v1::{HistoryEntry, LicenceEvent, MonthClose, Order, Person};

use super::handle::SqliteStore;
use super::stored::{NOT_DUE, Stored, Value};
use xingji_store::{MonthCloseCommit, Result, SettleTail, StoreError, order_event};

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
            settlement,
            audit,
        } = commit;
        let (_writing, mut tx) = self.begin_orders_write().await?;
        let id = format!("{}/{}", close.region, close.month);
        let inserted = sqlx::query(
            "INSERT INTO month_closes (id, region, month, body) VALUES (?, ?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(&close.region)
        .bind(&close.month)
        .bind(close.encode_to_vec())
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
        // The write lock is held since BEGIN IMMEDIATE, so the version read
        // is the version replaced.
        let tail = SettleTail::new(&settlement);
        let mut last = None;
        for batch in settle.chunks(BATCH) {
            last = settle_orders(&mut tx, batch, &tail, &settlement)
                .await?
                .or(last);
        }
        let orders_done = started.elapsed();
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        // Where a big close's write goes (BENCHMARKS.md, month close).
        tracing::debug!(
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

/// Settles a batch of orders, each at the version read: appends the
/// settlement to each stored body as it is (never decoded; see
/// [`SettleTail`]), moves the columns, appends each one's event. The last
/// event's `seq`.
async fn settle_orders(
    tx: &mut SqliteConnection,
    batch: &[(String, i64)],
    tail: &SettleTail,
    settlement: &HistoryEntry,
) -> Result<Option<i64>> {
    let wanted = batch.iter().map(|(id, v)| (id.as_str(), *v));
    let columns = "id, version, region, outlet_id, engineer_id";
    let rows = check_versions(tx, "orders", columns, wanted).await?;
    // `||` makes text of blobs, byte for byte in a UTF-8 database; the cast
    // keeps the column a blob. Settled: neither due nor in hand.
    let mut query = QueryBuilder::<Sqlite>::new(
        "UPDATE orders SET body = CAST(body || s.column2 AS BLOB), version = version + 1, \
         in_hand = 0, due_at = ",
    );
    query
        .push_bind(NOT_DUE)
        .push(", status = ")
        .push_bind(settlement.status)
        .push(" FROM (");
    query.push_values(batch, |mut row, (id, read_at)| {
        row.push_bind(id.clone()).push_bind(tail.tail(*read_at));
    });
    query.push(") AS s WHERE orders.id = s.column1");
    query.build().execute(&mut *tx).await?;

    let mut events = Vec::with_capacity(batch.len());
    for (id, read_at) in batch {
        let stored = rows.get(id).ok_or(StoreError::NotFound)?;
        // What the event says of the order: the settled one's ids and version.
        let order = Order {
            id: id.clone(),
            region: stored.try_get("region")?,
            outlet_id: stored.try_get("outlet_id")?,
            engineer_id: stored.try_get("engineer_id")?,
            version: read_at + 1,
            ..Order::default()
        };
        events.push((order_event(&order, Some(settlement)).encode_to_vec(), order));
    }
    let mut query =
        QueryBuilder::<Sqlite>::new("INSERT INTO order_events (region, outlet_id, body) ");
    query.push_values(events, |mut row, (event, order)| {
        row.push_bind(order.region)
            .push_bind(order.outlet_id)
            .push_bind(event);
    });
    query.push(" RETURNING seq");
    let seqs: Vec<i64> = query.build_query_scalar().fetch_all(&mut *tx).await?;
    Ok(seqs.into_iter().max())
}
