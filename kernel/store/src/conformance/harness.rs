//! What a case runs on: a database, a handle on it, and the way to open
//! another handle on the same database; and the runtime each case runs in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::Store;

/// A boxed future that may move between threads.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How long one case may take before it fails: a deadlock in a backend
/// fails its test instead of hanging the run.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(180);

/// One fresh database, as a case sees it. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    store: Arc<dyn Store>,
    again: Arc<dyn Fn() -> BoxFuture<Arc<dyn Store>> + Send + Sync>,
}

impl Database {
    /// A database reached through `store`; `again` opens another handle on
    /// the same database (another pool, as another process would).
    pub fn new(
        store: Arc<dyn Store>,
        again: impl Fn() -> BoxFuture<Arc<dyn Store>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            store,
            again: Arc::new(again),
        }
    }

    /// The first handle.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The first handle, to move into a task.
    pub fn handle(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Another handle on the same database.
    pub async fn open_again(&self) -> Arc<dyn Store> {
        (self.again)().await
    }
}

/// Runs one case on a runtime of its own (two worker threads, so that
/// concurrent tasks really run at once): `setup` makes the database,
/// `case` checks it. Panics if the case panics or takes longer than
/// [`CASE_TIMEOUT`].
pub fn run<Setup, Case, Checked>(setup: Setup, case: Case)
where
    Setup: Future<Output = Database>,
    Case: FnOnce(Database) -> Checked,
    Checked: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the case");
    runtime.block_on(async {
        let database = setup.await;
        if tokio::time::timeout(CASE_TIMEOUT, case(database))
            .await
            .is_err()
        {
            panic!("the case took more than {CASE_TIMEOUT:?}");
        }
    });
}
