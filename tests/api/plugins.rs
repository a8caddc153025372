//! The plugin runtime end to end: real components built from `plugins/`,
//! installed, activated and called through gRPC.

use std::collections::BTreeMap;

use tonic::Code;
use xingji::config::Config;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::*;
use xingji_core::settings::RegionConfig;
use xingji_identity::{EmbeddedIssuer, TokenRequest};
use xingji_tests::Channel;
use xingji_tests::{TestServer, built_plugin, error_info, test_key_pem, with_token};

use crate::fixtures::{
    create_outlet, create_person, engineer, regional_centre, repair, star_centre,
};

/// The ids of a region's two star centres: `near` (grade C, next to the
/// customers) and `far` (grade A, a few kilometres off, still in reach).
struct Network {
    near: String,
    far: String,
}

/// Where the test customers live.
const HOME: GeoPoint = GeoPoint {
    lat: 31.199,
    lon: 121.400,
};

async fn network(server: &TestServer, region: &str) -> Network {
    let mut outlets = server.outlets().await;
    let mut people = server.people().await;
    let centre = create_outlet(&mut outlets, regional_centre(region, "RC-1")).await;
    let star = |number: &str, lat: f64, grade: OutletGrade| Outlet {
        location: Some(GeoPoint { lat, lon: 121.400 }),
        grade: grade as i32,
        daily_capacity: 1000,
        ..star_centre(region, number, &centre.id)
    };
    let near = create_outlet(&mut outlets, star("SC-NEAR", 31.200, OutletGrade::C)).await;
    let far = create_outlet(&mut outlets, star("SC-FAR", 31.230, OutletGrade::A)).await;
    for outlet in [&near, &far] {
        create_person(&mut people, engineer(region, &outlet.id, "Wang Wei")).await;
    }
    Network {
        near: near.id,
        far: far.id,
    }
}

/// A kernel that leaves new orders in intake: these tests are of
/// `DispatchOrder` itself.
fn manual(dir: &std::path::Path) -> Config {
    Config {
        data_dir: dir.to_owned(),
        auto_dispatch: false,
        plugins: xingji_tests::unsigned_allowed(),
        ..Config::default()
    }
}

/// Creates a repair order at `HOME` and dispatches it; returns the result.
async fn dispatch_new(
    orders: &mut OrderServiceClient<Channel>,
    region: &str,
    line: ProductLine,
) -> Result<Order, tonic::Status> {
    let order = Order {
        customer: Some(Customer {
            location: Some(HOME),
            ..repair(region).customer.unwrap()
        }),
        appliance: Some(Appliance {
            product_line: line as i32,
            ..repair(region).appliance.unwrap()
        }),
        ..repair(region)
    };
    let request_id = format!(
        "{region}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let created = orders
        .create_order(CreateOrderRequest {
            request_id,
            order: Some(order),
        })
        .await
        .unwrap()
        .into_inner();
    orders
        .dispatch_order(acting_in(
            "call-centre:tests",
            region,
            DispatchOrderRequest {
                id: created.id,
                version: 0,
            },
        ))
        .await
        .map(|r| r.into_inner())
}

/// `message` from the region role `principal` (`<role>:<name>`) with a
/// credential for `region` alone: several of these tests serve regions of
/// their own, outside the harness's test regions.
fn acting_in<T>(principal: &str, region: &str, message: T) -> tonic::Request<T> {
    let (role, name) = principal.split_once(':').expect("<role>:<name>");
    let issuer = EmbeddedIssuer::from_pem(test_key_pem(), "xingji").expect("the test issuer");
    let token = issuer
        .issue(TokenRequest {
            subject: name.to_owned(),
            role: role.to_owned(),
            regions: vec![region.to_owned()],
            ttl: std::time::Duration::from_secs(600),
            audience: "xingji".to_owned(),
            ..TokenRequest::default()
        })
        .expect("a token");
    with_token(&token, message)
}

/// The compiled-artifact files and when each was last written.
fn artifact_times(data_dir: &std::path::Path) -> BTreeMap<String, std::time::SystemTime> {
    std::fs::read_dir(data_dir.join("artifacts"))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

fn config_with(dir: &std::path::Path, plugins: &[(&str, &str)]) -> Config {
    let mut regions = BTreeMap::new();
    for (region, dispatch) in plugins {
        let mut config = RegionConfig::default();
        config
            .plugins
            .insert("dispatch".into(), dispatch.to_string());
        regions.insert(region.to_string(), config);
    }
    Config {
        regions,
        ..manual(dir)
    }
}

#[tokio::test]
async fn a_dispatch_goes_through_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let net = network(&server, "shanghai").await;
    let mut orders = server.orders().await;

    let order = dispatch_new(&mut orders, "shanghai", ProductLine::Refrigerator)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Dispatched as i32);
    assert_eq!(
        order.outlet_id, net.near,
        "dispatch-nearest, the default, picks the nearest outlet"
    );
    assert!(!order.engineer_id.is_empty());
    let entry = order.history.last().unwrap();
    assert_eq!(entry.action, "dispatched");
    assert!(
        entry.reason.starts_with("dispatch-nearest@1.0.0 chose"),
        "{}",
        entry.reason
    );

    // Nobody serves water heaters here: a refusal, recorded, nothing assigned.
    let refused = dispatch_new(&mut orders, "shanghai", ProductLine::WaterHeater)
        .await
        .unwrap();
    assert_eq!(refused.status, OrderStatus::Intake as i32);
    assert!(refused.outlet_id.is_empty());
    assert_eq!(refused.history.last().unwrap().action, "dispatch-refused");

    // Only orders in intake are dispatched.
    let again = orders
        .dispatch_order(acting_in(
            "call-centre:tests",
            "shanghai",
            DispatchOrderRequest {
                id: order.id,
                version: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    let stats = server
        .plugins()
        .await
        .get_plugin_stats(GetPluginStatsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .stats;
    assert_eq!(stats.len(), 1);
    assert_eq!(
        (stats[0].name.as_str(), stats[0].calls, stats[0].failures),
        ("dispatch-nearest", 2, 0)
    );
    assert!(stats[0].fuel > 0);
    server.stop().await;
}

#[tokio::test]
async fn two_regions_with_different_plugins_answer_differently() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &[
            ("east", "dispatch-nearest@1.0.0"),
            ("west", "dispatch-balanced@1.0.0"),
        ],
    );
    let server = TestServer::start_config(config).await;
    let east = network(&server, "east").await;
    let west = network(&server, "west").await;
    let mut orders = server.orders().await;

    let in_east = dispatch_new(&mut orders, "east", ProductLine::Refrigerator)
        .await
        .unwrap();
    let in_west = dispatch_new(&mut orders, "west", ProductLine::Refrigerator)
        .await
        .unwrap();
    assert_eq!(
        in_east.outlet_id, east.near,
        "nearest takes the nearby grade-C outlet"
    );
    assert_eq!(
        in_west.outlet_id, west.far,
        "balanced prefers the grade-A outlet still in reach"
    );

    let plugins = server
        .plugins()
        .await
        .get_region_plugins(GetRegionPluginsRequest {
            region: "west".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let dispatch = &plugins.plugins[0];
    assert_eq!(
        (dispatch.name.as_str(), dispatch.source),
        ("dispatch-balanced", PluginSource::Config as i32)
    );
    server.stop().await;
}

#[tokio::test]
async fn a_swap_under_load_fails_nothing_and_leaves_other_regions_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let a = network(&server, "region-a").await;
    let b = network(&server, "region-b").await;

    let mut callers = Vec::new();
    for n in 0..60 {
        let region = if n % 2 == 0 { "region-a" } else { "region-b" };
        let mut orders = server.orders().await;
        callers.push(tokio::spawn(async move {
            let order = dispatch_new(&mut orders, region, ProductLine::Refrigerator).await;
            (region, order)
        }));
    }
    let mut plugins = server.plugins().await;
    for n in 0..20 {
        let name = if n % 2 == 0 {
            "dispatch-balanced"
        } else {
            "dispatch-nearest"
        };
        plugins
            .activate_plugin(ActivatePluginRequest {
                region: "region-a".into(),
                slot: PluginSlot::Dispatch as i32,
                name: name.into(),
                version: "1.0.0".into(),
                reason: "swap test".into(),
                params: Vec::new(),
            })
            .await
            .unwrap();
    }
    for caller in callers {
        let (region, order) = caller.await.unwrap();
        let order =
            order.unwrap_or_else(|status| panic!("a call failed during the swaps: {status:?}"));
        assert_eq!(order.status, OrderStatus::Dispatched as i32);
        if region == "region-b" {
            assert_eq!(order.outlet_id, b.near, "region B never changed plugin");
        } else {
            assert!(order.outlet_id == a.near || order.outlet_id == a.far);
        }
    }
    let b_plugins = plugins
        .get_region_plugins(GetRegionPluginsRequest {
            region: "region-b".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(b_plugins.plugins[0].source, PluginSource::Default as i32);
    server.stop().await;
}

/// Activations stack like deployments: each rollback walks back one, down
/// to the default, whose source `GetRegionPlugins` then says; a reset
/// takes every activation off at once; a restart rebuilds the stack from
/// the history.
#[tokio::test]
async fn rollback_walks_back_one_activation_at_a_time_and_reset_returns_to_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    let slot = PluginSlot::Dispatch as i32;
    let activate = |name: &str| ActivatePluginRequest {
        region: "shanghai".into(),
        slot,
        name: name.into(),
        version: "1.0.0".into(),
        reason: "trial".into(),
        params: Vec::new(),
    };
    let rollback = RollbackPluginRequest {
        region: "shanghai".into(),
        slot,
        reason: "back".into(),
    };
    let reset = ResetPluginRequest {
        region: "shanghai".into(),
        slot,
        reason: "as configured".into(),
    };
    async fn running(plugins: &mut PluginServiceClient<Channel>) -> (String, i32) {
        let active = plugins
            .get_region_plugins(GetRegionPluginsRequest {
                region: "shanghai".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let dispatch = active
            .plugins
            .into_iter()
            .find(|p| p.slot == PluginSlot::Dispatch as i32)
            .expect("a dispatch plugin");
        (dispatch.name, dispatch.source)
    }
    let activation = PluginSource::Activation as i32;
    let default = PluginSource::Default as i32;

    for name in ["dispatch-balanced", "dispatch-nearest", "dispatch-balanced"] {
        plugins.activate_plugin(activate(name)).await.unwrap();
    }
    let mut walked = Vec::new();
    for _ in 0..3 {
        let back = plugins
            .rollback_plugin(rollback.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(back.action, ActivationAction::Rollback as i32);
        walked.push((
            back.name.clone(),
            back.previous.clone(),
            running(&mut plugins).await,
        ));
    }
    assert_eq!(
        walked,
        [
            (
                "dispatch-nearest".into(),
                "dispatch-balanced@1.0.0".into(),
                ("dispatch-nearest".into(), activation)
            ),
            (
                "dispatch-balanced".into(),
                "dispatch-nearest@1.0.0".into(),
                ("dispatch-balanced".into(), activation)
            ),
            (
                "dispatch-nearest".into(),
                "dispatch-balanced@1.0.0".into(),
                ("dispatch-nearest".into(), default)
            ),
        ],
        "each rollback one step back, the last to the default"
    );
    let nothing = plugins.rollback_plugin(rollback.clone()).await.unwrap_err();
    assert_eq!(nothing.code(), Code::FailedPrecondition, "{nothing:?}");
    assert!(
        nothing.message().contains("no activation in force"),
        "{nothing:?}"
    );

    for name in ["dispatch-balanced", "dispatch-nearest", "dispatch-balanced"] {
        plugins.activate_plugin(activate(name)).await.unwrap();
    }
    let reset_to = plugins
        .reset_plugin(reset.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            reset_to.action,
            reset_to.name.as_str(),
            reset_to.previous.as_str()
        ),
        (
            ActivationAction::Reset as i32,
            "dispatch-nearest",
            "dispatch-balanced@1.0.0"
        )
    );
    assert_eq!(
        running(&mut plugins).await,
        ("dispatch-nearest".into(), default)
    );
    let again = plugins.reset_plugin(reset.clone()).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");

    // Two on the stack, then a restart: the walk goes on from the history.
    for name in ["dispatch-balanced", "dispatch-nearest"] {
        plugins.activate_plugin(activate(name)).await.unwrap();
    }
    server.stop().await;
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    assert_eq!(
        running(&mut plugins).await,
        ("dispatch-nearest".into(), activation)
    );
    plugins.rollback_plugin(rollback.clone()).await.unwrap();
    assert_eq!(
        running(&mut plugins).await,
        ("dispatch-balanced".into(), activation)
    );
    plugins.rollback_plugin(rollback).await.unwrap();
    assert_eq!(
        running(&mut plugins).await,
        ("dispatch-nearest".into(), default)
    );
    server.stop().await;
}

#[tokio::test]
async fn rollback_returns_to_the_previous_plugin_and_activations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    let activate = |name: &str| ActivatePluginRequest {
        region: "shanghai".into(),
        slot: PluginSlot::Dispatch as i32,
        name: name.into(),
        version: "1.0.0".into(),
        reason: "trial".into(),
        params: Vec::new(),
    };
    let rollback = RollbackPluginRequest {
        region: "shanghai".into(),
        slot: PluginSlot::Dispatch as i32,
        reason: "back".into(),
    };

    let nothing = plugins.rollback_plugin(rollback.clone()).await.unwrap_err();
    assert_eq!(
        nothing.code(),
        Code::FailedPrecondition,
        "no activation yet"
    );

    // Shanghai's IT activates; the activation records who.
    let first = plugins
        .activate_plugin(acting_in(
            "regional-it:shanghai",
            "shanghai",
            activate("dispatch-balanced"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.previous, "dispatch-nearest@1.0.0");
    assert_eq!(first.actor, "regional-it:shanghai");
    let back = plugins
        .rollback_plugin(rollback.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (back.name.as_str(), back.action),
        ("dispatch-nearest", ActivationAction::Rollback as i32)
    );
    assert_eq!(back.previous, "dispatch-balanced@1.0.0");
    plugins
        .activate_plugin(activate("dispatch-balanced"))
        .await
        .unwrap();

    let missing = plugins
        .activate_plugin(activate("dispatch-psychic"))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let other = plugins
        .get_region_plugins(GetRegionPluginsRequest {
            region: "beijing".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        other.plugins[0].name, "dispatch-nearest",
        "other regions untouched"
    );
    server.stop().await;
    let before_restart = artifact_times(dir.path());
    assert_eq!(
        before_restart.len(),
        3 * xingji_bundled::EMBEDDED.len(),
        "every bundled plugin: an artifact, its description and their digests"
    );

    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    let active = plugins
        .get_region_plugins(GetRegionPluginsRequest {
            region: "shanghai".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.plugins[0].name, "dispatch-balanced");
    assert_eq!(active.plugins[0].source, PluginSource::Activation as i32);
    let history = plugins
        .list_activations(ListActivationsRequest {
            region: "shanghai".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .activations;
    let names: Vec<(&str, i32)> = history
        .iter()
        .map(|a| (a.name.as_str(), a.action))
        .collect();
    assert_eq!(
        names,
        [
            ("dispatch-balanced", ActivationAction::Activate as i32),
            ("dispatch-nearest", ActivationAction::Rollback as i32),
            ("dispatch-balanced", ActivationAction::Activate as i32),
        ],
        "newest first"
    );
    // The restart loaded the compiled artifacts; it did not recompile.
    assert_eq!(
        artifact_times(dir.path()),
        before_restart,
        "artifacts rewritten on restart"
    );
    server.stop().await;
}

#[tokio::test]
async fn hostile_plugins_fail_their_call_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    // A deadline ten times the slot's default: on a busy machine the memory
    // hog must meet its memory limit before its deadline.
    let mut lab = RegionConfig::default();
    lab.limits.insert(
        "dispatch".into(),
        xingji_core::settings::LimitsConfig {
            deadline_ms: Some(2000),
            ..Default::default()
        },
    );
    let server = TestServer::start_config(Config {
        regions: [("lab".to_owned(), lab)].into(),
        ..manual(dir.path())
    })
    .await;
    let mut plugins = server.plugins().await;
    let installed = plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin("test-hostile"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (installed.name.as_str(), installed.slot),
        ("test-hostile", PluginSlot::Dispatch as i32)
    );
    plugins
        .activate_plugin(ActivatePluginRequest {
            region: "lab".into(),
            slot: PluginSlot::Dispatch as i32,
            name: "test-hostile".into(),
            version: "1.0.0".into(),
            reason: String::new(),
            params: Vec::new(),
        })
        .await
        .unwrap();
    // The lab has one outlet and one engineer, which the hostile plugin
    // assigns when it behaves.
    let lab = create_outlet(&mut server.outlets().await, regional_centre("lab", "LAB-1")).await;
    create_person(
        &mut server.people().await,
        engineer("lab", &lab.id, "Zhao Min"),
    )
    .await;
    let calm = network(&server, "calm").await;
    let mut orders = server.orders().await;

    let cases = [
        (ProductLine::Tv, "DEADLINE_EXCEEDED"),
        (ProductLine::FlatPanelTv, "MEMORY_LIMIT"),
        (ProductLine::Computer, "STACK_OVERFLOW"),
        (ProductLine::Refrigerator, "PANIC"),
        (ProductLine::WashingMachine, "OUTPUT_TOO_LARGE"),
        (ProductLine::AirConditioner, "LOG_LIMIT"),
    ];
    for (line, cause) in cases {
        let error = dispatch_new(&mut orders, "lab", line).await.unwrap_err();
        assert_eq!(
            error.code(),
            Code::FailedPrecondition,
            "{line:?}: {error:?}"
        );
        let (reason, metadata) = error_info(&error);
        assert_eq!(reason, "PLUGIN_FAILED");
        assert_eq!(metadata["cause"], cause, "{line:?}: {}", error.message());
        assert_eq!(metadata["plugin"], "test-hostile");
        assert_eq!(metadata["version"], "1.0.0");
        assert_eq!(metadata["region"], "lab");
        assert_eq!(metadata["slot"], "dispatch");
        if cause == "PANIC" {
            assert!(
                error
                    .message()
                    .contains("the hostile plugin panics on purpose"),
                "{}",
                error.message()
            );
        }
        // A normal call right after succeeds, in the same region and another.
        let fine = dispatch_new(&mut orders, "lab", ProductLine::WaterHeater)
            .await
            .unwrap();
        assert_eq!(fine.outlet_id, lab.id);
        let elsewhere = dispatch_new(&mut orders, "calm", ProductLine::Refrigerator)
            .await
            .unwrap();
        assert_eq!(elsewhere.outlet_id, calm.near);
    }
    // The failed orders were left as they were: in intake, at version 1.
    let stuck = orders
        .list_orders(ListOrdersRequest {
            region: "lab".into(),
            status: OrderStatus::Intake as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(stuck.len(), cases.len());
    assert!(stuck.iter().all(|o| o.version == 1 && o.history.len() == 1));
    server.stop().await;
}

#[tokio::test]
async fn install_refuses_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(manual(dir.path())).await;
    let mut plugins = server.plugins().await;
    let install = |component: Vec<u8>| InstallPluginRequest {
        component,
        ..Default::default()
    };

    let nearest = built_plugin("dispatch-nearest");
    let truncated = nearest[..nearest.len() / 2].to_vec();
    for (bytes, why) in [
        (b"not wasm at all".to_vec(), "garbage"),
        (truncated, "a truncated component"),
    ] {
        let error = plugins.install_plugin(install(bytes)).await.unwrap_err();
        assert_eq!(error.code(), Code::FailedPrecondition, "{why}");
        assert_eq!(error_info(&error).0, "NOT_A_COMPONENT", "{why}");
    }

    let error = plugins
        .install_plugin(install(built_plugin("test-greedy")))
        .await
        .unwrap_err();
    assert_eq!(error_info(&error).0, "FORBIDDEN_IMPORT");
    assert!(
        error.message().contains("xingji:plugins/records"),
        "{}",
        error.message()
    );
    assert!(
        error.message().contains("dispatch world does not grant"),
        "{}",
        error.message()
    );

    // A newer contract: the kernel is the side to upgrade; an older one:
    // the plugin.
    for (component, found, advice) in [
        ("test-future", "9.0.0", "upgrade the kernel"),
        ("test-past", "0.1.0", "upgrade the plugin"),
    ] {
        let error = plugins
            .install_plugin(install(built_plugin(component)))
            .await
            .unwrap_err();
        let (reason, metadata) = error_info(&error);
        assert_eq!(reason, "UNSUPPORTED_WIT_VERSION", "{component}");
        assert_eq!(
            (metadata["found"].as_str(), metadata["supported"].as_str()),
            (found, "0.3.0,0.2.0"),
            "{component}"
        );
        assert!(
            error.message().contains(found)
                && error.message().contains("0.3.0, 0.2.0")
                && error.message().contains(advice),
            "{}",
            error.message()
        );
    }
    // The same version with other types: a drifted contract, said so.
    let error = plugins
        .install_plugin(install(built_plugin("test-drifted")))
        .await
        .unwrap_err();
    let (reason, metadata) = error_info(&error);
    assert_eq!(
        (error.code(), reason.as_str()),
        (Code::FailedPrecondition, "WIT_SHAPE_MISMATCH")
    );
    assert_eq!(metadata["found"], "0.2.0");
    assert!(
        error.message().contains("drifted") && error.message().contains("type mismatch"),
        "{}",
        error.message()
    );

    let error = plugins
        .install_plugin(install(Vec::new()))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);

    // The same bytes again: the plugin as installed, not an error.
    let again = plugins
        .install_plugin(install(nearest))
        .await
        .unwrap()
        .into_inner();
    assert!(again.bundled);
    let answer = plugins
        .list_plugins(ListPluginsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.supported_wit_versions,
        ["0.3.0", "0.2.0"],
        "the list says which contract versions install"
    );
    let listed = answer.plugins;
    let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    let mut bundled: Vec<&str> = xingji_bundled::EMBEDDED
        .iter()
        .map(|(name, _)| *name)
        .collect();
    bundled.sort();
    assert_eq!(names, bundled, "nothing refused was installed");
    server.stop().await;
}

#[tokio::test]
async fn a_damaged_artifact_is_recompiled_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    TestServer::start_config(manual(dir.path()))
        .await
        .stop()
        .await;
    let artifacts = dir.path().join("artifacts");
    let damaged = std::fs::read_dir(&artifacts)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "cwasm"))
        .expect("a compiled artifact");
    std::fs::write(&damaged, b"\x7fELF not what was compiled").unwrap();

    let server = TestServer::start_config(manual(dir.path())).await;
    let repaired = std::fs::read(&damaged).unwrap();
    assert!(
        repaired.len() > 1000,
        "the artifact was compiled again and rewritten"
    );
    network(&server, "shanghai").await;
    let order = dispatch_new(
        &mut server.orders().await,
        "shanghai",
        ProductLine::Refrigerator,
    )
    .await
    .unwrap();
    assert_eq!(order.status, OrderStatus::Dispatched as i32);
    server.stop().await;
}

#[tokio::test]
async fn regions_set_their_plugins_parameters_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_with(
        dir.path(),
        &[
            ("slow", "dispatch-balanced@1.0.0"),
            ("frugal", "dispatch-nearest@1.0.0"),
        ],
    );
    // At walking pace the grade-A outlet 3.4 km off is out of reach.
    let slow = config.regions.get_mut("slow").unwrap();
    slow.params.insert(
        "dispatch".into(),
        BTreeMap::from([("speed_kmh".to_owned(), "2".to_owned())]),
    );
    // A fuel quota no dispatch over a real network fits in.
    let frugal = config.regions.get_mut("frugal").unwrap();
    frugal.limits.insert(
        "dispatch".into(),
        xingji_core::settings::LimitsConfig {
            fuel: Some(1_000),
            ..Default::default()
        },
    );
    let server = TestServer::start_config(config).await;
    let slow = network(&server, "slow").await;
    network(&server, "frugal").await;
    let mut orders = server.orders().await;

    let walked = dispatch_new(&mut orders, "slow", ProductLine::Refrigerator)
        .await
        .unwrap();
    assert_eq!(walked.outlet_id, slow.near, "speed_kmh reached the plugin");

    let error = dispatch_new(&mut orders, "frugal", ProductLine::Refrigerator)
        .await
        .unwrap_err();
    assert_eq!(
        error_info(&error).1["cause"],
        "FUEL_EXHAUSTED",
        "{}",
        error.message()
    );
    server.stop().await;
}
