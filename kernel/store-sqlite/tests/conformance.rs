//! The store conformance suite (`xingji_store::conformance`) on SQLite:
//! each case on a new file in a temp dir, a second handle being
//! `SqliteStore::open` on the same file (as the server and the `xingji`
//! CLI share one file).
//!
//! `feed = in_process`: SQLite's change feed (`order_events()`,
//! `network_version()`, `registry_version()`) is a watch and counters in
//! the process that wrote, by design (one kernel per file), so the three
//! cases of cross-handle *notification* are left out. Everything else that
//! must hold across handles (one order per request id, one close per month,
//! one audit chain, the cursor invariant, meta set once) runs here.

use std::path::PathBuf;
use std::sync::Arc;

use xingji_store::Store;
use xingji_store_sqlite::SqliteStore;

/// A database file and the temp dir that holds it (removed on drop).
struct File {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

async fn open_fresh() -> (Arc<dyn Store>, File) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("conformance.db");
    let store = SqliteStore::open(&path).await.expect("open");
    (Arc::new(store), File { _dir: dir, path })
}

async fn open_again(file: &File) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&file.path).await.expect("open again"))
}

xingji_store::conformance_tests!(open_fresh, open_again, feed = in_process);
