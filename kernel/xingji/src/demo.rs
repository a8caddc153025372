//! The demo network that `xingji serve --demo` seeds into an empty store:
//! three regions, each a regional centre with star centres and sub-outlets,
//! engineers of every level and licence state, an installed base of
//! appliances (settled installation orders) and some open orders.

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, CertificationLevel, Customer, GeoPoint, HistoryEntry, LicenceState, Order,
    OrderKind, OrderStatus, Outlet, OutletClass, OutletGrade, OutletStatus, OutletTier, Person,
    PersonLevel, ProductLine, Skill,
};
use xingji_store::{OutletFilter, Page, Store, StoreError};

use crate::services::new_id;

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
            let (points, state) = match (o, p) {
                (0, 3) => (12, LicenceState::Exemplary),
                (1, 1) => (4, LicenceState::Warning),
                (4, 0) => (0, LicenceState::Eliminated),
                _ => (12 - (dice.below(3) as i32), LicenceState::Normal),
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
            store
                .create_person(Person {
                    id: new_id("per"),
                    region: region.id.to_owned(),
                    outlet_id: outlet.id.clone(),
                    name: dice.name(),
                    phone: dice.phone(),
                    level: level as i32,
                    skills,
                    licence_points: points,
                    licence_state: state as i32,
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
        crate::sla::stamp(&mut order, &crate::sla::SlaTargets::default());
        let request_id = format!("demo-{}", order.id);
        store
            .create_order(&request_id, request_id.as_bytes(), order)
            .await?;
    }
    Ok(())
}
