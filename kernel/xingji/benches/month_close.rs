//! The month close at network scale: one region of 5,500 outlets and
//! 50,000 engineers with 1,000,000 orders in one month (2025-10), closed
//! through `MonthCloseService.CloseMonth` on a real server, with the
//! default evaluation and settlement plugins in the sandbox.
//!
//! `cargo bench -p xingji --bench month_close` prints the close's wall time
//! and the server process's peak resident memory during it
//! (`RUST_LOG=info,xingji_store=debug` adds where the time went). The network is
//! generated once (a few minutes) into the target directory and copied for
//! each run, since a close writes; `XINGJI_ORDERS=100000` makes a smaller
//! one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use prost_types::Timestamp;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xingji::config::Config;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::*;
use xingji_core::actor::{Actor, Role};
use xingji_core::calendar::Month;
use xingji_core::orders::history::append;
use xingji_core::orders::lifecycle::Step;
use xingji_core::settings::SlaTargets;
use xingji_store_sqlite::SqliteStore;

const REGION: &str = "bench";
const MONTH: &str = "2025-10";
const OUTLETS: usize = 5_500;
const ENGINEERS: usize = 50_000;

/// A small deterministic generator: the same network every time.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

fn network(ids: &mut ulid::Generator) -> (Vec<Outlet>, Vec<Person>) {
    let mut id = |prefix: &str| format!("{prefix}_{}", ids.generate().expect("ulid"));
    let lines = vec![
        ProductLine::Tv as i32,
        ProductLine::Refrigerator as i32,
        ProductLine::WashingMachine as i32,
        ProductLine::AirConditioner as i32,
    ];
    let mut outlets: Vec<Outlet> = Vec::with_capacity(OUTLETS);
    for i in 0..OUTLETS {
        let (tier, parent_id) = match i {
            0 => (OutletTier::RegionalCentre, String::new()),
            1..=500 => (OutletTier::StarCentre, outlets[0].id.clone()),
            _ => (OutletTier::SubOutlet, outlets[1 + i % 500].id.clone()),
        };
        outlets.push(Outlet {
            id: id("out"),
            region: REGION.into(),
            name: format!("outlet {i}"),
            number: format!("B{i:05}"),
            tier: tier as i32,
            class: OutletClass::Standard as i32,
            parent_id,
            location: Some(GeoPoint {
                lat: 30.0 + (i % 100) as f64 * 0.02,
                lon: 120.0 + (i / 100) as f64 * 0.02,
            }),
            address: format!("{i} Bench Road"),
            product_lines: lines.clone(),
            daily_capacity: 40,
            service_radius_minutes: 60,
            status: OutletStatus::Active as i32,
            grade: OutletGrade::B as i32,
            ..Outlet::default()
        });
    }
    let people = (0..ENGINEERS)
        .map(|i| Person {
            id: id("per"),
            region: REGION.into(),
            outlet_id: outlets[i % OUTLETS].id.clone(),
            name: format!("engineer {i}"),
            phone: "13812345678".into(),
            level: PersonLevel::Engineer as i32,
            skills: lines
                .iter()
                .map(|&product_line| Skill {
                    product_line,
                    level: CertificationLevel::Senior as i32,
                })
                .collect(),
            on_duty: true,
            licence_points: 12,
            licence_state: LicenceState::Normal as i32,
            ..Person::default()
        })
        .collect();
    (outlets, people)
}

/// Order `n` of the month, lived through the lifecycle as the RPCs would:
/// nine in ten quality-checked (to settle), the rest completed and waiting
/// for callbacks, or still open at the month's end.
fn order(
    n: usize,
    ids: &mut ulid::Generator,
    outlets: &[Outlet],
    people: &[Person],
    dice: &mut Dice,
) -> Order {
    let month = Month::parse(MONTH).expect("month");
    let sla = SlaTargets::default();
    let engineer = &people[dice.below(ENGINEERS as u64) as usize];
    let outlet_id = engineer.outlet_id.clone();
    let location = outlets[n % OUTLETS].location;
    let created =
        month.start() + dice.below((month.end() - month.start() - 4 * 86_400) as u64) as i64;
    let kind = if n.is_multiple_of(5) {
        OrderKind::Installation
    } else {
        OrderKind::Repair
    };
    let mut order = Order {
        id: format!("ord_{}", ids.generate().expect("ulid")),
        region: REGION.into(),
        kind: kind as i32,
        status: OrderStatus::Intake as i32,
        customer: Some(Customer {
            name: "Li Na".into(),
            phone: "021-64871234".into(),
            address: "88 Caoxi North Road".into(),
            location,
            vip: n.is_multiple_of(50),
        }),
        appliance: Some(Appliance {
            product_line: ProductLine::Refrigerator as i32,
            model: "BCD-458".into(),
            // Some machines come back within the month: repeat repairs and
            // the part rule have work to do.
            serial: format!("SN{:010}", dice.below(800_000)),
            purchase_date: Some(xingji_api::google::r#type::Date {
                year: 2021,
                month: 6,
                day: 18,
            }),
            price_fen: 459_900,
        }),
        description: "does not cool".into(),
        history: vec![HistoryEntry {
            time: Some(at(created)),
            actor: "partner:crm".into(),
            action: "created".into(),
            status: OrderStatus::Intake as i32,
            reason: String::new(),
            from_status: OrderStatus::Unspecified as i32,
            repeats: 0,
        }],
        create_time: Some(at(created)),
        outlet_id: outlet_id.clone(),
        engineer_id: engineer.id.clone(),
        ..Order::default()
    };
    let outlet_actor = Actor::new(Role::Outlet, outlet_id, &[REGION]);
    let engineer_actor = Actor::new(Role::Engineer, engineer.id.clone(), &[REGION]);
    let call_centre = Actor::new(Role::CallCentre, "bench", &[REGION]);
    let step = |order: &mut Order, t: i64, actor: &Actor, step: Step| {
        let to = step
            .target(order.kind(), order.status())
            .expect("a legal step");
        append(order, at(t), actor, step.action(), to, String::new(), &sla);
    };
    let mut t = created + 600;
    step(&mut order, t, &Actor::Kernel, Step::Dispatch);
    let fate = dice.below(20);
    if fate == 0 {
        return order; // open at the month's end
    }
    t += 1200;
    step(&mut order, t, &outlet_actor, Step::Accept);
    t += 1800;
    order.appointment_time = Some(at(t + 86_400));
    step(&mut order, t, &engineer_actor, Step::Contact);
    t += 86_400 + if dice.below(10) == 0 { 3600 } else { -600 };
    step(&mut order, t, &engineer_actor, Step::Arrive);
    t += 3600;
    let part = dice.below(3) == 0;
    order.service_report = Some(ServiceReport {
        diagnosis: "compressor relay".into(),
        work_done: "replaced the relay".into(),
        parts: if part {
            vec![PartUsed {
                part_number: "0064000123".into(),
                name: "relay".into(),
                quantity: 1,
                old_part_due_return: true,
            }]
        } else {
            Vec::new()
        },
        ..ServiceReport::default()
    });
    step(&mut order, t, &engineer_actor, Step::Complete);
    if fate == 1 {
        return order; // completed, callbacks pending
    }
    t += 86_400;
    order.quality_control = Some(QualityControl {
        callbacks: vec![Callback {
            time: Some(at(t)),
            reached: true,
            satisfied: dice.below(20) != 0,
            note: String::new(),
        }],
        old_part_returned: part && dice.below(10) != 0,
        finding: String::new(),
        finding_agreed: dice.below(10) != 0,
    });
    step(&mut order, t, &call_centre, Step::Callback);
    t += 3600;
    step(&mut order, t, &call_centre, Step::CheckQuality);
    order.update_time = Some(at(t));
    order
}

/// The generated data directory, made once per size and kept in the target
/// directory.
async fn generated(orders: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("month-close-v1-{orders}"));
    let done = dir.join("complete");
    if done.exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data dir");
    let started = Instant::now();
    let store = SqliteStore::open(&dir.join(xingji::server::DATABASE_FILE))
        .await
        .expect("store");
    let mut ids = ulid::Generator::new();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let (outlets, people) = network(&mut ids);
    store
        .import(outlets.clone(), people.clone(), Vec::new())
        .await
        .expect("import the network");
    let chunk = 50_000;
    for first in (0..orders).step_by(chunk) {
        let batch = (first..(first + chunk).min(orders))
            .map(|n| xingji_core::orders::sla::indexed(order(n, &mut ids, &outlets, &people, &mut dice)))
            .collect();
        store
            .import(Vec::new(), Vec::new(), batch)
            .await
            .expect("import orders");
        eprintln!("generated {} orders", (first + chunk).min(orders));
    }
    drop(store);
    // Let the pool's connections close and checkpoint the WAL.
    tokio::time::sleep(Duration::from_secs(2)).await;
    std::fs::write(&done, b"").expect("stamp");
    eprintln!(
        "generated the network in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    dir
}

/// Peak resident memory of this process since the last reset, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let orders: usize = std::env::var("XINGJI_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    // `RUST_LOG=info` shows the close's phases (gather, plugins, commit).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(async {
        let source = generated(orders).await;
        let data = tempfile::tempdir().expect("temp dir");
        for file in ["xingji.db", "xingji.db-wal"] {
            if source.join(file).exists() {
                std::fs::copy(source.join(file), data.path().join(file)).expect("copy");
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let config = Config {
            data_dir: data.path().to_owned(),
            ..Config::default()
        };
        // Headquarters closes the month, with a token of the server's own
        // issuer (whose key is made here, before the server reads it).
        let token = xingji::tokens::embedded_issuer(&config)
            .expect("the embedded issuer")
            .expect("enabled by default")
            .issue(xingji_identity::TokenRequest {
                subject: "bench".into(),
                role: "hq".into(),
                ttl: Duration::from_secs(24 * 3600),
                audience: config.identity.audience.clone(),
                ..Default::default()
            })
            .expect("a token");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            xingji::server::serve(&config, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        // Serving once the plugins are compiled: the close is timed alone.
        let channel = loop {
            if let Ok(channel) = Channel::from_shared(url.clone()).expect("url").connect().await {
                let status = HealthClient::new(channel.clone())
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .map(|r| r.into_inner().status);
                if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                    break channel;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut client = MonthCloseServiceClient::new(channel)
            .max_decoding_message_size(256 << 20);
        // Resets VmHWM, so the peak below is the close's.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let started = Instant::now();
        let mut request = tonic::Request::new(CloseMonthRequest {
            region: REGION.into(),
            month: MONTH.into(),
            dry_run: false,
        });
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("metadata"),
        );
        let close = client
            .close_month(request)
            .await
            .expect("the close")
            .into_inner();
        let took = started.elapsed();
        let peak = peak_rss_mib();
        println!(
            "month close of {orders} orders, {} outlets, {} engineers paid: {:.1} s, {} orders settled, peak RSS {:.0} MiB",
            close.outlets.len(),
            close.engineers.len(),
            took.as_secs_f64(),
            close.settled_orders,
            peak,
        );
        let _ = stop.send(());
        server.await.expect("the server stops");
    });
}
