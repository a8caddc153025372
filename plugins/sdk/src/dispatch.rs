//! The dispatch rules both dispatch plugins share (DOMAIN.md §1–2; the
//! decisions are in `plugins/README.md`), on plain values; an outlet's
//! status and an engineer's licence are the shared WIT enums
//! ([`crate::wit`]), so the request maps to them as it is.
//!
//! A plugin maps its WIT request to a [`Network`] with
//! [`dispatch_network!`](crate::dispatch_network), reads its [`Rules`] from
//! the region's parameters, finds the outlets that can take the order with
//! [`candidates`], and picks one of them its own way; when there is none,
//! [`refusal`] says why nobody fits.
//!
//! An outlet can take an order when, checked in this order (the first that
//! fails is the reason given):
//!
//! 1. the customer is within its service radius: the distance at
//!    `speed_kmh` takes at most `radius_minutes` (a location that is not a
//!    number is never in reach);
//! 2. it is active: not suspended, not eliminated;
//! 3. it serves the order's product line;
//! 4. it has room: fewer open orders than its daily capacity (capacity 0 is
//!    unlimited or closed, as the plugin says: [`ZeroCapacity`]);
//! 5. it has an engineer to send: not eliminated, on duty, skilled in the
//!    product line.
//!
//! Among an outlet's engineers the least weighted load wins: open orders +
//! 1, times `warning_load_factor` on a warning licence, so that warned
//! engineers get fewer dispatches. For a VIP order, engineers on a warning
//! licence come after every engineer in good standing. A tie goes to the
//! engineer listed first.

use std::fmt::Write as _;

use crate::Origin;
use crate::settings::Settings;
use crate::wit::types::Grade as WitGrade;

/// Whether an outlet may take orders: the WIT `outlet-status`.
pub use crate::wit::types::OutletStatus as Status;

/// The state of an engineer's licence: the WIT `licence-state`.
pub use crate::wit::types::LicenceState as Licence;

/// An outlet's monthly grade, best first: the derived order is the order of
/// preference (an ungraded outlet, new or without orders, between B and C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    A,
    B,
    Ungraded,
    C,
}

impl Grade {
    /// `A`, `B`, `C` or `ungraded`.
    pub fn name(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::Ungraded => "ungraded",
            Grade::C => "C",
        }
    }
}

impl From<WitGrade> for Grade {
    fn from(grade: WitGrade) -> Grade {
        match grade {
            WitGrade::A => Grade::A,
            WitGrade::B => Grade::B,
            WitGrade::Ungraded => Grade::Ungraded,
            WitGrade::C => Grade::C,
        }
    }
}

impl From<Grade> for WitGrade {
    fn from(grade: Grade) -> WitGrade {
        match grade {
            Grade::A => WitGrade::A,
            Grade::B => WitGrade::B,
            Grade::Ungraded => WitGrade::Ungraded,
            Grade::C => WitGrade::C,
        }
    }
}

/// The order to dispatch.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// The customer, in degrees.
    pub lat: f64,
    pub lon: f64,
    pub vip: bool,
    /// The product line's name, for messages (`refrigerator`).
    pub line: &'static str,
}

/// A candidate outlet, as far as this order is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlet {
    pub lat: f64,
    pub lon: f64,
    pub radius_minutes: u32,
    /// Serves the order's product line.
    pub serves: bool,
    pub status: Status,
    pub grade: Grade,
    pub capacity: u32,
    pub open_orders: u32,
}

/// A candidate engineer, as far as this order is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Engineer {
    /// Index into [`Network::outlets`]; out of range: never sent.
    pub outlet: u32,
    /// The WIT `person-level`, lowest first (technician 0 to gold 3).
    pub level: u8,
    /// Holds a skill for the order's product line.
    pub skilled: bool,
    pub licence: Licence,
    pub on_duty: bool,
    pub open_orders: u32,
}

/// The order and the region's outlets and engineers, in the kernel's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub order: Order,
    pub outlets: Vec<Outlet>,
    pub engineers: Vec<Engineer>,
}

/// What an outlet with daily capacity 0 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeroCapacity {
    /// No limit set: it always has room (`dispatch-nearest`).
    Unlimited,
    /// It takes no orders (`dispatch-balanced`, whose score divides by the
    /// capacity).
    Closed,
}

/// Travel speed for the reach, km/h, in hundredths: the default, and the
/// range of `speed_kmh` (0.01 to 200).
const SPEED: (i64, std::ops::RangeInclusive<i64>) = (3000, 1..=20000);
/// A warning licence's load factor: the default, and the range of
/// `warning_load_factor` (2 to 10: a warned engineer always counts more).
const WARNING: (i64, std::ops::RangeInclusive<i64>) = (2, 2..=10);

/// The shared rules of a region, from its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Travel speed for the reach, km/h (`speed_kmh`).
    pub speed_kmh: f64,
    /// A warning licence multiplies the engineer's load by this
    /// (`warning_load_factor`).
    pub warning_factor: u64,
    /// An outlet sends its highest-level ready engineer, the least loaded
    /// of them (`senior_first`, default false: the least loaded).
    pub senior_first: bool,
    pub zero_capacity: ZeroCapacity,
}

/// The region's parameters for the dispatch slot. A name that is set twice
/// is an error. A name no dispatch plugin reads is ignored: the
/// parameters belong to the slot, not to one plugin, and a region that
/// swaps plugins must not see every order refused for a parameter only the
/// other one reads. A value that is malformed or out of range is an error
/// that names it (see [`Rules::read`]).
pub fn settings(params: &[(String, String)]) -> Result<Settings<'_>, String> {
    Settings::new(params, |_| true)
}

impl Rules {
    /// `speed_kmh` (km/h, two decimals, default 30),
    /// `warning_load_factor` (whole, 2 to 10, default 2) and
    /// `senior_first` (`true` or `false`, default false).
    pub fn read(settings: &Settings, zero_capacity: ZeroCapacity) -> Result<Rules, String> {
        let speed = settings.scaled("speed_kmh", 2, SPEED.0, SPEED.1)?;
        let warning = settings.whole("warning_load_factor", WARNING.0, WARNING.1)?;
        Ok(Rules {
            speed_kmh: speed as f64 / 100.0,
            warning_factor: warning as u64,
            senior_first: settings.flag("senior_first", false)?,
            zero_capacity,
        })
    }

    /// The defaults.
    pub fn new(zero_capacity: ZeroCapacity) -> Rules {
        Rules::read(&settings(&[]).expect("no parameters"), zero_capacity)
            .expect("the defaults are valid")
    }

    /// How far, and how long at `speed_kmh`, from the customer to `outlet`.
    pub fn travel(&self, customer: &Origin, outlet: &Outlet) -> Travel {
        let km = customer.km_to(outlet.lat, outlet.lon);
        Travel {
            km,
            minutes: km / self.speed_kmh * 60.0,
        }
    }

    /// Whether `outlet` has room for one more order.
    pub fn has_room(&self, outlet: &Outlet) -> bool {
        if outlet.capacity == 0 {
            self.zero_capacity == ZeroCapacity::Unlimited
        } else {
            outlet.open_orders < outlet.capacity
        }
    }

    /// Why `outlet` cannot take the order on its own account (reach,
    /// status, product line, room), checked in that order; engineers are
    /// checked apart.
    pub fn outlet_unfit(&self, outlet: &Outlet, travel: &Travel) -> Option<Unfit> {
        // A distance that is not a number is not within the radius.
        let within = travel.minutes <= f64::from(outlet.radius_minutes);
        if !within {
            return Some(Unfit::OutOfReach);
        }
        match outlet.status {
            Status::Active => {}
            Status::Suspended => return Some(Unfit::Suspended),
            Status::Eliminated => return Some(Unfit::Eliminated),
        }
        if !outlet.serves {
            return Some(Unfit::LineNotServed);
        }
        if !self.has_room(outlet) {
            return Some(Unfit::Full);
        }
        None
    }

    /// An engineer's load as dispatch weighs it: open orders + 1 (so that
    /// the factor weighs an idle engineer too), times the warning factor on
    /// a warning licence.
    pub fn weighted_load(&self, engineer: &Engineer) -> u64 {
        let load = u64::from(engineer.open_orders) + 1;
        if engineer.licence == Licence::Warning {
            load * self.warning_factor
        } else {
            load
        }
    }
}

/// Distance and travel time from the customer to an outlet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Travel {
    pub km: f64,
    pub minutes: f64,
}

impl Travel {
    /// The distance in whole metres: distances that round to the same metre
    /// are a tie.
    pub fn metres(&self) -> u64 {
        // Saturates: an outlet in reach is never that far.
        (self.km * 1000.0).round() as u64
    }
}

/// Why an outlet cannot take the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    OutOfReach,
    Suspended,
    Eliminated,
    LineNotServed,
    Full,
    /// It would, but has no engineer to send.
    NoEngineer,
}

/// Why an engineer cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unready {
    /// Licence revoked: no service until retrained.
    Eliminated,
    OffDuty,
    NotSkilled,
}

/// Why `engineer` cannot be sent on this order, checked in this order:
/// licence eliminated, off duty, not skilled in the product line.
pub fn engineer_unready(engineer: &Engineer) -> Option<Unready> {
    if engineer.licence == Licence::Eliminated {
        Some(Unready::Eliminated)
    } else if !engineer.on_duty {
        Some(Unready::OffDuty)
    } else if !engineer.skilled {
        Some(Unready::NotSkilled)
    } else {
        None
    }
}

/// The engineer an outlet would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    /// Index into [`Network::engineers`].
    pub engineer: usize,
    /// Its weighted load ([`Rules::weighted_load`]).
    pub load: u64,
    /// How many of the outlet's engineers could have gone.
    pub ready: u32,
}

/// What an outlet's engineers are ordered by, least first: seniority
/// (with `senior_first`), a warning licence on a VIP order, the weighted
/// load.
type PickKey = (u8, bool, u64);

/// For each outlet, the engineer it would send, if any: the least
/// weighted load, a VIP order putting warning licences last, the first
/// listed on a tie; with `senior_first`, the highest level before all
/// that. One pass over the engineers.
pub fn engineers(network: &Network, rules: &Rules) -> Vec<Option<Pick>> {
    let mut best: Vec<Option<(PickKey, Pick)>> = vec![None; network.outlets.len()];
    for (index, engineer) in network.engineers.iter().enumerate() {
        if engineer_unready(engineer).is_some() {
            continue;
        }
        let Some(slot) = best.get_mut(engineer.outlet as usize) else {
            continue;
        };
        let load = rules.weighted_load(engineer);
        let seniority = if rules.senior_first {
            u8::MAX - engineer.level
        } else {
            0
        };
        let key = (
            seniority,
            network.order.vip && engineer.licence == Licence::Warning,
            load,
        );
        let ready = slot.map_or(0, |(_, pick)| pick.ready) + 1;
        match slot {
            Some((least, pick)) if *least <= key => pick.ready = ready,
            _ => {
                *slot = Some((
                    key,
                    Pick {
                        engineer: index,
                        load,
                        ready,
                    },
                ))
            }
        }
    }
    best.into_iter()
        .map(|slot| slot.map(|(_, pick)| pick))
        .collect()
}

/// An outlet that can take the order, with the engineer it would send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Index into [`Network::outlets`].
    pub outlet: usize,
    pub travel: Travel,
    pub pick: Pick,
}

/// Every outlet that can take the order, in the kernel's order.
pub fn candidates(network: &Network, rules: &Rules) -> Vec<Candidate> {
    let customer = Origin::new(network.order.lat, network.order.lon);
    let picks = engineers(network, rules);
    network
        .outlets
        .iter()
        .zip(picks)
        .enumerate()
        .filter_map(|(index, (outlet, pick))| {
            let travel = rules.travel(&customer, outlet);
            if rules.outlet_unfit(outlet, &travel).is_some() {
                return None;
            }
            pick.map(|pick| Candidate {
                outlet: index,
                travel,
                pick,
            })
        })
        .collect()
}

/// Why outlet `index` cannot take the order; `None` if it can.
pub fn unfit(network: &Network, rules: &Rules, index: usize) -> Option<Unfit> {
    let outlet = network.outlets.get(index)?;
    let customer = Origin::new(network.order.lat, network.order.lon);
    rules
        .outlet_unfit(outlet, &rules.travel(&customer, outlet))
        .or_else(|| {
            let ready = network
                .engineers
                .iter()
                .any(|e| e.outlet as usize == index && engineer_unready(e).is_none());
            (!ready).then_some(Unfit::NoEngineer)
        })
}

/// Why nobody fits, for a refusal: how many outlets fail each check, the
/// nearest out of reach, and why the engineers of the outlets that only
/// lack one cannot go. E.g. `nobody fits this refrigerator order: of 4
/// outlets, 2 out of reach (the nearest 41 minutes away at 30 km/h, its
/// radius 30), 1 suspended, 1 with no engineer to send (1 off duty, 2 not
/// skilled in refrigerator)`.
pub fn refusal(network: &Network, rules: &Rules) -> String {
    let line = network.order.line;
    if network.outlets.is_empty() {
        return format!("nobody fits this {line} order: the region has no outlets");
    }
    let customer = Origin::new(network.order.lat, network.order.lon);
    let mut counts = [0u32; 6];
    let mut nearest: Option<(f64, u32)> = None;
    let mut lacking = vec![false; network.outlets.len()];
    for (index, outlet) in network.outlets.iter().enumerate() {
        let travel = rules.travel(&customer, outlet);
        let why = rules
            .outlet_unfit(outlet, &travel)
            .unwrap_or(Unfit::NoEngineer);
        if why == Unfit::OutOfReach
            && travel.minutes.is_finite()
            && nearest.is_none_or(|(minutes, _)| travel.minutes < minutes)
        {
            nearest = Some((travel.minutes, outlet.radius_minutes));
        }
        lacking[index] = why == Unfit::NoEngineer;
        counts[why as usize] += 1;
    }
    // The engineers of the outlets that lack nothing else.
    let mut unready = [0u32; 3];
    let mut staffed = vec![false; network.outlets.len()];
    for engineer in &network.engineers {
        let outlet = engineer.outlet as usize;
        if !lacking.get(outlet).copied().unwrap_or(false) {
            continue;
        }
        staffed[outlet] = true;
        if let Some(why) = engineer_unready(engineer) {
            unready[why as usize] += 1;
        }
    }
    let unstaffed = lacking
        .iter()
        .zip(&staffed)
        .filter(|(lacking, staffed)| **lacking && !**staffed)
        .count();

    let total = network.outlets.len();
    let mut text = format!(
        "nobody fits this {line} order: of {total} outlet{}",
        if total == 1 { "" } else { "s" }
    );
    for (why, count) in [
        Unfit::OutOfReach,
        Unfit::Suspended,
        Unfit::Eliminated,
        Unfit::LineNotServed,
        Unfit::Full,
        Unfit::NoEngineer,
    ]
    .into_iter()
    .map(|why| (why, counts[why as usize]))
    {
        if count == 0 {
            continue;
        }
        let _ = match why {
            Unfit::OutOfReach => write!(text, ", {count} out of reach"),
            Unfit::Suspended => write!(text, ", {count} suspended"),
            Unfit::Eliminated => write!(text, ", {count} eliminated"),
            Unfit::LineNotServed => write!(text, ", {count} not serving {line}"),
            Unfit::Full => write!(text, ", {count} at daily capacity"),
            Unfit::NoEngineer => write!(text, ", {count} with no engineer to send"),
        };
        if why == Unfit::OutOfReach
            && let Some((minutes, radius)) = nearest
        {
            let _ = write!(
                text,
                " (the nearest {minutes:.0} minutes away at {} km/h, its radius {radius})",
                rules.speed_kmh
            );
        }
        if why == Unfit::NoEngineer {
            let mut parts = Vec::new();
            for (why, what) in [
                (Unready::OffDuty, "off duty".to_owned()),
                (Unready::NotSkilled, format!("not skilled in {line}")),
                (Unready::Eliminated, "licence eliminated".to_owned()),
            ] {
                let n = unready[why as usize];
                if n > 0 {
                    parts.push(format!("{n} {what}"));
                }
            }
            if unstaffed > 0 {
                parts.push(format!(
                    "{unstaffed} outlet{} without engineers",
                    if unstaffed == 1 { "" } else { "s" }
                ));
            }
            let _ = write!(text, " ({})", parts.join(", "));
        }
    }
    text
}

/// How the chosen engineer was picked, for an assignment's reason: e.g.
/// `engineer with 2 open orders, 3 ready at the outlet`.
pub fn engineer_note(network: &Network, rules: &Rules, pick: &Pick) -> String {
    let engineer = &network.engineers[pick.engineer];
    let warned = engineer.licence == Licence::Warning;
    let mut text = format!(
        "engineer with {} open order{}",
        engineer.open_orders,
        if engineer.open_orders == 1 { "" } else { "s" }
    );
    if warned {
        let _ = write!(
            text,
            " on a warning licence (load ×{})",
            rules.warning_factor
        );
    }
    if rules.senior_first {
        let level = ["technician", "engineer", "senior", "gold"]
            .get(usize::from(engineer.level))
            .unwrap_or(&"engineer");
        let _ = write!(text, ", senior first: {level}");
    }
    if pick.ready > 1 {
        let _ = write!(text, ", {} ready at the outlet", pick.ready);
    }
    if network.order.vip {
        text.push_str(if warned {
            ", VIP: nobody in good standing was ready"
        } else {
            ", VIP: warning licences last"
        });
    }
    text
}

/// Maps a `dispatcher.dispatch-request` of the calling plugin's bindings to
/// a [`Network`]: `dispatch_network!(&request)`. Use it in a crate that
/// runs `wit_bindgen::generate!` for the `dispatch` world at its root, with
/// `types` mapped to [`crate::wit::types`] (the request is an export type,
/// the plugin's own; its fields are the kit's). The engineer's own
/// location is not used: travel is measured from the outlet.
// `crate` is meant: the bindings are the calling plugin's.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! dispatch_network {
    ($request:expr) => {{
        use $crate::dispatch as kit;
        let request: &crate::exports::xingji::plugins::dispatcher::DispatchRequest = $request;
        let line = request.order.product_line;
        let flag = $crate::wit::line_flag(line);
        kit::Network {
            order: kit::Order {
                lat: request.order.location.lat,
                lon: request.order.location.lon,
                vip: request.order.vip,
                line: $crate::wit::line_name(line),
            },
            outlets: request
                .outlets
                .iter()
                .map(|o| kit::Outlet {
                    lat: o.location.lat,
                    lon: o.location.lon,
                    radius_minutes: o.service_radius_minutes,
                    serves: o.product_lines.contains(flag),
                    status: o.status,
                    grade: o.grade.into(),
                    capacity: o.daily_capacity,
                    open_orders: o.open_orders,
                })
                .collect(),
            engineers: request
                .engineers
                .iter()
                .map(|e| kit::Engineer {
                    outlet: e.outlet,
                    level: e.level as u8,
                    skilled: e.skills.contains(flag),
                    licence: e.licence_state,
                    on_duty: e.on_duty,
                    open_orders: e.open_orders,
                })
                .collect(),
        }
    }};
}

/// The inverse of [`dispatch_network!`], for tests: a
/// `dispatcher.dispatch-request` of the calling plugin's bindings from a
/// [`Network`] and parameters, `dispatch_request!(network, params)`. An
/// outlet that serves the line serves them all, one that does not serves
/// all the others (engineers' skills alike, each certified intermediate);
/// the order is a repair, the time 0, the ids `order-0`, `outlet-<i>` and
/// `person-<i>`. The request is WIT
/// 0.3.0's (the dispatch world's newest).
// `crate` is meant: the bindings are the calling plugin's.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! dispatch_request {
    ($network:expr, $params:expr) => {{
        use crate::exports::xingji::plugins::dispatcher::{
            CandidateEngineer, CandidateOutlet, Certifications, DispatchOrder, DispatchRequest,
        };
        use $crate::dispatch as kit;
        use $crate::wit::types::{Geo, OrderKind, PersonLevel, ProductLines};
        let network: kit::Network = $network;
        let Some(index) = $crate::wit::PRODUCT_LINES
            .iter()
            .position(|name| *name == network.order.line)
        else {
            panic!("no product line `{}`", network.order.line)
        };
        let line = $crate::wit::LINES[index];
        let flag = $crate::wit::line_flag(line);
        let lines = |yes: bool| {
            if yes {
                ProductLines::all()
            } else {
                ProductLines::all().difference(flag)
            }
        };
        DispatchRequest {
            order: DispatchOrder {
                id: "order-0".to_owned(),
                kind: OrderKind::Repair,
                product_line: line,
                location: Geo {
                    lat: network.order.lat,
                    lon: network.order.lon,
                },
                vip: network.order.vip,
            },
            outlets: network
                .outlets
                .iter()
                .enumerate()
                .map(|(i, o)| CandidateOutlet {
                    id: format!("outlet-{i}"),
                    location: Geo {
                        lat: o.lat,
                        lon: o.lon,
                    },
                    service_radius_minutes: o.radius_minutes,
                    product_lines: lines(o.serves),
                    status: o.status,
                    grade: o.grade.into(),
                    daily_capacity: o.capacity,
                    open_orders: o.open_orders,
                })
                .collect(),
            engineers: network
                .engineers
                .iter()
                .enumerate()
                .map(|(i, e)| CandidateEngineer {
                    id: format!("person-{i}"),
                    outlet: e.outlet,
                    level: [
                        PersonLevel::Technician,
                        PersonLevel::Engineer,
                        PersonLevel::Senior,
                        PersonLevel::Gold,
                    ][usize::from(e.level.min(3))],
                    skills: lines(e.skilled),
                    certified: Certifications {
                        junior: ProductLines::empty(),
                        intermediate: lines(e.skilled),
                        senior: ProductLines::empty(),
                    },
                    licence_state: e.licence,
                    on_duty: e.on_duty,
                    open_orders: e.open_orders,
                    location: None,
                })
                .collect(),
            now: 0,
            params: $params,
        }
    }};
}

/// Builders for tests of dispatch rules, here and in the plugins: a
/// customer at [`HOME`], outlets some kilometres due north of it.
pub mod fixtures {
    use super::*;

    /// Where the test customer lives (the kernel's end-to-end tests use the
    /// same point).
    pub const HOME: (f64, f64) = (31.199, 121.400);

    /// Kilometres per degree of latitude, as [`Origin`] measures.
    const KM_PER_DEGREE: f64 = 6371.0 * std::f64::consts::PI / 180.0;

    /// A refrigerator repair at [`HOME`], not VIP.
    pub fn order() -> Order {
        Order {
            lat: HOME.0,
            lon: HOME.1,
            vip: false,
            line: "refrigerator",
        }
    }

    /// An active grade-B outlet `km` due north of [`HOME`]: radius 30
    /// minutes (15 km at the default speed), serving the order's line,
    /// capacity 40, no open orders.
    pub fn outlet(km: f64) -> Outlet {
        Outlet {
            lat: HOME.0 + km / KM_PER_DEGREE,
            lon: HOME.1,
            radius_minutes: 30,
            serves: true,
            status: Status::Active,
            grade: Grade::B,
            capacity: 40,
            open_orders: 0,
        }
    }

    /// A ready engineer of outlet `outlet`: normal licence, on duty,
    /// skilled, no open orders.
    pub fn engineer(outlet: u32) -> Engineer {
        Engineer {
            outlet,
            level: 1,
            skilled: true,
            licence: Licence::Normal,
            on_duty: true,
            open_orders: 0,
        }
    }

    /// [`order`] with these outlets and engineers.
    pub fn network(outlets: Vec<Outlet>, engineers: Vec<Engineer>) -> Network {
        Network {
            order: order(),
            outlets,
            engineers,
        }
    }

    /// Parameters from pairs.
    pub fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    const UNLIMITED: Rules = Rules {
        speed_kmh: 30.0,
        warning_factor: 2,
        senior_first: false,
        zero_capacity: ZeroCapacity::Unlimited,
    };

    #[test]
    fn outlet_rules() {
        // 30 minutes at 30 km/h: 15 km. A metre is a hair.
        let cases: Vec<(&str, Outlet, Rules, Option<Unfit>)> = vec![
            ("next door", outlet(0.1), UNLIMITED, None),
            ("inside by a hair", outlet(14.999), UNLIMITED, None),
            (
                "out of reach by a hair",
                outlet(15.001),
                UNLIMITED,
                Some(Unfit::OutOfReach),
            ),
            (
                "in reach faster",
                outlet(15.001),
                Rules {
                    speed_kmh: 30.01,
                    ..UNLIMITED
                },
                None,
            ),
            (
                "a smaller radius",
                Outlet {
                    radius_minutes: 10,
                    ..outlet(5.001)
                },
                UNLIMITED,
                Some(Unfit::OutOfReach),
            ),
            (
                "location not a number",
                Outlet {
                    lat: f64::NAN,
                    ..outlet(0.0)
                },
                UNLIMITED,
                Some(Unfit::OutOfReach),
            ),
            (
                "suspended",
                Outlet {
                    status: Status::Suspended,
                    ..outlet(1.0)
                },
                UNLIMITED,
                Some(Unfit::Suspended),
            ),
            (
                "eliminated",
                Outlet {
                    status: Status::Eliminated,
                    ..outlet(1.0)
                },
                UNLIMITED,
                Some(Unfit::Eliminated),
            ),
            (
                "suspended, and out of reach: reach first",
                Outlet {
                    status: Status::Suspended,
                    ..outlet(20.0)
                },
                UNLIMITED,
                Some(Unfit::OutOfReach),
            ),
            (
                "line not served",
                Outlet {
                    serves: false,
                    ..outlet(1.0)
                },
                UNLIMITED,
                Some(Unfit::LineNotServed),
            ),
            (
                "one place left",
                Outlet {
                    open_orders: 39,
                    ..outlet(1.0)
                },
                UNLIMITED,
                None,
            ),
            (
                "capacity full",
                Outlet {
                    open_orders: 40,
                    ..outlet(1.0)
                },
                UNLIMITED,
                Some(Unfit::Full),
            ),
            (
                "over capacity",
                Outlet {
                    open_orders: 41,
                    ..outlet(1.0)
                },
                UNLIMITED,
                Some(Unfit::Full),
            ),
            (
                "capacity 0, unlimited",
                Outlet {
                    capacity: 0,
                    open_orders: 500,
                    ..outlet(1.0)
                },
                UNLIMITED,
                None,
            ),
            (
                "capacity 0, closed",
                Outlet {
                    capacity: 0,
                    ..outlet(1.0)
                },
                Rules {
                    zero_capacity: ZeroCapacity::Closed,
                    ..UNLIMITED
                },
                Some(Unfit::Full),
            ),
        ];
        let customer = Origin::new(HOME.0, HOME.1);
        for (name, outlet, rules, want) in cases {
            let travel = rules.travel(&customer, &outlet);
            assert_eq!(rules.outlet_unfit(&outlet, &travel), want, "{name}");
        }
    }

    #[test]
    fn engineer_rules() {
        let cases: Vec<(&str, Engineer, Option<Unready>)> = vec![
            ("ready", engineer(0), None),
            (
                "exemplary",
                Engineer {
                    licence: Licence::Exemplary,
                    ..engineer(0)
                },
                None,
            ),
            (
                "warning: still sent",
                Engineer {
                    licence: Licence::Warning,
                    ..engineer(0)
                },
                None,
            ),
            (
                "eliminated",
                Engineer {
                    licence: Licence::Eliminated,
                    ..engineer(0)
                },
                Some(Unready::Eliminated),
            ),
            (
                "off duty",
                Engineer {
                    on_duty: false,
                    ..engineer(0)
                },
                Some(Unready::OffDuty),
            ),
            (
                "not skilled",
                Engineer {
                    skilled: false,
                    ..engineer(0)
                },
                Some(Unready::NotSkilled),
            ),
            (
                "eliminated and off duty: the licence first",
                Engineer {
                    licence: Licence::Eliminated,
                    on_duty: false,
                    ..engineer(0)
                },
                Some(Unready::Eliminated),
            ),
        ];
        for (name, engineer, want) in cases {
            assert_eq!(engineer_unready(&engineer), want, "{name}");
        }
    }

    fn with(licence: Licence, open_orders: u32) -> Engineer {
        Engineer {
            licence,
            open_orders,
            ..engineer(0)
        }
    }

    #[test]
    fn engineer_choice() {
        use Licence::*;
        // (name, VIP, warning factor, engineers of outlet 0, the pick)
        type Case = (&'static str, bool, u64, Vec<Engineer>, Option<usize>);
        let cases: Vec<Case> = vec![
            ("nobody", false, 2, vec![], None),
            (
                "least loaded",
                false,
                2,
                vec![with(Normal, 3), with(Normal, 1), with(Exemplary, 2)],
                Some(1),
            ),
            (
                "a tie: the first listed",
                false,
                2,
                vec![with(Normal, 2), with(Exemplary, 2)],
                Some(0),
            ),
            (
                "equal load: the warning licence loses",
                false,
                2,
                vec![with(Warning, 1), with(Normal, 1)],
                Some(1),
            ),
            (
                "idle warning (2) ties normal with 1 open (2): the first",
                false,
                2,
                vec![with(Normal, 1), with(Warning, 0)],
                Some(0),
            ),
            (
                "warning (2) beats normal with 2 open (3)",
                false,
                2,
                vec![with(Normal, 2), with(Warning, 0)],
                Some(1),
            ),
            (
                "factor 3: idle warning (3) loses to normal with 2 open (3)",
                false,
                3,
                vec![with(Normal, 2), with(Warning, 0)],
                Some(0),
            ),
            (
                "VIP: good standing first, whatever the load",
                true,
                2,
                vec![with(Warning, 0), with(Normal, 9)],
                Some(1),
            ),
            (
                "VIP: a warning licence if nobody else",
                true,
                2,
                vec![with(Warning, 4), with(Warning, 0)],
                Some(1),
            ),
            (
                "unready engineers are skipped",
                false,
                2,
                vec![
                    Engineer {
                        on_duty: false,
                        ..with(Normal, 0)
                    },
                    with(Eliminated, 0),
                    with(Normal, 5),
                ],
                Some(2),
            ),
        ];
        for (name, vip, factor, engineers, want) in cases {
            let mut net = network(vec![outlet(1.0)], engineers);
            net.order.vip = vip;
            let rules = Rules {
                warning_factor: factor,
                ..UNLIMITED
            };
            let picks = super::engineers(&net, &rules);
            assert_eq!(picks[0].map(|p| p.engineer), want, "{name}");
        }
    }

    #[test]
    fn picks_count_ready_engineers_per_outlet_and_skip_bad_indices() {
        let net = network(
            vec![outlet(1.0), outlet(2.0), outlet(3.0)],
            vec![
                engineer(0),
                engineer(2),
                with(Licence::Normal, 0), // outlet 0 again, a tie
                engineer(7),              // no such outlet
                Engineer {
                    skilled: false,
                    ..engineer(1)
                },
            ],
        );
        let picks = engineers(&net, &UNLIMITED);
        assert_eq!(
            picks,
            [
                Some(Pick {
                    engineer: 0,
                    load: 1,
                    ready: 2
                }),
                None,
                Some(Pick {
                    engineer: 1,
                    load: 1,
                    ready: 1
                }),
            ]
        );
    }

    #[test]
    fn a_warning_licence_gets_fewer_dispatches_at_equal_load() {
        // Two engineers of one outlet start equal; each dispatch adds to the
        // load of the one chosen.
        for (factor, normal_share) in [(2, 20), (3, 23), (10, 28)] {
            let mut net = network(
                vec![outlet(1.0)],
                vec![with(Licence::Warning, 0), with(Licence::Normal, 0)],
            );
            let rules = Rules {
                warning_factor: factor,
                ..UNLIMITED
            };
            let mut counts = [0; 2];
            for _ in 0..30 {
                let pick = engineers(&net, &rules)[0].unwrap();
                counts[pick.engineer] += 1;
                net.engineers[pick.engineer].open_orders += 1;
            }
            assert_eq!(counts, [30 - normal_share, normal_share], "factor {factor}");
        }
    }

    #[test]
    fn candidates_and_unfit() {
        let net = network(
            vec![
                outlet(1.0),
                Outlet {
                    status: Status::Suspended,
                    ..outlet(2.0)
                },
                outlet(3.0),  // no engineer
                outlet(20.0), // out of reach
                outlet(4.0),
            ],
            vec![engineer(4), engineer(0), engineer(1), engineer(3)],
        );
        let found = candidates(&net, &UNLIMITED);
        let found: Vec<(usize, usize, u64)> = found
            .iter()
            .map(|c| (c.outlet, c.pick.engineer, c.travel.metres()))
            .collect();
        assert_eq!(found, [(0, 1, 1000), (4, 0, 4000)]);
        let why: Vec<Option<Unfit>> = (0..6).map(|i| unfit(&net, &UNLIMITED, i)).collect();
        assert_eq!(
            why,
            [
                None,
                Some(Unfit::Suspended),
                Some(Unfit::NoEngineer),
                Some(Unfit::OutOfReach),
                None,
                None
            ]
        );
    }

    #[test]
    fn refusals_say_why_nobody_fits() {
        let cases: Vec<(&str, Network, &str)> = vec![
            (
                "an empty network",
                network(vec![], vec![]),
                "nobody fits this refrigerator order: the region has no outlets",
            ),
            (
                "one outlet out of reach",
                network(vec![outlet(15.5)], vec![engineer(0)]),
                "nobody fits this refrigerator order: of 1 outlet, 1 out of reach \
                 (the nearest 31 minutes away at 30 km/h, its radius 30)",
            ),
            (
                "every reason",
                network(
                    vec![
                        outlet(40.0),
                        outlet(20.0),
                        Outlet {
                            status: Status::Suspended,
                            ..outlet(1.0)
                        },
                        Outlet {
                            status: Status::Eliminated,
                            ..outlet(1.0)
                        },
                        Outlet {
                            serves: false,
                            ..outlet(1.0)
                        },
                        Outlet {
                            open_orders: 40,
                            ..outlet(1.0)
                        },
                        outlet(2.0),
                        outlet(3.0),
                    ],
                    vec![
                        Engineer {
                            on_duty: false,
                            ..engineer(6)
                        },
                        Engineer {
                            skilled: false,
                            ..engineer(6)
                        },
                        with(Licence::Eliminated, 0),
                        engineer(2),
                        engineer(5),
                    ],
                ),
                "nobody fits this refrigerator order: of 8 outlets, 2 out of reach \
                 (the nearest 40 minutes away at 30 km/h, its radius 30), 1 suspended, \
                 1 eliminated, 1 not serving refrigerator, 1 at daily capacity, \
                 2 with no engineer to send (1 off duty, 1 not skilled in refrigerator, \
                 1 outlet without engineers)",
            ),
            (
                "a customer with no location",
                Network {
                    order: Order {
                        lat: f64::NAN,
                        ..order()
                    },
                    ..network(vec![outlet(1.0)], vec![engineer(0)])
                },
                "nobody fits this refrigerator order: of 1 outlet, 1 out of reach",
            ),
        ];
        for (name, net, want) in cases {
            assert!(candidates(&net, &UNLIMITED).is_empty(), "{name}");
            assert_eq!(refusal(&net, &UNLIMITED), want, "{name}");
        }
        // The eliminated engineer of outlet 0 (index 2 above) belongs to an
        // outlet out of reach: not counted. One of an outlet in reach is.
        let net = network(vec![outlet(1.0)], vec![with(Licence::Eliminated, 0)]);
        assert_eq!(
            refusal(&net, &UNLIMITED),
            "nobody fits this refrigerator order: of 1 outlet, \
             1 with no engineer to send (1 licence eliminated)"
        );
    }

    /// Parameters as name, value pairs.
    type Pairs<'a> = &'a [(&'a str, &'a str)];

    #[test]
    fn parameters() {
        let closed = ZeroCapacity::Closed;
        let read = |pairs: &[(&str, &str)]| {
            let params = params(pairs);
            settings(&params).and_then(|s| Rules::read(&s, closed))
        };
        let ok = |speed_kmh, warning_factor| {
            Ok(Rules {
                speed_kmh,
                warning_factor,
                senior_first: false,
                zero_capacity: closed,
            })
        };
        let cases: Vec<(Pairs, Result<Rules, String>)> = vec![
            (&[], ok(30.0, 2)),
            (&[("speed_kmh", "2")], ok(2.0, 2)),
            (&[("speed_kmh", " 22.5 ")], ok(22.5, 2)),
            (&[("speed_kmh", "200")], ok(200.0, 2)),
            (&[("warning_load_factor", "3")], ok(30.0, 3)),
            (
                &[("load_weight", "60"), ("something_else", "x")],
                ok(30.0, 2),
            ),
            (
                &[("speed_kmh", "fast")],
                Err("parameter `speed_kmh`: `fast` is not a number with at most 2 decimals".into()),
            ),
            (
                &[("speed_kmh", "0")],
                Err("parameter `speed_kmh`: 0.00 is out of range (0.01 to 200.00)".into()),
            ),
            (
                &[("speed_kmh", "-5")],
                Err("parameter `speed_kmh`: -5.00 is out of range (0.01 to 200.00)".into()),
            ),
            (
                &[("warning_load_factor", "1")],
                Err("parameter `warning_load_factor`: 1 is out of range (2 to 10)".into()),
            ),
            (
                &[("speed_kmh", "20"), ("speed_kmh", "30")],
                Err("parameter `speed_kmh` is set more than once".into()),
            ),
            (
                &[("senior_first", "true")],
                ok(30.0, 2).map(|rules| Rules {
                    senior_first: true,
                    ..rules
                }),
            ),
            (
                &[("senior_first", "yes")],
                Err("parameter `senior_first`: `yes` is not `true` or `false`".into()),
            ),
        ];
        for (pairs, want) in cases {
            assert_eq!(read(pairs), want, "{pairs:?}");
        }
        assert_eq!(Rules::new(closed), ok(30.0, 2).unwrap());
    }

    #[test]
    fn engineer_notes() {
        let mut net = network(
            vec![outlet(1.0)],
            vec![with(Licence::Warning, 1), with(Licence::Normal, 2)],
        );
        let note = |net: &Network| {
            let pick = engineers(net, &UNLIMITED)[0].unwrap();
            engineer_note(net, &UNLIMITED, &pick)
        };
        assert_eq!(
            note(&net),
            "engineer with 2 open orders, 2 ready at the outlet"
        );
        net.engineers[1].open_orders = 4;
        assert_eq!(
            note(&net),
            "engineer with 1 open order on a warning licence (load ×2), 2 ready at the outlet"
        );
        net.order.vip = true;
        assert_eq!(
            note(&net),
            "engineer with 4 open orders, 2 ready at the outlet, VIP: warning licences last"
        );
        net.engineers.pop();
        assert_eq!(
            note(&net),
            "engineer with 1 open order on a warning licence (load ×2), \
             VIP: nobody in good standing was ready"
        );
    }

    #[test]
    fn senior_first_sends_the_highest_level_then_the_least_loaded() {
        let level = |level, open_orders| Engineer {
            level,
            open_orders,
            ..engineer(0)
        };
        let net = network(
            vec![outlet(1.0)],
            vec![level(1, 0), level(3, 5), level(3, 2), level(2, 0)],
        );
        let senior = Rules {
            senior_first: true,
            ..UNLIMITED
        };
        assert_eq!(engineers(&net, &UNLIMITED)[0].map(|p| p.engineer), Some(0));
        let pick = engineers(&net, &senior)[0].expect("a pick");
        assert_eq!(pick.engineer, 2, "gold, the less loaded of two");
        assert_eq!(
            engineer_note(&net, &senior, &pick),
            "engineer with 2 open orders, senior first: gold, 4 ready at the outlet"
        );
    }

    /// The two macros are each other's inverse, over the bindings a
    /// dispatch plugin has ([`crate::dispatch_world`]).
    #[test]
    fn the_wit_request_maps_to_the_network_and_back() {
        let lines = crate::wit::PRODUCT_LINES;
        let outlets = vec![
            Outlet {
                grade: Grade::A,
                ..outlet(1.0)
            },
            Outlet {
                status: Status::Suspended,
                grade: Grade::C,
                ..outlet(2.0)
            },
            Outlet {
                status: Status::Eliminated,
                grade: Grade::Ungraded,
                serves: false,
                ..outlet(3.0)
            },
            Outlet {
                capacity: 0,
                open_orders: 7,
                radius_minutes: 60,
                ..outlet(4.0)
            },
        ];
        let engineers = vec![
            Engineer {
                licence: Licence::Exemplary,
                open_orders: 1,
                ..engineer(0)
            },
            Engineer {
                licence: Licence::Normal,
                open_orders: 2,
                ..engineer(1)
            },
            Engineer {
                skilled: false,
                on_duty: false,
                ..Engineer {
                    licence: Licence::Warning,
                    open_orders: 3,
                    ..engineer(2)
                }
            },
            Engineer {
                licence: Licence::Eliminated,
                open_orders: 4,
                ..engineer(3)
            },
        ];
        for line in lines {
            let mut net = network(outlets.clone(), engineers.clone());
            net.order.line = line;
            net.order.vip = line == "tv";
            let request = crate::dispatch_request!(net.clone(), Vec::new());
            assert_eq!(crate::dispatch_network!(&request), net, "{line}");
        }
    }
}
