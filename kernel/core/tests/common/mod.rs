//! A kernel for tests at the core's boundary: a real SQLite store in a temp
//! dir, the real bundled plugins, no gRPC server.

#![allow(dead_code)] // each test file uses its share

use std::collections::BTreeMap;
use std::sync::Arc;

use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, CertificationLevel, CreateOrderRequest, CreateOutletRequest, CreatePersonRequest,
    Customer, GeoPoint, Order, OrderKind, Outlet, OutletClass, OutletTier, Person, PersonLevel,
    ProductLine, Skill,
};
use xingji_core::actor::{Actor, Role};
use xingji_core::plugins::{Bundled, PluginSets};
use xingji_core::regions::Regions;
use xingji_core::settings::RegionConfig;
use xingji_core::{Kernel, KernelError, Options};
use xingji_store::prelude::*;
use xingji_store_sqlite::SqliteStore;

/// A kernel over a fresh store, and what keeps it alive.
pub struct TestKernel {
    pub kernel: Arc<Kernel>,
    pub dir: tempfile::TempDir,
    _stop: tokio::sync::watch::Sender<bool>,
}

/// A kernel serving `regions` (declared in its settings), dispatching on
/// intake as `options` says.
pub async fn kernel(regions: &[&str], options: Options) -> TestKernel {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("xingji.db"))
            .await
            .expect("open the store"),
    );
    let settings: BTreeMap<String, RegionConfig> = regions
        .iter()
        .map(|r| (r.to_string(), RegionConfig::default()))
        .collect();
    let regions = Arc::new(
        Regions::load(settings, store.clone())
            .await
            .expect("regions"),
    );
    // Compiled plugins are cached across the tests of this crate.
    let artifacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("core-artifacts");
    let bundled = Bundled {
        plugins: xingji_bundled::EMBEDDED,
        defaults: xingji_bundled::DEFAULT_SET,
    };
    let plugins = PluginSets::start(
        store.clone(),
        artifacts,
        regions.clone(),
        &bundled,
        &Default::default(),
    )
    .await
    .expect("plugins");
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let kernel = Kernel::new(store, regions, plugins, options, stopping)
        .await
        .expect("kernel");
    TestKernel {
        kernel: Arc::new(kernel),
        dir,
        _stop: stop,
    }
}

/// A region's network: a regional centre, a star centre under it serving
/// refrigerators, and `engineers` on duty there.
pub struct Network {
    pub centre: Outlet,
    pub star: Outlet,
    pub engineers: Vec<Person>,
}

pub async fn network(kernel: &Kernel, region: &str, engineers: usize) -> Network {
    let outlet = |number: &str, tier: OutletTier, parent: &str| Outlet {
        region: region.into(),
        name: format!("{region} {number}"),
        number: number.into(),
        tier: tier as i32,
        class: OutletClass::Standard as i32,
        parent_id: parent.into(),
        location: Some(GeoPoint {
            lat: 31.23,
            lon: 121.47,
        }),
        address: "1 Century Avenue".into(),
        product_lines: vec![ProductLine::Refrigerator as i32],
        daily_capacity: 40,
        ..Outlet::default()
    };
    let create = |outlet: Outlet| async move {
        kernel
            .outlets()
            .create(
                &hq(),
                CreateOutletRequest {
                    outlet: Some(outlet),
                },
            )
            .await
            .expect("create outlet")
    };
    let centre = create(outlet("RC-1", OutletTier::RegionalCentre, "")).await;
    let star = create(outlet("SC-1", OutletTier::StarCentre, &centre.id)).await;
    let mut people = Vec::new();
    for n in 0..engineers {
        let person = Person {
            region: region.into(),
            outlet_id: star.id.clone(),
            name: format!("Engineer {n}"),
            phone: "13812345678".into(),
            level: PersonLevel::Engineer as i32,
            skills: vec![Skill {
                product_line: ProductLine::Refrigerator as i32,
                level: CertificationLevel::Senior as i32,
            }],
            on_duty: true,
            ..Person::default()
        };
        let person = kernel
            .people()
            .create(
                &hq(),
                CreatePersonRequest {
                    person: Some(person),
                },
            )
            .await
            .expect("create person");
        people.push(person);
    }
    Network {
        centre,
        star,
        engineers: people,
    }
}

/// A repair order for a refrigerator bought in 2021, near the star centre.
pub fn repair(region: &str) -> Order {
    Order {
        region: region.into(),
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
        description: "does not cool".into(),
        ..Order::default()
    }
}

/// Creates `order` by the call centre, with a fresh request id.
pub async fn create(kernel: &Kernel, order: Order) -> Result<Order, KernelError> {
    kernel
        .orders()
        .create(
            &call_centre(),
            CreateOrderRequest {
                request_id: xingji_core::ids::new_id("test"),
                order: Some(order),
            },
        )
        .await
}

/// The call centre of the test regions.
pub fn call_centre() -> Actor {
    Actor::new(Role::CallCentre, "07", &["shanghai", "beijing"])
}

pub fn hq() -> Actor {
    Actor::hq("boss")
}

/// The outlet `id`'s staff, of `region`.
pub fn as_outlet(id: &str, region: &str) -> Actor {
    Actor::new(Role::Outlet, id, &[region])
}

/// The engineer `id`, of `region`.
pub fn as_engineer(id: &str, region: &str) -> Actor {
    Actor::new(Role::Engineer, id, &[region])
}

/// The history actions of `order`, in order.
pub fn actions(order: &Order) -> Vec<&str> {
    order.history.iter().map(|e| e.action.as_str()).collect()
}
