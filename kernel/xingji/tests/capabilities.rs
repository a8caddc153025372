//! The capabilities the kernel gives plugin calls, with a real component
//! (plugins/test-warranty) on a real SQLite store. (Through the plugin sets
//! directly: the warranty slot's gRPC service comes with the business
//! plugins.)

use std::collections::BTreeMap;
use std::sync::Arc;

use tonic_types::StatusExt;
use xingji::grpc::status::status;
use xingji::server::BUNDLED;
use xingji_api::v1::{GeoPoint, OrderKind, OrderStatus, Outlet};
use xingji_core::actor::{Actor, Role};
use xingji_core::audit;
use xingji_core::plugins::PluginSets;
use xingji_core::regions::Regions;
use xingji_plugin_host::Slot;
use xingji_plugin_host::bindings::campaign::exports::xingji::plugins::birthday_campaign::Window;
use xingji_plugin_host::bindings::host::xingji::plugins::types::Geo;
use xingji_plugin_host::bindings::host::xingji::plugins::types::{Date, ProductLine};
use xingji_plugin_host::bindings::tour::exports::xingji::plugins::tour_planner::{
    Fleet, Metric, PlanRequest, Stop,
};
use xingji_plugin_host::bindings::warranty::exports::xingji::plugins::warranty_plans::Appliance;
use xingji_store::audit::verify_chain;
use xingji_store::{AuditEventFilter, OrderFilter, Page, prelude::*};
use xingji_store_sqlite::SqliteStore;

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 28,
};

fn built(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(xingji_bundled::BUILT_PLUGINS_DIR)
        .join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

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

/// The kernel's plugin sets over `store`, no region declared.
async fn plugin_sets(store: &Arc<dyn Store>, dir: &std::path::Path) -> PluginSets {
    let regions = Regions::load(BTreeMap::new(), store.clone()).await;
    let regions = Arc::new(regions.expect("regions"));
    PluginSets::start(
        store.clone(),
        dir.join("artifacts"),
        regions,
        &BUNDLED,
        &Default::default(),
    )
    .await
    .expect("start")
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
            .create_outlet(
                outlet(id, region),
                audit::event(
                    &Actor::Kernel,
                    "outlets.create",
                    format!("outlets/{id}"),
                    region,
                ),
            )
            .await
            .expect("outlet");
    }
    let sets = plugin_sets(&store, dir.path()).await;
    sets.install(&built("test-warranty"), "test", "unsigned")
        .await
        .expect("install");
    for region in ["east", "west"] {
        sets.activate(
            region,
            Slot::Warranty,
            "test-warranty@1.0.0",
            ("test", ""),
            Vec::new(),
        )
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
        serial: "SH0001".into(),
    };
    // The call centre sells; what the plugin writes is audited as its sale.
    let seller = Actor::new(Role::CallCentre, "07", &["east", "west"]);
    // years = quotes counted in the plugin's kv store; price = outlets seen.
    let quote = |region: &'static str, price: i64| {
        let (sets, seller) = (&sets, &seller);
        async move {
            let appliance = appliance(price);
            sets.call(
                region,
                Slot::Warranty,
                (seller, "warranty.purchase"),
                |plugin, limits, params, services| async move {
                    plugin
                        .warranty_quote(&appliance, TODAY, &params, limits, services)
                        .await
                },
            )
            .await
            .map_err(status)
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
            .kv_get("east", "unsigned/test-warranty", "quotes")
            .await
            .expect("kv"),
        Some(3u32.to_le_bytes().to_vec())
    );
    let stats = sets.stats(Some(&["east".to_owned()]));
    assert_eq!((stats[0].calls, stats[0].failures), (4, 1));

    // Each kept call's writes were audited with them; the failed call's were
    // not.
    let kv_writes = |region: &str| {
        let filter = AuditEventFilter {
            operation: Some("warranty.purchase".into()),
            ..AuditEventFilter::in_region(region)
        };
        let store = store.clone();
        async move {
            let page = Page {
                after: None,
                limit: 100,
            };
            store
                .list_audit_events(&filter, &page)
                .await
                .expect("audit events")
        }
    };
    let east = kv_writes("east").await;
    assert_eq!(east.len(), 3, "{east:?}");
    assert!(
        east.iter()
            .all(|event| event.detail == "test-warranty@1.0.0"
                && event.target == "regions/east/slots/warranty"
                && event.principal == "call-centre:07"),
        "{east:?}"
    );
    assert_eq!(kv_writes("west").await.len(), 1);
    let head = verify_chain(
        async |after, limit| store.audit_chain(after, limit).await,
        |_| {},
    )
    .await
    .expect("the chain verifies");
    assert!(
        head.events > 4 + 3 + 2,
        "outlets, kv writes, activations, installs"
    );
}

#[tokio::test]
async fn the_campaign_and_tour_worlds_can_be_installed_and_called() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("xingji.db"))
            .await
            .expect("open"),
    );
    let sets = plugin_sets(&store, dir.path()).await;
    for (name, slot) in [("test-campaign", Slot::Campaign), ("test-tour", Slot::Tour)] {
        let installed = sets
            .install(&built(name), "test", "unsigned")
            .await
            .expect("install");
        assert_eq!(installed.name, name);
        sets.activate(
            "east",
            slot,
            &format!("{name}@1.0.0"),
            ("test", ""),
            Vec::new(),
        )
        .await
        .expect("activate");
    }

    let date = Date {
        year: 2026,
        month: 12,
        day: 1,
    };
    let window = Window {
        from: date,
        to: date,
    };
    let centre = Actor::new(Role::CallCentre, "07", &["east"]);
    let campaign = |dry_run: bool| {
        let (sets, centre) = (&sets, &centre);
        async move {
            sets.call(
                "east",
                Slot::Campaign,
                (centre, "campaigns.run"),
                |plugin, limits, params, services| async move {
                    plugin
                        .campaign_run(window, dry_run, &params, limits, services)
                        .await
                },
            )
            .await
            .expect("campaign call")
        }
    };
    // The test plugin reports how many orders `records` showed it as
    // `years`, and the order it made as `order_id`.
    let dry = campaign(true).await.expect("visits");
    assert_eq!((dry[0].years, dry[0].order_id.as_str()), (0, ""));
    // Order writes go through intake, idempotent on the plugin's request key.
    let mut made = Vec::new();
    for _ in 0..2 {
        let wet = campaign(false).await.expect("visits");
        made.push(wet[0].order_id.clone());
    }
    assert_eq!(made[0], made[1], "the same key, the same order");
    let filter = OrderFilter {
        regions: Some(vec!["east".into()]),
        ..OrderFilter::default()
    };
    let orders = store
        .list_orders(
            &filter,
            &Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("orders");
    assert_eq!(
        orders.len(),
        1,
        "running the same window twice made one order"
    );
    assert_eq!(orders[0].kind, OrderKind::BirthdayVisit as i32);
    assert_eq!(orders[0].status, OrderStatus::Intake as i32);
    assert_eq!(orders[0].history[0].actor, "plugin:unsigned/test-campaign");
    assert_eq!(orders[0].id, made[0]);
    let again = campaign(true).await.expect("visits");
    assert_eq!(again[0].years, 1, "records now show the order");

    let stop = Stop {
        location: Geo {
            lat: 31.2,
            lon: 121.4,
        },
        demand: 1,
        ready: 0,
        due: 600,
        service: 30,
    };
    let request = PlanRequest {
        depot: stop.location,
        metric: Metric::Earth,
        stops: vec![stop, stop],
        fleet: Fleet {
            vehicles: 2,
            capacity: 10,
            speed_kmh: 30.0,
            shift_start: 480,
            shift_end: 1080,
        },
        budget_ms: 100,
        seed: 1,
        params: Vec::new(),
    };
    let routes = sets
        .call(
            "east",
            Slot::Tour,
            (&centre, "tours.plan"),
            |plugin, limits, _, services| async move {
                plugin.tour_plan(&request, limits, services).await
            },
        )
        .await
        .expect("tour call");
    let routes = routes.map(|plan| plan.routes.into_iter().map(|r| r.stops).collect::<Vec<_>>());
    assert_eq!(routes, Ok(vec![vec![0], vec![1]]));
}
