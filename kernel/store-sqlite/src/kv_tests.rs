//! The plugin key-value store's usage figure (migration 0009): kept by
//! triggers with every write, equal to the sum it stands for.

use xingji_api::v1::AuditEvent;

use super::handle::SqliteStore;
use xingji_store::{Store, StoreError};

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

fn delete(key: &str) -> Write {
    (key.to_owned(), None)
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

#[tokio::test]
async fn usage_follows_sets_overwrites_and_deletes() {
    let (_dir, sqlite) = store().await;
    let store: &dyn Store = &sqlite;
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 0);

    // "合同" is 6 bytes of UTF-8: keys count in bytes, not characters.
    apply(
        &sqlite,
        "sh",
        "jj",
        &[set("合同/1", &[1; 100]), set("n", b"7")],
    )
    .await;
    assert_eq!(
        store.kv_usage("sh", "jj").await.expect("usage"),
        8 + 100 + 1 + 1
    );
    assert_eq!(
        store
            .kv_entry_bytes("sh", "jj", "合同/1")
            .await
            .expect("entry"),
        108
    );
    assert_eq!(
        store
            .kv_entry_bytes("sh", "jj", "absent")
            .await
            .expect("entry"),
        0
    );

    let steps: [&[Write]; 4] = [
        &[set("合同/1", &[2; 300])],               // an overwrite, larger
        &[set("合同/1", &[3; 10]), set("x", b"")], // smaller, and an empty value
        &[delete("n"), delete("never-set")],
        &[set("n", b"8"), delete("n")], // in one batch: gone
    ];
    for writes in steps {
        apply(&sqlite, "sh", "jj", writes).await;
        assert_eq!(
            store.kv_usage("sh", "jj").await.expect("usage"),
            summed(&sqlite, "sh", "jj").await,
            "after {writes:?}"
        );
    }
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 18 + 1);

    // Another region and another plugin have figures of their own.
    apply(&sqlite, "bj", "jj", &[set("a", &[0; 50])]).await;
    apply(&sqlite, "sh", "other", &[set("b", &[0; 70])]).await;
    assert_eq!(store.kv_usage("bj", "jj").await.expect("usage"), 51);
    assert_eq!(store.kv_usage("sh", "other").await.expect("usage"), 71);
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 19);
}

#[tokio::test]
async fn a_refused_batch_leaves_the_usage_as_it_was() {
    let (_dir, sqlite) = store().await;
    let store: &dyn Store = &sqlite;
    apply(&sqlite, "sh", "jj", &[set("a", &[0; 500])]).await;
    let refused = store
        .kv_apply(
            "sh",
            "jj",
            &[delete("a"), set("b", &[0; 900]), set("c", &[0; 200])],
            1000,
            AuditEvent::default(),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Quota {
                used: 1102,
                limit: 1000
            })
        ),
        "{refused:?}"
    );
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 501);
    // At the quota exactly is within it.
    store
        .kv_apply(
            "sh",
            "jj",
            &[set("b", &[0; 498])],
            1000,
            AuditEvent::default(),
        )
        .await
        .expect("at the quota");
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 1000);
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
        "../../migrations/sqlite/0009_plugin_kv_usage.sql"
    ))
    .execute(&sqlite.pool)
    .await
    .expect("migrate");
    let store: &dyn Store = &sqlite;
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 41 + 4);
    assert_eq!(store.kv_usage("bj", "jj").await.expect("usage"), 10);
}
