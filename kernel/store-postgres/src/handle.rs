//! The store's handle: the pool, the feed every kernel hears, the intake
//! queue; opening it and bringing the schema up to date.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use super::intake::{GROUP_MAX, PendingCreate};
use xingji_store::{Result, StoreError};

/// Schema migrations, applied in order on open. sqlx takes an advisory lock
/// while it migrates, so kernels starting together migrate once.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "schema", include_str!("../migrations/0001_schema.sql")),
    (
        2,
        "plugin_decisions",
        include_str!("../migrations/0002_plugin_decisions.sql"),
    ),
    (
        3,
        "dispatch_candidates",
        include_str!("../migrations/0003_dispatch_candidates.sql"),
    ),
];

/// The PostgreSQL store. Cheap to clone: clones share one pool and feed.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    pub(super) feed: Arc<Feed>,
    /// New orders, for the group committer.
    pub(super) creates: mpsc::Sender<PendingCreate>,
    _tasks: Arc<Tasks>,
}

/// What this kernel knows of the database's heads, moved by its own
/// commits at once and by other kernels' through [`crate::follow`].
#[derive(Debug)]
pub(super) struct Feed {
    /// The `seq` of the last committed order event.
    pub(super) last_event: watch::Sender<i64>,
    /// The `network` counter.
    pub(super) network: AtomicU64,
    /// The `registry` counter.
    pub(super) registry: watch::Sender<u64>,
    /// Whether the last read of the heads failed: the database is away.
    /// Calls then fail at once with `Unavailable` instead of each waiting
    /// out the pool's acquire timeout, one after another.
    pub(super) away: AtomicBool,
}

impl Feed {
    /// Moves each head forward (never back: a poll may read an older value
    /// than a commit of ours announced).
    pub(super) fn advance(
        &self,
        last_event: Option<i64>,
        network: Option<i64>,
        registry: Option<i64>,
    ) {
        if let Some(seq) = last_event {
            self.last_event.send_if_modified(|last| {
                let newer = seq > *last;
                if newer {
                    *last = seq;
                }
                newer
            });
        }
        if let Some(version) = network {
            self.network
                .fetch_max(version.unsigned_abs(), Ordering::AcqRel);
        }
        if let Some(version) = registry {
            let version = version.unsigned_abs();
            self.registry.send_if_modified(|last| {
                let newer = version > *last;
                if newer {
                    *last = version;
                }
                newer
            });
        }
    }
}

impl Feed {
    /// `Unavailable` at once if the database was away at the last look.
    pub(super) fn reachable(&self) -> Result<()> {
        if self.away.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable(
                "the database did not answer the last check (every 250 ms); retry".into(),
            ));
        }
        Ok(())
    }
}

/// The background tasks that end with the last clone of the store.
#[derive(Debug)]
struct Tasks(Vec<AbortHandle>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl PostgresStore {
    /// The pool, unless the database is known to be away.
    pub(super) fn pool(&self) -> Result<&PgPool> {
        self.feed.reachable()?;
        Ok(&self.pool)
    }

    /// Connects to the database at `url` (`postgres://user@host:port/db`,
    /// libpq's URL form with its parameters, `sslmode` included) and brings
    /// its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|error: sqlx::Error| StoreError::Backend(format!("store.url: {error}")))?;
        let options = options.application_name("xingji");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A lost database answers UNAVAILABLE within this, instead of
            // holding the caller until its deadline.
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await?;
        // The follower's own connections (LISTEN, and the heads' poll), so
        // that a busy pool never makes the database look away.
        let follower = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy_with(options);
        let mut migrator = Migrator::with_migrations(
            MIGRATIONS
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
                .collect(),
        );
        migrator.set_locking(true);
        migrator.run(&pool).await.map_err(sqlx::Error::from)?;
        let heads = super::follow::read_heads(&pool).await?;
        let feed = Arc::new(Feed {
            last_event: watch::Sender::new(heads.last_event),
            network: AtomicU64::new(heads.network.unsigned_abs()),
            registry: watch::Sender::new(heads.registry.unsigned_abs()),
            away: AtomicBool::new(false),
        });
        let (creates, queue) = mpsc::channel(4 * GROUP_MAX);
        // The committer ends by itself when the queue closes; the
        // followers are stopped by the last handle.
        tokio::spawn(super::intake::group_commit(
            pool.clone(),
            feed.clone(),
            queue,
        ));
        let tasks = super::follow::spawn(follower, feed.clone());
        Ok(Self {
            pool,
            feed,
            creates,
            _tasks: Arc::new(Tasks(tasks)),
        })
    }
}
