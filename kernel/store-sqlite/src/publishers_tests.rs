//! The 0008 migration of a store made before plugin publishers existed.
//! (Ownership of a name on install is the conformance suite's.)

use prost::Message;
use sqlx::sqlite::SqliteConnectOptions;
use xingji_api::v1::Plugin;

use super::handle::SqliteStore;
use super::open::migrator;
use xingji_store::prelude::*;

fn plugin(name: &str, version: &str, publisher: &str) -> Plugin {
    Plugin {
        name: name.into(),
        version: version.into(),
        slot: 2,
        sha256: format!("{name}-{version}-{publisher}"),
        publisher: publisher.into(),
        ..Plugin::default()
    }
}

#[tokio::test]
async fn the_migration_gives_existing_names_and_data_to_their_installer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    {
        // A store as it was before 0008.
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("connect");
        migrator(7).run(&pool).await.expect("migrate to 7");
        let bundled = Plugin {
            bundled: true,
            publisher: String::new(),
            ..plugin("warranty-jiujiu", "1.0.0", "")
        };
        let installed = Plugin {
            installed_by: "it:zhang".into(),
            ..plugin("extra", "1.0.0", "")
        };
        for p in [&bundled, &installed] {
            sqlx::query("INSERT INTO plugins (sha256, name, version, slot, body, component) VALUES (?, ?, ?, 2, ?, X'00')")
                .bind(&p.sha256)
                .bind(&p.name)
                .bind(&p.version)
                .bind(p.encode_to_vec())
                .execute(&pool)
                .await
                .expect("old plugin");
        }
        for (plugin, key) in [("warranty-jiujiu", "counter"), ("extra", "k")] {
            sqlx::query("INSERT INTO plugin_kv (region, plugin, key, value) VALUES ('shanghai', ?, ?, X'01')")
                .bind(plugin)
                .bind(key)
                .execute(&pool)
                .await
                .expect("old kv");
        }
        for (request, order) in [
            ("plugin:extra:visit-1", "ord_1"),
            ("plugin:extras:visit-1", "ord_2"),
            ("client-1", "ord_3"),
        ] {
            sqlx::query("INSERT INTO order_requests (request_id, order_id, fingerprint) VALUES (?, ?, X'00')")
                .bind(request)
                .bind(order)
                .execute(&pool)
                .await
                .expect("old request");
        }
        pool.close().await;
    }
    let store = SqliteStore::open(&path).await.expect("migrate to 8");
    let publisher = |name: &'static str| {
        let store = &store;
        async move { store.plugin_publisher(name).await.expect("read") }
    };
    assert_eq!(
        publisher("warranty-jiujiu").await.as_deref(),
        Some("xingji")
    );
    assert_eq!(publisher("extra").await.as_deref(), Some("unsigned"));
    let listed = store.list_plugins().await.expect("list");
    let publishers: Vec<(&str, &str)> = listed
        .iter()
        .map(|p| (p.name.as_str(), p.publisher.as_str()))
        .collect();
    assert_eq!(
        publishers,
        [("extra", "unsigned"), ("warranty-jiujiu", "xingji")]
    );
    let kv = |namespace: &'static str, key: &'static str| {
        let store = &store;
        async move { store.kv_get("shanghai", namespace, key).await.expect("kv") }
    };
    assert_eq!(kv("xingji/warranty-jiujiu", "counter").await, Some(vec![1]));
    assert_eq!(kv("warranty-jiujiu", "counter").await, None);
    assert_eq!(kv("unsigned/extra", "k").await, Some(vec![1]));
    let requests: Vec<String> =
        sqlx::query_scalar("SELECT request_id FROM order_requests ORDER BY order_id")
            .fetch_all(&store.pool)
            .await
            .expect("requests");
    assert_eq!(
        requests,
        [
            "plugin:unsigned/extra:visit-1",
            "plugin:extras:visit-1",
            "client-1"
        ]
    );
}
