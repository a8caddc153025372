//! The two months before this one, lived: every service outlet's orders
//! taken through the whole lifecycle with the same `history::append` the
//! RPCs use, back-dated, and quality-checked, ready for the month close;
//! complaints, mystery-customer audits, and a few orders left open at each
//! month's end. In every region one sub-outlet serves badly both months
//! (late, unsatisfied customers, complaints), so that closing the two
//! months suspends it. (A seeded order is written whole, with one event for
//! its last history entry.)

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, Audit, Callback, Complaint, Customer, GeoPoint, LicenceState, Order, OrderKind,
    OrderStatus, Outlet, OutletStatus, OutletTier, PartUsed, Person, QualityControl, ServiceReport,
};
use xingji_store::{StoreError, prelude::*};

use xingji_core::actor::{Actor, Role};
use xingji_core::calendar::Month;
use xingji_core::ids::new_id;
use xingji_core::orders::history::append;
use xingji_core::orders::lifecycle::Step;
use xingji_core::orders::sla;
use xingji_core::settings::SlaTargets;

use super::data::{Dice, District, Region, seeded};
use super::orders::{created_entry, store_order};

/// One service outlet in one lived month.
struct OutletMonth<'a> {
    region: &'a Region,
    outlet: &'a Outlet,
    /// Where its customers live.
    district: &'a District,
    /// Whether this is the outlet that serves badly.
    bad: bool,
    start: i64,
    end: i64,
}

/// Lives the two months before the one of `now` at every active service
/// outlet of the region that has engineers left.
pub(super) async fn seed_history(
    store: &dyn Store,
    region: &Region,
    outlets: &[Outlet],
    staff: &[Person],
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let this_month = Month::containing(now.seconds);
    for month in [this_month.previous().previous(), this_month.previous()] {
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
            let lived = OutletMonth {
                region,
                outlet,
                district: &region.districts[o % 3],
                bad: o == 2,
                start: month.start(),
                end: month.end(),
            };
            let done = seed_month_orders(store, &lived, &engineers, dice).await?;
            seed_complaints(store, &lived, &done, dice).await?;
            // A mystery customer visits every star centre once a month.
            if outlet.tier == OutletTier::StarCentre as i32 {
                seed_audit(store, &lived, now, dice).await?;
            }
        }
    }
    Ok(())
}

fn at(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

/// The outlet's orders of the month, shared out among its engineers;
/// returns them as stored.
async fn seed_month_orders(
    store: &dyn Store,
    lived: &OutletMonth<'_>,
    engineers: &[&Person],
    dice: &mut Dice,
) -> Result<Vec<Order>, StoreError> {
    let count = 6 + dice.below(6);
    let mut done = Vec::with_capacity(count);
    for n in 0..count {
        let engineer = engineers[n % engineers.len()];
        // The last order of each outlet comes in on the month's last day
        // and is still waiting at its end.
        let open = n + 1 == count;
        let mut order = intake(lived, n, open, dice);
        order.outlet_id.clone_from(&lived.outlet.id);
        order.engineer_id.clone_from(&engineer.id);
        let t = live(&mut order, lived, engineer, n, open, dice);
        order.update_time = Some(at(t));
        done.push(store_order(store, order).await?);
    }
    Ok(done)
}

/// The `n`th order of the month as it came in: a request for one of the
/// outlet's product lines, from a customer nearby.
fn intake(lived: &OutletMonth<'_>, n: usize, open: bool, dice: &mut Dice) -> Order {
    let (region, outlet, district) = (lived.region, lived.outlet, lived.district);
    let line = outlet.product_lines[dice.below(outlet.product_lines.len())];
    let kind = [
        OrderKind::Repair,
        OrderKind::Repair,
        OrderKind::Installation,
        OrderKind::Maintenance,
    ][dice.below(4)];
    let days = (lived.end - lived.start) / 86_400;
    let created = if open {
        lived.end - 3 * 3600
    } else {
        lived.start
            + (dice.below(days as usize - 3) as i64) * 86_400
            + 9 * 3600
            + dice.below(8 * 3600) as i64
    };
    Order {
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
            vip: n.is_multiple_of(9),
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
        history: vec![created_entry(at(created), "partner:crm")],
        create_time: Some(at(created)),
        ..Order::default()
    }
}

/// Takes one of the lifecycle's steps at time `t`, as the RPCs do.
fn step(order: &mut Order, t: i64, actor: &Actor, step: Step, reason: &str) {
    let from = order.status();
    let to = step.target(order.kind(), from).unwrap_or(from);
    append(
        order,
        at(t),
        actor,
        step.action(),
        to,
        reason.to_owned(),
        &SlaTargets::default(),
    );
}

/// Dispatches the order ten minutes after it came in and, unless it is
/// left open, serves and checks it. Returns the time of its last step.
fn live(
    order: &mut Order,
    lived: &OutletMonth<'_>,
    engineer: &Person,
    n: usize,
    open: bool,
    dice: &mut Dice,
) -> i64 {
    let created = order.create_time.map_or(lived.start, |t| t.seconds);
    let t = created + 600;
    let call_centre = Actor::new(Role::CallCentre, "demo", &[]);
    step(order, t, &call_centre, Step::Dispatch, "demo dispatch");
    if open {
        return t;
    }
    let (t, part) = serve(order, lived, engineer, t, n, dice);
    check(order, lived.bad, t, part, dice)
}

/// The outlet accepts; the engineer makes an appointment for the next day,
/// arrives (the bad outlet late every other time), and completes the work,
/// with a part now and then. Returns the time of completion and whether a
/// part was used.
fn serve(
    order: &mut Order,
    lived: &OutletMonth<'_>,
    engineer: &Person,
    mut t: i64,
    n: usize,
    dice: &mut Dice,
) -> (i64, bool) {
    let bad = lived.bad;
    let outlet_actor = Actor::new(Role::Outlet, lived.outlet.id.clone(), &[]);
    let engineer_actor = Actor::new(Role::Engineer, engineer.id.clone(), &[]);
    t += 1200;
    step(order, t, &outlet_actor, Step::Accept, "");
    t += if bad { 5 * 3600 } else { 1800 };
    let appointment = t + 86_400;
    order.appointment_time = Some(at(appointment));
    step(order, t, &engineer_actor, Step::Contact, "appointment made");
    t = appointment
        + if bad && n.is_multiple_of(2) {
            3 * 3600
        } else {
            -600
        };
    step(order, t, &engineer_actor, Step::Arrive, "");
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
    step(order, t, &engineer_actor, Step::Complete, "");
    (t, part)
}

/// The call centre calls the customer back a day after completion (at the
/// bad outlet most are not satisfied) and closes quality control an hour
/// later. Returns the time of that last step.
fn check(order: &mut Order, bad: bool, mut t: i64, part: bool, dice: &mut Dice) -> i64 {
    let call_centre = Actor::new(Role::CallCentre, "demo", &[]);
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
        order,
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
        order,
        t,
        &call_centre,
        Step::CheckQuality,
        "demo quality control",
    );
    t
}

/// Complaints about the month's work: two at the bad outlet (one major),
/// now and then one elsewhere, each about one of its first orders.
async fn seed_complaints(
    store: &dyn Store,
    lived: &OutletMonth<'_>,
    done: &[Order],
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let complaints = if lived.bad {
        2
    } else {
        usize::from(dice.below(4) == 0)
    };
    for (c, original) in done.iter().take(complaints).enumerate() {
        let mut complaint = complaint_about(original, lived, lived.bad && c == 0);
        sla::stamp(&mut complaint, &SlaTargets::default());
        store_order(store, complaint).await?;
    }
    Ok(())
}

/// A complaint order about `original`, made when it was last touched (but
/// within the month), for the same customer and appliance.
fn complaint_about(original: &Order, lived: &OutletMonth<'_>, major: bool) -> Order {
    let created = original
        .update_time
        .map_or(lived.start, |t| t.seconds)
        .min(lived.end - 3600);
    Order {
        id: new_id("ord"),
        kind: OrderKind::Complaint as i32,
        status: OrderStatus::Intake as i32,
        complaint: Some(Complaint {
            original_order_id: original.id.clone(),
            summary: "上门迟到".to_owned(),
            major,
            ..Complaint::default()
        }),
        history: vec![created_entry(at(created), "call-centre:demo")],
        create_time: Some(at(created)),
        update_time: Some(at(created)),
        service_report: None,
        quality_control: None,
        appointment_time: None,
        sla: None,
        version: 0,
        ..original.clone()
    }
}

/// The month's mystery-customer audit of a star centre, on the 11th.
async fn seed_audit(
    store: &dyn Store,
    lived: &OutletMonth<'_>,
    now: Timestamp,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    let region = lived.region.id;
    let target = format!("outlets/{}", lived.outlet.id);
    store
        .create_audit(
            Audit {
                id: new_id("aud"),
                outlet_id: lived.outlet.id.clone(),
                region: lived.region.id.to_owned(),
                visit_time: Some(at(lived.start + 10 * 86_400 + 36_000)),
                score: 70 + dice.below(26) as i32,
                findings: "演示暗访".to_owned(),
                actor: "auditor:demo".to_owned(),
                create_time: Some(now),
                ..Audit::default()
            },
            seeded(target, region),
        )
        .await?;
    Ok(())
}
