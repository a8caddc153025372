//! `MonthCloses` on PostgreSQL: a close, the outlets and people it moved
//! and the orders it settled, in one transaction, once per region and
//! month.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use prost::Message;
use sqlx::Row;
use xingji_api::v1::{MonthClose, Order};

use super::commit::{Appends, move_loads};
use super::handle::PostgresStore;
use super::intake::OrderRows;
use super::records::insert_licence_event;
use super::stored::{Conditions, decode, update};
use xingji_store::{MonthCloseCommit, MonthCloses, Page, Result, StoreError};

/// Orders settled per statement: big enough that round trips do not count,
/// small enough that one batch's bodies stay a few megabytes.
const SETTLE_BATCH: usize = 2000;

#[async_trait]
impl MonthCloses for PostgresStore {
    async fn get_month_close(&self, region: &str, month: &str) -> Result<MonthClose> {
        let body: Vec<u8> =
            sqlx::query_scalar("SELECT body FROM month_closes WHERE region = $1 AND month = $2")
                .bind(region)
                .bind(month)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        decode(&format!("{region}/{month}"), &body)
    }

    async fn list_month_closes(
        &self,
        regions: Option<&[String]>,
        page: &Page,
    ) -> Result<Vec<MonthClose>> {
        // Paged by `region/month`, as the SQLite store's id.
        let conditions = Conditions::select(
            "(SELECT (region || '/' || month) COLLATE \"C\" AS id, region, body \
             FROM month_closes) closes",
        )
        .regions(regions);
        self.list(conditions, page).await
    }

    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose> {
        let MonthCloseCommit {
            close,
            outlets,
            people,
            settle,
            settlement,
            audit,
        } = commit;
        let mut tx = self.pool.begin().await?;
        // First, so that a second close of the month waits here for the
        // first one's outcome and then writes nothing.
        let inserted = sqlx::query(
            "INSERT INTO month_closes (region, month, body) VALUES ($1, $2, $3) \
             ON CONFLICT (region, month) DO NOTHING",
        )
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
        for outlet in outlets {
            update(&mut tx, outlet, Vec::new()).await?;
        }
        for (person, events) in people {
            let region = person.region.clone();
            update(&mut tx, person, Vec::new()).await?;
            for event in events {
                insert_licence_event(&mut tx, &region, event).await?;
            }
        }
        let mut appends = Appends::audited(audit);
        appends.network = true;
        let mut loads = BTreeMap::new();
        for batch in settle.chunks(SETTLE_BATCH) {
            let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            let rows = sqlx::query(
                "SELECT id, outlet_id, engineer_id, in_hand, body FROM orders \
                 WHERE region = $1 AND id = ANY($2) FOR UPDATE",
            )
            .bind(&close.region)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
            let mut stored = HashMap::with_capacity(rows.len());
            for row in rows {
                let id: String = row.try_get("id")?;
                if row.try_get::<bool, _>("in_hand")? {
                    *loads
                        .entry((
                            close.region.clone(),
                            row.try_get("outlet_id")?,
                            row.try_get("engineer_id")?,
                        ))
                        .or_insert(0) -= 1;
                }
                let body: Vec<u8> = row.try_get("body")?;
                stored.insert(id, body);
            }
            let mut settled = OrderRows::default();
            for (id, version) in batch {
                let body = stored.remove(id).ok_or(StoreError::NotFound)?;
                let mut order: Order = decode(id, &body)?;
                if order.version != *version {
                    return Err(StoreError::VersionMismatch {
                        current: order.version,
                    });
                }
                order.status = settlement.status;
                order.update_time = settlement.time;
                order.history.push(settlement.clone());
                order.version += 1;
                // Settled: neither due nor in hand.
                settled.push(&order, None, false);
                appends.last_event(&order);
            }
            settled.replace(&mut tx).await?;
        }
        move_loads(&mut tx, loads).await?;
        self.finish(tx, appends).await?;
        Ok(close)
    }
}
