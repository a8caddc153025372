//! Two versions of the plugin contract at once: a WIT 0.2.0 and a WIT
//! 0.3.0 dispatch plugin, each active in its own region and called at the
//! same time, each given the request of its version. The 0.3.0 plugin
//! (plugins/test-senior) chooses by what only 0.3.0 carries (engineers'
//! levels and certifications, ids) and reads `records`; the 0.2.0 one
//! (plugins/test-echo) refuses with the request as it received it.

use std::collections::BTreeMap;

use serde_json::Value;
use xingji::config::Config;
use xingji_api::v1::*;
use xingji_core::settings::RegionConfig;
use xingji_plugin_host::record::RecordedDispatch;
use xingji_plugin_host::{Limits, Runtime, Slot};
use xingji_tests::{TestServer, built_plugin};

use crate::fixtures::{create_outlet, create_person, engineer, regional_centre, repair};

/// One outlet with three engineers: a junior-certified technician, a
/// gold engineer certified senior, and a gold one not certified for
/// refrigerators. Returns the outlet and the gold certified engineer.
async fn outlet_of_three(server: &TestServer, region: &str) -> (Outlet, Person) {
    let outlet = create_outlet(&mut server.outlets().await, regional_centre(region, "RC-1")).await;
    let mut people = server.people().await;
    let with =
        |name: &str, level: PersonLevel, line: ProductLine, certified: CertificationLevel| {
            let mut person = engineer(region, &outlet.id, name);
            person.level = level as i32;
            person.skills = vec![Skill {
                product_line: line as i32,
                level: certified as i32,
            }];
            person
        };
    create_person(
        &mut people,
        with(
            "Zhao Min",
            PersonLevel::Technician,
            ProductLine::Refrigerator,
            CertificationLevel::Junior,
        ),
    )
    .await;
    let gold = create_person(
        &mut people,
        with(
            "Qian Hua",
            PersonLevel::Gold,
            ProductLine::Refrigerator,
            CertificationLevel::Senior,
        ),
    )
    .await;
    create_person(
        &mut people,
        with(
            "Sun Li",
            PersonLevel::Gold,
            ProductLine::Tv,
            CertificationLevel::Senior,
        ),
    )
    .await;
    (outlet, gold)
}

async fn only_decision(server: &TestServer, order_id: &str) -> PluginDecision {
    let mut decisions = crate::decisions::decisions(server, order_id).await;
    assert_eq!(decisions.len(), 1, "{order_id}: {decisions:?}");
    decisions.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_2_0_and_a_0_3_0_dispatch_plugin_are_active_in_two_regions_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let regions: BTreeMap<String, RegionConfig> = ["older", "newer"]
        .into_iter()
        .map(|region| (region.to_owned(), RegionConfig::default()))
        .collect();
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        plugins: xingji_tests::unsigned_allowed(),
        regions,
        ..Config::default()
    })
    .await;
    let mut plugins = server.plugins().await;
    for (region, name, version) in [
        ("older", "test-echo", "0.2.0"),
        ("newer", "test-senior", "0.3.0"),
    ] {
        let installed = plugins
            .install_plugin(InstallPluginRequest {
                component: built_plugin(name),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("{name}: {status:?}"))
            .into_inner();
        assert_eq!(installed.wit_version, version, "{name}");
        plugins
            .activate_plugin(ActivatePluginRequest {
                region: region.into(),
                slot: PluginSlot::Dispatch as i32,
                name: name.into(),
                version: "1.0.0".into(),
                reason: String::new(),
                params: Vec::new(),
            })
            .await
            .unwrap_or_else(|status| panic!("{name} in {region}: {status:?}"));
    }
    let (older_outlet, older_gold) = outlet_of_three(&server, "older").await;
    let (newer_outlet, newer_gold) = outlet_of_three(&server, "newer").await;

    // One order in each region, created (and so dispatched) at once.
    let create = |region: &'static str| {
        let server = &server;
        async move {
            server
                .orders()
                .await
                .create_order(CreateOrderRequest {
                    request_id: format!("{region}-wit-versions"),
                    order: Some(repair(region)),
                })
                .await
                .expect("an order")
                .into_inner()
        }
    };
    let (older, newer) = tokio::join!(create("older"), create("newer"));

    // 0.3.0: the gold engineer certified for the line, named with the
    // outlet's name as `records` returns it in that region.
    assert_eq!(newer.status(), OrderStatus::Dispatched, "{newer:#?}");
    assert_eq!(newer.engineer_id, newer_gold.id);
    let decided = only_decision(&server, &newer.id).await;
    assert_eq!(
        (decided.plugin.as_str(), decided.wit_version.as_str()),
        ("test-senior@1.0.0", "0.3.0")
    );
    let answer: Value = serde_json::from_str(&decided.answer_json).expect("JSON");
    let reason = answer["assign"]["reason"].as_str().unwrap_or_default();
    for part in [
        "Gold",
        newer_gold.id.as_str(),
        newer_outlet.id.as_str(),
        newer_outlet.name.as_str(),
        newer.id.as_str(),
    ] {
        assert!(reason.contains(part), "{part:?} not in {reason:?}");
    }

    // 0.2.0, at the same time: the request without what 0.2.0 lacks (the
    // echo has no ids), refused as the plugin always does.
    assert_eq!(older.status(), OrderStatus::Intake, "{older:#?}");
    let refused = only_decision(&server, &older.id).await;
    assert_eq!(
        (refused.plugin.as_str(), refused.wit_version.as_str()),
        ("test-echo@1.0.0", "0.2.0")
    );
    let answer: Value = serde_json::from_str(&refused.answer_json).expect("JSON");
    let echo = answer["refuse"].as_str().unwrap_or_default();
    assert_eq!(echo.matches("\nengineer ").count(), 3, "{echo}");
    for id in [&older_gold.id, &older_outlet.id, &older.id] {
        assert!(!echo.contains(id.as_str()), "{id} in the 0.2.0 echo");
    }

    // The recording is the kernel's 0.3.0 request; replayed on the 0.2.0
    // plugin as the kernel called it, it gives the same answer.
    let recorded: Value = serde_json::from_str(&refused.request_json).expect("JSON");
    assert_eq!(
        recorded["request"]["engineers"][1]["id"], older_gold.id,
        "recorded at 0.3.0"
    );
    let recording: RecordedDispatch =
        serde_json::from_value(recorded["request"].clone()).expect("a 0.3.0 request");
    let runtime = Runtime::new(None).expect("a runtime");
    let echo_plugin = runtime
        .load(&built_plugin("test-echo"), None)
        .await
        .expect("test-echo loads");
    let replayed = echo_plugin
        .call_by_name(
            None,
            &recording.to_json_at("0.2.0"),
            Limits::for_slot(Slot::Dispatch),
            None,
        )
        .await
        .expect("a replay");
    assert_eq!(replayed.result, answer);

    // The versions the kernel supports, as the API gives them.
    let listed = plugins
        .list_plugins(ListPluginsRequest::default())
        .await
        .expect("the plugins")
        .into_inner();
    assert_eq!(listed.supported_wit_versions, ["0.3.0", "0.2.0"]);
    server.stop().await;
}
