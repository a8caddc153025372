//! The demo's orders of today: the installed base of appliances (settled
//! installation orders), a few open requests, and tour visits waiting in
//! the villages around a star centre. Also the helpers every seeded order
//! goes through.

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, Customer, GeoPoint, HistoryEntry, Order, OrderKind, OrderStatus, Outlet, OutletTier,
    ProductLine, TourNeeds,
};
use xingji_store::{CreateOutcome, StoreError, prelude::*};

use xingji_core::ids::new_id;
use xingji_core::orders::sla;
use xingji_core::settings::SlaTargets;

use super::data::{ALL_LINES, Dice, District, Region, seeded};

/// The first entry of a seeded order's history: created, in intake.
pub(super) fn created_entry(time: Timestamp, actor: &str) -> HistoryEntry {
    HistoryEntry {
        time: Some(time),
        actor: actor.to_owned(),
        action: "created".to_owned(),
        status: OrderStatus::Intake as i32,
        reason: String::new(),
        from_status: OrderStatus::Unspecified as i32,
        repeats: 0,
    }
}

/// Writes a seeded order whole, under a request id of its own; returns it
/// as stored.
pub(super) async fn store_order(store: &dyn Store, order: Order) -> Result<Order, StoreError> {
    let request_id = format!("demo-{}", order.id);
    let target = format!("orders/{}", order.id);
    let audit = seeded(target, &order.region);
    match store
        .create_order(&request_id, request_id.as_bytes(), sla::indexed(order), audit)
        .await?
    {
        CreateOutcome::Created(order) | CreateOutcome::Existing { order, .. } => Ok(order),
    }
}

/// The installed base: settled installation orders, purchases from 2015
/// to 2025, and a few open requests of other kinds.
pub(super) async fn seed_installed_base(
    store: &dyn Store,
    region: &Region,
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    for n in 0..30 {
        let mut order = installed_order(region, n, now, dice);
        sla::stamp(&mut order, &SlaTargets::default());
        store_order(store, order).await?;
    }
    Ok(())
}

/// The `n`th order of the installed base: the last six are open requests.
fn installed_order(region: &Region, n: usize, now: Timestamp, dice: &mut Dice) -> Order {
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
    let mut history = vec![created_entry(now, "demo")];
    if !open {
        history.push(HistoryEntry {
            time: Some(now),
            actor: "demo".to_owned(),
            action: "imported".to_owned(),
            status: status as i32,
            reason: "installed and settled before this system".to_owned(),
            from_status: OrderStatus::Intake as i32,
            repeats: 0,
        });
    }
    // The customer is drawn before the appliance, as the demo always has.
    let customer = installed_customer(region, district, n, dice);
    Order {
        id: new_id("ord"),
        region: region.id.to_owned(),
        kind: kind as i32,
        status: status as i32,
        customer: Some(customer),
        appliance: Some(installed_appliance(region, line, dice)),
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
    }
}

fn installed_customer(region: &Region, district: &District, n: usize, dice: &mut Dice) -> Customer {
    Customer {
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
        vip: n.is_multiple_of(7),
    }
}

fn installed_appliance(region: &Region, line: ProductLine, dice: &mut Dice) -> Appliance {
    Appliance {
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
    }
}

/// Tour visits waiting in the villages around the region's first star
/// centre (by id, as `outlets list --region R --tier star-centre
/// --page-size 1` shows it), 10 to 30 km out, for `TourService.PlanTours`.
pub(super) async fn seed_tour_visits(
    store: &dyn Store,
    region: &Region,
    outlets: &[Outlet],
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    // By id rather than by position, so that the README's lookup finds it.
    let Some(star) = outlets
        .iter()
        .filter(|o| o.tier == OutletTier::StarCentre as i32)
        .min_by(|a, b| a.id.cmp(&b.id))
    else {
        return Ok(());
    };
    let centre = star.location.unwrap_or_default();
    for n in 0..8 {
        let mut order = tour_visit(region, centre, n, now, dice);
        sla::stamp(&mut order, &SlaTargets::default());
        store_order(store, order).await?;
    }
    Ok(())
}

/// The `n`th of eight tour visits, one every 45° around `centre`.
fn tour_visit(region: &Region, centre: GeoPoint, n: i32, now: Timestamp, dice: &mut Dice) -> Order {
    let angle = f64::from(n) * std::f64::consts::PI / 4.0;
    let km = 10.0 + dice.below(20) as f64;
    Order {
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
        history: vec![created_entry(now, "call-centre:demo")],
        create_time: Some(now),
        update_time: Some(now),
        tour: Some(TourNeeds {
            service_minutes: 30 + 10 * (n % 3),
            demand: 1,
            ..TourNeeds::default()
        }),
        ..Order::default()
    }
}
