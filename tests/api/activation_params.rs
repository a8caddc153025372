//! Parameters that travel with an activation: checked by the plugin before
//! the switch (a value it refuses refuses the activation, and the region
//! goes on with what it ran), in effect at once without a restart, and
//! back again with a rollback to their activation.

use std::collections::BTreeMap;

use serde_json::Value;
use tonic::Code;
use tonic_types::StatusExt;
use xingji::config::Config;
use xingji_api::v1::*;
use xingji_core::settings::RegionConfig;
use xingji_tests::{TestServer, built_plugin};

use crate::fixtures::{create_outlet, create_person, engineer, regional_centre, repair};

fn activate(name: &str, params: &[(&str, &str)]) -> ActivatePluginRequest {
    ActivatePluginRequest {
        region: "east".into(),
        slot: PluginSlot::Dispatch as i32,
        name: name.into(),
        version: "1.0.0".into(),
        reason: "try it".into(),
        params: params
            .iter()
            .map(|(name, value)| PluginParam {
                name: (*name).into(),
                value: (*value).into(),
            })
            .collect(),
    }
}

/// The kind of a FAILED_PRECONDITION's violation.
fn precondition(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .precondition_failure()
        .and_then(|failure| failure.violations.first())
        .map(|violation| violation.r#type.clone())
        .unwrap_or_default()
}

/// The parameters the dispatch of a new order in `east` was made with.
async fn dispatched_with(server: &TestServer, n: usize) -> Vec<Value> {
    let order = server
        .orders()
        .await
        .create_order(CreateOrderRequest {
            request_id: format!("east-params-{n}"),
            order: Some(repair("east")),
        })
        .await
        .expect("an order")
        .into_inner();
    let decisions = server
        .plugins()
        .await
        .list_order_decisions(ListOrderDecisionsRequest { order_id: order.id })
        .await
        .expect("decisions")
        .into_inner()
        .decisions;
    let request: Value =
        serde_json::from_str(&decisions.last().expect("a decision").request_json).expect("JSON");
    request["request"]["params"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn parameters_travel_with_an_activation_checked_by_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let mut west = RegionConfig::default();
    west.params.insert(
        "dispatch".into(),
        BTreeMap::from([("speed_kmh".to_owned(), "fast".to_owned())]),
    );
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        plugins: xingji_tests::unsigned_allowed(),
        regions: [
            ("east".to_owned(), RegionConfig::default()),
            ("west".to_owned(), west),
        ]
        .into(),
        ..Config::default()
    })
    .await;
    let outlet = create_outlet(&mut server.outlets().await, regional_centre("east", "RC-1")).await;
    create_person(
        &mut server.people().await,
        engineer("east", &outlet.id, "Wang Wei"),
    )
    .await;
    let mut plugins = server.plugins().await;
    let source = |plugins: RegionPlugins| {
        let dispatch = &plugins.plugins[0];
        (dispatch.name.clone(), dispatch.source())
    };

    // A value the plugin refuses refuses the activation, naming it; the
    // region runs what it ran.
    let refused = plugins
        .activate_plugin(activate("dispatch-balanced", &[("speed_kmh", "fast")]))
        .await
        .expect_err("a bad speed");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(precondition(&refused), "BAD_PARAMS");
    assert!(
        refused.message().contains("speed_kmh"),
        "{}",
        refused.message()
    );
    let running = plugins
        .get_region_plugins(GetRegionPluginsRequest {
            region: "east".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        source(running),
        ("dispatch-nearest".to_owned(), PluginSource::Default)
    );
    // With none given, the config's are checked: west's are bad.
    let mut in_west = activate("dispatch-balanced", &[]);
    in_west.region = "west".into();
    let refused = plugins
        .activate_plugin(in_west)
        .await
        .expect_err("west's config is bad");
    assert_eq!(precondition(&refused), "BAD_PARAMS");

    // Good values take effect at once, without a restart.
    let slow = plugins
        .activate_plugin(activate("dispatch-balanced", &[("speed_kmh", "12.5")]))
        .await
        .expect("a good speed")
        .into_inner();
    assert!(slow.params_checked);
    assert_eq!(slow.params[0].value, "12.5");
    let speed = |value: &str| vec![serde_json::json!(["speed_kmh", value])];
    assert_eq!(dispatched_with(&server, 0).await, speed("12.5"));
    plugins
        .activate_plugin(activate("dispatch-nearest", &[("speed_kmh", "45")]))
        .await
        .expect("another");
    assert_eq!(dispatched_with(&server, 1).await, speed("45"));

    // A rollback brings back the activation below, with its parameters;
    // another, the default with the config's (none).
    for (n, params) in [(2, speed("12.5")), (3, Vec::new())] {
        plugins
            .rollback_plugin(RollbackPluginRequest {
                region: "east".into(),
                slot: PluginSlot::Dispatch as i32,
                reason: String::new(),
            })
            .await
            .expect("a rollback");
        assert_eq!(dispatched_with(&server, n).await, params);
    }

    // A 0.2.0 plugin has no check-params: its parameters are taken
    // unchecked, and the activation says so.
    plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin("test-echo"),
            ..Default::default()
        })
        .await
        .expect("test-echo installs");
    let unchecked = plugins
        .activate_plugin(activate("test-echo", &[("anything", "at all")]))
        .await
        .expect("taken")
        .into_inner();
    assert!(!unchecked.params_checked);

    // The request's own shape: named, once each.
    for (params, field) in [
        (vec![("", "1")], "params[0].name"),
        (
            vec![("speed_kmh", "20"), ("speed_kmh", "30")],
            "params[1].name",
        ),
    ] {
        let error = plugins
            .activate_plugin(activate("dispatch-nearest", &params))
            .await
            .expect_err("a bad request");
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(crate::edges::bad_request_fields(&error), [field]);
    }
    server.stop().await;
}
