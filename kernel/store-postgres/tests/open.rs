//! Opening: kernels starting together on one empty database migrate it
//! once between them, and all of them open it.

use xingji_store::prelude::*;
use xingji_store_postgres::PostgresStore;
use xingji_test_postgres::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernels_starting_together_migrate_once_and_all_open() {
    let Some(cluster) = TestCluster::shared() else {
        return;
    };
    let url = cluster.new_database();
    let (a, b, c) = tokio::join!(
        PostgresStore::open(&url),
        PostgresStore::open(&url),
        PostgresStore::open(&url)
    );
    let (a, b, c) = (a.expect("a"), b.expect("b"), c.expect("c"));
    // One schema for all: what one writes, the others read.
    let value = a.meta_get_or_init("k", b"a").await.expect("a writes");
    assert_eq!(b.meta_get_or_init("k", b"b").await.expect("b reads"), value);
    assert_eq!(c.meta_get_or_init("k", b"c").await.expect("c reads"), value);
}
