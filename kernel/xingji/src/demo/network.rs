//! The demo's service network: a region's outlets (its regional centre,
//! star centres and sub-outlets) and the people who work at them, with
//! their licence events.

use prost_types::Timestamp;
use xingji_api::v1::{
    CertificationLevel, GeoPoint, LicenceEvent, LicenceEventKind, LicenceState, Outlet,
    OutletClass, OutletGrade, OutletStatus, OutletTier, Person, PersonLevel, ProductLine, Skill,
};
use xingji_store::{StoreError, prelude::*};

use xingji_core::ids::new_id;
use xingji_core::licence::{self, LICENCE_POINTS};

use super::data::{ALL_LINES, Dice, District, Region, seeded};

/// The region's outlets: a regional centre, then per district a star
/// centre and its two sub-outlets. Returns the service outlets (star
/// centres and sub-outlets, in creation order), which take the orders.
pub(super) async fn seed_outlets(
    store: &dyn Store,
    region: &Region,
    now: Timestamp,
    dice: &mut Dice,
) -> Result<Vec<Outlet>, StoreError> {
    let centre = create_regional_centre(store, region, now).await?;
    let mut service_outlets = Vec::new();
    for (d, district) in region.districts.iter().enumerate() {
        let star = create_star_centre(store, region, &centre, d, district, now).await?;
        service_outlets.push(star.clone());
        for s in 0..2 {
            let sub = create_sub_outlet(store, region, &star, (d, s), district, now, dice).await?;
            service_outlets.push(sub);
        }
    }
    Ok(service_outlets)
}

async fn create_regional_centre(
    store: &dyn Store,
    region: &Region,
    now: Timestamp,
) -> Result<Outlet, StoreError> {
    let location = &region.districts[0];
    let id = new_id("out");
    store
        .create_outlet(
            Outlet {
                id: id.clone(),
                region: region.id.to_owned(),
                name: format!("{}工贸技术服务中心", region.city),
                number: format!("{}-000", region.code),
                tier: OutletTier::RegionalCentre as i32,
                class: region.class as i32,
                location: Some(GeoPoint {
                    lat: location.lat + 0.01,
                    lon: location.lon + 0.01,
                }),
                address: format!("{}{}{}1号", region.city, location.name, location.road),
                service_radius_minutes: 60,
                product_lines: ALL_LINES.iter().map(|&l| l as i32).collect(),
                daily_capacity: 0,
                status: OutletStatus::Active as i32,
                create_time: Some(now),
                update_time: Some(now),
                ..Outlet::default()
            },
            seeded(format!("outlets/{id}"), region.id),
        )
        .await
}

/// The star centre of the region's `d`th district.
async fn create_star_centre(
    store: &dyn Store,
    region: &Region,
    centre: &Outlet,
    d: usize,
    district: &District,
    now: Timestamp,
) -> Result<Outlet, StoreError> {
    let id = new_id("out");
    store
        .create_outlet(
            Outlet {
                id: id.clone(),
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
            },
            seeded(format!("outlets/{id}"), region.id),
        )
        .await
}

/// Sub-outlet `s` of the star centre of district `d`.
async fn create_sub_outlet(
    store: &dyn Store,
    region: &Region,
    star: &Outlet,
    (d, s): (usize, usize),
    district: &District,
    now: Timestamp,
    dice: &mut Dice,
) -> Result<Outlet, StoreError> {
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
    // One sub-outlet per region is suspended, to show the rule.
    let suspended = d == 2 && s == 1;
    let id = new_id("out");
    store
        .create_outlet(
            Outlet {
                id: id.clone(),
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
                status: if suspended {
                    OutletStatus::Suspended
                } else {
                    OutletStatus::Active
                } as i32,
                grade: if suspended {
                    OutletGrade::C
                } else {
                    OutletGrade::B
                } as i32,
                create_time: Some(now),
                update_time: Some(now),
                ..Outlet::default()
            },
            seeded(format!("outlets/{id}"), region.id),
        )
        .await
}

const LEVELS: [PersonLevel; 4] = [
    PersonLevel::Technician,
    PersonLevel::Engineer,
    PersonLevel::Senior,
    PersonLevel::Gold,
];

/// The staff of the service outlets: four at a star centre, two at a
/// sub-outlet, of every level, each with their licence events recorded.
pub(super) async fn seed_staff(
    store: &dyn Store,
    region: &Region,
    service_outlets: &[Outlet],
    now: Timestamp,
    dice: &mut Dice,
) -> Result<Vec<Person>, StoreError> {
    let mut hired = Vec::new();
    for (o, outlet) in service_outlets.iter().enumerate() {
        let staff = if outlet.tier == OutletTier::StarCentre as i32 {
            4
        } else {
            2
        };
        for p in 0..staff {
            // The events are drawn before the person, as the demo always has.
            let events = licence_events(o, p, dice);
            let mut person = hire(store, region, outlet, (o, p, staff), now, dice).await?;
            for &kind in events {
                person = record_licence(store, person, kind, now).await?;
            }
            hired.push(person);
        }
    }
    Ok(hired)
}

/// The licence events of person `p` of service outlet `o`: mostly clean;
/// one exemplary gold engineer, one on warning and one eliminated in every
/// region, and now and then a single violation.
fn licence_events(o: usize, p: usize, dice: &mut Dice) -> &'static [LicenceEventKind] {
    match (o, p) {
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
    }
}

/// Creates person `p` of the `staff` at service outlet `o`, with a clean
/// licence.
async fn hire(
    store: &dyn Store,
    region: &Region,
    outlet: &Outlet,
    (o, p, staff): (usize, usize, usize),
    now: Timestamp,
    dice: &mut Dice,
) -> Result<Person, StoreError> {
    let level = LEVELS[(p + o) % 4];
    let location = outlet.location.unwrap_or_default();
    let id = new_id("per");
    store
        .create_person(
            Person {
                id: id.clone(),
                region: region.id.to_owned(),
                outlet_id: outlet.id.clone(),
                name: dice.name(),
                phone: dice.phone(),
                level: level as i32,
                skills: skills(outlet, p, level),
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
            },
            seeded(format!("people/{id}"), region.id),
        )
        .await
}

/// Person `p`'s skills: most of the outlet's product lines (all of a
/// specialised sub-outlet's), at certification levels that vary with
/// their level.
fn skills(outlet: &Outlet, p: usize, level: PersonLevel) -> Vec<Skill> {
    outlet
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
        .collect()
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
    let audit = seeded(format!("people/{}", person.id), &person.region);
    Ok(store.record_licence_event(person, event, audit).await?.0)
}
