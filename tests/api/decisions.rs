//! Recorded plugin decisions: every dispatch keeps what it was decided
//! from, a replay of the deciding plugin on that request gives the same
//! decision, and a shadow decides beside the active plugin, is never
//! applied, and is reported.

use std::time::Duration;

use serde_json::Value;
use xingji::config::Config;
use xingji_api::v1::*;
use xingji_plugin_host::{Limits, Runtime, Slot};
use xingji_tests::{TestServer, acting, built_plugin};

use crate::fixtures::{
    create_outlet, create_person, engineer, regional_centre, repair, star_centre,
};

/// A region of eight star centres around the customers, of every grade
/// and several loads, and three engineers each (one of them for TVs only).
async fn region_network(server: &TestServer, region: &str) {
    let mut outlets = server.outlets().await;
    let mut people = server.people().await;
    let centre = create_outlet(&mut outlets, regional_centre(region, "RC-1")).await;
    let grades = [
        OutletGrade::A,
        OutletGrade::B,
        OutletGrade::C,
        OutletGrade::Unspecified,
    ];
    for i in 0..8u32 {
        let outlet = Outlet {
            location: Some(GeoPoint {
                lat: 31.15 + 0.015 * f64::from(i),
                lon: 121.38 + 0.01 * f64::from(i % 3),
            }),
            grade: grades[i as usize % 4] as i32,
            daily_capacity: 3 + i as i32,
            ..star_centre(region, &format!("SC-{i}"), &centre.id)
        };
        let outlet = create_outlet(&mut outlets, outlet).await;
        for n in 0..3 {
            let mut person = engineer(region, &outlet.id, &format!("Engineer {i}-{n}"));
            if n == 2 {
                person.skills[0].product_line = ProductLine::Tv as i32;
            }
            create_person(&mut people, person).await;
        }
    }
}

/// `count` repair orders in `region`, spread over the region; every fifth
/// for a product line nobody serves, so refusals are recorded too.
async fn create_orders(server: &TestServer, region: &str, count: usize) -> Vec<Order> {
    let mut orders = server.orders().await;
    let mut made = Vec::with_capacity(count);
    for i in 0..count {
        let line = match i % 5 {
            4 => ProductLine::AirConditioner,
            3 => ProductLine::Tv,
            _ => ProductLine::Refrigerator,
        };
        let base = repair(region);
        let order = Order {
            customer: Some(Customer {
                location: Some(GeoPoint {
                    lat: 31.14 + 0.0013 * (i % 97) as f64,
                    lon: 121.37 + 0.0011 * (i % 31) as f64,
                }),
                vip: i % 7 == 0,
                ..base.customer.clone().unwrap()
            }),
            appliance: Some(Appliance {
                product_line: line as i32,
                ..base.appliance.clone().unwrap()
            }),
            ..base
        };
        let created = orders
            .create_order(CreateOrderRequest {
                request_id: format!("{region}-decisions-{i}"),
                order: Some(order),
            })
            .await
            .expect("an order")
            .into_inner();
        made.push(created);
    }
    made
}

pub(crate) async fn decisions(server: &TestServer, order_id: &str) -> Vec<PluginDecision> {
    server
        .plugins()
        .await
        .list_order_decisions(ListOrderDecisionsRequest {
            order_id: order_id.to_owned(),
        })
        .await
        .expect("the order's decisions")
        .into_inner()
        .decisions
}

#[tokio::test]
async fn every_dispatch_is_recorded_and_replaying_it_gives_the_same_decision() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    region_network(&server, "east").await;
    let orders = create_orders(&server, "east", 120).await;

    // The plugin that decided, loaded apart from the kernel, as an author's
    // `plugins run --replay` does.
    let runtime = Runtime::new(None).expect("a runtime");
    let nearest = runtime
        .load(&built_plugin("dispatch-nearest"), None)
        .await
        .expect("dispatch-nearest loads");
    let (mut assigned, mut refused) = (0, 0);
    for order in &orders {
        let recorded = decisions(&server, &order.id).await;
        let [decision] = recorded.as_slice() else {
            panic!(
                "{}: {} decisions recorded, not one",
                order.id,
                recorded.len()
            )
        };
        assert_eq!(
            (decision.role(), decision.slot(), decision.plugin.as_str()),
            (
                DecisionRole::Active,
                PluginSlot::Dispatch,
                "dispatch-nearest@1.0.0"
            ),
            "{}",
            order.id
        );
        assert!(
            decision.error.is_empty(),
            "{}: {}",
            order.id,
            decision.error
        );
        let request: Value = serde_json::from_str(&decision.request_json).expect("the request");
        let answer: Value = serde_json::from_str(&decision.answer_json).expect("the answer");
        // What was recorded is what the order shows.
        match (&answer["assign"], order.outlet_id.is_empty()) {
            (Value::Object(_), false) => assigned += 1,
            (Value::Null, true) if answer["refuse"].is_string() => refused += 1,
            other => panic!(
                "{}: answer {answer} but the order shows {other:?}",
                order.id
            ),
        }
        let replayed = nearest
            .call_by_name(None, &request, Limits::for_slot(Slot::Dispatch), None)
            .await
            .expect("the replay runs");
        assert_eq!(
            replayed.result, answer,
            "{}: the replay decided otherwise",
            order.id
        );
    }
    assert!(
        assigned >= 24 && refused >= 24,
        "{assigned} assigned, {refused} refused: both kinds are replayed"
    );

    // A decision holds the customer's location: only who may read the
    // region's plugins reads it.
    let denied = server
        .plugins()
        .await
        .list_order_decisions(acting(
            "call-centre:east-desk",
            ListOrderDecisionsRequest {
                order_id: orders[0].id.clone(),
            },
        ))
        .await
        .expect_err("a call centre may not read decisions");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    server.stop().await;
}

/// The shadow report of `region`'s dispatch once it counts `decisions`.
async fn report_after(server: &TestServer, region: &str, decisions: i64) -> ShadowReport {
    let mut plugins = server.plugins().await;
    for _ in 0..200 {
        let report = plugins
            .get_shadow_report(GetShadowReportRequest {
                region: region.to_owned(),
                slot: PluginSlot::Dispatch as i32,
                max_differing: 100,
            })
            .await
            .expect("a shadow report")
            .into_inner();
        if report.decisions >= decisions {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the shadow never recorded {decisions} decisions");
}

#[tokio::test]
async fn a_shadow_decides_beside_the_active_plugin_is_never_applied_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        plugins: xingji_tests::unsigned_allowed(),
        ..Config::default()
    })
    .await;
    region_network(&server, "east").await;
    let mut plugins = server.plugins().await;
    let shadowing = plugins
        .shadow_plugin(ShadowPluginRequest {
            region: "east".into(),
            slot: PluginSlot::Dispatch as i32,
            name: "dispatch-balanced".into(),
            version: "1.0.0".into(),
            reason: "try balanced on live orders".into(),
        })
        .await
        .expect("a shadow")
        .into_inner();
    assert_eq!(shadowing.action(), ActivationAction::Shadow);
    let active = plugins
        .get_region_plugins(GetRegionPluginsRequest {
            region: "east".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let dispatch = &active.plugins[0];
    assert_eq!(
        (dispatch.name.as_str(), dispatch.shadow.as_str()),
        ("dispatch-nearest", "dispatch-balanced@1.0.0")
    );

    let orders = create_orders(&server, "east", 40).await;
    let report = report_after(&server, "east", 40).await;
    assert_eq!((report.decisions, report.failures), (40, 0));
    assert_eq!(report.shadow, "dispatch-balanced@1.0.0");
    // Nearest and balanced weigh grade and load differently: some agree,
    // some not, and the report says which.
    assert!(
        report.agreed > 0 && report.agreed < 40,
        "agreed {} of 40",
        report.agreed
    );
    assert_eq!(report.differing.len() as i64, 40 - report.agreed);
    assert!((report.agreement - report.agreed as f64 / 40.0).abs() < 1e-9);
    for differing in &report.differing {
        assert!(!differing.agrees && differing.role() == DecisionRole::Shadow);
        assert_ne!(differing.answer_json, differing.active_answer_json);
        assert!(differing.request_json.contains("\"outlets\""));
    }
    // Never applied: each order carries the active plugin's choice, and
    // its recorded decisions are the active one and the shadow's.
    for order in &orders {
        let recorded = decisions(&server, &order.id).await;
        // The shadow's record may come first: on intake it is written on its
        // own, the active one with the new order.
        let mut roles: Vec<DecisionRole> = recorded.iter().map(|d| d.role()).collect();
        roles.sort();
        assert_eq!(
            roles,
            [DecisionRole::Active, DecisionRole::Shadow],
            "{}",
            order.id
        );
        let of = |role| {
            recorded
                .iter()
                .find(|d| d.role() == role)
                .expect("recorded")
        };
        let (active, shadow) = (of(DecisionRole::Active), of(DecisionRole::Shadow));
        assert_eq!(shadow.active_answer_json, active.answer_json);
        let answer =
            |d: &PluginDecision| -> Value { serde_json::from_str(&d.answer_json).unwrap() };
        let (mine, theirs) = (answer(active), answer(shadow));
        let choice = |v: &Value| {
            (
                v["assign"]["outlet"].clone(),
                v["assign"]["engineer"].clone(),
            )
        };
        assert_eq!(
            shadow.agrees,
            choice(&mine) == choice(&theirs),
            "{}",
            order.id
        );
        assert_eq!(
            order.outlet_id.is_empty(),
            mine.get("refuse").is_some(),
            "{}",
            order.id
        );
    }

    // Ended, it decides no more.
    plugins
        .shadow_plugin(ShadowPluginRequest {
            region: "east".into(),
            slot: PluginSlot::Dispatch as i32,
            reason: "seen enough".into(),
            ..ShadowPluginRequest::default()
        })
        .await
        .expect("the shadow ends");
    create_orders(&server, "east", 3).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = report_after(&server, "east", 40).await;
    assert_eq!(report.decisions, 40, "an ended shadow decided");
    server.stop().await;
}

#[tokio::test]
async fn a_deployment_may_record_no_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        plugins: xingji_core::settings::PluginsConfig {
            record_decisions: false,
            ..xingji_tests::unsigned_allowed()
        },
        ..Config::default()
    })
    .await;
    region_network(&server, "east").await;
    let orders = create_orders(&server, "east", 5).await;
    assert!(orders.iter().any(|o| !o.outlet_id.is_empty()), "dispatched");
    for order in &orders {
        assert!(
            decisions(&server, &order.id).await.is_empty(),
            "{}",
            order.id
        );
    }
    server.stop().await;
}

/// A shadow that holds its places (test-hostile loops to its deadline on
/// TV orders) makes the kernel skip the shadow calls past its cap: each
/// order has a shadow decision or is counted skipped, never both, and the
/// active plugin's dispatch waits for none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_calls_past_the_cap_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut east = xingji_core::settings::RegionConfig::default();
    east.limits.insert(
        "dispatch".into(),
        xingji_core::settings::LimitsConfig {
            deadline_ms: Some(2000),
            ..Default::default()
        },
    );
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        plugins: xingji_tests::unsigned_allowed(),
        regions: [("east".to_owned(), east)].into(),
        ..Config::default()
    })
    .await;
    region_network(&server, "east").await;
    let mut plugins = server.plugins().await;
    plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin("test-hostile"),
            ..Default::default()
        })
        .await
        .expect("test-hostile installs");
    plugins
        .shadow_plugin(ShadowPluginRequest {
            region: "east".into(),
            slot: PluginSlot::Dispatch as i32,
            name: "test-hostile".into(),
            version: "1.0.0".into(),
            reason: "hold the shadow's places".into(),
        })
        .await
        .expect("a shadow");
    const ORDERS: i64 = 24;
    let channel = server.channel().await;
    let mut creating = tokio::task::JoinSet::new();
    for i in 0..ORDERS {
        let base = repair("east");
        let order = Order {
            appliance: Some(Appliance {
                product_line: ProductLine::Tv as i32,
                ..base.appliance.clone().unwrap()
            }),
            ..base
        };
        let mut orders =
            xingji_api::v1::order_service_client::OrderServiceClient::new(channel.clone());
        creating.spawn(async move {
            orders
                .create_order(CreateOrderRequest {
                    request_id: format!("east-tv-{i}"),
                    order: Some(order),
                })
                .await
                .expect("an order")
                .into_inner()
        });
    }
    let made = creating.join_all().await;
    assert!(
        made.iter().all(|o| o.status() == OrderStatus::Dispatched),
        "the active plugin dispatched every order"
    );
    let mut report = ShadowReport::default();
    for _ in 0..400 {
        report = plugins
            .get_shadow_report(GetShadowReportRequest {
                region: "east".into(),
                slot: PluginSlot::Dispatch as i32,
                max_differing: 1,
            })
            .await
            .expect("a report")
            .into_inner();
        if report.decisions + report.skipped >= ORDERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(report.decisions + report.skipped, ORDERS, "{report:#?}");
    // Four places, each held two seconds: most orders find none.
    assert!(report.skipped > 0, "{report:#?}");
    assert_eq!(
        report.failures, report.decisions,
        "every call hit its deadline"
    );
    server.stop().await;
}
