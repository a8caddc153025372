//! The store conformance suite (`xingji_store::conformance`) on
//! PostgreSQL: each case on a new database of a throwaway cluster (or of
//! the server `XINGJI_TEST_POSTGRES_URL` names), a second handle being
//! another `PostgresStore::open` on the same database, as a second kernel.
//! All cases run, the cross-kernel notifications included.
//!
//! Without PostgreSQL every case prints `SKIPPED` and returns; the
//! `postgres_is_here` test in `availability.rs` says so where `cargo test`
//! shows it.

use std::sync::Arc;

use xingji_store::Store;
use xingji_store_postgres::PostgresStore;
use xingji_test_postgres::TestCluster;

async fn open_fresh() -> (Arc<dyn Store>, String) {
    // One cluster for every case of this binary (a cluster per case would
    // spend the run in initdb); each case gets a database of its own.
    let Some(cluster) = TestCluster::shared() else {
        // A case cannot skip itself: end the binary here, saying so on the
        // terminal itself (libtest would swallow a captured print).
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** {} ***\n*** (the PostgreSQL conformance cases did not run) ***\n",
            xingji_test_postgres::SKIP_MESSAGE
        );
        std::process::exit(0);
    };
    let url = cluster.new_database();
    let store = PostgresStore::open(&url).await.expect("open");
    (Arc::new(store), url)
}

async fn open_again(url: &str) -> Arc<dyn Store> {
    Arc::new(PostgresStore::open(url).await.expect("open again"))
}

xingji_store::conformance_tests!(open_fresh, open_again);
