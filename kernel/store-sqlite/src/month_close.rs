//! Writing a month close: the close, the outlets and people it moved and
//! the orders it settled, in one transaction: the body of
//! `Store::commit_month_close`.

use prost::Message;
use sqlx::{QueryBuilder, Row, Sqlite};
use xingji_api::v1::{MonthClose, Order};

use super::handle::SqliteStore;
use super::records::decode;
use super::stored::kernel_columns;
use xingji_store::{MonthCloseCommit, Result, StoreError, settle_order};

/// Orders a month close settles per statement (15 columns each, well under
/// SQLite's 32,766 bound parameters).
const SETTLE_BATCH: usize = 500;

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
        let (_writing, mut tx) = self.begin_write().await?;
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
        for (person, events) in people {
            Self::update_in(&mut tx, person).await?;
            for event in events {
                Self::insert(&mut *tx, event).await?;
            }
        }
        let people_done = started.elapsed();
        // In batches: a statement per order costs more than its work (each
        // is a round trip to the connection's thread). The write lock is
        // held since BEGIN IMMEDIATE, so the version read is the version
        // replaced.
        let mut last = None;
        for batch in settle.chunks(SETTLE_BATCH) {
            let mut query =
                QueryBuilder::<Sqlite>::new("SELECT id, body FROM orders WHERE id IN (");
            let mut ids = query.separated(", ");
            for (id, _) in batch {
                ids.push_bind(id.clone());
            }
            query.push(")");
            let mut bodies: std::collections::HashMap<String, Vec<u8>> = query
                .build()
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|row| (row.get("id"), row.get("body")))
                .collect();
            let mut settled = Vec::with_capacity(batch.len());
            for (id, version) in batch {
                let body = bodies.remove(id).ok_or(StoreError::NotFound)?;
                let mut order: Order = decode(id, &body)?;
                settle_order(&mut order, *version, &settlement)?;
                settled.push(order);
            }
            // Settling moves the status, nothing else the columns hold but
            // the kernel's two (a settled order is neither due nor in hand).
            let columns = kernel_columns(None, false);
            Self::replace_all(
                &mut tx,
                &settled,
                &["status", "due_at", "in_hand"],
                &columns,
            )
            .await?;
            last = Self::append_last_events(&mut tx, &settled).await?.or(last);
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
