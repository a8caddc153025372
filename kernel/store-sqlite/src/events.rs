//! The order event log: an event per order write, in the write's own
//! transaction, and the watch that tells followers of new ones.

use prost::Message;
use sqlx::{QueryBuilder, Sqlite};
use tokio::sync::watch;
use xingji_api::v1::{HistoryEntry, Order};

use super::handle::SqliteStore;
use xingji_store::{Result, order_event};

impl SqliteStore {
    /// Appends the event of an order write for one of its history entries.
    pub(super) async fn append_event(
        tx: &mut sqlx::SqliteConnection,
        order: &Order,
        entry: &HistoryEntry,
    ) -> Result<i64> {
        let seq = sqlx::query_scalar(
            "INSERT INTO order_events (region, outlet_id, body) VALUES (?, ?, ?) RETURNING seq",
        )
        .bind(&order.region)
        .bind(&order.outlet_id)
        .bind(order_event(order, Some(entry)).encode_to_vec())
        .fetch_one(&mut *tx)
        .await?;
        Ok(seq)
    }

    /// Appends the events of `entries` (an order and one of its history
    /// entries each), in order, in one statement; the last `seq`.
    pub(super) async fn append_events(
        connection: &mut sqlx::SqliteConnection,
        entries: &[(&Order, &HistoryEntry)],
    ) -> Result<Option<i64>> {
        let rows: Vec<(&str, &str, Vec<u8>)> = entries
            .iter()
            .map(|&(order, entry)| {
                let body = order_event(order, Some(entry)).encode_to_vec();
                (order.region.as_str(), order.outlet_id.as_str(), body)
            })
            .collect();
        Self::append_event_rows(connection, &rows).await
    }

    /// Appends events already encoded, `(region, outlet, body)` each, in
    /// order, in one statement; the last `seq`.
    pub(super) async fn append_event_rows(
        connection: &mut sqlx::SqliteConnection,
        rows: &[(&str, &str, Vec<u8>)],
    ) -> Result<Option<i64>> {
        if rows.is_empty() {
            return Ok(None);
        }
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT INTO order_events (region, outlet_id, body) ");
        query.push_values(rows, |mut row, (region, outlet, body)| {
            row.push_bind(*region)
                .push_bind(*outlet)
                .push_bind(body.as_slice());
        });
        query.push(" RETURNING seq");
        let seqs: Vec<i64> = query
            .build_query_scalar()
            .persistent(false)
            .fetch_all(&mut *connection)
            .await?;
        Ok(seqs.into_iter().max())
    }

    /// Appends the event of an update: its last history entry.
    pub(super) async fn append_last_event(
        tx: &mut sqlx::SqliteConnection,
        order: &Order,
    ) -> Result<i64> {
        let entry = order.history.last().cloned().unwrap_or_default();
        Self::append_event(tx, order, &entry).await
    }

    /// Tells watchers that events up to `seq` are committed.
    pub(super) fn announce(&self, seq: i64) {
        announce(&self.last_event, seq);
    }
}

/// Tells watchers that events up to `seq` are committed.
pub(super) fn announce(last_event: &watch::Sender<i64>, seq: i64) {
    last_event.send_if_modified(|last| {
        let newer = seq > *last;
        if newer {
            *last = seq;
        }
        newer
    });
}
