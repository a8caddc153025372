//! The plugins' key-value stores: reads, key listings, usage figures and
//! all-or-none batches within a quota.

use std::collections::BTreeMap;

use super::fixtures::{ok, operations};
use super::harness::Database;
use crate::StoreError;
use crate::prelude::*;

/// One write of a batch: `None` deletes.
type Write = (String, Option<Vec<u8>>);

fn set(key: &str, value: &[u8]) -> Write {
    (key.to_owned(), Some(value.to_vec()))
}

fn delete(key: &str) -> Write {
    (key.to_owned(), None)
}

async fn apply(store: &dyn Store, region: &str, plugin: &str, writes: &[Write]) {
    store
        .kv_apply(region, plugin, writes, 1 << 20, ok("kv.apply"))
        .await
        .expect("apply");
}

/// Batches apply all or none: regions and plugins are apart, a batch over
/// the quota writes nothing (not even its deletes) and appends nothing,
/// and keys list by prefix, after a key, up to a limit.
pub async fn kv_applies_all_or_none_within_the_quota(db: Database) {
    let store = db.store();
    assert_eq!(
        store
            .kv_get("sh", "jiujiu", "contract/1")
            .await
            .expect("get"),
        None
    );
    store
        .kv_apply(
            "sh",
            "jiujiu",
            &[set("contract/1", b"one"), set("contract/2", b"two")],
            1000,
            ok("warranty.purchase"),
        )
        .await
        .expect("apply");
    let get = async |region: &str, plugin: &str, key: &str| {
        store.kv_get(region, plugin, key).await.expect("get")
    };
    assert_eq!(
        get("sh", "jiujiu", "contract/1").await,
        Some(b"one".to_vec())
    );
    assert_eq!(
        get("bj", "jiujiu", "contract/1").await,
        None,
        "regions are apart"
    );
    assert_eq!(
        get("sh", "other", "contract/1").await,
        None,
        "plugins are apart"
    );
    let audits = operations(store).await;
    assert_eq!(audits, ["warranty.purchase"]);

    // Over the quota: nothing of the batch is written, not even the delete.
    let batch = [delete("contract/1"), set("contract/3", &[0; 2000])];
    let refused = store
        .kv_apply("sh", "jiujiu", &batch, 1000, ok("warranty.purchase"))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Quota { limit: 1000, .. })),
        "{refused:?}"
    );
    assert_eq!(
        get("sh", "jiujiu", "contract/1").await,
        Some(b"one".to_vec())
    );
    assert_eq!(get("sh", "jiujiu", "contract/3").await, None);
    assert_eq!(
        operations(store).await,
        audits,
        "a refused batch appends nothing"
    );

    store
        .kv_apply(
            "sh",
            "jiujiu",
            &[delete("contract/1"), set("index", b"x")],
            1000,
            ok("warranty.purchase"),
        )
        .await
        .expect("apply");
    assert_eq!(get("sh", "jiujiu", "contract/1").await, None);
    apply(
        store,
        "sh",
        "jiujiu",
        &[set("contract/0", b"zero"), set("contracts", b"s")],
    )
    .await;
    apply(store, "sh", "other", &[set("contract/9", b"nine")]).await;
    let keys = async |prefix: &str, after: &str, limit: u32| {
        store
            .kv_keys("sh", "jiujiu", prefix, after, limit)
            .await
            .expect("keys")
    };
    assert_eq!(
        keys("contract/", "", 10).await,
        ["contract/0", "contract/2"]
    );
    assert_eq!(
        keys("contract", "", 10).await,
        ["contract/0", "contract/2", "contracts"]
    );
    assert_eq!(keys("contract/", "", 1).await, ["contract/0"]);
    assert_eq!(keys("contract/", "contract/0", 10).await, ["contract/2"]);
    assert_eq!(
        keys("", "contract/2", 10).await,
        ["contracts", "index"],
        "after skips up to and including the key"
    );
    assert_eq!(
        keys("", "", 10).await,
        ["contract/0", "contract/2", "contracts", "index"]
    );
    assert!(keys("zzz", "", 10).await.is_empty());
    assert!(keys("contract/", "contract/9", 10).await.is_empty());
    assert_eq!(
        store
            .kv_keys("sh", "other", "", "", 10)
            .await
            .expect("keys"),
        ["contract/9"]
    );
    assert!(
        store
            .kv_keys("bj", "jiujiu", "", "", 10)
            .await
            .expect("keys")
            .is_empty()
    );
}

/// The usage figure is the bytes of keys (UTF-8) and values, through sets,
/// overwrites and deletes, per region and plugin.
pub async fn kv_usage_follows_sets_overwrites_and_deletes(db: Database) {
    let store = db.store();
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 0);
    // What the store should hold, kept beside it.
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let step = async |writes: &[Write], model: &mut BTreeMap<String, Vec<u8>>| {
        apply(store, "sh", "jj", writes).await;
        for (key, value) in writes {
            match value {
                Some(value) => model.insert(key.clone(), value.clone()),
                None => model.remove(key),
            };
        }
        let expected: usize = model.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert_eq!(
            store.kv_usage("sh", "jj").await.expect("usage"),
            expected as u64,
            "after {writes:?}"
        );
    };
    // "合同" is 6 bytes of UTF-8: keys count in bytes, not characters.
    step(&[set("合同/1", &[1; 100]), set("n", b"7")], &mut model).await;
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
        step(writes, &mut model).await;
    }
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 18 + 1);
    assert_eq!(
        store
            .kv_entry_bytes("sh", "jj", "合同/1")
            .await
            .expect("entry"),
        18
    );
    assert_eq!(
        store.kv_entry_bytes("sh", "jj", "x").await.expect("entry"),
        1
    );
    assert_eq!(
        store.kv_get("sh", "jj", "x").await.expect("get"),
        Some(Vec::new())
    );
    assert_eq!(store.kv_get("sh", "jj", "n").await.expect("get"), None);

    // Another region and another plugin have figures of their own.
    apply(store, "bj", "jj", &[set("a", &[0; 50])]).await;
    apply(store, "sh", "other", &[set("b", &[0; 70])]).await;
    assert_eq!(store.kv_usage("bj", "jj").await.expect("usage"), 51);
    assert_eq!(store.kv_usage("sh", "other").await.expect("usage"), 71);
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 19);
    assert_eq!(
        store
            .kv_entry_bytes("bj", "jj", "合同/1")
            .await
            .expect("entry"),
        0
    );
}

/// A refused batch leaves the usage as it was; a batch that ends exactly
/// at the quota is within it.
pub async fn kv_refused_batch_leaves_usage(db: Database) {
    let store = db.store();
    apply(store, "sh", "jj", &[set("a", &[0; 500])]).await;
    let refused = store
        .kv_apply(
            "sh",
            "jj",
            &[delete("a"), set("b", &[0; 900]), set("c", &[0; 200])],
            1000,
            ok("kv.apply"),
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
    assert_eq!(
        store.kv_get("sh", "jj", "a").await.expect("get"),
        Some(vec![0; 500])
    );
    assert_eq!(store.kv_get("sh", "jj", "b").await.expect("get"), None);
    store
        .kv_apply("sh", "jj", &[set("b", &[0; 498])], 1000, ok("kv.apply"))
        .await
        .expect("at the quota");
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 1000);
    let over = store
        .kv_apply("sh", "jj", &[set("c", b"")], 1000, ok("kv.apply"))
        .await;
    assert!(
        matches!(
            over,
            Err(StoreError::Quota {
                used: 1001,
                limit: 1000
            })
        ),
        "one byte over: {over:?}"
    );
    // Deleting within a full store is allowed.
    store
        .kv_apply("sh", "jj", &[delete("a")], 1000, ok("kv.apply"))
        .await
        .expect("a delete");
    assert_eq!(store.kv_usage("sh", "jj").await.expect("usage"), 499);
}
