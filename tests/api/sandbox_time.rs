//! Issue 13, time and concurrency: a plugin that waits or spins ends by its
//! deadline and gives its instance back; calls beyond a region's cap are
//! refused by name (`RESOURCE_EXHAUSTED`), never by the instance pool; a
//! plugin's log message stays on its line. Another region works
//! throughout.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;
use tonic::Code;
use xingji::config::Config;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::*;
use xingji_core::settings::{LimitsConfig, RegionConfig};
use xingji_tests::{Channel, TestServer, acting, built_plugin, error_info, unique};

use crate::fixtures::{create_outlet, create_person, engineer, regional_centre, repair};

/// A kernel that leaves new orders in intake (these tests dispatch by
/// hand), with the lab's dispatch calls allowed `lab_deadline_ms`.
pub(crate) fn config(dir: &std::path::Path, lab_deadline_ms: u64) -> Config {
    let mut lab = RegionConfig::default();
    lab.limits.insert(
        "dispatch".into(),
        LimitsConfig {
            deadline_ms: Some(lab_deadline_ms),
            ..Default::default()
        },
    );
    Config {
        data_dir: dir.to_owned(),
        auto_dispatch: false,
        regions: [("lab".to_owned(), lab)].into(),
        plugins: xingji_tests::unsigned_allowed(),
        ..Config::default()
    }
}

/// Installs the built plugin `name` and makes `region` dispatch with it.
pub(crate) async fn run_in(server: &TestServer, region: &str, name: &str) {
    let mut plugins = server.plugins().await;
    plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin(name),
            ..Default::default()
        })
        .await
        .expect("install");
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
        .expect("activate");
}

/// One outlet with one engineer in `region`; returns the outlet's id.
pub(crate) async fn outlet(server: &TestServer, region: &str) -> String {
    let centre = create_outlet(&mut server.outlets().await, regional_centre(region, "RC-1")).await;
    create_person(
        &mut server.people().await,
        engineer(region, &centre.id, "Zhao Min"),
    )
    .await;
    centre.id
}

/// A new order in `region` for `line`, waiting in intake.
async fn new_order(
    orders: &mut OrderServiceClient<Channel>,
    region: &str,
    line: ProductLine,
) -> Order {
    let order = Order {
        appliance: Some(Appliance {
            product_line: line as i32,
            ..repair(region).appliance.expect("an appliance")
        }),
        ..repair(region)
    };
    orders
        .create_order(CreateOrderRequest {
            request_id: unique(region),
            order: Some(order),
        })
        .await
        .expect("CreateOrder")
        .into_inner()
}

/// `DispatchOrder` of `order`, with a gRPC deadline of `within`: a call
/// that outlives it fails `DEADLINE_EXCEEDED` on the client's side, which
/// no assertion below accepts.
async fn dispatch(
    mut orders: OrderServiceClient<Channel>,
    order: &Order,
    within: Duration,
) -> Result<Order, tonic::Status> {
    let mut request = acting(
        "call-centre:tests",
        DispatchOrderRequest {
            id: order.id.clone(),
            version: order.version,
        },
    );
    request.set_timeout(within);
    orders.dispatch_order(request).await.map(|r| r.into_inner())
}

/// Creates and dispatches an order in `region`, which must succeed and go
/// to `outlet`.
async fn dispatch_fine(server: &TestServer, region: &str, outlet: &str) {
    let mut orders = server.orders().await;
    let order = new_order(&mut orders, region, ProductLine::Refrigerator).await;
    let done = dispatch(orders, &order, Duration::from_secs(10))
        .await
        .unwrap_or_else(|error| panic!("{region}'s dispatch failed: {error:?}"));
    assert_eq!(done.outlet_id, outlet, "{region}");
}

#[tokio::test]
async fn a_plugin_that_sleeps_or_spins_ends_by_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(config(dir.path(), 1000)).await;
    run_in(&server, "lab", "test-sleeper").await;
    let lab = outlet(&server, "lab").await;
    let east = outlet(&server, "east").await;
    let mut orders = server.orders().await;

    // A 5 s sleep and an endless one trap at once: the clock is frozen.
    // The client's 4 s bound is shorter than the sleep.
    for line in [ProductLine::Tv, ProductLine::FlatPanelTv] {
        let order = new_order(&mut orders, "lab", line).await;
        let error = dispatch(orders.clone(), &order, Duration::from_secs(4))
            .await
            .expect_err("a sleep cannot succeed");
        assert_eq!(
            error.code(),
            Code::FailedPrecondition,
            "{line:?}: {error:?}"
        );
        let (reason, metadata) = error_info(&error);
        assert_eq!(reason, "PLUGIN_FAILED");
        assert_eq!(metadata["plugin"], "test-sleeper");
        assert_eq!(metadata["cause"], "TRAP", "{}", error.message());
        assert!(
            error.message().contains("the sandbox's clock is frozen")
                && error
                    .message()
                    .contains("wasi:clocks/monotonic-clock.subscribe-duration"),
            "{}",
            error.message()
        );
    }

    // Spinning calls end at the lab's 1 s deadline, and while eight of
    // them run, another region's intake and dispatch go on.
    let mut spinning = JoinSet::new();
    for _ in 0..8 {
        let order = new_order(&mut orders, "lab", ProductLine::Computer).await;
        let orders = orders.clone();
        spinning.spawn(async move { dispatch(orders, &order, Duration::from_secs(20)).await });
    }
    dispatch_fine(&server, "east", &east).await;
    while let Some(result) = spinning.join_next().await {
        let error = result.unwrap().expect_err("a spin cannot succeed");
        assert_eq!(
            error_info(&error).1["cause"],
            "DEADLINE_EXCEEDED",
            "{error:?}"
        );
    }
    // The lab's slots were given back: it dispatches again.
    dispatch_fine(&server, "lab", &lab).await;
    dispatch_fine(&server, "east", &east).await;
    server.stop().await;
}

#[tokio::test]
async fn held_calls_beyond_the_cap_are_refused_by_name_not_by_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    // Each spinning call holds its instance 3 s: the calls overlap. The
    // plugin's own cap is under test, not admission's: that is set out of
    // the way (tests/api/admission.rs tests it).
    let server = TestServer::start_config(Config {
        admission: xingji_core::settings::AdmissionConfig {
            max_in_flight: 1000,
            max_in_flight_per_region: 1000,
            ..Default::default()
        },
        ..config(dir.path(), 3000)
    })
    .await;
    run_in(&server, "lab", "test-sleeper").await;
    let lab = outlet(&server, "lab").await;
    let east = outlet(&server, "east").await;
    let mut orders = server.orders().await;

    // The orders first, then every dispatch at once: made one by one
    // between dispatches, on a busy machine the calls did not overlap.
    let mut waiting = Vec::new();
    for _ in 0..120 {
        waiting.push(new_order(&mut orders, "lab", ProductLine::Computer).await);
    }
    let mut held = JoinSet::new();
    for order in waiting {
        let orders = orders.clone();
        held.spawn(async move { dispatch(orders, &order, Duration::from_secs(30)).await });
    }
    // While the lab's calls are held, the east dispatches.
    dispatch_fine(&server, "east", &east).await;
    let (mut refused, mut ended) = (0, 0);
    while let Some(result) = held.join_next().await {
        let error = result.unwrap().expect_err("a spin cannot succeed");
        assert!(
            !error.message().contains("concurrent limit"),
            "the pool ran out: {error:?}"
        );
        let (reason, metadata) = error_info(&error);
        match error.code() {
            Code::ResourceExhausted => {
                assert_eq!(reason, "PLUGIN_CONCURRENCY_LIMIT");
                assert_eq!(metadata["region"], "lab");
                assert_eq!(metadata["slot"], "dispatch");
                assert_eq!(metadata["plugin"], "test-sleeper@1.0.0");
                assert_eq!(metadata["scope"], "region-slot");
                assert_eq!(metadata["limit"], "8");
                refused += 1;
            }
            _ => {
                assert_eq!(metadata["cause"], "DEADLINE_EXCEEDED", "{error:?}");
                ended += 1;
            }
        }
    }
    assert!(
        refused > 0,
        "120 held calls against a cap of 8 were all admitted"
    );
    assert!(ended >= 8, "{ended} calls ran");
    // A refused dispatch left its order in intake, as any failure does.
    let waiting = orders
        .list_orders(ListOrdersRequest {
            region: "lab".into(),
            status: OrderStatus::Intake as i32,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(waiting.len(), 120);
    // And after it all, both regions dispatch.
    dispatch_fine(&server, "lab", &lab).await;
    dispatch_fine(&server, "east", &east).await;
    server.stop().await;
}

/// A `Write` into a buffer the test reads.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime: the server's tasks run on this thread, so the
// thread's log subscriber sees the kernel's log.
#[tokio::test(flavor = "current_thread")]
async fn a_plugins_log_message_stays_on_its_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The kernel's text log, as `serve` writes it (telemetry.rs), into the
    // buffer.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(config(dir.path(), 1000)).await;
    run_in(&server, "lab", "test-forger").await;
    let lab = outlet(&server, "lab").await;
    dispatch_fine(&server, "lab", &lab).await;
    server.stop().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("forged by a plugin"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    let line = lines[0];
    assert!(line.contains("xingji::plugin"), "{line}");
    assert!(
        line.contains(
            r"choosing\n2026-01-01T00:00:00.000000Z  INFO xingji: forged by a plugin\r\u{1b}[2K"
        ),
        "{line}"
    );
    assert!(!line.starts_with("2026-01-01"), "{line}");
    assert!(!log.contains('\u{1b}') && !log.contains('\r'), "{log:?}");
}
