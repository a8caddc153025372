//! The plugin key-value store's usage figure (migration 0009): the
//! migration's backfill counts what a store held before it. (That the
//! figure follows every write is the conformance suite's.)

use xingji_api::v1::AuditEvent;

use super::handle::SqliteStore;
use xingji_store::Store;

async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("test.db"))
        .await
        .expect("open");
    (dir, store)
}

/// One write of a batch: `None` deletes.
type Write = (String, Option<Vec<u8>>);

fn set(key: &str, value: &[u8]) -> Write {
    (key.to_owned(), Some(value.to_vec()))
}

/// The figure the usage row stands for, summed the slow way.
async fn summed(store: &SqliteStore, region: &str, plugin: &str) -> u64 {
    let sum: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(value)), 0) FROM plugin_kv \
         WHERE region = ? AND plugin = ?",
    )
    .bind(region)
    .bind(plugin)
    .fetch_one(&store.pool)
    .await
    .expect("sum");
    sum.unsigned_abs()
}

async fn apply(store: &SqliteStore, region: &str, plugin: &str, writes: &[Write]) {
    let dyn_store: &dyn Store = store;
    dyn_store
        .kv_apply(region, plugin, writes, 1 << 20, AuditEvent::default())
        .await
        .expect("apply");
}

/// The migration's backfill counts what a store held before it.
#[tokio::test]
async fn the_migration_counts_existing_data() {
    let (_dir, sqlite) = store().await;
    apply(
        &sqlite,
        "sh",
        "jj",
        &[set("a", &[0; 40]), set("bb", &[0; 2])],
    )
    .await;
    apply(&sqlite, "bj", "jj", &[set("c", &[0; 9])]).await;
    // Back to the schema before 0009, data kept, and the migration again.
    sqlx::raw_sql(
        "DROP TRIGGER plugin_kv_usage_insert; DROP TRIGGER plugin_kv_usage_update; \
         DROP TRIGGER plugin_kv_usage_delete; DROP TABLE plugin_kv_usage;",
    )
    .execute(&sqlite.pool)
    .await
    .expect("drop");
    sqlx::raw_sql(include_str!(
        "../migrations/sqlite/0009_plugin_kv_usage.sql"
    ))
    .execute(&sqlite.pool)
    .await
    .expect("migrate");
    let store: &dyn Store = &sqlite;
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 41 + 4);
    assert_eq!(store.kv_usage("bj", "jj").await.expect("usage"), 10);
    // The figures are the sums they stand for, and the triggers keep them
    // so after the backfill.
    apply(
        &sqlite,
        "sh",
        "jj",
        &[set("a", &[1; 7]), ("bb".to_owned(), None)],
    )
    .await;
    for (region, expected) in [("sh", 8), ("bj", 10)] {
        assert_eq!(summed(&sqlite, region, "jj").await, expected);
        assert_eq!(store.kv_usage(region, "jj").await.expect("usage"), expected);
    }
}
