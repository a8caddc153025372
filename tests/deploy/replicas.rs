//! The whole deployment: PostgreSQL, two `xingji serve` replicas on it
//! (`--store-url`), HAProxy with deploy/haproxy.cfg in front, driven over
//! gRPC as partners would, while its parts fail.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tonic::{Code, Status};
use xingji_api::google::r#type::Date;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::*;
use xingji_test_deploy::processes::{self, Channel, DeploymentKey, Haproxy, Replica};
use xingji_test_deploy::tools::{self, deploy_file};
use xingji_test_postgres::TestCluster;

/// How long a replica may take to start: the first start compiles every
/// bundled plugin, slowly in a debug build.
const START_LIMIT: Duration = Duration::from_secs(300);

/// PostgreSQL, two replicas on one fresh database of it, HAProxy.
struct Deployment {
    cluster: TestCluster,
    replicas: Vec<Replica>,
    proxy: Haproxy,
    token: String,
    dir: TempDir,
}

impl Deployment {
    /// Starts it all, or `None` (after saying so) without HAProxy or
    /// PostgreSQL.
    async fn start() -> Option<Self> {
        let haproxy = tools::haproxy()?;
        let cluster = TestCluster::start()?;
        let url = cluster.new_database();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let key = DeploymentKey::generate();
        let binary = tools::kernel_binary();
        // Both at once, as systemd starts xingji@1 and xingji@2.
        let mut replicas: Vec<Replica> = (1..=2)
            .map(|n| {
                Replica::start(
                    &binary,
                    dir.path(),
                    &format!("replica-{n}"),
                    Some(&url),
                    &key,
                )
            })
            .collect();
        for replica in &mut replicas {
            replica.wait_serving(START_LIMIT).await;
        }
        let addresses: Vec<_> = replicas.iter().map(|r| r.address).collect();
        let proxy = Haproxy::start(
            &haproxy,
            &deploy_file("haproxy.cfg"),
            &addresses,
            dir.path(),
        );
        for name in ["replica-1", "replica-2"] {
            proxy.wait_server(name, "UP", Duration::from_secs(10)).await;
        }
        Some(Self {
            cluster,
            replicas,
            proxy,
            token: key.token("hq", "deploy-tests"),
            dir,
        })
    }

    /// Calls through HAProxy.
    fn via_proxy(&self) -> Channel {
        processes::channel(self.proxy.frontend, &self.token)
    }

    /// Calls to replica `n` (1 or 2) directly.
    fn direct(&self, n: usize) -> Channel {
        processes::channel(self.replicas[n - 1].address, &self.token)
    }

    /// The replicas' and HAProxy's logs, for a failure's message.
    fn logs(&self) -> String {
        let mut out = String::new();
        for replica in &self.replicas {
            out.push_str(&format!("--- {}:\n{}\n", replica.name, replica.log_tail()));
        }
        out.push_str(&format!(
            "--- haproxy:\n{}\n(all in {})",
            processes::tail(&self.proxy.log),
            self.dir.path().display()
        ));
        out
    }
}

/// A repair order whose description is its request id, so that a listing
/// shows which request made each order.
fn new_order(region: &str, request_id: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: request_id.to_owned(),
        order: Some(Order {
            region: region.to_owned(),
            kind: OrderKind::Repair as i32,
            customer: Some(Customer {
                name: "Li Na".into(),
                phone: "021-64871234".into(),
                address: "88 Caoxi North Road".into(),
                location: Some(GeoPoint {
                    lat: 31.19,
                    lon: 121.43,
                }),
                vip: false,
            }),
            appliance: Some(Appliance {
                product_line: ProductLine::Refrigerator as i32,
                model: "BCD-458".into(),
                serial: "SH0012345678".into(),
                purchase_date: Some(Date {
                    year: 2021,
                    month: 6,
                    day: 18,
                }),
                price_fen: 459_900,
            }),
            description: request_id.to_owned(),
            ..Order::default()
        }),
    }
}

/// What callers saw on the way: the acknowledged orders by request id, and
/// each error code met (and retried) with how often.
#[derive(Default)]
struct Tally {
    acked: Mutex<BTreeMap<String, String>>,
    errors: Mutex<BTreeMap<String, u32>>,
}

impl Tally {
    fn acked(&self) -> BTreeMap<String, String> {
        self.acked.lock().expect("tally").clone()
    }

    fn acked_count(&self) -> usize {
        self.acked.lock().expect("tally").len()
    }

    fn errors(&self) -> BTreeMap<String, u32> {
        self.errors.lock().expect("tally").clone()
    }
}

/// Creates the order of `request_id`, retrying with the same id after any
/// error a failover or an outage can cause, until it is acknowledged or
/// `limit` has passed. Codes met are counted in `tally`.
async fn create_until_acked(
    orders: &mut OrderServiceClient<Channel>,
    region: &str,
    request_id: &str,
    tally: &Tally,
    limit: Duration,
) -> Result<Order, Status> {
    let deadline = Instant::now() + limit;
    loop {
        match orders.create_order(new_order(region, request_id)).await {
            Ok(order) => {
                let order = order.into_inner();
                tally
                    .acked
                    .lock()
                    .expect("tally")
                    .insert(request_id.to_owned(), order.id.clone());
                return Ok(order);
            }
            Err(status) => {
                *tally
                    .errors
                    .lock()
                    .expect("tally")
                    .entry(format!("{:?}", status.code()))
                    .or_default() += 1;
                if status.code() != Code::Unavailable {
                    // Which call and what it said, for the failure's message.
                    eprintln!(
                        "{request_id}: {:?} {:?} (retried)",
                        status.code(),
                        status.message()
                    );
                }
                let transient = matches!(
                    status.code(),
                    Code::Unavailable
                        | Code::Unknown
                        | Code::Internal
                        | Code::Cancelled
                        | Code::DeadlineExceeded
                        | Code::Aborted
                );
                if !transient || Instant::now() > deadline {
                    return Err(status);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Every order of `region`, all pages.
async fn all_orders(orders: &mut OrderServiceClient<Channel>, region: &str) -> Vec<Order> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = orders
            .list_orders(ListOrdersRequest {
                region: region.to_owned(),
                page_size: 1000,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("listing {region}'s orders: {status:?}"))
            .into_inner();
        all.extend(page.orders);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// Every acknowledged order is there, once: readable by id with its
/// request's description, a retry of its request returns it, and no two
/// orders of `region` came from one request.
async fn assert_nothing_lost_or_doubled(
    orders: &mut OrderServiceClient<Channel>,
    region: &str,
    acked: &BTreeMap<String, String>,
) {
    for (request_id, id) in acked {
        let order = orders
            .get_order(GetOrderRequest { id: id.clone() })
            .await
            .unwrap_or_else(|status| {
                panic!("acknowledged order {id} ({request_id}) lost: {status:?}")
            })
            .into_inner();
        assert_eq!(&order.description, request_id, "order {id}");
        let again = orders
            .create_order(new_order(region, request_id))
            .await
            .unwrap_or_else(|status| panic!("retrying {request_id}: {status:?}"))
            .into_inner();
        assert_eq!(&again.id, id, "a retry of {request_id} made another order");
    }
    let mut made_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for order in all_orders(orders, region).await {
        made_by.entry(order.description).or_default().push(order.id);
    }
    let doubled: Vec<_> = made_by.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        doubled.is_empty(),
        "requests that made several orders: {doubled:?}"
    );
    for request_id in acked.keys() {
        assert!(
            made_by.contains_key(request_id),
            "{request_id} is not listed"
        );
    }
}

/// `callers` tasks creating orders through HAProxy, each its own request
/// ids (`<prefix>-<caller>-<n>`), until `stop` (or `per_caller` orders).
fn start_load(
    deployment: &Deployment,
    region: &'static str,
    prefix: &'static str,
    callers: usize,
    per_caller: usize,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<Result<(), Status>>> {
    (0..callers)
        .map(|caller| {
            let mut orders = OrderServiceClient::new(deployment.via_proxy());
            let stop = stop.clone();
            let tally = tally.clone();
            tokio::spawn(async move {
                for n in 0..per_caller {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let request_id = format!("{prefix}-{caller}-{n}");
                    create_until_acked(
                        &mut orders,
                        region,
                        &request_id,
                        &tally,
                        Duration::from_secs(90),
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .collect()
}

async fn wait_for_acks(tally: &Tally, count: usize, deployment: &Deployment) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while tally.acked_count() < count {
        assert!(
            Instant::now() < deadline,
            "only {} orders acknowledged in a minute (errors {:?}):\n{}",
            tally.acked_count(),
            tally.errors(),
            deployment.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_replica_loses_and_doubles_no_acknowledged_order() {
    let _heavy = xingji_test_deploy::heavy().await;
    let Some(mut deployment) = Deployment::start().await else {
        return;
    };
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let callers = start_load(&deployment, "east", "kill", 8, 30, stop, tally.clone());

    // In the middle of the load, replica 1 dies without a goodbye.
    wait_for_acks(&tally, 60, &deployment).await;
    deployment.replicas[0].kill9();
    let killed_at = tally.acked_count();
    for caller in callers {
        let result = caller.await.expect("a caller task");
        if let Err(status) = result {
            panic!(
                "a call was never acknowledged: {status:?} (errors {:?})\n{}",
                tally.errors(),
                deployment.logs()
            );
        }
    }
    deployment
        .proxy
        .wait_server("replica-1", "DOWN", Duration::from_secs(10))
        .await;
    let acked = tally.acked();
    assert_eq!(acked.len(), 8 * 30, "every request acknowledged in the end");
    assert!(
        killed_at < acked.len(),
        "the kill came before the load ended"
    );
    println!(
        "{} orders, replica 1 killed after {killed_at}; errors retried: {:?}",
        acked.len(),
        tally.errors()
    );
    let mut orders = OrderServiceClient::new(deployment.via_proxy());
    assert_nothing_lost_or_doubled(&mut orders, "east", &acked).await;
}

/// An outlet network in `region` that dispatches refrigerator repairs: a
/// regional centre, a star centre under it, an engineer of it.
async fn network(channel: Channel, region: &str) {
    let mut outlets = OutletServiceClient::new(channel.clone());
    let mut people = PersonServiceClient::new(channel);
    let outlet = |tier: OutletTier, number: &str, parent_id: &str| Outlet {
        region: region.into(),
        name: format!("{region} {number}"),
        number: number.into(),
        tier: tier as i32,
        class: OutletClass::Standard as i32,
        parent_id: parent_id.into(),
        location: Some(GeoPoint {
            lat: 31.20,
            lon: 121.43,
        }),
        address: "1 Century Avenue".into(),
        product_lines: vec![ProductLine::Refrigerator as i32],
        daily_capacity: if tier == OutletTier::StarCentre {
            100
        } else {
            0
        },
        ..Outlet::default()
    };
    let centre = outlets
        .create_outlet(CreateOutletRequest {
            outlet: Some(outlet(OutletTier::RegionalCentre, "RC-1", "")),
        })
        .await
        .expect("a regional centre")
        .into_inner();
    let star = outlets
        .create_outlet(CreateOutletRequest {
            outlet: Some(outlet(OutletTier::StarCentre, "SC-1", &centre.id)),
        })
        .await
        .expect("a star centre")
        .into_inner();
    people
        .create_person(CreatePersonRequest {
            person: Some(Person {
                region: region.into(),
                outlet_id: star.id,
                name: "Wang Wei".into(),
                phone: "13812345678".into(),
                level: PersonLevel::Engineer as i32,
                skills: vec![Skill {
                    product_line: ProductLine::Refrigerator as i32,
                    level: CertificationLevel::Senior as i32,
                }],
                on_duty: true,
                ..Person::default()
            }),
        })
        .await
        .expect("an engineer");
}

/// The dispatch plugin `region` runs, as replica-side `plugins` says.
async fn dispatch_plugin(plugins: &mut PluginServiceClient<Channel>, region: &str) -> ActivePlugin {
    plugins
        .get_region_plugins(GetRegionPluginsRequest {
            region: region.into(),
        })
        .await
        .unwrap_or_else(|status| panic!("{region}'s plugins: {status:?}"))
        .into_inner()
        .plugins
        .into_iter()
        .find(|p| p.slot == PluginSlot::Dispatch as i32)
        .expect("a dispatch plugin")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_activated_on_one_replica_runs_on_the_other_within_a_second() {
    let _heavy = xingji_test_deploy::heavy().await;
    let Some(deployment) = Deployment::start().await else {
        return;
    };
    network(deployment.direct(1), "north").await;
    let mut on_2 = PluginServiceClient::new(deployment.direct(2));
    let before = dispatch_plugin(&mut on_2, "north").await;
    assert_eq!(
        before.name, "dispatch-nearest",
        "the default, to start with"
    );

    PluginServiceClient::new(deployment.direct(1))
        .activate_plugin(ActivatePluginRequest {
            region: "north".into(),
            slot: PluginSlot::Dispatch as i32,
            name: "dispatch-balanced".into(),
            version: "1.0.0".into(),
            reason: "deployment test".into(),
            params: Vec::new(),
        })
        .await
        .unwrap_or_else(|status| panic!("activating through replica 1: {status:?}"));
    let activated = Instant::now();
    loop {
        let now = dispatch_plugin(&mut on_2, "north").await;
        if now.name == "dispatch-balanced" {
            assert_eq!(now.source, PluginSource::Activation as i32);
            break;
        }
        assert!(
            activated.elapsed() <= Duration::from_secs(1),
            "replica 2 still runs {} a second after replica 1 activated dispatch-balanced:\n{}",
            now.name,
            deployment.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "replica 2 saw the activation after {:?}",
        activated.elapsed()
    );

    // And it dispatches with it.
    let order = OrderServiceClient::new(deployment.direct(2))
        .create_order(new_order("north", "plugin-1"))
        .await
        .unwrap_or_else(|status| panic!("an order through replica 2: {status:?}"))
        .into_inner();
    let dispatched = order
        .history
        .iter()
        .find(|entry| entry.action == "dispatched")
        .unwrap_or_else(|| panic!("not dispatched: {:?}", order.history));
    assert!(
        dispatched.reason.starts_with("dispatch-balanced@1.0.0"),
        "dispatched by: {}",
        dispatched.reason
    );
}

/// Receives `count` events from `stream`, each within 10 s.
async fn receive(
    stream: &mut tonic::Streaming<OrderEvent>,
    count: usize,
    deployment: &Deployment,
) -> Vec<OrderEvent> {
    let mut events = Vec::new();
    while events.len() < count {
        match tokio::time::timeout(Duration::from_secs(10), stream.message()).await {
            Ok(Ok(Some(event))) => events.push(event),
            Ok(Ok(None)) => panic!("the watch ended after {} events", events.len()),
            Ok(Err(status)) => panic!("the watch failed after {} events: {status:?}", events.len()),
            Err(_) => panic!(
                "{} of {count} events in 10 s: {events:?}\n{}",
                events.len(),
                deployment.logs()
            ),
        }
    }
    events
}

/// Creates `count` orders through `orders` one after the other; returns
/// their ids and the events they should make: each order's history, in
/// order (an order's entries are written in one transaction).
async fn create_in_turn(
    orders: &mut OrderServiceClient<Channel>,
    prefix: &str,
    count: usize,
) -> Vec<(String, String)> {
    let mut expected = Vec::new();
    for n in 0..count {
        let order = orders
            .create_order(new_order("south", &format!("{prefix}-{n}")))
            .await
            .unwrap_or_else(|status| panic!("creating through replica 1: {status:?}"))
            .into_inner();
        for entry in &order.history {
            expected.push((order.id.clone(), entry.action.clone()));
        }
    }
    expected
}

fn seen(events: &[OrderEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e.order_id.clone(),
                e.entry
                    .as_ref()
                    .map(|h| h.action.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_on_one_replica_sees_the_other_replicas_orders_once_in_order() {
    let _heavy = xingji_test_deploy::heavy().await;
    let Some(deployment) = Deployment::start().await else {
        return;
    };
    let mut on_1 = OrderServiceClient::new(deployment.direct(1));
    let mut watcher = OrderServiceClient::new(deployment.direct(2));
    let watch = |after: &str| WatchOrdersRequest {
        region: "south".into(),
        after_cursor: after.to_owned(),
        ..Default::default()
    };

    // Live: the watch is open while replica 1 writes.
    let mut stream = watcher
        .watch_orders(watch("0"))
        .await
        .expect("a watch on replica 2")
        .into_inner();
    let first = create_in_turn(&mut on_1, "watch-a", 5).await;
    let mut events = receive(&mut stream, first.len(), &deployment).await;
    assert_eq!(seen(&events), first, "live, from replica 1");
    let cursor = events.last().expect("events").cursor.clone();
    drop(stream);

    // Away: orders made while no one watches, then more once back.
    let mut expected = first;
    expected.extend(create_in_turn(&mut on_1, "watch-b", 5).await);
    let mut stream = watcher
        .watch_orders(watch(&cursor))
        .await
        .expect("the watch again, from the cursor")
        .into_inner();
    let later = create_in_turn(&mut on_1, "watch-c", 5).await;
    expected.extend(later);
    let rest = receive(&mut stream, expected.len() - events.len(), &deployment).await;
    events.extend(rest);
    assert_eq!(seen(&events), expected, "every event once, in commit order");
    // Nothing more comes: no event twice.
    let extra = tokio::time::timeout(Duration::from_secs(1), stream.message()).await;
    assert!(
        !matches!(extra, Ok(Ok(Some(_)))),
        "an event beyond those written: {extra:?}"
    );
    let cursors: BTreeSet<&str> = events.iter().map(|e| e.cursor.as_str()).collect();
    assert_eq!(cursors.len(), events.len(), "a cursor repeated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_restart_under_load_is_unavailable_then_recovered_with_nothing_lost() {
    let _heavy = xingji_test_deploy::heavy().await;
    let Some(deployment) = Deployment::start().await else {
        return;
    };
    if !deployment.cluster.can_restart() {
        tools::skip(
            "restarting PostgreSQL needs a cluster the test started: unset XINGJI_TEST_POSTGRES_URL",
        );
        return;
    }
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let callers = start_load(
        &deployment,
        "west",
        "pg",
        4,
        usize::MAX,
        stop.clone(),
        tally.clone(),
    );
    wait_for_acks(&tally, 20, &deployment).await;

    // Down: each replica answers UNAVAILABLE, for writes and reads, and
    // acknowledges nothing.
    deployment.cluster.stop();
    for n in 1..=2 {
        let mut orders = OrderServiceClient::new(deployment.direct(n));
        let created = orders
            .create_order(new_order("west", &format!("probe-down-{n}")))
            .await;
        match created {
            Err(status) => assert_eq!(
                status.code(),
                Code::Unavailable,
                "replica {n}, database down, CreateOrder: {status:?}"
            ),
            Ok(order) => panic!(
                "replica {n} acknowledged {} with the database down",
                order.get_ref().id
            ),
        }
        let listed = orders
            .list_orders(ListOrdersRequest {
                region: "west".into(),
                ..Default::default()
            })
            .await;
        assert_eq!(
            listed.as_ref().map_err(Status::code).err(),
            Some(Code::Unavailable),
            "replica {n}, database down, ListOrders"
        );
    }
    let acked_while_down = tally.acked_count();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        tally.acked_count(),
        acked_while_down,
        "orders acknowledged with the database down"
    );

    // Back: each replica recovers by itself, then a restart under load.
    deployment.cluster.start_again();
    wait_for_acks(&tally, acked_while_down + 20, &deployment).await;
    deployment.cluster.restart();
    let restarted = tally.acked_count();
    wait_for_acks(&tally, restarted + 20, &deployment).await;
    for n in 1..=2 {
        let mut orders = OrderServiceClient::new(deployment.direct(n));
        let tally = Tally::default();
        create_until_acked(
            &mut orders,
            "west",
            &format!("probe-up-{n}"),
            &tally,
            Duration::from_secs(30),
        )
        .await
        .unwrap_or_else(|status| {
            panic!(
                "replica {n} did not recover: {status:?}\n{}",
                deployment.logs()
            )
        });
    }

    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        if let Err(status) = caller.await.expect("a caller task") {
            panic!(
                "a call was never acknowledged: {status:?}\n{}",
                deployment.logs()
            );
        }
    }
    // Through HAProxy, the kernels' own answers: UNAVAILABLE and nothing
    // else (no INTERNAL for a database away).
    let errors = tally.errors();
    assert!(
        errors.keys().all(|code| code == "Unavailable"),
        "errors other than UNAVAILABLE: {errors:?}"
    );
    assert!(!errors.is_empty(), "the load never met the outage");
    let acked = tally.acked();
    println!(
        "{} orders acknowledged across the outage; errors retried: {errors:?}",
        acked.len()
    );
    let mut orders = OrderServiceClient::new(deployment.via_proxy());
    assert_nothing_lost_or_doubled(&mut orders, "west", &acked).await;
}
