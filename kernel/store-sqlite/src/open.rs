//! Opening the file and bringing its schema up to date.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{mpsc, watch};

use super::handle::SqliteStore;
use super::intake::{Committer, GROUP_MAX};
use super::loads::Loads;
use xingji_store::Result;

/// Schema migrations, applied in order on open and recorded in the file.
pub(super) const MIGRATIONS: &[(i64, &str, &str)] = &[
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
    (
        7,
        "audit",
        include_str!("../migrations/sqlite/0007_audit.sql"),
    ),
    (
        8,
        "publishers",
        include_str!("../migrations/sqlite/0008_publishers.sql"),
    ),
    (
        9,
        "plugin_kv_usage",
        include_str!("../migrations/sqlite/0009_plugin_kv_usage.sql"),
    ),
    (
        10,
        "kernel_indexes",
        include_str!("../migrations/sqlite/0010_kernel_indexes.sql"),
    ),
    (
        11,
        "settled_orders",
        include_str!("../migrations/sqlite/0011_settled_orders.sql"),
    ),
    (
        12,
        "plugin_decisions",
        include_str!("../migrations/sqlite/0012_plugin_decisions.sql"),
    ),
    (
        13,
        "dispatch_candidates",
        include_str!("../migrations/sqlite/0013_dispatch_candidates.sql"),
    ),
];

/// The migrations up to and including version `through`.
pub(super) fn migrator(through: i64) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .filter(|(version, _, _)| *version <= through)
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
}

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
            // A page of rows (lists go up to 1,000) without the connection's
            // thread waiting on the reader: at sqlx's 50, a big read woke
            // the two threads in turn every 50 rows.
            .row_buffer_size(1024)
            // 64 MiB of pages per connection (SQLite's default is 2 MiB): a
            // month close reads and rewrites a region's month of orders in
            // one transaction, and spilled pages were a third of its time.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // A checkpoint that resets the WAL truncates it to 64 MiB: left
            // alone, the file keeps the size of its largest transaction
            // since open (a month close, a big import) for good.
            .pragma("journal_size_limit", "67108864")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        migrator(i64::MAX)
            .run(&pool)
            .await
            .map_err(sqlx::Error::from)?;
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM order_events")
            .fetch_one(&pool)
            .await?;
        let last_event = watch::Sender::new(last);
        let (creates, queue) = mpsc::channel(4 * GROUP_MAX);
        let writer = Arc::new(tokio::sync::Mutex::new(()));
        let loads = Arc::new(Loads::default());
        let committer = Committer {
            pool: pool.clone(),
            writer: writer.clone(),
            loads: loads.clone(),
            last_event: last_event.clone(),
        };
        tokio::spawn(committer.run(queue));
        Ok(Self {
            pool,
            last_event,
            network: Arc::new(AtomicU64::new(0)),
            registry: watch::Sender::new(0),
            creates,
            writer,
            loads,
        })
    }
}
