//! `TourService`: rural tour days out of one outlet, planned by the
//! region's tour plugin. The kernel picks the stops (tour-visit orders
//! waiting in intake near the outlet), checks the plan it gets back on its
//! own (every window, the shift and the capacity), and dispatches the
//! planned orders to the vehicles' engineers.

use std::sync::Arc;

use prost_types::Timestamp;
use tonic::{Request, Response, Status};
use xingji_api::v1::tour_service_server::TourService;
use xingji_api::v1::{
    Itinerary, LicenceState, Order, OrderKind, OrderStatus, Outlet, Person, PlanToursRequest,
    PlanToursResponse, TourStop, Vehicles,
};
use xingji_plugin_host::bindings::tour::exports::xingji::plugins::tour_planner::{
    Fleet, Metric, PlanRequest, Stop, TourPlan,
};
use xingji_plugin_host::{PluginError, Slot};
use xingji_store::{OrderFilter, PersonFilter};

use super::{Kernel, OrderApi, actor};
use crate::dispatch::read_all;
use crate::lifecycle::{Actor, Step};
use crate::status::{from_store, permission_denied};
use crate::telemetry::record_region;
use crate::validate::{Violations, days_from_date, midnight};
use crate::wit_records::geo;

/// How far from the outlet a tour goes.
pub const TOUR_RADIUS_KM: f64 = 60.0;
/// Service minutes when an order does not say.
const DEFAULT_SERVICE_MINUTES: u32 = 45;
/// The search time the plugin gets per day.
const BUDGET_MS: u32 = 2_000;

/// The `TourService` implementation.
pub struct TourApi {
    kernel: Arc<Kernel>,
}

impl TourApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

/// One candidate stop: the order and its window on the day being planned.
struct Candidate {
    order: Order,
    stop: Stop,
}

fn check(request: &PlanToursRequest) -> Result<Vehicles, Status> {
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
fn km(a: &xingji_api::v1::GeoPoint, b: &xingji_api::v1::GeoPoint) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((b.lon - a.lon).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// The stop an order makes on the day starting at `day`, if it can be
/// served within the shift at all.
fn stop(order: &Order, day: i64, vehicles: &Vehicles) -> Option<Stop> {
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
type Scheduled = (Vec<(usize, f64, f64)>, f64);

/// Checks a day's plan on the kernel's side: every stop once, capacity,
/// windows (with waiting), back by the shift's end.
fn schedule(
    plan: &TourPlan,
    candidates: &[Candidate],
    depot: &xingji_api::v1::GeoPoint,
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
        xingji_api::v1::GeoPoint {
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

#[tonic::async_trait]
impl TourService for TourApi {
    async fn plan_tours(
        &self,
        request: Request<PlanToursRequest>,
    ) -> Result<Response<PlanToursResponse>, Status> {
        let actor = actor(&request);
        let request = request.into_inner();
        record_region(&request.region);
        let vehicles = check(&request)?;
        let outlet: Outlet = self
            .kernel
            .referenced_outlet("outlet_id", &request.outlet_id, &request.region)
            .await?;
        let allowed = match &actor {
            Actor::Hq(_) | Actor::CallCentre(_) | Actor::System(_) => true,
            Actor::Outlet(id) => *id == outlet.id,
            _ => false,
        };
        if !allowed {
            return Err(permission_denied(
                &actor.to_string(),
                "plan tours",
                "hq:, call-centre:, system: or the outlet itself (outlet:<id>)",
            ));
        }
        let store = self.kernel.store.as_ref();
        let region = Some(request.region.clone());
        let engineers: Vec<Person> = read_all(
            |page| {
                let filter = PersonFilter {
                    outlet_id: Some(outlet.id.clone()),
                    on_duty_only: true,
                    ..PersonFilter::default()
                };
                async move { store.list_people(&filter, &page).await }
            },
            |p: &Person| p.id.clone(),
        )
        .await
        .map_err(|error| from_store(error, "outlet", &outlet.id))?
        .into_iter()
        .filter(|p| p.licence_state != LicenceState::Eliminated as i32)
        .collect();
        let vehicles = Vehicles {
            count: vehicles.count.min(engineers.len() as i32),
            ..vehicles
        };
        let depot = outlet.location.unwrap_or_default();
        let mut waiting: Vec<Order> = read_all(
            |page| {
                let filter = OrderFilter {
                    region: region.clone(),
                    status: Some(OrderStatus::Intake as i32),
                    kind: Some(OrderKind::TourVisit as i32),
                    ..OrderFilter::default()
                };
                async move { store.list_orders(&filter, &page).await }
            },
            |o: &Order| o.id.clone(),
        )
        .await
        .map_err(|error| from_store(error, "region", &request.region))?
        .into_iter()
        .filter(|o| o.outlet_id.is_empty() || o.outlet_id == outlet.id)
        .filter(|o| {
            o.customer
                .as_ref()
                .and_then(|c| c.location)
                .is_some_and(|l| km(&depot, &l) <= TOUR_RADIUS_KM)
        })
        .collect();

        let orders = OrderApi::new(self.kernel.clone());
        let mut response = PlanToursResponse::default();
        for date in &request.dates {
            if vehicles.count == 0 || waiting.is_empty() {
                break;
            }
            let day = midnight(date);
            let (candidates, later): (Vec<Candidate>, Vec<Order>) = {
                let mut candidates = Vec::new();
                let mut later = Vec::new();
                for order in waiting.drain(..) {
                    match stop(&order, day, &vehicles) {
                        Some(stop) => candidates.push(Candidate { order, stop }),
                        None => later.push(order),
                    }
                }
                (candidates, later)
            };
            waiting = later;
            let plan_request = PlanRequest {
                depot: geo(depot),
                metric: Metric::Earth,
                stops: candidates.iter().map(|c| c.stop).collect(),
                fleet: Fleet {
                    vehicles: vehicles.count as u32,
                    capacity: vehicles.capacity as u32,
                    speed_kmh: vehicles.speed_kmh,
                    shift_start: vehicles.shift_start_minute as u32,
                    shift_end: vehicles.shift_end_minute as u32,
                },
                budget_ms: BUDGET_MS,
                seed: days_from_date(date).unwrap_or(0) as u64,
                params: Vec::new(),
            };
            let (routes, plugin) = self
                .kernel
                .plugins
                .call(
                    &request.region,
                    Slot::Tour,
                    |plugin, limits, params, services| {
                        let (candidates, depot, vehicles) = (&candidates, &depot, &vehicles);
                        let plan_request = PlanRequest {
                            params,
                            ..plan_request
                        };
                        async move {
                            let (answer, cost) =
                                plugin.tour_plan(&plan_request, limits, services).await?;
                            let plan = answer.map_err(PluginError::Refused)?;
                            let routes = schedule(&plan, candidates, depot, vehicles)
                                .map_err(PluginError::InvalidResult)?;
                            Ok(((routes, plugin.id()), cost))
                        }
                    },
                )
                .await?;
            response.plugin = plugin.clone();
            let mut planned = vec![false; candidates.len()];
            for (v, (stops, length)) in routes.iter().enumerate() {
                if stops.is_empty() {
                    continue;
                }
                let engineer = &engineers[v];
                let at = |minute: f64| Timestamp {
                    seconds: day + (minute * 60.0).round() as i64,
                    nanos: 0,
                };
                let mut itinerary = Itinerary {
                    date: Some(*date),
                    vehicle: v as i32 + 1,
                    engineer_id: engineer.id.clone(),
                    stops: Vec::new(),
                    distance_km: *length,
                };
                for (k, &(i, start, end)) in stops.iter().enumerate() {
                    planned[i] = true;
                    let order = &candidates[i].order;
                    itinerary.stops.push(TourStop {
                        order_id: order.id.clone(),
                        start_time: Some(at(start)),
                        end_time: Some(at(end)),
                    });
                    if request.dry_run {
                        continue;
                    }
                    let mut order = order.clone();
                    order.outlet_id.clone_from(&outlet.id);
                    order.engineer_id.clone_from(&engineer.id);
                    order.appointment_time = Some(at(start));
                    let reason = format!(
                        "{plugin} planned the tour of {}-{:02}-{:02}: vehicle {}, stop {}",
                        date.year,
                        date.month,
                        date.day,
                        v + 1,
                        k + 1
                    );
                    orders
                        .write(
                            order,
                            &actor,
                            Step::Dispatch.action(),
                            OrderStatus::Dispatched as i32,
                            reason,
                        )
                        .await?;
                }
                response.itineraries.push(itinerary);
            }
            waiting.extend(
                candidates
                    .into_iter()
                    .zip(planned)
                    .filter(|(_, planned)| !planned)
                    .map(|(c, _)| c.order),
            );
        }
        response.unassigned_order_ids = waiting.into_iter().map(|o| o.id).collect();
        Ok(Response::new(response))
    }
}
