//! Every conversion between the kernel's records (the API's messages) and
//! the plugins' WIT types (`wit/`), in one place. Proto enums become WIT
//! enums, product-line lists become flags, and unspecified values map to
//! the nearest neutral value (validated records have none).

use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, CertificationLevel, GeoPoint, Incentive, LicenceEventKind, LicenceState, Order,
    OrderKind, OrderStatus, Outlet, OutletGrade, OutletStatus, OutletTier, Person, PersonLevel,
    ProductLine, WarrantyContract,
};
use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::{
    CandidateEngineer, CandidateOutlet, Certifications, DispatchOrder,
};
use xingji_plugin_host::bindings::evaluation::exports::xingji::plugins::evaluator::ChargeKind;
use xingji_plugin_host::bindings::host::xingji::plugins::month::Incentive as WitIncentive;
use xingji_plugin_host::bindings::host::xingji::plugins::types as wit;
use xingji_plugin_host::bindings::warranty::exports::xingji::plugins::warranty_plans as warranty;

/// A point.
pub fn geo(point: GeoPoint) -> wit::Geo {
    wit::Geo {
        lat: point.lat,
        lon: point.lon,
    }
}

/// One product line.
pub fn product_line(value: i32) -> wit::ProductLine {
    match ProductLine::try_from(value) {
        Ok(ProductLine::Tv) => wit::ProductLine::Tv,
        Ok(ProductLine::FlatPanelTv) => wit::ProductLine::FlatPanelTv,
        Ok(ProductLine::Computer) => wit::ProductLine::Computer,
        Ok(ProductLine::WashingMachine) => wit::ProductLine::WashingMachine,
        Ok(ProductLine::AirConditioner) => wit::ProductLine::AirConditioner,
        Ok(ProductLine::WaterHeater) => wit::ProductLine::WaterHeater,
        Ok(ProductLine::Refrigerator | ProductLine::Unspecified) | Err(_) => {
            wit::ProductLine::Refrigerator
        }
    }
}

/// A set of product lines.
pub fn product_lines(values: impl Iterator<Item = i32>) -> wit::ProductLines {
    values.fold(wit::ProductLines::empty(), |set, value| {
        set | match ProductLine::try_from(value) {
            Ok(ProductLine::Tv) => wit::ProductLines::TV,
            Ok(ProductLine::FlatPanelTv) => wit::ProductLines::FLAT_PANEL_TV,
            Ok(ProductLine::Computer) => wit::ProductLines::COMPUTER,
            Ok(ProductLine::Refrigerator) => wit::ProductLines::REFRIGERATOR,
            Ok(ProductLine::WashingMachine) => wit::ProductLines::WASHING_MACHINE,
            Ok(ProductLine::AirConditioner) => wit::ProductLines::AIR_CONDITIONER,
            Ok(ProductLine::WaterHeater) => wit::ProductLines::WATER_HEATER,
            Ok(ProductLine::Unspecified) | Err(_) => wit::ProductLines::empty(),
        }
    })
}

/// An order kind.
pub fn order_kind(value: i32) -> wit::OrderKind {
    match OrderKind::try_from(value) {
        Ok(OrderKind::Installation) => wit::OrderKind::Installation,
        Ok(OrderKind::Maintenance) => wit::OrderKind::Maintenance,
        Ok(OrderKind::Consultation) => wit::OrderKind::Consultation,
        Ok(OrderKind::BirthdayVisit) => wit::OrderKind::BirthdayVisit,
        Ok(OrderKind::TourVisit) => wit::OrderKind::TourVisit,
        Ok(OrderKind::Complaint) => wit::OrderKind::Complaint,
        Ok(OrderKind::Repair | OrderKind::Unspecified) | Err(_) => wit::OrderKind::Repair,
    }
}

/// The proto order kind of a WIT one.
pub fn order_kind_from(kind: wit::OrderKind) -> OrderKind {
    match kind {
        wit::OrderKind::Installation => OrderKind::Installation,
        wit::OrderKind::Repair => OrderKind::Repair,
        wit::OrderKind::Maintenance => OrderKind::Maintenance,
        wit::OrderKind::Consultation => OrderKind::Consultation,
        wit::OrderKind::BirthdayVisit => OrderKind::BirthdayVisit,
        wit::OrderKind::TourVisit => OrderKind::TourVisit,
        wit::OrderKind::Complaint => OrderKind::Complaint,
    }
}

/// The proto product line of a WIT one.
pub fn product_line_from(line: wit::ProductLine) -> ProductLine {
    match line {
        wit::ProductLine::Tv => ProductLine::Tv,
        wit::ProductLine::FlatPanelTv => ProductLine::FlatPanelTv,
        wit::ProductLine::Computer => ProductLine::Computer,
        wit::ProductLine::Refrigerator => ProductLine::Refrigerator,
        wit::ProductLine::WashingMachine => ProductLine::WashingMachine,
        wit::ProductLine::AirConditioner => ProductLine::AirConditioner,
        wit::ProductLine::WaterHeater => ProductLine::WaterHeater,
    }
}

/// An outlet's status (unspecified counts as suspended: it takes no orders).
pub fn outlet_status(value: i32) -> wit::OutletStatus {
    match OutletStatus::try_from(value) {
        Ok(OutletStatus::Active) => wit::OutletStatus::Active,
        Ok(OutletStatus::Eliminated) => wit::OutletStatus::Eliminated,
        _ => wit::OutletStatus::Suspended,
    }
}

/// An outlet's grade.
pub fn grade(value: i32) -> wit::Grade {
    match OutletGrade::try_from(value) {
        Ok(OutletGrade::A) => wit::Grade::A,
        Ok(OutletGrade::B) => wit::Grade::B,
        Ok(OutletGrade::C) => wit::Grade::C,
        _ => wit::Grade::Ungraded,
    }
}

/// A licence state.
pub fn licence_state(value: i32) -> wit::LicenceState {
    match LicenceState::try_from(value) {
        Ok(LicenceState::Exemplary) => wit::LicenceState::Exemplary,
        Ok(LicenceState::Warning) => wit::LicenceState::Warning,
        Ok(LicenceState::Eliminated) => wit::LicenceState::Eliminated,
        _ => wit::LicenceState::Normal,
    }
}

/// An outlet.
pub fn outlet(o: &Outlet) -> wit::Outlet {
    wit::Outlet {
        id: o.id.clone(),
        name: o.name.clone(),
        tier: match OutletTier::try_from(o.tier) {
            Ok(OutletTier::Hq) => wit::OutletTier::Hq,
            Ok(OutletTier::RegionalCentre) => wit::OutletTier::RegionalCentre,
            Ok(OutletTier::SubOutlet) => wit::OutletTier::SubOutlet,
            _ => wit::OutletTier::StarCentre,
        },
        parent_id: o.parent_id.clone(),
        location: geo(o.location.unwrap_or_default()),
        service_radius_minutes: o.service_radius_minutes.max(0) as u32,
        product_lines: product_lines(o.product_lines.iter().copied()),
        daily_capacity: o.daily_capacity.max(0) as u32,
        status: outlet_status(o.status),
        grade: grade(o.grade),
    }
}

/// A person.
pub fn person(p: &Person) -> wit::Person {
    wit::Person {
        id: p.id.clone(),
        outlet_id: p.outlet_id.clone(),
        level: person_level(p.level),
        skills: product_lines(p.skills.iter().map(|s| s.product_line)),
        licence_points: p.licence_points,
        licence_state: licence_state(p.licence_state),
        on_duty: p.on_duty,
        location: p.location.map(geo),
    }
}

/// A person's level (unspecified counts as the lowest).
pub fn person_level(value: i32) -> wit::PersonLevel {
    match PersonLevel::try_from(value) {
        Ok(PersonLevel::Engineer) => wit::PersonLevel::Engineer,
        Ok(PersonLevel::Senior) => wit::PersonLevel::Senior,
        Ok(PersonLevel::Gold) => wit::PersonLevel::Gold,
        _ => wit::PersonLevel::Technician,
    }
}

/// A person's certified skills by level (unspecified counts as junior).
pub fn certifications(p: &Person) -> Certifications {
    let at = |wanted: &[CertificationLevel]| {
        product_lines(
            p.skills
                .iter()
                .filter(|s| {
                    wanted.contains(
                        &CertificationLevel::try_from(s.level)
                            .unwrap_or(CertificationLevel::Unspecified),
                    )
                })
                .map(|s| s.product_line),
        )
    };
    Certifications {
        junior: at(&[CertificationLevel::Junior, CertificationLevel::Unspecified]),
        intermediate: at(&[CertificationLevel::Intermediate]),
        senior: at(&[CertificationLevel::Senior]),
    }
}

/// An order.
pub fn order(o: &Order) -> wit::Order {
    let customer = o.customer.clone().unwrap_or_default();
    let appliance = o.appliance.clone().unwrap_or_default();
    wit::Order {
        id: o.id.clone(),
        kind: order_kind(o.kind),
        status: match OrderStatus::try_from(o.status) {
            Ok(OrderStatus::Dispatched) => wit::OrderStatus::Dispatched,
            Ok(OrderStatus::Accepted) => wit::OrderStatus::Accepted,
            Ok(OrderStatus::Contacted) => wit::OrderStatus::Contacted,
            Ok(OrderStatus::OnSite) => wit::OrderStatus::OnSite,
            Ok(OrderStatus::Completed) => wit::OrderStatus::Completed,
            Ok(OrderStatus::QualityChecked) => wit::OrderStatus::QualityChecked,
            Ok(OrderStatus::Settled) => wit::OrderStatus::Settled,
            Ok(OrderStatus::Cancelled) => wit::OrderStatus::Cancelled,
            Ok(OrderStatus::Invalid) => wit::OrderStatus::Invalid,
            _ => wit::OrderStatus::Intake,
        },
        customer_name: customer.name,
        customer_phone: customer.phone,
        customer_address: customer.address,
        customer_location: geo(customer.location.unwrap_or_default()),
        vip: customer.vip,
        product_line: product_line(appliance.product_line),
        model: appliance.model,
        serial: appliance.serial,
        purchase_date: appliance.purchase_date.as_ref().map(date),
        price: appliance.price_fen,
        outlet_id: o.outlet_id.clone(),
        engineer_id: o.engineer_id.clone(),
        created: o.create_time.map_or(0, |t| t.seconds),
    }
}

/// A calendar date as WIT has it (out-of-range parts are clamped; callers
/// validate dates first).
pub fn date(d: &Date) -> wit::Date {
    wit::Date {
        year: d.year,
        month: d.month.clamp(0, 12) as u8,
        day: d.day.clamp(0, 31) as u8,
    }
}

/// A WIT date as the API has it.
pub fn date_from(d: wit::Date) -> Date {
    Date {
        year: d.year,
        month: i32::from(d.month),
        day: i32::from(d.day),
    }
}

/// A grade from an evaluation plugin.
pub fn grade_from(grade: wit::Grade) -> OutletGrade {
    match grade {
        wit::Grade::Ungraded => OutletGrade::Unspecified,
        wit::Grade::A => OutletGrade::A,
        wit::Grade::B => OutletGrade::B,
        wit::Grade::C => OutletGrade::C,
    }
}

/// An outlet status from an evaluation plugin.
pub fn outlet_status_from(status: wit::OutletStatus) -> OutletStatus {
    match status {
        wit::OutletStatus::Active => OutletStatus::Active,
        wit::OutletStatus::Suspended => OutletStatus::Suspended,
        wit::OutletStatus::Eliminated => OutletStatus::Eliminated,
    }
}

/// An incentive from an evaluation plugin.
pub fn incentive_from(incentive: WitIncentive) -> Incentive {
    match incentive {
        WitIncentive::None => Incentive::None,
        WitIncentive::Reward => Incentive::Reward,
        WitIncentive::Penalty => Incentive::Penalty,
    }
}

/// The licence event of an evaluation plugin's charge.
pub fn charge_kind_from(kind: ChargeKind) -> LicenceEventKind {
    match kind {
        ChargeKind::PromiseBroken => LicenceEventKind::PromiseBroken,
        ChargeKind::RepeatRepair => LicenceEventKind::RepeatRepair,
    }
}

/// An appliance to quote or insure, as the warranty plugin takes it.
pub fn warranty_appliance(a: &Appliance) -> warranty::Appliance {
    warranty::Appliance {
        product_line: product_line(a.product_line),
        price: a.price_fen,
        purchase_date: date(&a.purchase_date.unwrap_or_default()),
        serial: a.serial.clone(),
    }
}

/// A warranty plugin's contract as the API shows it.
pub fn contract_from(region: &str, c: warranty::Contract) -> WarrantyContract {
    WarrantyContract {
        id: c.id,
        region: region.to_owned(),
        appliance: Some(Appliance {
            product_line: product_line_from(c.appliance.product_line) as i32,
            serial: c.appliance.serial,
            purchase_date: Some(date_from(c.appliance.purchase_date)),
            price_fen: c.appliance.price,
            model: String::new(),
        }),
        years: c.years as i32,
        price_fen: c.price,
        customer_phone: c.customer_phone,
        sold_date: Some(date_from(c.sold)),
        start_date: Some(date_from(c.start)),
        end_date: Some(date_from(c.end)),
        claims: c.claims as i32,
    }
}

/// An order as a dispatch plugin sees it.
pub fn dispatch_order(order: &Order) -> DispatchOrder {
    let customer = order.customer.clone().unwrap_or_default();
    DispatchOrder {
        id: order.id.clone(),
        kind: order_kind(order.kind),
        product_line: product_line(order.appliance.as_ref().map_or(0, |a| a.product_line)),
        location: geo(customer.location.unwrap_or_default()),
        vip: customer.vip,
    }
}

/// An outlet as a dispatch candidate, with its orders in hand.
pub fn candidate_outlet(o: &Outlet, open_orders: u32) -> CandidateOutlet {
    CandidateOutlet {
        id: o.id.clone(),
        location: geo(o.location.unwrap_or_default()),
        service_radius_minutes: o.service_radius_minutes.max(0) as u32,
        product_lines: product_lines(o.product_lines.iter().copied()),
        status: outlet_status(o.status),
        grade: grade(o.grade),
        daily_capacity: o.daily_capacity.max(0) as u32,
        open_orders,
    }
}

/// An engineer as a dispatch candidate, of the candidate outlet at index
/// `outlet`, with their orders in hand.
pub fn candidate_engineer(p: &Person, outlet: u32, open_orders: u32) -> CandidateEngineer {
    CandidateEngineer {
        id: p.id.clone(),
        outlet,
        level: person_level(p.level),
        skills: product_lines(p.skills.iter().map(|s| s.product_line)),
        certified: certifications(p),
        licence_state: licence_state(p.licence_state),
        on_duty: p.on_duty,
        open_orders,
        location: p.location.map(geo),
    }
}
