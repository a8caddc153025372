//! The store's handle and what it is made of: the pool, the writer lock,
//! the event watch, the network version, the open loads and the intake
//! channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Sqlite;
use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot, watch};
use xingji_api::v1::AuditEvent;

use super::loads::Loads;

use xingji_store::{CreateOutcome, OrderWrite, Result};

/// The SQLite store. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// The `seq` of the last committed order event, for watchers.
    pub(super) last_event: watch::Sender<i64>,
    /// Bumped after every write to outlets or people.
    pub(super) network: Arc<AtomicU64>,
    /// Bumped after every install, uninstall and activation. (One process
    /// per file: this store does not hear another process's writes.)
    pub(super) registry: watch::Sender<u64>,
    /// New orders, for the group committer.
    pub(super) creates: mpsc::Sender<PendingCreate>,
    /// Taken by every write before SQLite's write lock: writers queue here
    /// in order instead of in SQLite's busy handler, whose growing sleeps
    /// starved a plugin activation behind a stream of new orders.
    pub(super) writer: Arc<tokio::sync::Mutex<()>>,
    /// The open loads of the regions dispatched to, changed only under
    /// `writer` (see `loads`).
    pub(super) loads: Arc<Loads>,
}

/// One `create_order` waiting for the group committer.
pub(super) struct PendingCreate {
    pub(super) request_id: String,
    pub(super) fingerprint: Vec<u8>,
    pub(super) order: OrderWrite,
    /// Appended with the order; not if the request id was used before.
    pub(super) audit: AuditEvent,
    pub(super) reply: oneshot::Sender<Result<CreateOutcome>>,
}

impl SqliteStore {
    /// A write transaction, after the writers queued before it.
    pub(super) async fn begin_write(
        &self,
    ) -> Result<(
        tokio::sync::OwnedMutexGuard<()>,
        sqlx::Transaction<'static, Sqlite>,
    )> {
        let writing = self.writer.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((writing, tx))
    }

    /// [`Self::begin_write`] for a write that moves orders in bulk without
    /// saying how (an import): the open loads kept in
    /// memory are forgotten, and read again when next asked for. Only
    /// writes to `orders` move them (the table's triggers).
    pub(super) async fn begin_orders_write(
        &self,
    ) -> Result<(
        tokio::sync::OwnedMutexGuard<()>,
        sqlx::Transaction<'static, Sqlite>,
    )> {
        let (writing, tx) = self.begin_write().await?;
        self.loads.forget();
        Ok((writing, tx))
    }

    /// Tells readers that cached outlets or people to read them again.
    pub(super) fn network_changed(&self) {
        self.network.fetch_add(1, Ordering::Release);
    }

    /// Tells the kernel to reload its plugin sets.
    pub(super) fn registry_changed(&self) {
        self.registry.send_modify(|version| *version += 1);
    }
}
