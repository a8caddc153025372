//! `PlanTours`: rural tour days out of one outlet (`kernel.tours()`). The
//! kernel picks the stops (tour-visit orders waiting in intake near the
//! outlet), asks the region's tour plugin for each day's routes, checks
//! them on its own (`schedule`), and dispatches the planned orders to the
//! vehicles' engineers.

use std::sync::Arc;

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    GeoPoint, Itinerary, LicenceState, Order, OrderKind, OrderStatus, Outlet, Person,
    PlanToursRequest, PlanToursResponse, TourStop, Vehicles,
};
use xingji_plugin_host::bindings::tour::exports::xingji::plugins::tour_planner::{
    Fleet, Metric, PlanRequest,
};
use xingji_plugin_host::{Plugin, PluginError, Slot};
use xingji_store::{OrderFilter, PersonFilter};

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::calendar::{days_from_date, midnight};
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::orders::lifecycle::Step;
use crate::orders::write::Entry;
use crate::paging::read_all;
use crate::permission::Permission::ToursPlan;
use crate::plugins::calls::Writes;
use crate::tours::schedule::{Candidate, Scheduled, check, km, schedule, stop};
use crate::wit::geo;

/// How far from the outlet a tour goes.
pub const TOUR_RADIUS_KM: f64 = 60.0;
/// The search time the plugin gets per day.
const BUDGET_MS: u32 = 2_000;

/// The tours of a kernel's regions.
#[derive(Clone, Copy)]
pub struct Tours<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// Rural tours.
    pub fn tours(&self) -> Tours<'_> {
        Tours { kernel: self }
    }
}

/// One day being planned.
struct Day<'a> {
    date: &'a Date,
    /// Its midnight, China Standard Time.
    start: i64,
    outlet: &'a Outlet,
    engineers: &'a [Person],
    vehicles: &'a Vehicles,
}

impl Tours<'_> {
    /// `PlanTours`: plans each requested day in turn, the orders not
    /// served one day waiting for the next.
    pub async fn plan(
        &self,
        actor: &Actor,
        request: PlanToursRequest,
    ) -> Result<PlanToursResponse> {
        access::check(actor, ToursPlan, Target::Region(&request.region))?;
        let vehicles = check(&request)?;
        self.kernel.check_region(&request.region).await?;
        let outlet = self
            .kernel
            .referenced_outlet("outlet_id", &request.outlet_id, &request.region)
            .await?;
        access::check(actor, ToursPlan, Target::Outlet(&outlet))?;
        let engineers = self.engineers(&outlet).await?;
        let vehicles = Vehicles {
            count: vehicles.count.min(engineers.len() as i32),
            ..vehicles
        };
        let mut waiting = self.waiting(&request.region, &outlet).await?;
        let mut response = PlanToursResponse::default();
        for date in &request.dates {
            if vehicles.count == 0 || waiting.is_empty() {
                break;
            }
            let day = Day {
                date,
                start: midnight(date),
                outlet: &outlet,
                engineers: &engineers,
                vehicles: &vehicles,
            };
            let (candidates, later): (Vec<Candidate>, Vec<Order>) = {
                let mut candidates = Vec::new();
                let mut later = Vec::new();
                for order in waiting.drain(..) {
                    match stop(&order, day.start, &vehicles) {
                        Some(stop) => candidates.push(Candidate { order, stop }),
                        None => later.push(order),
                    }
                }
                (candidates, later)
            };
            waiting = later;
            let (routes, plugin) = self
                .plan_day(actor, &request.region, &day, &candidates)
                .await?;
            let planned = self
                .dispatch_day(
                    actor,
                    &day,
                    &candidates,
                    &routes,
                    &plugin,
                    request.dry_run,
                    &mut response,
                )
                .await?;
            response.plugin = plugin;
            waiting.extend(
                candidates
                    .into_iter()
                    .zip(planned)
                    .filter(|(_, planned)| !planned)
                    .map(|(c, _)| c.order),
            );
        }
        response.unassigned_order_ids = waiting.into_iter().map(|o| o.id).collect();
        Ok(response)
    }

    /// The outlet's on-duty engineers, one per vehicle; eliminated licences
    /// drive no tour.
    async fn engineers(&self, outlet: &Outlet) -> Result<Vec<Person>> {
        let filter = PersonFilter {
            outlet_id: Some(outlet.id.clone()),
            on_duty_only: true,
            ..PersonFilter::default()
        };
        let people = read_all::<Person>(self.kernel.store.as_ref(), &filter)
            .await
            .map_err(|error| KernelError::store(error, "outlet", &outlet.id))?;
        Ok(people
            .into_iter()
            .filter(|p| p.licence_state() != LicenceState::Eliminated)
            .collect())
    }

    /// The region's tour visits waiting in intake within reach of `outlet`
    /// (for it, or for no outlet yet).
    async fn waiting(&self, region: &str, outlet: &Outlet) -> Result<Vec<Order>> {
        let depot = outlet.location.unwrap_or_default();
        let filter = OrderFilter {
            status: Some(OrderStatus::Intake as i32),
            kind: Some(OrderKind::TourVisit as i32),
            ..OrderFilter::in_region(region)
        };
        let orders = read_all::<Order>(self.kernel.store.as_ref(), &filter)
            .await
            .map_err(|error| KernelError::store(error, "region", region))?;
        Ok(orders
            .into_iter()
            .filter(|o| o.outlet_id.is_empty() || o.outlet_id == outlet.id)
            .filter(|o| {
                o.customer
                    .as_ref()
                    .and_then(|c| c.location)
                    .is_some_and(|l| km(&depot, &l) <= TOUR_RADIUS_KM)
            })
            .collect())
    }

    /// One day's routes from the region's tour plugin, checked by the
    /// kernel; and the plugin's `name@version`.
    async fn plan_day(
        &self,
        actor: &Actor,
        region: &str,
        day: &Day<'_>,
        candidates: &[Candidate],
    ) -> Result<(Vec<Scheduled>, String)> {
        let depot: GeoPoint = day.outlet.location.unwrap_or_default();
        let vehicles = day.vehicles;
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
            seed: days_from_date(day.date).unwrap_or(0) as u64,
            params: Vec::new(),
        };
        let plan = |plugin: Arc<Plugin>, limits, params, services| async move {
            let request = PlanRequest {
                params,
                ..plan_request
            };
            let (answer, cost) = plugin.tour_plan(&request, limits, services).await?;
            let plan = answer.map_err(PluginError::Refused)?;
            let routes = schedule(&plan, candidates, &depot, vehicles)
                .map_err(PluginError::InvalidResult)?;
            Ok((routes, cost))
        };
        let called = self
            .kernel
            .plugins
            .call_with(region, Slot::Tour, actor, Writes::Keep("tours.plan"), plan)
            .await?;
        Ok((called.answer, called.plugin))
    }

    /// Adds the day's itineraries to `response` and, unless a dry run,
    /// dispatches each planned order to its vehicle's engineer with the
    /// planned start as its appointment. Returns which candidates were
    /// planned.
    #[allow(clippy::too_many_arguments)] // one day's plan and where it goes
    async fn dispatch_day(
        &self,
        actor: &Actor,
        day: &Day<'_>,
        candidates: &[Candidate],
        routes: &[Scheduled],
        plugin: &str,
        dry_run: bool,
        response: &mut PlanToursResponse,
    ) -> Result<Vec<bool>> {
        let orders = self.kernel.orders();
        let date = day.date;
        let at = |minute: f64| Timestamp {
            seconds: day.start + (minute * 60.0).round() as i64,
            nanos: 0,
        };
        let mut planned = vec![false; candidates.len()];
        for (v, (stops, length)) in routes.iter().enumerate() {
            if stops.is_empty() {
                continue;
            }
            let engineer = &day.engineers[v];
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
                if dry_run {
                    continue;
                }
                let mut order = order.clone();
                order.outlet_id.clone_from(&day.outlet.id);
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
                let entry = Entry {
                    action: Step::Dispatch.action(),
                    status: OrderStatus::Dispatched,
                    reason,
                    decision: None,
                };
                orders.write(order, actor, entry).await?;
            }
            response.itineraries.push(itinerary);
        }
        Ok(planned)
    }
}
