//! Several kernels on one PostgreSQL database, each a real server on a
//! loopback port, called over gRPC: what a deployment behind a balancer
//! relies on. Idempotent creates across kernels, shared state reaching
//! every kernel, WatchOrders on one kernel following another's writes, and
//! a kernel riding out the loss of its database.
//!
//! Without PostgreSQL each test prints `SKIPPED` and returns (the
//! `postgres_available` test says so where `cargo test` shows it).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tonic::Code;
use xingji::config::{Config, StoreConfig};
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::Month;
use xingji_test_postgres::TestCluster;
use xingji_tests::{TestServer, acting, built_plugin, error_info, unique, unsigned_allowed};

// The API tests' records, shared rather than written again.
#[allow(dead_code)]
#[path = "api/fixtures.rs"]
mod fixtures;

/// Two kernels on one fresh database, each with a data directory of its
/// own (as on two machines).
struct Pair {
    a: TestServer,
    b: TestServer,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

async fn kernel_on(url: &str, demo: bool) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a data dir");
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        store: StoreConfig {
            url: Some(url.to_owned()),
        },
        plugins: unsigned_allowed(),
        demo,
        ..Config::default()
    })
    .await;
    (server, dir)
}

async fn pair(cluster: &TestCluster) -> Pair {
    pair_of(cluster, false).await
}

/// [`pair`], both kernels started with `--demo` (the first seeds it).
async fn pair_of(cluster: &TestCluster, demo: bool) -> Pair {
    let url = cluster.new_database();
    let (a, dir_a) = kernel_on(&url, demo).await;
    let (b, dir_b) = kernel_on(&url, demo).await;
    Pair {
        a,
        b,
        _dirs: (dir_a, dir_b),
    }
}

/// A regional centre, a star centre and an engineer in `region`, made
/// through `server`.
async fn network(server: &TestServer, region: &str) {
    let (_, star) = fixtures::network(&mut server.outlets().await, region).await;
    fixtures::create_person(
        &mut server.people().await,
        fixtures::engineer(region, &star.id, "Wang Qiang"),
    )
    .await;
}

fn create(request_id: &str, region: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: request_id.into(),
        order: Some(fixtures::repair(region)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_id_sent_to_two_kernels_at_once_makes_one_order() {
    let Some(cluster) = TestCluster::shared() else {
        return;
    };
    let pair = pair(cluster).await;
    network(&pair.a, "shanghai").await;
    let (mut a, mut b) = (pair.a.orders().await, pair.b.orders().await);
    for round in 0..20 {
        let id = unique(&format!("twice-{round}"));
        let (first, second) = tokio::join!(
            a.create_order(create(&id, "shanghai")),
            b.create_order(create(&id, "shanghai"))
        );
        let first = first.expect("kernel a creates").into_inner();
        let second = second.expect("kernel b creates").into_inner();
        assert_eq!(
            first.id, second.id,
            "round {round}: two orders for one request id"
        );
    }
    let listed = a
        .list_orders(ListOrdersRequest {
            region: "shanghai".into(),
            page_size: 100,
            ..ListOrdersRequest::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.orders.len(), 20);
    pair.a.stop().await;
    pair.b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activation_through_one_kernel_is_in_force_on_the_other_within_a_second() {
    let Some(cluster) = TestCluster::shared() else {
        return;
    };
    let pair = pair(cluster).await;
    let active_on_b = async |name: &str| {
        let plugins = pair
            .b
            .plugins()
            .await
            .get_region_plugins(GetRegionPluginsRequest {
                region: "region-a".into(),
            })
            .await
            .expect("region plugins on b")
            .into_inner();
        plugins
            .plugins
            .iter()
            .any(|p| p.slot == PluginSlot::Dispatch as i32 && p.name == name)
    };
    let mut plugins = pair.a.plugins().await;
    for (round, name) in ["dispatch-balanced", "dispatch-nearest", "dispatch-balanced"]
        .into_iter()
        .enumerate()
    {
        let activated = Instant::now();
        plugins
            .activate_plugin(ActivatePluginRequest {
                region: "region-a".into(),
                slot: PluginSlot::Dispatch as i32,
                name: name.into(),
                version: "1.0.0".into(),
                reason: "replica test".into(),
                params: Vec::new(),
            })
            .await
            .expect("activate through a");
        while !active_on_b(name).await {
            assert!(
                activated.elapsed() < Duration::from_secs(1),
                "round {round}: {name} not in force on kernel b a second after kernel a activated it"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // A rollback travels the same way.
    plugins
        .rollback_plugin(RollbackPluginRequest {
            region: "region-a".into(),
            slot: PluginSlot::Dispatch as i32,
            reason: "replica test".into(),
        })
        .await
        .expect("roll back through a");
    let rolled = Instant::now();
    while !active_on_b("dispatch-nearest").await {
        assert!(
            rolled.elapsed() < Duration::from_secs(1),
            "the rollback is not in force on kernel b a second after kernel a made it"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pair.a.stop().await;
    pair.b.stop().await;
}

/// Components live in the database: a plugin installed and activated
/// through one kernel runs on the other, which never saw the upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_installed_through_one_kernel_runs_on_the_other() {
    let Some(cluster) = TestCluster::shared() else {
        return;
    };
    let pair = pair(cluster).await;
    network(&pair.a, "lab").await;
    let mut plugins = pair.a.plugins().await;
    plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin("test-hostile"),
            ..Default::default()
        })
        .await
        .expect("install through a");
    plugins
        .activate_plugin(ActivatePluginRequest {
            region: "lab".into(),
            slot: PluginSlot::Dispatch as i32,
            name: "test-hostile".into(),
            version: "1.0.0".into(),
            reason: "replica test".into(),
            params: Vec::new(),
        })
        .await
        .expect("activate through a");
    let mut on_b = pair.b.plugins().await;
    let loaded = Instant::now();
    loop {
        let active = on_b
            .get_region_plugins(GetRegionPluginsRequest {
                region: "lab".into(),
            })
            .await
            .expect("region plugins on b")
            .into_inner();
        if active.plugins.iter().any(|p| p.name == "test-hostile") {
            break;
        }
        // Kernel b compiles the component it reads from the database.
        assert!(
            loaded.elapsed() < Duration::from_secs(60),
            "kernel b never loaded the plugin kernel a installed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The hostile plugin panics on a refrigerator: kernel b ran it.
    let mut orders = pair.b.orders().await;
    let created = orders
        .create_order(create(&unique("hostile"), "lab"))
        .await
        .expect("create on b")
        .into_inner();
    let failed = orders
        .dispatch_order(DispatchOrderRequest {
            id: created.id,
            version: 0,
        })
        .await
        .expect_err("the hostile plugin fails the dispatch");
    let (reason, metadata) = error_info(&failed);
    assert_eq!(reason, "PLUGIN_FAILED", "{failed:?}");
    assert_eq!(
        metadata.get("plugin").map(String::as_str),
        Some("test-hostile")
    );
    assert_eq!(metadata.get("cause").map(String::as_str), Some("PANIC"));
    pair.a.stop().await;
    pair.b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_orders_on_one_kernel_sees_every_order_of_the_other_once_in_order() {
    let Some(cluster) = TestCluster::shared() else {
        return;
    };
    let pair = pair(cluster).await;
    network(&pair.a, "shanghai").await;
    let watch = |after: &str| WatchOrdersRequest {
        region: "shanghai".into(),
        after_cursor: after.into(),
        outlet_id: String::new(),
    };
    let mut on_b = pair.b.orders().await;
    let mut stream = on_b
        .watch_orders(watch("0"))
        .await
        .expect("watch on b")
        .into_inner();
    // Orders created through kernel a by eight callers at once, so that
    // transactions commit in another order than they began.
    let created = create_concurrently(&pair.a, 8, 5).await;
    let mut seen: Vec<OrderEvent> = Vec::new();
    let mut orders_seen = HashSet::new();
    read_until_all(&mut stream, &created, &mut orders_seen, &mut seen).await;
    drop(stream);
    // More while the watcher is away, then it resumes from its cursor.
    let more = create_concurrently(&pair.a, 8, 3).await;
    let cursor = seen.last().map(|e| e.cursor.clone()).unwrap_or_default();
    let mut stream = on_b
        .watch_orders(watch(&cursor))
        .await
        .expect("resume on b")
        .into_inner();
    read_until_all(&mut stream, &more, &mut orders_seen, &mut seen).await;
    // Exactly once, in cursor order, and the same log kernel a serves.
    let cursors: Vec<u64> = seen
        .iter()
        .map(|e| e.cursor.parse().expect("a numeric cursor"))
        .collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "cursors out of order or repeated: {cursors:?}"
    );
    let mut on_a = pair
        .a
        .orders()
        .await
        .watch_orders(watch("0"))
        .await
        .expect("watch on a")
        .into_inner();
    for expected in &seen {
        let event = on_a
            .message()
            .await
            .expect("a's stream")
            .expect("not ended");
        assert_eq!(
            (&event.cursor, &event.order_id, event.version),
            (&expected.cursor, &expected.order_id, expected.version),
            "kernels a and b disagree on the log"
        );
    }
    pair.a.stop().await;
    pair.b.stop().await;
}

/// Reads `stream` into `seen` until every order of `ids` has an event.
async fn read_until_all(
    stream: &mut tonic::Streaming<OrderEvent>,
    ids: &[String],
    orders_seen: &mut HashSet<String>,
    seen: &mut Vec<OrderEvent>,
) {
    while !ids.iter().all(|id| orders_seen.contains(id)) {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .expect("an event within 10 s")
            .expect("the stream")
            .expect("not ended");
        orders_seen.insert(event.order_id.clone());
        seen.push(event);
    }
}

/// `callers` tasks each creating `each` orders through `server`; the ids.
async fn create_concurrently(server: &TestServer, callers: usize, each: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for caller in 0..callers {
        let mut orders = server.orders().await;
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..each {
                let id = unique(&format!("caller-{caller}-{n}"));
                let order = orders
                    .create_order(create(&id, "shanghai"))
                    .await
                    .expect("create")
                    .into_inner();
                ids.push(order.id);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("a caller"));
    }
    ids
}

/// Kernels lose their database: calls fail with UNAVAILABLE while it is
/// gone, the kernels reconnect by themselves, and every order a caller was
/// told of is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernels_ride_out_a_database_restart_under_load_and_lose_nothing_acknowledged() {
    // A cluster of its own: this test stops it.
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    if !cluster.can_restart() {
        println!(
            "SKIPPED: restarting PostgreSQL needs a cluster the test starts, not XINGJI_TEST_POSTGRES_URL"
        );
        return;
    }
    let pair = pair(&cluster).await;
    network(&pair.a, "shanghai").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut callers = Vec::new();
    for (caller, server) in [&pair.a, &pair.b, &pair.a, &pair.b].into_iter().enumerate() {
        let mut orders = server.orders().await;
        let stop = stop.clone();
        callers.push(tokio::spawn(async move {
            let (mut acked, mut codes) = (Vec::new(), HashSet::new());
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let request_id = unique(&format!("load-{caller}-{n}"));
                n += 1;
                // A call may fail while the database is away, but at once
                // and as UNAVAILABLE: one still waiting after 10 s fails
                // the test (DEADLINE_EXCEEDED below).
                let call = orders.create_order(create(&request_id, "shanghai"));
                let answer = tokio::time::timeout(Duration::from_secs(10), call)
                    .await
                    .unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("no answer in 10 s")));
                match answer {
                    Ok(order) => acked.push((request_id, order.into_inner().id)),
                    Err(status) => {
                        codes.insert(status.code());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (acked, codes)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.stop();
    // While it is down, a read fails UNAVAILABLE, not some other way.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let down = pair
        .a
        .orders()
        .await
        .get_order(GetOrderRequest { id: "ord_x".into() })
        .await
        .expect_err("a read with the database down");
    assert_eq!(down.code(), Code::Unavailable, "{down:?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.start_again();
    // Both kernels answer again by themselves.
    for server in [&pair.a, &pair.b] {
        let back = Instant::now();
        let mut outlets = server.outlets().await;
        loop {
            let listed = outlets
                .list_outlets(ListOutletsRequest {
                    region: "shanghai".into(),
                    page_size: 10,
                    ..ListOutletsRequest::default()
                })
                .await;
            if listed.is_ok() {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(30),
                "a kernel did not reconnect within 30 s: {listed:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked = Vec::new();
    let mut codes = HashSet::new();
    for caller in callers {
        let (mine, failed) = caller.await.expect("a caller");
        acked.extend(mine);
        codes.extend(failed);
    }
    // Failures while it was down were UNAVAILABLE (a retry is safe), and
    // every acknowledged order is there, once per request id.
    assert!(
        codes.iter().all(|code| *code == Code::Unavailable),
        "failures other than UNAVAILABLE: {codes:?}"
    );
    let mut orders = pair.b.orders().await;
    for (request_id, id) in &acked {
        let stored = orders
            .get_order(GetOrderRequest { id: id.clone() })
            .await
            .unwrap_or_else(|status| panic!("acknowledged order {id} lost: {status:?}"));
        assert_eq!(&stored.into_inner().id, id);
        let again = orders
            .create_order(create(request_id, "shanghai"))
            .await
            .expect("a retry of an acknowledged request")
            .into_inner();
        assert_eq!(&again.id, id, "a retry made a second order");
    }
    assert!(
        acked.len() > 10,
        "too little load to mean anything: {}",
        acked.len()
    );
    pair.a.stop().await;
    pair.b.stop().await;
}

/// A month closed through two kernels at once is closed once: both answer
/// with the one close, and its orders are settled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_closed_through_two_kernels_at_once_is_closed_once() {
    let Some(cluster) = TestCluster::shared() else {
        return;
    };
    let pair = pair_of(cluster, true).await;
    // The demo lived the month before last.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let month = Month::containing(now).previous().previous().to_string();
    let close = || {
        acting(
            "hq:finance",
            CloseMonthRequest {
                region: "shanghai".into(),
                month: month.clone(),
                dry_run: false,
            },
        )
    };
    let settled_before = settled_in(&pair.a).await;
    let mut on_a = MonthCloseServiceClient::new(pair.a.channel().await);
    let mut on_b = MonthCloseServiceClient::new(pair.b.channel().await);
    let (first, second) = tokio::join!(on_a.close_month(close()), on_b.close_month(close()));
    let first = first.expect("the close through a").into_inner();
    let second = second.expect("the close through b").into_inner();
    assert!(first.settled_orders > 0, "the demo's month had orders");
    assert_eq!(first, second, "two different closes of one month");
    let closes = on_b
        .list_month_closes(acting(
            "hq:finance",
            ListMonthClosesRequest {
                region: "shanghai".into(),
                ..ListMonthClosesRequest::default()
            },
        ))
        .await
        .expect("list closes")
        .into_inner();
    assert_eq!(closes.closes.len(), 1, "{closes:#?}");
    // Settled once: as many more settled orders as the close counted.
    let settled = settled_in(&pair.a).await;
    assert_eq!(settled - settled_before, first.settled_orders as usize);
    pair.a.stop().await;
    pair.b.stop().await;
}

/// How many of Shanghai's orders are settled.
async fn settled_in(server: &TestServer) -> usize {
    server
        .orders()
        .await
        .list_orders(ListOrdersRequest {
            region: "shanghai".into(),
            status: OrderStatus::Settled as i32,
            page_size: 1000,
            ..ListOrdersRequest::default()
        })
        .await
        .expect("list settled")
        .into_inner()
        .orders
        .len()
}
