//! The `Store` trait on SQLite: the simple reads and writes here, the rest
//! in the file of its job. `Self::kv_get(self, …)` and the like call the
//! inherent method of that name, not this one: Rust looks inherent methods
//! up first.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};
use tokio::sync::watch;
use xingji_api::v1::{
    Activation, Audit, AuditEvent, LicenceEvent, MonthClose, Order, OrderEvent, Outlet, Person,
    Plugin,
};

use super::handle::SqliteStore;
use super::loads::LoadMove;
use super::records::{decode, has_product_line, int_eq, region_in, regions_json, text_eq};
use super::settled::{ORDER_COLUMNS, SETTLED, due_before, read_order, status_is};
use super::stored::kernel_columns;
use xingji_store::audit::{AuditEventFilter, StoredAuditEvent};
use xingji_store::{
    AuditFilter, AuditTrail, CreateOutcome, EventFilter, Meta, MonthCloseCommit, MonthCloses,
    OpenLoads, OrderFilter, OrderLog, OrderWrite, OutletFilter, Page, PersonFilter, PluginKv,
    PluginRegistry, Records, Result, StoreError,
};

#[async_trait]
impl Records for SqliteStore {
    async fn create_outlet(&self, outlet: Outlet, audit: AuditEvent) -> Result<Outlet> {
        let (_writing, mut tx) = self.begin_write().await?;
        let outlet = Self::insert(&mut *tx, outlet).await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.network_changed();
        Ok(outlet)
    }

    async fn get_outlet(&self, id: &str) -> Result<Outlet> {
        self.get(id).await
    }

    async fn list_outlets(&self, filter: &OutletFilter, page: &Page) -> Result<Vec<Outlet>> {
        let mut conditions = Vec::new();
        region_in(&mut conditions, &filter.regions);
        int_eq(&mut conditions, "status = ", filter.status);
        int_eq(&mut conditions, "tier = ", filter.tier);
        text_eq(&mut conditions, "parent_id = ", &filter.parent_id);
        int_eq(&mut conditions, "grade = ", filter.grade);
        has_product_line(&mut conditions, filter.product_line);
        self.list(conditions, page).await
    }

    async fn update_outlet(&self, outlet: Outlet, audit: AuditEvent) -> Result<Outlet> {
        let (_writing, mut tx) = self.begin_write().await?;
        let outlet = Self::update_in(&mut tx, outlet).await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.network_changed();
        Ok(outlet)
    }

    async fn count_children(&self, id: &str) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outlets WHERE parent_id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count.unsigned_abs())
    }

    async fn regions(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT region FROM outlets ORDER BY region")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    fn network_version(&self) -> u64 {
        self.network.load(Ordering::Acquire)
    }

    async fn create_person(&self, person: Person, audit: AuditEvent) -> Result<Person> {
        let (_writing, mut tx) = self.begin_write().await?;
        let person = Self::insert(&mut *tx, person).await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.network_changed();
        Ok(person)
    }

    async fn get_person(&self, id: &str) -> Result<Person> {
        self.get(id).await
    }

    async fn list_people(&self, filter: &PersonFilter, page: &Page) -> Result<Vec<Person>> {
        let mut conditions = Vec::new();
        region_in(&mut conditions, &filter.regions);
        text_eq(&mut conditions, "outlet_id = ", &filter.outlet_id);
        int_eq(&mut conditions, "level = ", filter.level);
        int_eq(&mut conditions, "licence_state = ", filter.licence_state);
        int_eq(
            &mut conditions,
            "on_duty = ",
            filter.on_duty_only.then_some(1),
        );
        has_product_line(&mut conditions, filter.product_line);
        self.list(conditions, page).await
    }

    async fn update_person(&self, person: Person, audit: AuditEvent) -> Result<Person> {
        let (_writing, mut tx) = self.begin_write().await?;
        let person = Self::update_in(&mut tx, person).await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.network_changed();
        Ok(person)
    }

    async fn record_licence_event(
        &self,
        person: Person,
        event: LicenceEvent,
        audit: AuditEvent,
    ) -> Result<(Person, LicenceEvent)> {
        let (_writing, mut tx) = self.begin_write().await?;
        let person = Self::update_in(&mut tx, person).await?;
        let event = Self::insert(&mut *tx, event).await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.network_changed();
        Ok((person, event))
    }

    async fn list_licence_events(&self, person_id: &str, page: &Page) -> Result<Vec<LicenceEvent>> {
        let mut conditions = Vec::new();
        text_eq(&mut conditions, "person_id = ", &Some(person_id.to_owned()));
        self.list(conditions, page).await
    }

    async fn licence_events_between(
        &self,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<LicenceEvent>> {
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, body FROM licence_events WHERE id > ? AND id < ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(id, body)| decode(id, body)).collect()
    }

    async fn create_audit(&self, record: Audit, audit: AuditEvent) -> Result<Audit> {
        let (_writing, mut tx) = self.begin_write().await?;
        let record = Self::insert(&mut *tx, record).await?;
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn list_audits(&self, filter: &AuditFilter, page: &Page) -> Result<Vec<Audit>> {
        let mut conditions = Vec::new();
        region_in(&mut conditions, &filter.regions);
        text_eq(&mut conditions, "outlet_id = ", &filter.outlet_id);
        self.list(conditions, page).await
    }
}

#[async_trait]
impl OrderLog for SqliteStore {
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
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        read_order(&row)
    }

    async fn list_orders(&self, filter: &OrderFilter, page: &Page) -> Result<Vec<Order>> {
        let mut conditions = Vec::new();
        region_in(&mut conditions, &filter.regions);
        status_is(&mut conditions, filter.status);
        text_eq(&mut conditions, "outlet_id = ", &filter.outlet_id);
        text_eq(&mut conditions, "engineer_id = ", &filter.engineer_id);
        int_eq(&mut conditions, "kind = ", filter.kind);
        int_eq(&mut conditions, "product_line = ", filter.product_line);
        text_eq(
            &mut conditions,
            "original_order_id = ",
            &filter.original_order_id,
        );
        due_before(&mut conditions, filter.due_before);
        let select = format!("SELECT {ORDER_COLUMNS} FROM orders");
        let rows = self.list_rows(&select, conditions, page).await?;
        rows.iter().map(read_order).collect()
    }

    async fn update_order(&self, write: OrderWrite, audit: AuditEvent) -> Result<Order> {
        let (_writing, mut tx) = self.begin_write().await?;
        // Where the order counted before, to move the open loads kept in
        // memory as the triggers move the table's.
        // And whether a close settled it since its last write (`settled`).
        let before: Option<(String, String, String, bool, bool)> =
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT region, outlet_id, engineer_id, in_hand, {SETTLED} FROM orders WHERE id = ?"
            )))
            .bind(&write.order.id)
            .fetch_optional(&mut *tx)
            .await?;
        if before.as_ref().is_some_and(|row| row.4) {
            Self::unsettle(&mut tx, &write.order.id).await?;
        }
        let in_hand = write.in_hand;
        let columns = kernel_columns(write.due_at, in_hand);
        let order = Self::update_with(&mut tx, write.order, columns).await?;
        let seq = Self::append_last_event(&mut tx, &order).await?;
        if let Some(decision) = &write.decision {
            Self::record_decisions_in(&mut tx, &[decision]).await?;
        }
        Self::append_audit_in(&mut tx, audit).await?;
        if let Err(error) = tx.commit().await {
            // A failed commit may still have written: read them again.
            self.loads.forget();
            return Err(error.into());
        }
        let left = before.iter().filter(|(_, _, _, in_hand, _)| *in_hand).map(
            |(region, outlet, engineer, _, _)| LoadMove {
                region,
                outlet,
                engineer,
                delta: -1,
            },
        );
        let entered = in_hand.then(|| LoadMove {
            region: &order.region,
            outlet: &order.outlet_id,
            engineer: &order.engineer_id,
            delta: 1,
        });
        self.loads.apply(left.chain(entered));
        self.announce(seq);
        Ok(order)
    }

    async fn list_order_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<OrderEvent>> {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT seq, body FROM order_events WHERE seq > ");
        query.push_bind(filter.after);
        if let Some(regions) = &filter.regions {
            query
                .push(" AND region IN (SELECT value FROM json_each(")
                .push_bind(regions_json(regions))
                .push("))");
        }
        if let Some(outlet) = &filter.outlet_id {
            query.push(" AND outlet_id = ").push_bind(outlet.clone());
        }
        query
            .push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.get("seq");
                let mut event: OrderEvent = decode(&seq.to_string(), row.get("body"))?;
                event.cursor = seq.to_string();
                Ok(event)
            })
            .collect()
    }

    fn order_events(&self) -> watch::Receiver<i64> {
        self.last_event.subscribe()
    }

    async fn open_order_counts(&self, region: &str) -> Result<Arc<OpenLoads>> {
        if let Some(loads) = self.loads.get(region) {
            return Ok(loads);
        }
        // Read under the writer lock: no write lands between the read and
        // keeping what was read, and every later one moves what is kept.
        let _writing = self.writer.lock().await;
        if let Some(loads) = self.loads.get(region) {
            return Ok(loads);
        }
        // Kept by triggers (migration 0006). One row of JSON, not a row per
        // engineer: sqlx hands each row across threads.
        let loads: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(outlet_id, engineer_id, open)) \
             FROM open_loads WHERE region = ? AND open > 0",
        )
        .bind(region)
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<(String, String, i64)> =
            serde_json::from_str(&loads).map_err(|error| StoreError::Corrupt {
                id: format!("open_loads/{region}"),
                reason: error.to_string(),
            })?;
        let loads = Arc::new(OpenLoads::from_rows(rows));
        self.loads.keep(region, loads.clone());
        Ok(loads)
    }
}

#[async_trait]
impl MonthCloses for SqliteStore {
    async fn get_month_close(&self, region: &str, month: &str) -> Result<MonthClose> {
        let id = format!("{region}/{month}");
        let body: Vec<u8> = sqlx::query_scalar("SELECT body FROM month_closes WHERE id = ?")
            .bind(&id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        decode(&id, &body)
    }

    async fn list_month_closes(
        &self,
        regions: Option<&[String]>,
        page: &Page,
    ) -> Result<Vec<MonthClose>> {
        let mut conditions = Vec::new();
        region_in(&mut conditions, &regions.map(<[String]>::to_vec));
        self.list_in("month_closes", conditions, page).await
    }

    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose> {
        Self::commit_month_close(self, commit).await
    }
}

#[async_trait]
impl PluginRegistry for SqliteStore {
    async fn install_plugin(
        &self,
        plugin: Plugin,
        component: &[u8],
        audit: AuditEvent,
    ) -> Result<Plugin> {
        let installed = Self::install_plugin(self, plugin, component, audit).await?;
        self.registry_changed();
        Ok(installed)
    }

    async fn delete_plugin(&self, name: &str, version: &str, audit: AuditEvent) -> Result<Plugin> {
        let deleted = Self::delete_plugin(self, name, version, audit).await?;
        self.registry_changed();
        Ok(deleted)
    }

    async fn list_plugins(&self) -> Result<Vec<Plugin>> {
        Self::list_plugins(self).await
    }

    async fn plugin_component(&self, sha256: &str) -> Result<Vec<u8>> {
        Self::plugin_component(self, sha256).await
    }

    async fn plugin_publisher(&self, name: &str) -> Result<Option<String>> {
        Self::plugin_publisher(self, name).await
    }

    async fn add_activation(
        &self,
        activation: Activation,
        audit: AuditEvent,
    ) -> Result<Activation> {
        let added = Self::add_activation(self, activation, audit).await?;
        self.registry_changed();
        Ok(added)
    }

    async fn list_activations(&self) -> Result<Vec<Activation>> {
        Self::list_activations(self).await
    }

    fn registry_version(&self) -> watch::Receiver<u64> {
        self.registry.subscribe()
    }
}

#[async_trait]
impl PluginKv for SqliteStore {
    async fn kv_get(&self, region: &str, plugin: &str, key: &str) -> Result<Option<Vec<u8>>> {
        let value = sqlx::query_scalar(
            "SELECT value FROM plugin_kv WHERE region = ? AND plugin = ? AND key = ?",
        )
        .bind(region)
        .bind(plugin)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(value)
    }

    async fn kv_keys(
        &self,
        region: &str,
        plugin: &str,
        prefix: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        // Keys from `max(prefix, after)` on, while they start with `prefix`.
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM plugin_kv WHERE region = ? AND plugin = ? AND key >= ? AND key > ? \
             ORDER BY key LIMIT ?",
        )
        .bind(region)
        .bind(plugin)
        .bind(prefix)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(keys
            .into_iter()
            .take_while(|key| key.starts_with(prefix))
            .collect())
    }

    async fn kv_usage(&self, region: &str, plugin: &str) -> Result<u64> {
        let used: Option<i64> =
            sqlx::query_scalar("SELECT bytes FROM plugin_kv_usage WHERE region = ? AND plugin = ?")
                .bind(region)
                .bind(plugin)
                .fetch_optional(&self.pool)
                .await?;
        Ok(used.unwrap_or(0).unsigned_abs())
    }

    async fn kv_entry_bytes(&self, region: &str, plugin: &str, key: &str) -> Result<u64> {
        let bytes: Option<i64> = sqlx::query_scalar(
            "SELECT LENGTH(CAST(key AS BLOB)) + LENGTH(value) FROM plugin_kv \
             WHERE region = ? AND plugin = ? AND key = ?",
        )
        .bind(region)
        .bind(plugin)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(bytes.unwrap_or(0).unsigned_abs())
    }

    async fn kv_apply(
        &self,
        region: &str,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
        max_bytes: u64,
        audit: AuditEvent,
    ) -> Result<()> {
        let (_writing, mut tx) = self.begin_write().await?;
        for (key, value) in writes {
            match value {
                Some(value) => {
                    sqlx::query(
                        "INSERT INTO plugin_kv (region, plugin, key, value) VALUES (?, ?, ?, ?) \
                         ON CONFLICT (region, plugin, key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(region)
                    .bind(plugin)
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM plugin_kv WHERE region = ? AND plugin = ? AND key = ?",
                    )
                    .bind(region)
                    .bind(plugin)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        // The last guard (the caller checked the call's writes against the
        // usage it read, which a concurrent call may have raised since): one
        // row, kept by triggers (migration 0009).
        let used: i64 = sqlx::query_scalar(
            "SELECT COALESCE((SELECT bytes FROM plugin_kv_usage WHERE region = ? AND plugin = ?), 0)",
        )
        .bind(region)
        .bind(plugin)
        .fetch_one(&mut *tx)
        .await?;
        if used.unsigned_abs() > max_bytes {
            tx.rollback().await?;
            return Err(StoreError::Quota {
                used: used.unsigned_abs(),
                limit: max_bytes,
            });
        }
        Self::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl AuditTrail for SqliteStore {
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEvent> {
        Self::append_audit(self, event).await
    }

    async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
        page: &Page,
    ) -> Result<Vec<AuditEvent>> {
        Self::list_audit_events(self, filter, page).await
    }

    async fn audit_chain(&self, after_seq: u64, limit: u32) -> Result<Vec<StoredAuditEvent>> {
        Self::audit_chain(self, after_seq, limit).await
    }
}

#[async_trait]
impl Meta for SqliteStore {
    async fn meta_get_or_init(&self, key: &str, init: &[u8]) -> Result<Vec<u8>> {
        let writing = self.writer.lock().await;
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(init)
            .execute(&self.pool)
            .await?;
        drop(writing);
        let value = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }
}
