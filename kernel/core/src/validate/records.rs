//! Checks of whole records as partners send them: outlets, people, orders
//! and service reports. Each check names the field by its full path from the
//! request and says what is wrong; every violation of a request is reported
//! at once. These rules need only the record itself; the rules that need the
//! store (a referenced record exists, in the same region) are in
//! `crate::records`.

use std::collections::HashSet;

use xingji_api::v1::{
    Appliance, CertificationLevel, Customer, Order, OrderKind, Outlet, OutletClass, OutletGrade,
    OutletStatus, OutletTier, Person, PersonLevel, ProductLine, ServiceReport, TourNeeds,
};

use super::fields::Violations;

/// The longest name (of an outlet, person or customer), in characters.
pub const MAX_NAME: usize = 100;
/// The longest address, in characters.
pub const MAX_ADDRESS: usize = 200;
/// The longest order description, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// The longest model code or serial number.
pub const MAX_CODE: usize = 64;
/// The longest service radius, in minutes of travel.
pub const MAX_RADIUS_MINUTES: i32 = 240;
/// The largest daily capacity of one outlet.
pub const MAX_DAILY_CAPACITY: i32 = 10_000;
/// The most parts one service report lists.
pub const MAX_PARTS: usize = 50;
/// The longest reason or note on a transition or an activation.
pub const MAX_REASON: usize = 500;

/// The service report of a completed order.
pub fn service_report(v: &mut Violations, field: &str, report: &ServiceReport) {
    v.text(
        &format!("{field}.diagnosis"),
        &report.diagnosis,
        1,
        MAX_DESCRIPTION,
    );
    v.text(
        &format!("{field}.work_done"),
        &report.work_done,
        1,
        MAX_DESCRIPTION,
    );
    if report.charge_fen < 0 {
        v.add(format!("{field}.charge_fen"), "must be 0 or more");
    }
    if report.parts.len() > MAX_PARTS {
        v.add(
            format!("{field}.parts"),
            format!("must list at most {MAX_PARTS} parts"),
        );
    }
    for (i, part) in report.parts.iter().enumerate().take(MAX_PARTS) {
        let at = format!("{field}.parts[{i}]");
        let number = &part.part_number;
        if number.is_empty() || number.len() > 64 || !number.chars().all(|c| c.is_ascii_graphic()) {
            v.add(
                format!("{at}.part_number"),
                "must be 1 to 64 printable ASCII characters: the maker's part number",
            );
        }
        v.text(&format!("{at}.name"), &part.name, 0, 100);
        if !(1..=100).contains(&part.quantity) {
            v.add(format!("{at}.quantity"), "must be 1 to 100");
        }
    }
}

/// Checks an outlet as a whole. `field` is its path in the request.
pub fn outlet(v: &mut Violations, field: &str, outlet: &Outlet) {
    v.region(&format!("{field}.region"), &outlet.region);
    v.text(&format!("{field}.name"), &outlet.name, 1, MAX_NAME);
    v.text(&format!("{field}.number"), &outlet.number, 1, 32);
    v.enumeration::<OutletTier>(&format!("{field}.tier"), outlet.tier, false);
    v.enumeration::<OutletClass>(&format!("{field}.class"), outlet.class, false);
    v.location(&format!("{field}.location"), outlet.location.as_ref(), true);
    v.text(&format!("{field}.address"), &outlet.address, 1, MAX_ADDRESS);
    if !(1..=MAX_RADIUS_MINUTES).contains(&outlet.service_radius_minutes) {
        v.add(
            format!("{field}.service_radius_minutes"),
            format!(
                "must be from 1 to {MAX_RADIUS_MINUTES} minutes, not {}",
                outlet.service_radius_minutes
            ),
        );
    }
    product_lines(v, &format!("{field}.product_lines"), &outlet.product_lines);
    if !(0..=MAX_DAILY_CAPACITY).contains(&outlet.daily_capacity) {
        v.add(
            format!("{field}.daily_capacity"),
            format!(
                "must be from 0 to {MAX_DAILY_CAPACITY}, not {}",
                outlet.daily_capacity
            ),
        );
    }
    v.enumeration::<OutletStatus>(&format!("{field}.status"), outlet.status, false);
    v.enumeration::<OutletGrade>(&format!("{field}.grade"), outlet.grade, true);
    let tier = OutletTier::try_from(outlet.tier).unwrap_or_default();
    if outlet.parent_id.is_empty() && parent_tier(tier).is_some_and(|(_, required)| required) {
        v.add(
            format!("{field}.parent_id"),
            format!("is required for a {}", tier_words(tier)),
        );
    }
    if !outlet.parent_id.is_empty() && tier == OutletTier::Hq {
        v.add(
            format!("{field}.parent_id"),
            "must be empty for headquarters",
        );
    }
}

/// The tier a parent of `tier` must have, and whether a parent is required.
pub fn parent_tier(tier: OutletTier) -> Option<(OutletTier, bool)> {
    match tier {
        OutletTier::Unspecified | OutletTier::Hq => None,
        OutletTier::RegionalCentre => Some((OutletTier::Hq, false)),
        OutletTier::StarCentre => Some((OutletTier::RegionalCentre, true)),
        OutletTier::SubOutlet => Some((OutletTier::StarCentre, true)),
    }
}

/// A tier in words, for messages.
pub fn tier_words(tier: OutletTier) -> &'static str {
    match tier {
        OutletTier::Unspecified => "outlet of unspecified tier",
        OutletTier::Hq => "headquarters",
        OutletTier::RegionalCentre => "regional centre",
        OutletTier::StarCentre => "star centre",
        OutletTier::SubOutlet => "sub-outlet",
    }
}

fn product_lines(v: &mut Violations, field: &str, lines: &[i32]) {
    let mut seen = HashSet::new();
    for (i, &line) in lines.iter().enumerate() {
        v.enumeration::<ProductLine>(&format!("{field}[{i}]"), line, false);
        if !seen.insert(line) {
            v.add(format!("{field}[{i}]"), "is listed twice");
        }
    }
}

/// Checks a person as a whole. `field` is its path in the request.
pub fn person(v: &mut Violations, field: &str, person: &Person) {
    v.region(&format!("{field}.region"), &person.region);
    if person.outlet_id.is_empty() {
        v.add(format!("{field}.outlet_id"), "is required");
    }
    v.text(&format!("{field}.name"), &person.name, 1, MAX_NAME);
    v.phone(&format!("{field}.phone"), &person.phone);
    v.enumeration::<PersonLevel>(&format!("{field}.level"), person.level, false);
    let mut seen = HashSet::new();
    for (i, skill) in person.skills.iter().enumerate() {
        let skill_field = format!("{field}.skills[{i}]");
        v.enumeration::<ProductLine>(
            &format!("{skill_field}.product_line"),
            skill.product_line,
            false,
        );
        v.enumeration::<CertificationLevel>(&format!("{skill_field}.level"), skill.level, false);
        if !seen.insert(skill.product_line) {
            v.add(
                format!("{skill_field}.product_line"),
                "has a skill already: one per product line",
            );
        }
    }
    v.location(
        &format!("{field}.location"),
        person.location.as_ref(),
        false,
    );
}

/// Checks an order as a partner submits it. `today` is in days since the
/// epoch, for the purchase date.
pub fn order(v: &mut Violations, field: &str, order: &Order, today: i64) {
    v.region(&format!("{field}.region"), &order.region);
    v.enumeration::<OrderKind>(&format!("{field}.kind"), order.kind, false);
    match &order.customer {
        None => v.add(format!("{field}.customer"), "is required"),
        Some(customer) => self::customer(v, &format!("{field}.customer"), customer),
    }
    match &order.appliance {
        None => v.add(format!("{field}.appliance"), "is required"),
        Some(appliance) => self::appliance(v, &format!("{field}.appliance"), appliance, today),
    }
    v.text(
        &format!("{field}.description"),
        &order.description,
        0,
        MAX_DESCRIPTION,
    );
    if !order.engineer_id.is_empty() && order.outlet_id.is_empty() {
        v.add(
            format!("{field}.outlet_id"),
            "is required with an engineer_id: the engineer's outlet",
        );
    }
    let is_complaint = order.kind() == OrderKind::Complaint;
    match &order.complaint {
        Some(complaint) if is_complaint => {
            if complaint.original_order_id.is_empty() {
                v.add(
                    format!("{field}.complaint.original_order_id"),
                    "is required: the order complained about",
                );
            }
            v.text(
                &format!("{field}.complaint.summary"),
                &complaint.summary,
                0,
                MAX_DESCRIPTION,
            );
        }
        None if is_complaint => v.add(
            format!("{field}.complaint"),
            "is required for a complaint order",
        ),
        Some(_) => v.add(format!("{field}.complaint"), "is only for complaint orders"),
        None => {}
    }
    if let Some(tour) = &order.tour {
        tour_needs(v, &format!("{field}.tour"), tour);
    }
}

/// What a tour visit needs: the bounds `order.proto` documents.
fn tour_needs(v: &mut Violations, field: &str, tour: &TourNeeds) {
    if !(0..=480).contains(&tour.service_minutes) {
        v.add(
            format!("{field}.service_minutes"),
            format!("must be 0 (45) to 480, not {}", tour.service_minutes),
        );
    }
    if !(0..=1000).contains(&tour.demand) {
        v.add(
            format!("{field}.demand"),
            format!("must be 0 (1) to 1000, not {}", tour.demand),
        );
    }
    let from = tour
        .available_from
        .filter(|t| v.time(&format!("{field}.available_from"), t));
    let to = tour
        .available_to
        .filter(|t| v.time(&format!("{field}.available_to"), t));
    if let (Some(from), Some(to)) = (from, to)
        && (to.seconds, to.nanos) <= (from.seconds, from.nanos)
    {
        v.add(
            format!("{field}.available_to"),
            "must be after available_from",
        );
    }
}

fn customer(v: &mut Violations, field: &str, customer: &Customer) {
    v.text(&format!("{field}.name"), &customer.name, 1, MAX_NAME);
    v.phone(&format!("{field}.phone"), &customer.phone);
    v.text(
        &format!("{field}.address"),
        &customer.address,
        1,
        MAX_ADDRESS,
    );
    v.location(
        &format!("{field}.location"),
        customer.location.as_ref(),
        true,
    );
}

fn appliance(v: &mut Violations, field: &str, appliance: &Appliance, today: i64) {
    v.enumeration::<ProductLine>(
        &format!("{field}.product_line"),
        appliance.product_line,
        false,
    );
    v.text(&format!("{field}.model"), &appliance.model, 0, MAX_CODE);
    v.text(&format!("{field}.serial"), &appliance.serial, 0, MAX_CODE);
    if let Some(date) = &appliance.purchase_date {
        v.past_date(&format!("{field}.purchase_date"), date, today);
    }
    if appliance.price_fen < 0 {
        v.add(format!("{field}.price_fen"), "must not be negative");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::days_from_date;
    use xingji_api::google::r#type::Date;
    use xingji_api::v1::{Complaint, GeoPoint, Skill};

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

    fn fields_of(check: impl FnOnce(&mut Violations)) -> Vec<String> {
        let mut v = Violations::default();
        check(&mut v);
        v.fields().into_iter().map(str::to_owned).collect()
    }

    fn good_outlet() -> Outlet {
        Outlet {
            region: "shanghai".into(),
            name: "No.1 Star Service Centre".into(),
            number: "SH-001".into(),
            tier: OutletTier::StarCentre as i32,
            class: OutletClass::Flagship as i32,
            parent_id: "out_parent".into(),
            location: Some(GeoPoint {
                lat: 31.23,
                lon: 121.47,
            }),
            address: "1 Nanjing Road".into(),
            service_radius_minutes: 30,
            product_lines: vec![ProductLine::Tv as i32, ProductLine::Refrigerator as i32],
            daily_capacity: 40,
            status: OutletStatus::Active as i32,
            ..Default::default()
        }
    }

    #[test]
    fn outlets() {
        assert!(fields_of(|v| outlet(v, "outlet", &good_outlet())).is_empty());
        let bad = Outlet {
            region: "Shanghai".into(),
            tier: 0,
            class: 99,
            parent_id: String::new(),
            service_radius_minutes: 0,
            product_lines: vec![1, 1, 0],
            daily_capacity: -1,
            status: 0,
            ..good_outlet()
        };
        assert_eq!(
            fields_of(|v| outlet(v, "outlet", &bad)),
            [
                "outlet.region",
                "outlet.tier",
                "outlet.class",
                "outlet.service_radius_minutes",
                "outlet.product_lines[1]",
                "outlet.product_lines[2]",
                "outlet.daily_capacity",
                "outlet.status",
            ]
        );
        let orphan = Outlet {
            parent_id: String::new(),
            ..good_outlet()
        };
        assert_eq!(
            fields_of(|v| outlet(v, "outlet", &orphan)),
            ["outlet.parent_id"]
        );
        let hq = Outlet {
            tier: OutletTier::Hq as i32,
            ..good_outlet()
        };
        assert_eq!(
            fields_of(|v| outlet(v, "outlet", &hq)),
            ["outlet.parent_id"]
        );
    }

    #[test]
    fn people() {
        let good = Person {
            region: "shanghai".into(),
            outlet_id: "out_1".into(),
            name: "Wang Wei".into(),
            phone: "13812345678".into(),
            level: PersonLevel::Senior as i32,
            skills: vec![Skill {
                product_line: 1,
                level: 3,
            }],
            ..Default::default()
        };
        assert!(fields_of(|v| person(v, "person", &good)).is_empty());
        let bad = Person {
            outlet_id: String::new(),
            phone: "555".into(),
            level: 0,
            skills: vec![
                Skill {
                    product_line: 1,
                    level: 0,
                },
                Skill {
                    product_line: 1,
                    level: 1,
                },
            ],
            ..good
        };
        assert_eq!(
            fields_of(|v| person(v, "person", &bad)),
            [
                "person.outlet_id",
                "person.phone",
                "person.level",
                "person.skills[0].level",
                "person.skills[1].product_line",
            ]
        );
    }

    #[test]
    fn orders() {
        let today = days_from_date(&date(2026, 11, 28)).unwrap_or_default();
        let good = Order {
            region: "shanghai".into(),
            kind: OrderKind::Repair as i32,
            customer: Some(Customer {
                name: "Li Na".into(),
                phone: "13912345678".into(),
                address: "8 Huaihai Road".into(),
                location: Some(GeoPoint {
                    lat: 31.22,
                    lon: 121.46,
                }),
                vip: false,
            }),
            appliance: Some(Appliance {
                product_line: ProductLine::WashingMachine as i32,
                purchase_date: Some(date(2022, 5, 1)),
                price_fen: 329_900,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(fields_of(|v| order(v, "order", &good, today)).is_empty());
        let bad = Order {
            kind: OrderKind::Complaint as i32,
            engineer_id: "per_1".into(),
            customer: Some(Customer {
                location: Some(GeoPoint {
                    lat: 100.0,
                    lon: 0.0,
                }),
                ..good.customer.clone().unwrap_or_default()
            }),
            appliance: Some(Appliance {
                price_fen: -1,
                purchase_date: Some(date(2027, 1, 1)),
                ..Default::default()
            }),
            ..good.clone()
        };
        assert_eq!(
            fields_of(|v| order(v, "order", &bad, today)),
            [
                "order.customer.location.lat",
                "order.appliance.product_line",
                "order.appliance.purchase_date",
                "order.appliance.price_fen",
                "order.outlet_id",
                "order.complaint",
            ]
        );
        let stray = Order {
            complaint: Some(Complaint::default()),
            ..good
        };
        assert_eq!(
            fields_of(|v| order(v, "order", &stray, today)),
            ["order.complaint"]
        );
    }
}
