//! Tour stops and the kernel's own check of a tour plan: every stop once,
//! the capacity, each window (with waiting) and back by the shift's end. A
//! plan that breaks a rule fails the plugin's call before anything is
//! dispatched.

use prost_types::Timestamp;
use xingji_api::v1::{GeoPoint, Order, PlanToursRequest, Vehicles};
use xingji_plugin_host::bindings::tour::exports::xingji::plugins::tour_planner::{Stop, TourPlan};

use crate::calendar::days_from_date;
use crate::error::Result;
use crate::validate::Violations;
use crate::wit::geo;

/// Service minutes when an order does not say.
const DEFAULT_SERVICE_MINUTES: u32 = 45;

/// One candidate stop: the order and its window on the day being planned.
pub(crate) struct Candidate {
    pub order: Order,
    pub stop: Stop,
}

/// Checks a request's own fields: the region, the outlet, the days and
/// the vehicles.
pub(crate) fn check(request: &PlanToursRequest) -> Result<Vehicles> {
    let mut v = Violations::default();
    v.region("region", &request.region);
    if request.outlet_id.is_empty() {
        v.add("outlet_id", "is required");
    }
    if request.dates.is_empty() || request.dates.len() > 7 {
        v.add("dates", "must list 1 to 7 days");
    }
    for (i, d) in request.dates.iter().enumerate() {
        if days_from_date(d).is_none() {
            v.add(format!("dates[{i}]"), "is not a calendar date");
        }
    }
    let vehicles = request.vehicles.unwrap_or_default();
    if !(1..=50).contains(&vehicles.count) {
        v.add("vehicles.count", "must be 1 to 50");
    }
    if !(1..=100_000).contains(&vehicles.capacity) {
        v.add("vehicles.capacity", "must be 1 to 100000");
    }
    if !(vehicles.speed_kmh > 0.0 && vehicles.speed_kmh <= 150.0) {
        v.add("vehicles.speed_kmh", "must be more than 0 and at most 150");
    }
    if !(0..1440).contains(&vehicles.shift_start_minute)
        || !(1..=1440).contains(&vehicles.shift_end_minute)
        || vehicles.shift_end_minute <= vehicles.shift_start_minute
    {
        v.add(
            "vehicles.shift_end_minute",
            "the shift must run from a start to a later end within the day (0 to 1440)",
        );
    }
    v.into_result()?;
    Ok(vehicles)
}

/// Great-circle kilometres, as the `earth` metric defines them.
pub(crate) fn km(a: &GeoPoint, b: &GeoPoint) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((b.lon - a.lon).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// The stop an order makes on the day starting at `day`, if it can be
/// served within the shift at all.
pub(crate) fn stop(order: &Order, day: i64, vehicles: &Vehicles) -> Option<Stop> {
    let needs = order.tour.unwrap_or_default();
    let service = match needs.service_minutes {
        0 => DEFAULT_SERVICE_MINUTES,
        m => m.clamp(1, 480) as u32,
    };
    let minute = |t: Option<Timestamp>, default: i32| {
        t.map_or(i64::from(default), |t| (t.seconds - day).div_euclid(60))
    };
    let ready = minute(needs.available_from, vehicles.shift_start_minute)
        .max(i64::from(vehicles.shift_start_minute));
    let latest_end = minute(needs.available_to, vehicles.shift_end_minute)
        .min(i64::from(vehicles.shift_end_minute));
    let due = latest_end - i64::from(service);
    (ready <= due).then(|| Stop {
        location: geo(order
            .customer
            .as_ref()
            .and_then(|c| c.location)
            .unwrap_or_default()),
        demand: needs.demand.clamp(1, 1000) as u32,
        ready: ready as u32,
        due: due as u32,
        service,
    })
}

/// A checked route: per stop, its candidate index and the minutes service
/// starts and ends; and the route's kilometres.
pub(crate) type Scheduled = (Vec<(usize, f64, f64)>, f64);

/// Checks a day's plan on the kernel's side: every stop once, capacity,
/// windows (with waiting), back by the shift's end.
pub(crate) fn schedule(
    plan: &TourPlan,
    candidates: &[Candidate],
    depot: &GeoPoint,
    vehicles: &Vehicles,
) -> Result<Vec<Scheduled>, String> {
    let mut seen = vec![false; candidates.len()];
    if plan.routes.len() > vehicles.count as usize {
        return Err(format!(
            "{} routes for {} vehicles",
            plan.routes.len(),
            vehicles.count
        ));
    }
    let point = |i: usize| {
        let l = candidates[i].stop.location;
        GeoPoint {
            lat: l.lat,
            lon: l.lon,
        }
    };
    let minutes = |km: f64| km / vehicles.speed_kmh * 60.0;
    const SLACK: f64 = 0.01;
    let mut routes = Vec::new();
    for (r, route) in plan.routes.iter().enumerate() {
        let (mut at, mut here, mut load, mut length) =
            (f64::from(vehicles.shift_start_minute), *depot, 0u64, 0.0);
        let mut stops = Vec::new();
        for &i in &route.stops {
            let i = i as usize;
            let Some(seen) = seen.get_mut(i) else {
                return Err(format!("route {r} visits stop {i}, which does not exist"));
            };
            if std::mem::replace(seen, true) {
                return Err(format!("stop {i} is visited twice"));
            }
            let s = &candidates[i].stop;
            let leg = km(&here, &point(i));
            length += leg;
            let start = (at + minutes(leg)).max(f64::from(s.ready));
            if start > f64::from(s.due) + SLACK {
                return Err(format!(
                    "route {r} starts stop {i} at minute {start:.1}, after its window ends ({})",
                    s.due
                ));
            }
            load += u64::from(s.demand);
            at = start + f64::from(s.service);
            stops.push((i, start, at));
            here = point(i);
        }
        let back = km(&here, depot);
        length += back;
        if at + minutes(back) > f64::from(vehicles.shift_end_minute) + SLACK {
            return Err(format!("route {r} is back after the shift ends"));
        }
        if load > vehicles.capacity as u64 {
            return Err(format!(
                "route {r} carries {load}, more than {}",
                vehicles.capacity
            ));
        }
        routes.push((stops, length));
    }
    for &u in &plan.unassigned {
        if seen.get(u as usize).copied().unwrap_or(true) {
            return Err(format!("unassigned stop {u} is routed or does not exist"));
        }
    }
    Ok(routes)
}
