//! The capabilities the kernel gives plugin calls, with a real component
//! (plugins/test-warranty) on a real SQLite store. (Through the plugin sets
//! directly: the warranty slot's gRPC service comes with the business
//! plugins.)

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic_types::StatusExt;
use xingji::plugins::PluginSets;
use xingji_api::v1::{GeoPoint, Outlet};
use xingji_plugin_host::Slot;
use xingji_plugin_host::bindings::host::xingji::plugins::types::{Date, ProductLine};
use xingji_plugin_host::bindings::warranty::exports::xingji::plugins::warranty_plans::Appliance;
use xingji_store::{SqliteStore, Store};

fn outlet(id: &str, region: &str) -> Outlet {
    Outlet {
        id: id.into(),
        region: region.into(),
        number: id.into(),
        location: Some(GeoPoint {
            lat: 31.2,
            lon: 121.4,
        }),
        ..Outlet::default()
    }
}

#[tokio::test]
async fn a_plugin_keeps_state_per_region_sees_only_its_region_and_loses_a_failed_calls_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("xingji.db"))
            .await
            .expect("open"),
    );
    for (id, region) in [("out_a1", "east"), ("out_a2", "east"), ("out_b1", "west")] {
        store
            .create_outlet(outlet(id, region))
            .await
            .expect("outlet");
    }
    let sets = PluginSets::start(store.clone(), dir.path().join("artifacts"), BTreeMap::new())
        .await
        .expect("start");
    let path = std::path::Path::new(xingji::bundled::BUILT_PLUGINS_DIR).join("test_warranty.wasm");
    let bytes = std::fs::read(&path).expect("the test-warranty plugin was built");
    sets.install(&bytes, "test", false).await.expect("install");
    for region in ["east", "west"] {
        sets.activate(region, Slot::Warranty, "test-warranty@1.0.0", "test", "")
            .await
            .expect("activate");
    }

    let appliance = |price| Appliance {
        product_line: ProductLine::Refrigerator,
        price,
        purchase_date: Date {
            year: 2024,
            month: 5,
            day: 1,
        },
    };
    // years = quotes counted in the plugin's kv store; price = outlets seen.
    let quote = |region: &'static str, price: i64| {
        let sets = &sets;
        async move {
            sets.warranty_quote(region, appliance(price), 0)
                .await
                .map(|answer| {
                    let plans = answer.expect("the plugin quotes");
                    (plans[0].years, plans[0].price)
                })
        }
    };
    assert_eq!(quote("east", 1000).await.expect("quote"), (1, 2));
    assert_eq!(
        quote("east", 1000).await.expect("quote"),
        (2, 2),
        "kv persists between calls"
    );
    assert_eq!(
        quote("west", 1000).await.expect("quote"),
        (1, 1),
        "each region has its own kv and records"
    );

    // The plugin counts, then panics: the count it wrote is dropped.
    let failed = quote("east", -1).await.expect_err("a panic fails the call");
    let details = failed.get_error_details();
    let info = details.error_info().expect("ErrorInfo");
    assert_eq!(
        (info.reason.as_str(), info.metadata["cause"].as_str()),
        ("PLUGIN_FAILED", "PANIC")
    );
    assert!(
        failed
            .message()
            .contains("negative price, after counting quote 3"),
        "{}",
        failed.message()
    );
    assert_eq!(
        quote("east", 1000).await.expect("quote"),
        (3, 2),
        "the failed call's write was not kept"
    );

    assert_eq!(
        store
            .kv_get("east", "test-warranty", "quotes")
            .await
            .expect("kv"),
        Some(3u32.to_le_bytes().to_vec())
    );
    let stats = sets.stats(Some("east"));
    assert_eq!((stats[0].calls, stats[0].failures), (4, 1));
}
