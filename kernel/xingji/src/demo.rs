//! The demo network that `xingji serve --demo` seeds into an empty store:
//! three regions, each a regional centre with star centres and sub-outlets,
//! engineers of every level and licence state, an installed base of
//! appliances (settled installation orders) and some open orders.

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, Audit, Callback, CertificationLevel, Complaint, Customer, GeoPoint, HistoryEntry,
    LicenceEvent, LicenceEventKind, LicenceState, Order, OrderKind, OrderStatus, Outlet,
    OutletClass, OutletGrade, OutletStatus, OutletTier, PartUsed, Person, PersonLevel, ProductLine,
    QualityControl, ServiceReport, Skill, TourNeeds,
};
use xingji_store::{CreateOutcome, OutletFilter, Page, Store, StoreError};

use xingji_core::actor::Actor;
use xingji_core::calendar::{Month, days_from_date, today};
use xingji_core::ids::new_id;
use xingji_core::licence::{self, LICENCE_POINTS};
use xingji_core::orders::history::append;
use xingji_core::orders::lifecycle::Step;
use xingji_core::orders::sla;
use xingji_core::settings::{RegionConfig, SlaTargets};
use xingji_core::{Kernel, KernelError};

struct District {
    name: &'static str,
    road: &'static str,
    lat: f64,
    lon: f64,
}

struct Region {
    id: &'static str,
    city: &'static str,
    code: &'static str,
    class: OutletClass,
    districts: [District; 3],
}

const REGIONS: [Region; 3] = [
    Region {
        id: "shanghai",
        city: "上海市",
        code: "SH",
        class: OutletClass::Flagship,
        districts: [
            District {
                name: "浦东新区",
                road: "张杨路",
                lat: 31.2215,
                lon: 121.5447,
            },
            District {
                name: "徐汇区",
                road: "漕溪北路",
                lat: 31.1885,
                lon: 121.4365,
            },
            District {
                name: "静安区",
                road: "南京西路",
                lat: 31.2286,
                lon: 121.4480,
            },
        ],
    },
    Region {
        id: "qingdao",
        city: "青岛市",
        code: "QD",
        class: OutletClass::Core,
        districts: [
            District {
                name: "市南区",
                road: "香港中路",
                lat: 36.0663,
                lon: 120.3829,
            },
            District {
                name: "崂山区",
                road: "海尔路",
                lat: 36.1074,
                lon: 120.4687,
            },
            District {
                name: "李沧区",
                road: "京口路",
                lat: 36.1456,
                lon: 120.4317,
            },
        ],
    },
    Region {
        id: "beijing",
        city: "北京市",
        code: "BJ",
        class: OutletClass::Flagship,
        districts: [
            District {
                name: "朝阳区",
                road: "建国路",
                lat: 39.9215,
                lon: 116.4431,
            },
            District {
                name: "海淀区",
                road: "中关村大街",
                lat: 39.9593,
                lon: 116.2980,
            },
            District {
                name: "东城区",
                road: "东长安街",
                lat: 39.9288,
                lon: 116.4160,
            },
        ],
    },
];

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰",
];

const ALL_LINES: [ProductLine; 7] = [
    ProductLine::Tv,
    ProductLine::FlatPanelTv,
    ProductLine::Computer,
    ProductLine::Refrigerator,
    ProductLine::WashingMachine,
    ProductLine::AirConditioner,
    ProductLine::WaterHeater,
];

/// A small deterministic generator, so that every demo is the same.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// An offset of up to `km` kilometres, in degrees.
    fn offset(&mut self, km: f64) -> f64 {
        ((self.next() % 2001) as f64 / 1000.0 - 1.0) * km / 111.0
    }
    fn name(&mut self) -> String {
        format!("{}{}", SURNAMES[self.below(12)], GIVEN[self.below(12)])
    }
    fn phone(&mut self) -> String {
        format!("13{}{:08}", 5 + self.below(5), self.next() % 100_000_000)
    }
}

/// The demo's plugin choices, under what the configuration says: Qingdao
/// runs the other variants of dispatch (balanced by grade and load) and of
/// settlement (flat rates), so that the demo shows two regions differing.
pub fn regions(
    mut configured: std::collections::BTreeMap<String, RegionConfig>,
) -> std::collections::BTreeMap<String, RegionConfig> {
    let qingdao = configured.entry("qingdao".to_owned()).or_default();
    for (slot, plugin) in [
        ("dispatch", "dispatch-balanced@1.0.0"),
        ("settlement", "settlement-flat@1.0.0"),
    ] {
        qingdao
            .plugins
            .entry(slot.to_owned())
            .or_insert_with(|| plugin.to_owned());
    }
    configured
}

/// Seeds the demo network if the store has no outlets. Returns whether it
/// seeded.
pub async fn seed_if_empty(store: &dyn Store) -> Result<bool, StoreError> {
    let any = store
        .list_outlets(
            &OutletFilter::default(),
            &Page {
                after: None,
                limit: 1,
            },
        )
        .await?;
    if !any.is_empty() {
        return Ok(false);
    }
    let now = Timestamp::from(std::time::SystemTime::now());
    let mut dice = Dice(2004);
    for region in &REGIONS {
        seed_region(store, region, now, &mut dice).await?;
    }
    Ok(true)
}

async fn seed_region(
    store: &dyn Store,
    region: &Region,
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let centre_location = &region.districts[0];
    let centre = store
        .create_outlet(Outlet {
            id: new_id("out"),
            region: region.id.to_owned(),
            name: format!("{}工贸技术服务中心", region.city),
            number: format!("{}-000", region.code),
            tier: OutletTier::RegionalCentre as i32,
            class: region.class as i32,
            location: Some(GeoPoint {
                lat: centre_location.lat + 0.01,
                lon: centre_location.lon + 0.01,
            }),
            address: format!(
                "{}{}{}1号",
                region.city, centre_location.name, centre_location.road
            ),
            service_radius_minutes: 60,
            product_lines: ALL_LINES.iter().map(|&l| l as i32).collect(),
            daily_capacity: 0,
            status: OutletStatus::Active as i32,
            create_time: Some(now),
            update_time: Some(now),
            ..Outlet::default()
        })
        .await?;

    let mut service_outlets = Vec::new();
    for (d, district) in region.districts.iter().enumerate() {
        let star = store
            .create_outlet(Outlet {
                id: new_id("out"),
                region: region.id.to_owned(),
                name: format!("{}{}第{}星级服务中心", region.city, district.name, d + 1),
                number: format!("{}-{}00", region.code, d + 1),
                tier: OutletTier::StarCentre as i32,
                class: OutletClass::Standard as i32,
                parent_id: centre.id.clone(),
                location: Some(GeoPoint {
                    lat: district.lat,
                    lon: district.lon,
                }),
                address: format!(
                    "{}{}{}{}号",
                    region.city,
                    district.name,
                    district.road,
                    100 + d * 7
                ),
                service_radius_minutes: 30,
                product_lines: ALL_LINES.iter().map(|&l| l as i32).collect(),
                daily_capacity: 40,
                status: OutletStatus::Active as i32,
                grade: [OutletGrade::A, OutletGrade::B, OutletGrade::A][d] as i32,
                create_time: Some(now),
                update_time: Some(now),
                ..Outlet::default()
            })
            .await?;
        service_outlets.push(star.clone());
        for s in 0..2 {
            // Sub-outlets specialise: one in white goods, one in brown goods.
            let lines = if s == 0 {
                vec![
                    ProductLine::Refrigerator,
                    ProductLine::WashingMachine,
                    ProductLine::AirConditioner,
                    ProductLine::WaterHeater,
                ]
            } else {
                vec![
                    ProductLine::Tv,
                    ProductLine::FlatPanelTv,
                    ProductLine::Computer,
                ]
            };
            let sub = store
                .create_outlet(Outlet {
                    id: new_id("out"),
                    region: region.id.to_owned(),
                    name: format!("{}{}社区服务店{}", region.city, district.name, s + 1),
                    number: format!("{}-{}0{}", region.code, d + 1, s + 1),
                    tier: OutletTier::SubOutlet as i32,
                    class: OutletClass::Umbrella as i32,
                    parent_id: star.id.clone(),
                    location: Some(GeoPoint {
                        lat: district.lat + dice.offset(3.0),
                        lon: district.lon + dice.offset(3.0),
                    }),
                    address: format!(
                        "{}{}{}{}号",
                        region.city,
                        district.name,
                        district.road,
                        300 + s * 50
                    ),
                    service_radius_minutes: 30,
                    product_lines: lines.iter().map(|&l| l as i32).collect(),
                    daily_capacity: 15,
                    // One sub-outlet per region is suspended, to show the rule.
                    status: if d == 2 && s == 1 {
                        OutletStatus::Suspended
                    } else {
                        OutletStatus::Active
                    } as i32,
                    grade: if d == 2 && s == 1 {
                        OutletGrade::C
                    } else {
                        OutletGrade::B
                    } as i32,
                    create_time: Some(now),
                    update_time: Some(now),
                    ..Outlet::default()
                })
                .await?;
            service_outlets.push(sub);
        }
    }

    let mut hired = Vec::new();
    let levels = [
        PersonLevel::Technician,
        PersonLevel::Engineer,
        PersonLevel::Senior,
        PersonLevel::Gold,
    ];
    for (o, outlet) in service_outlets.iter().enumerate() {
        let staff = if outlet.tier == OutletTier::StarCentre as i32 {
            4
        } else {
            2
        };
        for p in 0..staff {
            let level = levels[(p + o) % 4];
            // Licence states: mostly normal; one exemplary gold engineer, one
            // on warning and one eliminated in every region.
            // Licences: mostly clean; one exemplary gold engineer, one on
            // warning and one eliminated in every region, by their events.
            let events: &[LicenceEventKind] = match (o, p) {
                (0, 3) => &[LicenceEventKind::Delight, LicenceEventKind::Delight],
                (1, 1) => &[
                    LicenceEventKind::PromiseBroken,
                    LicenceEventKind::NonStandardService,
                    LicenceEventKind::PromiseBroken,
                ],
                (4, 0) => &[
                    LicenceEventKind::Overcharging,
                    LicenceEventKind::Overcharging,
                ],
                _ if dice.below(3) == 0 => &[LicenceEventKind::NonStandardService],
                _ => &[],
            };
            let skills = outlet
                .product_lines
                .iter()
                .enumerate()
                .filter(|(i, _)| (i + p) % 3 != 2 || outlet.product_lines.len() <= 3)
                .map(|(i, &line)| Skill {
                    product_line: line,
                    level: [
                        CertificationLevel::Junior,
                        CertificationLevel::Intermediate,
                        CertificationLevel::Senior,
                    ][(level as usize - 1 + i) % 3] as i32,
                })
                .collect();
            let location = outlet.location.unwrap_or_default();
            let person = store
                .create_person(Person {
                    id: new_id("per"),
                    region: region.id.to_owned(),
                    outlet_id: outlet.id.clone(),
                    name: dice.name(),
                    phone: dice.phone(),
                    level: level as i32,
                    skills,
                    licence_points: LICENCE_POINTS,
                    licence_state: LicenceState::Normal as i32,
                    on_duty: p != staff - 1 || o % 2 == 0,
                    location: Some(GeoPoint {
                        lat: location.lat + dice.offset(2.0),
                        lon: location.lon + dice.offset(2.0),
                    }),
                    create_time: Some(now),
                    update_time: Some(now),
                    ..Person::default()
                })
                .await?;
            let mut person = person;
            for &kind in events {
                person = record_licence(store, person, kind, now).await?;
            }
            hired.push(person);
        }
    }

    // The installed base: settled installation orders, purchases from 2015
    // to 2025, and a few open requests of other kinds.
    for n in 0..30 {
        let district = &region.districts[n % 3];
        let line = ALL_LINES[dice.below(ALL_LINES.len())];
        let open = n >= 24;
        let kind = if open {
            [
                OrderKind::Repair,
                OrderKind::Maintenance,
                OrderKind::Consultation,
            ][n % 3]
        } else {
            OrderKind::Installation
        };
        let status = if open {
            OrderStatus::Intake
        } else {
            OrderStatus::Settled
        };
        let mut history = vec![HistoryEntry {
            time: Some(now),
            actor: "demo".to_owned(),
            action: "created".to_owned(),
            status: OrderStatus::Intake as i32,
            reason: String::new(),
            from_status: OrderStatus::Unspecified as i32,
        }];
        if !open {
            history.push(HistoryEntry {
                time: Some(now),
                actor: "demo".to_owned(),
                action: "imported".to_owned(),
                status: status as i32,
                reason: "installed and settled before this system".to_owned(),
                from_status: OrderStatus::Intake as i32,
            });
        }
        let order = Order {
            id: new_id("ord"),
            region: region.id.to_owned(),
            kind: kind as i32,
            status: status as i32,
            customer: Some(Customer {
                name: dice.name(),
                phone: dice.phone(),
                address: format!(
                    "{}{}{}{}弄{}号",
                    region.city,
                    district.name,
                    district.road,
                    10 + dice.below(90),
                    1 + dice.below(30)
                ),
                location: Some(GeoPoint {
                    lat: district.lat + dice.offset(4.0),
                    lon: district.lon + dice.offset(4.0),
                }),
                vip: n % 7 == 0,
            }),
            appliance: Some(Appliance {
                product_line: line as i32,
                model: format!(
                    "{}-{}",
                    ["LE", "BCD", "XQG", "KFR", "ES", "H"][dice.below(6)],
                    100 + dice.below(900)
                ),
                serial: format!("{}{:010}", region.code, dice.next() % 10_000_000_000),
                purchase_date: Some(Date {
                    year: 2015 + dice.below(11) as i32,
                    month: 1 + dice.below(12) as i32,
                    day: 1 + dice.below(28) as i32,
                }),
                price_fen: (1_000 + dice.below(9_000)) as i64 * 100,
            }),
            description: match kind {
                OrderKind::Repair => "不制冷，压缩机有异响",
                OrderKind::Maintenance => "年度保养",
                OrderKind::Consultation => "咨询使用方法",
                _ => "新机安装",
            }
            .to_owned(),
            history,
            create_time: Some(now),
            update_time: Some(now),
            ..Order::default()
        };
        let mut order = order;
        sla::stamp(&mut order, &SlaTargets::default());
        let request_id = format!("demo-{}", order.id);
        store
            .create_order(&request_id, request_id.as_bytes(), order)
            .await?;
    }
    seed_history(store, region, &service_outlets, &hired, now, dice).await?;
    seed_tour_visits(store, region, &service_outlets, now, dice).await
}

/// Tour visits waiting in the villages around the region's last star
/// centre, 10 to 30 km out, for `TourService.PlanTours`.
async fn seed_tour_visits(
    store: &dyn Store,
    region: &Region,
    outlets: &[Outlet],
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let Some(star) = outlets
        .iter()
        .rev()
        .find(|o| o.tier == OutletTier::StarCentre as i32)
    else {
        return Ok(());
    };
    let centre = star.location.unwrap_or_default();
    for n in 0..8 {
        let angle = n as f64 * std::f64::consts::PI / 4.0;
        let km = 10.0 + dice.below(20) as f64;
        let mut order = Order {
            id: new_id("ord"),
            region: region.id.to_owned(),
            kind: OrderKind::TourVisit as i32,
            status: OrderStatus::Intake as i32,
            customer: Some(Customer {
                name: dice.name(),
                phone: dice.phone(),
                address: format!(
                    "{}郊区{}村",
                    region.city,
                    ["东", "西", "南", "北"][n as usize % 4]
                ),
                location: Some(GeoPoint {
                    lat: centre.lat + km * angle.sin() / 111.0,
                    lon: centre.lon + km * angle.cos() / 90.0,
                }),
                vip: false,
            }),
            appliance: Some(Appliance {
                product_line: ALL_LINES[dice.below(ALL_LINES.len())] as i32,
                model: format!("M-{}", 100 + dice.below(900)),
                serial: format!("{}T{:09}", region.code, dice.next() % 1_000_000_000),
                purchase_date: Some(Date {
                    year: 2018 + dice.below(6) as i32,
                    month: 1 + dice.below(12) as i32,
                    day: 1 + dice.below(28) as i32,
                }),
                price_fen: (1_500 + dice.below(5_000)) as i64 * 100,
            }),
            description: "巡回下乡：检修保养".to_owned(),
            history: vec![HistoryEntry {
                time: Some(now),
                actor: "call-centre:demo".to_owned(),
                action: "created".to_owned(),
                status: OrderStatus::Intake as i32,
                reason: String::new(),
                from_status: OrderStatus::Unspecified as i32,
            }],
            create_time: Some(now),
            update_time: Some(now),
            tour: Some(TourNeeds {
                service_minutes: 30 + 10 * (n % 3),
                demand: 1,
                ..TourNeeds::default()
            }),
            ..Order::default()
        };
        sla::stamp(&mut order, &SlaTargets::default());
        let request_id = format!("demo-{}", order.id);
        store
            .create_order(&request_id, request_id.as_bytes(), order)
            .await?;
    }
    Ok(())
}

/// Jiujiu contracts for the demo's younger installed appliances, sold
/// through each region's warranty plugin as `WarrantyService.Purchase`
/// would (run once, after the plugins start, on a freshly seeded store).
pub async fn sell_contracts(kernel: &Kernel) -> Result<(), KernelError> {
    let today = today();
    for region in &REGIONS {
        let filter = xingji_store::OrderFilter {
            region: Some(region.id.to_owned()),
            kind: Some(OrderKind::Installation as i32),
            ..Default::default()
        };
        let page = Page {
            after: None,
            limit: 1000,
        };
        let orders = kernel
            .store
            .list_orders(&filter, &page)
            .await
            .map_err(|error| KernelError::store(error, "order", ""))?;
        let young = orders.iter().filter(|o| {
            o.appliance
                .as_ref()
                .and_then(|a| a.purchase_date.as_ref())
                .and_then(days_from_date)
                .is_some_and(|bought| today - bought < 2 * 365)
        });
        for (n, order) in young.take(3).enumerate() {
            let Some(appliance) = order.appliance.clone() else {
                continue;
            };
            let customer_phone = order
                .customer
                .as_ref()
                .map(|c| c.phone.clone())
                .unwrap_or_default();
            let request = xingji_api::v1::PurchaseRequest {
                region: region.id.to_owned(),
                request_id: format!("demo-{}", appliance.serial),
                appliance: Some(appliance),
                years: 1 + n as i32 % 3,
                customer_phone,
                sold_date: None,
            };
            kernel.warranty().purchase(request).await?;
        }
    }
    Ok(())
}

/// Records a licence event as `RecordLicenceEvent` does.
async fn record_licence(
    store: &dyn Store,
    person: Person,
    kind: LicenceEventKind,
    now: Timestamp,
) -> Result<Person, StoreError> {
    let state = LicenceState::try_from(person.licence_state).unwrap_or(LicenceState::Normal);
    let Ok((delta, points, state)) = licence::apply(person.licence_points, state, kind) else {
        return Ok(person);
    };
    let event = LicenceEvent {
        id: new_id("lic"),
        person_id: person.id.clone(),
        kind: kind as i32,
        note: "demo".to_owned(),
        time: Some(now),
        actor: "hq:demo".to_owned(),
        points_delta: delta,
        points_after: points,
        state_after: state as i32,
        ..LicenceEvent::default()
    };
    let person = Person {
        licence_points: points,
        licence_state: state as i32,
        ..person
    };
    Ok(store.record_licence_event(person, event).await?.0)
}

/// The two months before this one, lived: every service outlet's orders
/// taken through the whole lifecycle with the same `lifecycle::append` the
/// RPCs use, back-dated, and quality-checked, ready for the month close;
/// complaints, mystery-customer audits, and a few orders left open at each
/// month's end. In every region one sub-outlet serves badly both months
/// (late, unsatisfied customers, complaints), so that closing the two
/// months suspends it. (A seeded order is written whole, with one event for
/// its last history entry.)
async fn seed_history(
    store: &dyn Store,
    region: &Region,
    outlets: &[Outlet],
    staff: &[Person],
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let this_month = Month::containing(now.seconds);
    let targets = SlaTargets::default();
    let at = |seconds: i64| Timestamp { seconds, nanos: 0 };
    for month in [this_month.previous().previous(), this_month.previous()] {
        let (start, end) = (month.start(), month.end());
        let days = (end - start) / 86_400;
        for (o, outlet) in outlets.iter().enumerate() {
            let engineers: Vec<&Person> = staff
                .iter()
                .filter(|p| {
                    p.outlet_id == outlet.id && p.licence_state != LicenceState::Eliminated as i32
                })
                .collect();
            if engineers.is_empty() || outlet.status != OutletStatus::Active as i32 {
                continue;
            }
            let bad = o == 2;
            let count = 6 + dice.below(6);
            let mut done = Vec::new();
            for n in 0..count {
                let engineer = engineers[n % engineers.len()];
                let line = outlet.product_lines[dice.below(outlet.product_lines.len())];
                let kind = [
                    OrderKind::Repair,
                    OrderKind::Repair,
                    OrderKind::Installation,
                    OrderKind::Maintenance,
                ][dice.below(4)];
                // The last order of each outlet comes in on the month's last
                // day and is still waiting at its end.
                let open = n + 1 == count;
                let created = if open {
                    end - 3 * 3600
                } else {
                    start
                        + (dice.below(days as usize - 3) as i64) * 86_400
                        + 9 * 3600
                        + dice.below(8 * 3600) as i64
                };
                let district = &region.districts[o % 3];
                let mut order = Order {
                    id: new_id("ord"),
                    region: region.id.to_owned(),
                    kind: kind as i32,
                    status: OrderStatus::Intake as i32,
                    customer: Some(Customer {
                        name: dice.name(),
                        phone: dice.phone(),
                        address: format!(
                            "{}{}{}{}号",
                            region.city,
                            district.name,
                            district.road,
                            1 + dice.below(400)
                        ),
                        location: outlet.location.map(|l| GeoPoint {
                            lat: l.lat + dice.offset(2.0),
                            lon: l.lon + dice.offset(2.0),
                        }),
                        vip: n % 9 == 0,
                    }),
                    appliance: Some(Appliance {
                        product_line: line,
                        model: format!("M-{}", 100 + dice.below(900)),
                        serial: format!("{}{:010}", region.code, dice.next() % 10_000_000_000),
                        purchase_date: Some(Date {
                            year: 2016 + dice.below(6) as i32,
                            month: 1 + dice.below(12) as i32,
                            day: 1 + dice.below(28) as i32,
                        }),
                        price_fen: (2_000 + dice.below(8_000)) as i64 * 100,
                    }),
                    description: "演示工单".to_owned(),
                    history: vec![HistoryEntry {
                        time: Some(at(created)),
                        actor: "system:crm".to_owned(),
                        action: "created".to_owned(),
                        status: OrderStatus::Intake as i32,
                        reason: String::new(),
                        from_status: OrderStatus::Unspecified as i32,
                    }],
                    create_time: Some(at(created)),
                    ..Order::default()
                };
                let outlet_actor = Actor::Outlet(outlet.id.clone());
                let engineer_actor = Actor::Engineer(engineer.id.clone());
                let call_centre = Actor::CallCentre("demo".to_owned());
                let mut t = created + 600;
                order.outlet_id.clone_from(&outlet.id);
                order.engineer_id.clone_from(&engineer.id);
                let step = |order: &mut Order, t: i64, actor: &Actor, step: Step, reason: &str| {
                    let from = order.status();
                    let to = step.target(order.kind(), from).unwrap_or(from);
                    append(
                        order,
                        at(t),
                        actor,
                        step.action(),
                        to,
                        reason.to_owned(),
                        &targets,
                    );
                };
                step(&mut order, t, &call_centre, Step::Dispatch, "demo dispatch");
                if !open {
                    t += 1200;
                    step(&mut order, t, &outlet_actor, Step::Accept, "");
                    t += if bad { 5 * 3600 } else { 1800 };
                    let appointment = t + 86_400;
                    order.appointment_time = Some(at(appointment));
                    step(
                        &mut order,
                        t,
                        &engineer_actor,
                        Step::Contact,
                        "appointment made",
                    );
                    t = appointment + if bad && n % 2 == 0 { 3 * 3600 } else { -600 };
                    step(&mut order, t, &engineer_actor, Step::Arrive, "");
                    t += 3600;
                    let part = dice.below(2) == 0;
                    order.service_report = Some(ServiceReport {
                        diagnosis: "演示诊断".to_owned(),
                        work_done: "演示维修".to_owned(),
                        parts: if part {
                            vec![PartUsed {
                                part_number: format!("00{}", 64_000_000 + dice.below(1000)),
                                name: "演示备件".to_owned(),
                                quantity: 1,
                                old_part_due_return: true,
                            }]
                        } else {
                            Vec::new()
                        },
                        ..ServiceReport::default()
                    });
                    step(&mut order, t, &engineer_actor, Step::Complete, "");
                    let satisfied = if bad {
                        dice.below(10) < 4
                    } else {
                        dice.below(20) != 0
                    };
                    t += 86_400;
                    order.quality_control = Some(QualityControl {
                        callbacks: vec![Callback {
                            time: Some(at(t)),
                            reached: true,
                            satisfied,
                            note: String::new(),
                        }],
                        old_part_returned: part && (!bad || dice.below(2) == 0),
                        finding: String::new(),
                        finding_agreed: dice.below(10) != 0,
                    });
                    step(
                        &mut order,
                        t,
                        &call_centre,
                        Step::Callback,
                        if satisfied {
                            "customer satisfied"
                        } else {
                            "customer not satisfied"
                        },
                    );
                    t += 3600;
                    step(
                        &mut order,
                        t,
                        &call_centre,
                        Step::CheckQuality,
                        "demo quality control",
                    );
                }
                order.update_time = Some(at(t));
                let request_id = format!("demo-{}", order.id);
                let order = match store
                    .create_order(&request_id, request_id.as_bytes(), order)
                    .await?
                {
                    CreateOutcome::Created(order) | CreateOutcome::Existing { order, .. } => order,
                };
                done.push(order);
            }
            // Complaints about the month's work: two at the bad outlet (one
            // major), now and then one elsewhere.
            let complaints = if bad {
                2
            } else {
                usize::from(dice.below(4) == 0)
            };
            for (c, original) in done.iter().take(complaints).enumerate() {
                let created = original
                    .update_time
                    .map_or(start, |t| t.seconds)
                    .min(end - 3600);
                let mut complaint = Order {
                    id: new_id("ord"),
                    kind: OrderKind::Complaint as i32,
                    status: OrderStatus::Intake as i32,
                    complaint: Some(Complaint {
                        original_order_id: original.id.clone(),
                        summary: "上门迟到".to_owned(),
                        major: bad && c == 0,
                        ..Complaint::default()
                    }),
                    history: vec![HistoryEntry {
                        time: Some(at(created)),
                        actor: "call-centre:demo".to_owned(),
                        action: "created".to_owned(),
                        status: OrderStatus::Intake as i32,
                        reason: String::new(),
                        from_status: OrderStatus::Unspecified as i32,
                    }],
                    create_time: Some(at(created)),
                    update_time: Some(at(created)),
                    service_report: None,
                    quality_control: None,
                    appointment_time: None,
                    sla: None,
                    ..original.clone()
                };
                complaint.version = 0;
                sla::stamp(&mut complaint, &targets);
                let request_id = format!("demo-{}", complaint.id);
                store
                    .create_order(&request_id, request_id.as_bytes(), complaint)
                    .await?;
            }
            // A mystery customer visits every star centre once a month.
            if outlet.tier == OutletTier::StarCentre as i32 {
                store
                    .create_audit(Audit {
                        id: new_id("aud"),
                        outlet_id: outlet.id.clone(),
                        region: region.id.to_owned(),
                        visit_time: Some(at(start + 10 * 86_400 + 36_000)),
                        score: 70 + dice.below(26) as i32,
                        findings: "演示暗访".to_owned(),
                        actor: "auditor:demo".to_owned(),
                        create_time: Some(now),
                        ..Audit::default()
                    })
                    .await?;
            }
        }
    }
    Ok(())
}
