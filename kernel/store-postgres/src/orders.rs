//! `OrderLog` on PostgreSQL: order reads and updates, the event log, the
//! loads dispatch reads. New orders are in `intake`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Row};
use tokio::sync::watch;
use xingji_api::v1::{AuditEvent, Order, OrderEvent};

use super::commit::{Appends, move_loads};
use super::handle::PostgresStore;
use super::stored::{Conditions, NOT_DUE, Value, decode, int, text, update};
use xingji_store::{
    CreateOutcome, EventFilter, OpenLoads, OrderFilter, OrderLog, OrderWrite, Page, Result,
    StoreError,
};

#[async_trait]
impl OrderLog for PostgresStore {
    async fn create_order(
        &self,
        request_id: &str,
        fingerprint: &[u8],
        order: OrderWrite,
        audit: AuditEvent,
    ) -> Result<CreateOutcome> {
        Self::create_order(self, request_id, fingerprint, order, audit).await
    }

    async fn get_order(&self, id: &str) -> Result<Order> {
        self.get(id).await
    }

    async fn list_orders(&self, filter: &OrderFilter, page: &Page) -> Result<Vec<Order>> {
        let conditions = Conditions::select("orders")
            .regions(filter.regions.as_deref())
            .eq("status", int(filter.status))
            .eq("outlet_id", text(&filter.outlet_id))
            .eq("engineer_id", text(&filter.engineer_id))
            .eq("kind", int(filter.kind))
            .eq("product_line", int(filter.product_line))
            .eq("original_order_id", text(&filter.original_order_id))
            .below("due_at", filter.due_before);
        self.list(conditions, page).await
    }

    async fn update_order(&self, write: OrderWrite, audit: AuditEvent) -> Result<Order> {
        let OrderWrite {
            order,
            due_at,
            in_hand,
            decision,
        } = write;
        let mut tx = self.pool()?.begin().await?;
        // The load it leaves: read and locked before it is replaced.
        let before = sqlx::query(
            "SELECT outlet_id, engineer_id, in_hand FROM orders \
             WHERE region = $1 AND id = $2 FOR UPDATE",
        )
        .bind(&order.region)
        .bind(&order.id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut loads = BTreeMap::new();
        if before.try_get::<bool, _>("in_hand")? {
            let key = (
                order.region.clone(),
                before.try_get("outlet_id")?,
                before.try_get("engineer_id")?,
            );
            *loads.entry(key).or_insert(0) -= 1;
        }
        if in_hand {
            let key = (
                order.region.clone(),
                order.outlet_id.clone(),
                order.engineer_id.clone(),
            );
            *loads.entry(key).or_insert(0) += 1;
        }
        let kernel = vec![
            ("due_at", Value::Big(due_at.unwrap_or(NOT_DUE))),
            ("in_hand", Value::Bool(in_hand)),
        ];
        let order = update(&mut tx, order, kernel).await?;
        move_loads(&mut tx, loads).await?;
        let mut appends = Appends::audited(audit);
        appends.last_event(&order);
        appends.decisions.extend(decision);
        self.finish(tx, appends).await?;
        Ok(order)
    }

    async fn list_order_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<OrderEvent>> {
        let mut query =
            QueryBuilder::<Postgres>::new("SELECT seq, body FROM order_events WHERE seq > ");
        query.push_bind(filter.after);
        if let Some(regions) = &filter.regions {
            query
                .push(" AND region = ANY(")
                .push_bind(regions.clone())
                .push(")");
        }
        if let Some(outlet) = &filter.outlet_id {
            query.push(" AND outlet_id = ").push_bind(outlet.clone());
        }
        query
            .push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(limit));
        let rows = query.build().fetch_all(self.pool()?).await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                let body: Vec<u8> = row.try_get("body")?;
                let mut event: OrderEvent = decode(&seq.to_string(), &body)?;
                event.cursor = seq.to_string();
                Ok(event)
            })
            .collect()
    }

    fn order_events(&self) -> watch::Receiver<i64> {
        self.feed.last_event.subscribe()
    }

    async fn open_order_counts(&self, region: &str) -> Result<Arc<OpenLoads>> {
        // Read per call, not kept: other kernels on the database move the
        // loads too, and this one hears of their writes only a poll later.
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT outlet_id, engineer_id, open FROM open_loads \
             WHERE region = $1 AND open > 0",
        )
        .bind(region)
        .fetch_all(self.pool()?)
        .await?;
        Ok(Arc::new(OpenLoads::from_rows(rows)))
    }
}
