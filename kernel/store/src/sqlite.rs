//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`,
//! so that a write acknowledged to a client survives a crash or power loss.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use prost::Message;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Executor, QueryBuilder, Row, SqlSafeStr, Sqlite};
use tokio::sync::{mpsc, oneshot, watch};
use xingji_api::v1::{
    Activation, Audit, HistoryEntry, LicenceEvent, MonthClose, Order, OrderEvent, Outlet, Person,
    Plugin,
};

use crate::{
    AuditFilter, CreateOutcome, EventFilter, MonthCloseCommit, OrderFilter, OutletFilter, Page,
    PersonFilter, Result, Store, StoreError,
};

/// Schema migrations, applied in order on open and recorded in the file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "records",
        include_str!("../migrations/sqlite/0001_records.sql"),
    ),
    (
        2,
        "plugins",
        include_str!("../migrations/sqlite/0002_plugins.sql"),
    ),
    (
        3,
        "plugin_kv",
        include_str!("../migrations/sqlite/0003_plugin_kv.sql"),
    ),
    (
        4,
        "lifecycle",
        include_str!("../migrations/sqlite/0004_lifecycle.sql"),
    ),
    (
        5,
        "month_close",
        include_str!("../migrations/sqlite/0005_month_close.sql"),
    ),
    (
        6,
        "open_loads",
        include_str!("../migrations/sqlite/0006_open_loads.sql"),
    ),
];

/// The SQLite store. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The `seq` of the last committed order event, for watchers.
    last_event: watch::Sender<i64>,
    /// Bumped after every write to outlets or people.
    network: Arc<AtomicU64>,
    /// New orders, for the group committer.
    creates: mpsc::Sender<PendingCreate>,
    /// Taken by every write before SQLite's write lock: writers queue here
    /// in order instead of in SQLite's busy handler, whose growing sleeps
    /// starved a plugin activation behind a stream of new orders.
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// One `create_order` waiting for the group committer.
struct PendingCreate {
    request_id: String,
    fingerprint: Vec<u8>,
    order: Order,
    reply: oneshot::Sender<Result<CreateOutcome>>,
}

/// The most new orders one transaction takes.
const GROUP_MAX: usize = 256;

/// Orders a month close settles per statement (15 columns each, well under
/// SQLite's 32,766 bound parameters).
const SETTLE_BATCH: usize = 500;

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and brings its
    /// schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB of pages per connection (SQLite's default is 2 MiB): a
            // month close reads and rewrites a region's month of orders in
            // one transaction, and spilled pages were a third of its time.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let migrations = MIGRATIONS
            .iter()
            .map(|&(version, name, sql)| {
                Migration::new(
                    version,
                    name.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&pool)
            .await
            .map_err(sqlx::Error::from)?;
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM order_events")
            .fetch_one(&pool)
            .await?;
        let last_event = watch::Sender::new(last);
        let (creates, queue) = mpsc::channel(4 * GROUP_MAX);
        let writer = Arc::new(tokio::sync::Mutex::new(()));
        tokio::spawn(Self::group_commit(
            pool.clone(),
            writer.clone(),
            last_event.clone(),
            queue,
        ));
        Ok(Self {
            pool,
            last_event,
            network: Arc::new(AtomicU64::new(0)),
            creates,
            writer,
        })
    }

    /// Writes new orders in groups: every order that arrived while the
    /// previous transaction committed goes into the next one, so a burst of
    /// `create_order` calls pays one fsync per group, not one per order.
    /// Each order is its own savepoint: one that fails leaves the others.
    /// Ends when the last clone of the store is dropped.
    async fn group_commit(
        pool: SqlitePool,
        writer: Arc<tokio::sync::Mutex<()>>,
        last_event: watch::Sender<i64>,
        mut queue: mpsc::Receiver<PendingCreate>,
    ) {
        let mut group = Vec::with_capacity(GROUP_MAX);
        while queue.recv_many(&mut group, GROUP_MAX).await > 0 {
            match Self::create_group(&pool, &writer, &mut group).await {
                Ok((outcomes, last)) => {
                    if let Some(seq) = last {
                        announce(&last_event, seq);
                    }
                    for (pending, outcome) in group.drain(..).zip(outcomes) {
                        let _ = pending.reply.send(outcome);
                    }
                }
                Err(error) => {
                    let message = error.to_string();
                    for pending in group.drain(..) {
                        let _ =
                            pending
                                .reply
                                .send(Err(StoreError::Backend(sqlx::Error::Protocol(format!(
                                    "group commit failed: {message}"
                                )))));
                    }
                }
            }
        }
    }

    /// One transaction for a group of new orders: the outcome of each, and
    /// the last event written.
    async fn create_group(
        pool: &SqlitePool,
        writer: &tokio::sync::Mutex<()>,
        group: &mut [PendingCreate],
    ) -> Result<(Vec<Result<CreateOutcome>>, Option<i64>)> {
        // BEGIN IMMEDIATE takes the write lock up front, so that two requests
        // with one id queue behind each other instead of both inserting.
        let _writing = writer.lock().await;
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut outcomes = Vec::with_capacity(group.len());
        let mut last = None;
        for pending in group.iter_mut() {
            let mut one = sqlx::Connection::begin(&mut *tx).await?;
            let order = std::mem::take(&mut pending.order);
            match Self::create_in(&mut one, &pending.request_id, &pending.fingerprint, order).await
            {
                Ok((outcome, seq)) => {
                    one.commit().await?;
                    last = seq.or(last);
                    outcomes.push(Ok(outcome));
                }
                Err(error) => {
                    one.rollback().await?;
                    outcomes.push(Err(error));
                }
            }
        }
        tx.commit().await?;
        Ok((outcomes, last))
    }

    /// Claims `request_id` and inserts the order with an event per history
    /// entry, or finds the order the id made before.
    async fn create_in(
        tx: &mut sqlx::SqliteConnection,
        request_id: &str,
        fingerprint: &[u8],
        order: Order,
    ) -> Result<(CreateOutcome, Option<i64>)> {
        let claimed = sqlx::query(
            "INSERT INTO order_requests (request_id, order_id, fingerprint) VALUES (?, ?, ?) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(&order.id)
        .bind(fingerprint)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            let order = Self::insert(&mut *tx, order).await?;
            let mut last = None;
            for entry in &order.history {
                last = Some(Self::append_event(tx, &order, entry).await?);
            }
            return Ok((CreateOutcome::Created(order), last));
        }
        let row = sqlx::query(
            "SELECT r.fingerprint, o.id, o.body FROM order_requests r \
             JOIN orders o ON o.id = r.order_id WHERE r.request_id = ?",
        )
        .bind(request_id)
        .fetch_one(&mut *tx)
        .await?;
        let stored: &[u8] = row.get("fingerprint");
        let outcome = CreateOutcome::Existing {
            same_request: stored == fingerprint,
            order: decode(row.get("id"), row.get("body"))?,
        };
        Ok((outcome, None))
    }

    /// Loads records made elsewhere (a migration from another system, a
    /// benchmark's generated network) in one transaction, as they are:
    /// ids and histories kept, each stored at version 1 with an event for
    /// an order's last history entry, no idempotency keys. Nothing is checked beyond the
    /// schema's own constraints.
    pub async fn import(
        &self,
        outlets: Vec<Outlet>,
        people: Vec<Person>,
        orders: Vec<Order>,
    ) -> Result<()> {
        let (_writing, mut tx) = self.begin_write().await?;
        for outlet in outlets {
            Self::insert(&mut *tx, outlet).await?;
        }
        for person in people {
            Self::insert(&mut *tx, person).await?;
        }
        let mut last = None;
        for order in orders {
            let order = Self::insert(&mut *tx, order).await?;
            last = Some(Self::append_last_event(&mut tx, &order).await?);
        }
        tx.commit().await?;
        self.network_changed();
        if let Some(seq) = last {
            self.announce(seq);
        }
        Ok(())
    }

    /// A write transaction, after the writers queued before it.
    async fn begin_write(
        &self,
    ) -> Result<(
        tokio::sync::OwnedMutexGuard<()>,
        sqlx::Transaction<'static, Sqlite>,
    )> {
        let writing = self.writer.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((writing, tx))
    }

    /// Tells readers that cached outlets or people to read them again.
    fn network_changed(&self) {
        self.network.fetch_add(1, Ordering::Release);
    }

    /// Appends the event of an order write for one of its history entries.
    async fn append_event(
        tx: &mut sqlx::SqliteConnection,
        order: &Order,
        entry: &HistoryEntry,
    ) -> Result<i64> {
        let seq = sqlx::query_scalar(
            "INSERT INTO order_events (region, outlet_id, body) VALUES (?, ?, ?) RETURNING seq",
        )
        .bind(&order.region)
        .bind(&order.outlet_id)
        .bind(event(order, Some(entry.clone())).encode_to_vec())
        .fetch_one(&mut *tx)
        .await?;
        Ok(seq)
    }

    /// Appends the event of an update: its last history entry.
    async fn append_last_event(tx: &mut sqlx::SqliteConnection, order: &Order) -> Result<i64> {
        let entry = order.history.last().cloned().unwrap_or_default();
        Self::append_event(tx, order, &entry).await
    }

    /// Writes records that exist, as they are (versions included), in one
    /// statement: for batches inside a transaction that checked them. Of
    /// the filter columns only `changed` are written: SQLite then leaves the
    /// indexes of the others alone.
    async fn replace_all<R: Stored>(
        connection: &mut sqlx::SqliteConnection,
        records: &[R],
        changed: &[&str],
    ) -> Result<()> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let names: Vec<&str> = first.columns().iter().map(|(name, _)| *name).collect();
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO {} (id, version, body", R::TABLE));
        for name in &names {
            query.push(", ").push(*name);
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
        query.push(
            " ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body",
        );
        for name in changed {
            query.push(format!(", {name} = excluded.{name}"));
        }
        query
            .build()
            .execute(&mut *connection)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        Ok(())
    }

    /// Appends the events of updated orders (each one's last history entry)
    /// in one statement; the last `seq`.
    async fn append_last_events(
        connection: &mut sqlx::SqliteConnection,
        orders: &[Order],
    ) -> Result<Option<i64>> {
        if orders.is_empty() {
            return Ok(None);
        }
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT INTO order_events (region, outlet_id, body) ");
        query.push_values(orders, |mut row, order| {
            let event = event(order, order.history.last().cloned());
            row.push_bind(order.region.clone())
                .push_bind(order.outlet_id.clone())
                .push_bind(event.encode_to_vec());
        });
        query.push(" RETURNING seq");
        let seqs: Vec<i64> = query
            .build_query_scalar()
            .fetch_all(&mut *connection)
            .await?;
        Ok(seqs.into_iter().max())
    }

    /// Tells watchers that events up to `seq` are committed.
    fn announce(&self, seq: i64) {
        announce(&self.last_event, seq);
    }

    async fn get<R: Stored>(&self, id: &str) -> Result<R> {
        let sql = format!("SELECT body FROM {} WHERE id = ?", R::TABLE);
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        decode(id, row.get("body"))
    }

    async fn list<R: Stored>(&self, conditions: Vec<Condition>, page: &Page) -> Result<Vec<R>> {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("SELECT id, body FROM {} WHERE 1 = 1", R::TABLE));
        for condition in conditions {
            query.push(" AND ").push(condition.before);
            match condition.value {
                Value::Text(text) => query.push_bind(text),
                Value::Int(int) => query.push_bind(int),
            };
            query.push(condition.after);
        }
        if let Some(after) = &page.after {
            query.push(" AND id > ").push_bind(after.clone());
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| decode(row.get("id"), row.get("body")))
            .collect()
    }

    async fn insert<'c, R: Stored>(
        executor: impl Executor<'c, Database = Sqlite>,
        mut record: R,
    ) -> Result<R> {
        record.set_version(1);
        let columns = record.columns();
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO {} (id, version, body", R::TABLE));
        for (name, _) in &columns {
            query.push(", ").push(name);
        }
        query.push(") VALUES (");
        let mut values = query.separated(", ");
        values.push_bind(record.id().to_owned());
        values.push_bind(record.version());
        values.push_bind(record.encode_to_vec());
        for (_, value) in columns {
            match value {
                Value::Text(text) => values.push_bind(text),
                Value::Int(int) => values.push_bind(int),
            };
        }
        query.push(")");
        query
            .build()
            .execute(executor)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        Ok(record)
    }

    async fn update<R: Stored>(&self, record: R) -> Result<R> {
        let mut connection = self.pool.acquire().await?;
        Self::update_in(&mut connection, record).await
    }

    /// Replaces `record` if it is still at the version it was read at.
    async fn update_in<R: Stored>(
        connection: &mut sqlx::SqliteConnection,
        mut record: R,
    ) -> Result<R> {
        let read_at = record.version();
        record.set_version(read_at + 1);
        let mut query = QueryBuilder::<Sqlite>::new(format!("UPDATE {} SET ", R::TABLE));
        let mut sets = query.separated(", ");
        sets.push("version = ")
            .push_bind_unseparated(record.version());
        sets.push("body = ")
            .push_bind_unseparated(record.encode_to_vec());
        for (name, value) in record.columns() {
            sets.push(name).push_unseparated(" = ");
            match value {
                Value::Text(text) => sets.push_bind_unseparated(text),
                Value::Int(int) => sets.push_bind_unseparated(int),
            };
        }
        query.push(" WHERE id = ").push_bind(record.id().to_owned());
        query.push(" AND version = ").push_bind(read_at);
        let done = query
            .build()
            .execute(&mut *connection)
            .await
            .map_err(|error| unique_violation(error, R::UNIQUE))?;
        if done.rows_affected() == 1 {
            return Ok(record);
        }
        let sql = format!("SELECT version FROM {} WHERE id = ?", R::TABLE);
        let current: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(record.id())
            .fetch_optional(&mut *connection)
            .await?;
        match current {
            Some(current) => Err(StoreError::VersionMismatch { current }),
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_outlet(&self, outlet: Outlet) -> Result<Outlet> {
        let _writing = self.writer.lock().await;
        let outlet = Self::insert(&self.pool, outlet).await?;
        self.network_changed();
        Ok(outlet)
    }

    async fn get_outlet(&self, id: &str) -> Result<Outlet> {
        self.get(id).await
    }

    async fn list_outlets(&self, filter: &OutletFilter, page: &Page) -> Result<Vec<Outlet>> {
        let mut conditions = Vec::new();
        text_eq(&mut conditions, "region = ", &filter.region);
        int_eq(&mut conditions, "status = ", filter.status);
        int_eq(&mut conditions, "tier = ", filter.tier);
        text_eq(&mut conditions, "parent_id = ", &filter.parent_id);
        int_eq(&mut conditions, "grade = ", filter.grade);
        has_product_line(&mut conditions, filter.product_line);
        self.list(conditions, page).await
    }

    async fn update_outlet(&self, outlet: Outlet) -> Result<Outlet> {
        let _writing = self.writer.lock().await;
        let outlet = self.update(outlet).await?;
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

    async fn create_person(&self, person: Person) -> Result<Person> {
        let _writing = self.writer.lock().await;
        let person = Self::insert(&self.pool, person).await?;
        self.network_changed();
        Ok(person)
    }

    async fn get_person(&self, id: &str) -> Result<Person> {
        self.get(id).await
    }

    async fn list_people(&self, filter: &PersonFilter, page: &Page) -> Result<Vec<Person>> {
        let mut conditions = Vec::new();
        text_eq(&mut conditions, "region = ", &filter.region);
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

    async fn update_person(&self, person: Person) -> Result<Person> {
        let _writing = self.writer.lock().await;
        let person = self.update(person).await?;
        self.network_changed();
        Ok(person)
    }

    async fn create_order(
        &self,
        request_id: &str,
        fingerprint: &[u8],
        order: Order,
    ) -> Result<CreateOutcome> {
        let (reply, outcome) = oneshot::channel();
        let pending = PendingCreate {
            request_id: request_id.to_owned(),
            fingerprint: fingerprint.to_vec(),
            order,
            reply,
        };
        let gone = || StoreError::Backend(sqlx::Error::PoolClosed);
        self.creates.send(pending).await.map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }

    async fn get_order(&self, id: &str) -> Result<Order> {
        self.get(id).await
    }

    async fn list_orders(&self, filter: &OrderFilter, page: &Page) -> Result<Vec<Order>> {
        let mut conditions = Vec::new();
        text_eq(&mut conditions, "region = ", &filter.region);
        int_eq(&mut conditions, "status = ", filter.status);
        text_eq(&mut conditions, "outlet_id = ", &filter.outlet_id);
        text_eq(&mut conditions, "engineer_id = ", &filter.engineer_id);
        int_eq(&mut conditions, "kind = ", filter.kind);
        int_eq(&mut conditions, "product_line = ", filter.product_line);
        text_eq(
            &mut conditions,
            "original_order_id = ",
            &filter.original_order_id,
        );
        if let Some(now) = filter.due_before {
            conditions.push(Condition {
                before: "due_at < ",
                value: Value::Int(now),
                after: "",
            });
        }
        self.list(conditions, page).await
    }

    async fn install_plugin(&self, plugin: Plugin, component: &[u8]) -> Result<Plugin> {
        let (_writing, mut tx) = self.begin_write().await?;
        let existing: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT sha256, body FROM plugins WHERE sha256 = ? OR (name = ? AND version = ?)",
        )
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((sha256, body)) = existing {
            tx.rollback().await?;
            return if sha256 == plugin.sha256 {
                decode(&sha256, &body)
            } else {
                Err(StoreError::AlreadyExists("plugin version"))
            };
        }
        sqlx::query("INSERT INTO plugins (sha256, name, version, slot, body, component) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&plugin.sha256)
            .bind(&plugin.name)
            .bind(&plugin.version)
            .bind(plugin.slot)
            .bind(plugin.encode_to_vec())
            .bind(component)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(plugin)
    }

    async fn list_plugins(&self) -> Result<Vec<Plugin>> {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT sha256, body FROM plugins ORDER BY name, version")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(sha256, body)| decode(sha256, body))
            .collect()
    }

    async fn plugin_component(&self, sha256: &str) -> Result<Vec<u8>> {
        sqlx::query_scalar("SELECT component FROM plugins WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn add_activation(&self, mut activation: Activation) -> Result<Activation> {
        let (_writing, mut tx) = self.begin_write().await?;
        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM activations")
            .fetch_one(&mut *tx)
            .await?;
        activation.seq = seq;
        sqlx::query("INSERT INTO activations (seq, region, slot, body) VALUES (?, ?, ?, ?)")
            .bind(seq)
            .bind(&activation.region)
            .bind(activation.slot)
            .bind(activation.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(activation)
    }

    async fn list_activations(&self) -> Result<Vec<Activation>> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, body FROM activations ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(seq, body)| decode(&seq.to_string(), body))
            .collect()
    }

    async fn update_order(&self, order: Order) -> Result<Order> {
        let (_writing, mut tx) = self.begin_write().await?;
        let order = Self::update_in(&mut tx, order).await?;
        let seq = Self::append_last_event(&mut tx, &order).await?;
        tx.commit().await?;
        self.announce(seq);
        Ok(order)
    }

    async fn list_order_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<OrderEvent>> {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT seq, body FROM order_events WHERE seq > ");
        query.push_bind(filter.after);
        if let Some(region) = &filter.region {
            query.push(" AND region = ").push_bind(region.clone());
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

    fn network_version(&self) -> u64 {
        self.network.load(Ordering::Acquire)
    }

    async fn record_licence_event(
        &self,
        person: Person,
        event: LicenceEvent,
    ) -> Result<(Person, LicenceEvent)> {
        let (_writing, mut tx) = self.begin_write().await?;
        let person = Self::update_in(&mut tx, person).await?;
        let event = Self::insert(&mut *tx, event).await?;
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
        region: Option<&str>,
        page: &Page,
    ) -> Result<Vec<MonthClose>> {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT id, body FROM month_closes WHERE 1 = 1");
        if let Some(region) = region {
            query.push(" AND region = ").push_bind(region.to_owned());
        }
        if let Some(after) = &page.after {
            query.push(" AND id > ").push_bind(after.clone());
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| decode(row.get("id"), row.get("body")))
            .collect()
    }

    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose> {
        let MonthCloseCommit {
            close,
            outlets,
            people,
            settle,
            settle_order,
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
                if order.version != *version {
                    return Err(StoreError::VersionMismatch {
                        current: order.version,
                    });
                }
                if settle_order(&mut order) {
                    order.version += 1;
                    settled.push(order);
                }
            }
            // Settling moves the status and the SLA due time, nothing else
            // the columns hold.
            Self::replace_all(&mut tx, &settled, &["status", "due_at"]).await?;
            last = Self::append_last_events(&mut tx, &settled).await?.or(last);
        }
        let orders_done = started.elapsed();
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

    async fn create_audit(&self, audit: Audit) -> Result<Audit> {
        let _writing = self.writer.lock().await;
        Self::insert(&self.pool, audit).await
    }

    async fn list_audits(&self, filter: &AuditFilter, page: &Page) -> Result<Vec<Audit>> {
        let mut conditions = Vec::new();
        text_eq(&mut conditions, "region = ", &filter.region);
        text_eq(&mut conditions, "outlet_id = ", &filter.outlet_id);
        self.list(conditions, page).await
    }

    async fn open_order_counts(&self, region: &str) -> Result<Vec<(String, String, i64)>> {
        // Kept by triggers (migration 0006). One row of JSON, not a row per
        // engineer: sqlx hands each row across threads, and dispatch asks
        // this for every order (it was a third of CreateOrder's time).
        let loads: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(outlet_id, engineer_id, open)) \
             FROM open_loads WHERE region = ? AND open > 0",
        )
        .bind(region)
        .fetch_one(&self.pool)
        .await?;
        serde_json::from_str(&loads).map_err(|error| StoreError::Corrupt {
            id: format!("open_loads/{region}"),
            reason: error.to_string(),
        })
    }

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

    async fn kv_apply(
        &self,
        region: &str,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
        max_bytes: u64,
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
        let used: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(value)), 0) FROM plugin_kv WHERE region = ? AND plugin = ?",
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
        tx.commit().await?;
        Ok(())
    }

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

/// A column value.
enum Value {
    Text(String),
    Int(i64),
}

/// One `AND` term of a list query: `before`, a bound value, `after`.
struct Condition {
    before: &'static str,
    value: Value,
    after: &'static str,
}

fn text_eq(conditions: &mut Vec<Condition>, before: &'static str, value: &Option<String>) {
    if let Some(value) = value {
        conditions.push(Condition {
            before,
            value: Value::Text(value.clone()),
            after: "",
        });
    }
}

fn int_eq(conditions: &mut Vec<Condition>, before: &'static str, value: Option<i32>) {
    if let Some(value) = value {
        conditions.push(Condition {
            before,
            value: Value::Int(value.into()),
            after: "",
        });
    }
}

fn has_product_line(conditions: &mut Vec<Condition>, line: Option<i32>) {
    if let Some(line) = line {
        conditions.push(Condition {
            before: "product_lines LIKE '%,' || ",
            value: Value::Text(line.to_string()),
            after: " || ',%'",
        });
    }
}

/// Product-line numbers as the `product_lines` column holds them: `,1,4,`.
fn product_lines_column(lines: impl Iterator<Item = i32>) -> String {
    lines.fold(String::from(","), |mut column, line| {
        column.push_str(&line.to_string());
        column.push(',');
        column
    })
}

fn decode<R: Message + Default>(id: &str, body: &[u8]) -> Result<R> {
    R::decode(body).map_err(|error| StoreError::Corrupt {
        id: id.to_owned(),
        reason: error.to_string(),
    })
}

fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists(what),
        _ => StoreError::Backend(error),
    }
}

/// A record kind as the SQLite tables hold it.
trait Stored: Message + Default + Send + Unpin {
    /// Its table.
    const TABLE: &'static str;
    /// What a unique-key violation on insert or update means.
    const UNIQUE: &'static str;
    fn id(&self) -> &str;
    fn version(&self) -> i64;
    fn set_version(&mut self, version: i64);
    /// The filter columns, besides `id`, `version` and `body`.
    fn columns(&self) -> Vec<(&'static str, Value)>;
}

impl Stored for Outlet {
    const TABLE: &'static str = "outlets";
    const UNIQUE: &'static str = "outlet number";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("region", Value::Text(self.region.clone())),
            ("number", Value::Text(self.number.clone())),
            ("tier", Value::Int(self.tier.into())),
            ("status", Value::Int(self.status.into())),
            ("grade", Value::Int(self.grade.into())),
            ("parent_id", Value::Text(self.parent_id.clone())),
            (
                "product_lines",
                Value::Text(product_lines_column(self.product_lines.iter().copied())),
            ),
        ]
    }
}

impl Stored for Person {
    const TABLE: &'static str = "people";
    const UNIQUE: &'static str = "person";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("region", Value::Text(self.region.clone())),
            ("outlet_id", Value::Text(self.outlet_id.clone())),
            ("level", Value::Int(self.level.into())),
            ("licence_state", Value::Int(self.licence_state.into())),
            ("on_duty", Value::Int(self.on_duty.into())),
            (
                "product_lines",
                Value::Text(product_lines_column(
                    self.skills.iter().map(|s| s.product_line),
                )),
            ),
        ]
    }
}

impl Stored for Order {
    const TABLE: &'static str = "orders";
    const UNIQUE: &'static str = "order";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn set_version(&mut self, version: i64) {
        self.version = version;
    }
    fn columns(&self) -> Vec<(&'static str, Value)> {
        let product_line = self.appliance.as_ref().map_or(0, |a| a.product_line);
        vec![
            ("region", Value::Text(self.region.clone())),
            ("kind", Value::Int(self.kind.into())),
            ("status", Value::Int(self.status.into())),
            ("outlet_id", Value::Text(self.outlet_id.clone())),
            ("engineer_id", Value::Text(self.engineer_id.clone())),
            ("product_line", Value::Int(product_line.into())),
            ("due_at", Value::Int(due_at(self))),
            (
                "original_order_id",
                Value::Text(
                    self.complaint
                        .as_ref()
                        .map(|c| c.original_order_id.clone())
                        .unwrap_or_default(),
                ),
            ),
        ]
    }
}

/// The `due_at` column: the earliest due time of an SLA clock still running,
/// or `i64::MAX` when none runs (the order is no longer open, or has no
/// clocks).
fn due_at(order: &Order) -> i64 {
    let Some(sla) = order.sla.as_ref().filter(|_| order.status().is_open()) else {
        return i64::MAX;
    };
    [&sla.dispatch, &sla.contact, &sla.arrival, &sla.completion]
        .into_iter()
        .flatten()
        .filter(|clock| clock.done_time.is_none())
        .filter_map(|clock| clock.due_time.map(|due| due.seconds))
        .min()
        .unwrap_or(i64::MAX)
}

/// Records that are written once: their `version` column stays 1.
macro_rules! append_only {
    ($record:ty, $table:literal, $($column:ident: $kind:ident),*) => {
        impl Stored for $record {
            const TABLE: &'static str = $table;
            const UNIQUE: &'static str = $table;
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> i64 {
                1
            }
            fn set_version(&mut self, _version: i64) {}
            fn columns(&self) -> Vec<(&'static str, Value)> {
                vec![$((stringify!($column), Value::$kind(self.$column.clone().into()))),*]
            }
        }
    };
}

append_only!(LicenceEvent, "licence_events", person_id: Text);
append_only!(Audit, "audits", region: Text, outlet_id: Text);

/// The event of an order write for one of its history entries.
fn event(order: &Order, entry: Option<HistoryEntry>) -> OrderEvent {
    OrderEvent {
        cursor: String::new(),
        order_id: order.id.clone(),
        region: order.region.clone(),
        outlet_id: order.outlet_id.clone(),
        engineer_id: order.engineer_id.clone(),
        version: order.version,
        entry,
    }
}

/// Tells watchers that events up to `seq` are committed.
fn announce(last_event: &watch::Sender<i64>, seq: i64) {
    last_event.send_if_modified(|last| {
        let newer = seq > *last;
        if newer {
            *last = seq;
        }
        newer
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_api::v1::OrderStatus;

    /// The open-loads triggers count the orders in hand with a status range
    /// in SQL: it must be the API's one definition of "in hand".
    #[test]
    fn the_sql_status_range_is_the_definition_of_in_hand() {
        let sql = include_str!("../migrations/sqlite/0006_open_loads.sql");
        let ranges: Vec<(i32, i32)> = sql
            .split("BETWEEN ")
            .skip(1)
            .map(|rest| {
                let mut words = rest.split_whitespace();
                let low = words.next().and_then(|w| w.parse().ok());
                let and = words.next();
                let high = words.next().and_then(|w| {
                    w.trim_end_matches(|c: char| !c.is_ascii_digit())
                        .parse()
                        .ok()
                });
                match (low, and, high) {
                    (Some(low), Some("AND"), Some(high)) => (low, high),
                    _ => panic!("an unreadable range in: BETWEEN {rest}"),
                }
            })
            .collect();
        assert_eq!(ranges.len(), 5, "one range per trigger and the backfill");
        for (low, high) in ranges {
            assert_eq!(low..=high, xingji_api::statuses::IN_HAND);
        }
    }

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("test.db"))
            .await
            .expect("open");
        (dir, store)
    }

    fn set(key: &str, value: &[u8]) -> (String, Option<Vec<u8>>) {
        (key.to_owned(), Some(value.to_vec()))
    }

    #[tokio::test]
    async fn kv_writes_apply_all_or_none_within_the_quota() {
        let (_dir, store) = store().await;
        store
            .kv_apply(
                "sh",
                "jiujiu",
                &[set("contract/1", b"one"), set("contract/2", b"two")],
                1000,
            )
            .await
            .expect("apply");
        assert_eq!(
            store
                .kv_get("sh", "jiujiu", "contract/1")
                .await
                .expect("get"),
            Some(b"one".to_vec())
        );
        assert_eq!(
            store
                .kv_get("bj", "jiujiu", "contract/1")
                .await
                .expect("get"),
            None,
            "regions are apart"
        );
        assert_eq!(
            store
                .kv_get("sh", "other", "contract/1")
                .await
                .expect("get"),
            None,
            "plugins are apart"
        );

        // Over the quota: nothing of the batch is written, not even the delete.
        let batch = [
            ("contract/1".to_owned(), None),
            set("contract/3", &[0; 2000]),
        ];
        let refused = store.kv_apply("sh", "jiujiu", &batch, 1000).await;
        assert!(
            matches!(refused, Err(StoreError::Quota { limit: 1000, .. })),
            "{refused:?}"
        );
        assert_eq!(
            store
                .kv_get("sh", "jiujiu", "contract/1")
                .await
                .expect("get"),
            Some(b"one".to_vec())
        );
        assert_eq!(
            store
                .kv_get("sh", "jiujiu", "contract/3")
                .await
                .expect("get"),
            None
        );

        store
            .kv_apply(
                "sh",
                "jiujiu",
                &[("contract/1".to_owned(), None), set("index", b"x")],
                1000,
            )
            .await
            .expect("apply");
        let keys = store
            .kv_keys("sh", "jiujiu", "contract/", "", 10)
            .await
            .expect("keys");
        assert_eq!(keys, ["contract/2"]);
        let all = store
            .kv_keys("sh", "jiujiu", "", "contract/2", 10)
            .await
            .expect("keys");
        assert_eq!(all, ["index"], "after skips up to and including the key");
    }

    #[tokio::test]
    async fn stale_updates_are_refused() {
        let (_dir, store) = store().await;
        let outlet = Outlet {
            id: "out_1".into(),
            region: "sh".into(),
            number: "1".into(),
            ..Outlet::default()
        };
        let created = store.create_outlet(outlet).await.expect("create");
        assert_eq!(created.version, 1);
        let first = store
            .update_outlet(Outlet {
                name: "a".into(),
                ..created.clone()
            })
            .await
            .expect("update");
        assert_eq!(first.version, 2);
        let stale = store
            .update_outlet(Outlet {
                name: "b".into(),
                ..created
            })
            .await;
        assert!(
            matches!(stale, Err(StoreError::VersionMismatch { current: 2 })),
            "{stale:?}"
        );
    }

    /// Open orders per outlet and engineer follow every order write: a
    /// create in an open status counts, a move out of one uncounts, a
    /// reassignment moves the count, and requests reusing an id in one
    /// group commit make one order.
    #[tokio::test]
    async fn open_loads_follow_order_writes() {
        let (_dir, store) = store().await;
        let order = |id: &str, status: OrderStatus, outlet: &str, engineer: &str| Order {
            id: id.into(),
            region: "sh".into(),
            status: status as i32,
            outlet_id: outlet.into(),
            engineer_id: engineer.into(),
            history: vec![HistoryEntry::default(); 2],
            ..Order::default()
        };
        let loads = |store: SqliteStore| async move {
            let mut loads = store.open_order_counts("sh").await.expect("loads");
            loads.sort();
            loads
        };
        let created = |outcome: Result<CreateOutcome>| match outcome.expect("create") {
            CreateOutcome::Created(order) => order,
            other => panic!("{other:?}"),
        };
        // Sent together, so that they share a group commit.
        let (a, b, c, again) = tokio::join!(
            store.create_order("r1", b"1", order("o1", OrderStatus::Dispatched, "x", "e1")),
            store.create_order("r2", b"2", order("o2", OrderStatus::Accepted, "x", "e1")),
            store.create_order("r3", b"3", order("o3", OrderStatus::Intake, "", "")),
            store.create_order("r1", b"1", order("o4", OrderStatus::Dispatched, "y", "e9")),
        );
        let (a, _b, c) = (created(a), created(b), created(c));
        assert!(
            matches!(again, Ok(CreateOutcome::Existing { ref order, same_request: true }) if order.id == "o1"),
            "{again:?}"
        );
        assert_eq!(
            loads(store.clone()).await,
            vec![("x".into(), "e1".into(), 2)]
        );
        let events = store
            .list_order_events(&EventFilter::default(), 100)
            .await
            .expect("events");
        assert_eq!(
            events.len(),
            6,
            "one event per history entry of each new order"
        );

        store
            .update_order(Order {
                status: OrderStatus::Completed as i32,
                ..a
            })
            .await
            .expect("complete");
        store
            .update_order(Order {
                status: OrderStatus::Dispatched as i32,
                outlet_id: "y".into(),
                engineer_id: "e2".into(),
                ..c
            })
            .await
            .expect("dispatch");
        assert_eq!(
            loads(store.clone()).await,
            vec![("x".into(), "e1".into(), 1), ("y".into(), "e2".into(), 1)]
        );
    }
}
