//! `tour-vrptw`: the rural-tour planner (DOMAIN.md §1, "touring down to the
//! villages"). One call plans one outlet's vans for one day: vehicle
//! routing with time windows, capacity and a shift, fewest vehicles first,
//! then least distance. The search is plain Rust over plain values
//! ([`model`], [`search`]); this file maps the WIT request to them and
//! back, and reads the host's clock. See `plugins/README.md`.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/tour",
    with: {
        "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@0.2.0": xingji_plugin_sdk::host::log,
        "xingji:plugins/budget@0.2.0": xingji_plugin_sdk::host::budget,
    },
});

pub mod check;
pub mod local;
pub mod model;
pub mod params;
pub mod rng;
pub mod route;
pub mod search;
pub mod sisr;
#[cfg(test)]
mod solomon;

use exports::xingji::plugins::tour_planner::{self as wit, Guest, PlanRequest, TourPlan};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji");

/// The share of the host's remaining time the search may use: the rest is
/// the margin for building and returning the answer.
const HOST_SHARE: f64 = 0.9;

/// The request in plain values.
pub fn request(request: &PlanRequest) -> model::Request {
    let point = |g: &xingji_plugin_sdk::wit::types::Geo| model::Point { x: g.lat, y: g.lon };
    model::Request {
        depot: point(&request.depot),
        metric: match request.metric {
            wit::Metric::Plane => model::Metric::Plane,
            wit::Metric::Earth => model::Metric::Earth,
        },
        stops: request
            .stops
            .iter()
            .map(|s| model::Stop {
                at: point(&s.location),
                demand: s.demand,
                ready: s.ready,
                due: s.due,
                service: s.service,
            })
            .collect(),
        fleet: model::Fleet {
            vehicles: request.fleet.vehicles,
            capacity: request.fleet.capacity,
            speed_kmh: request.fleet.speed_kmh,
            shift_start: request.fleet.shift_start,
            shift_end: request.fleet.shift_end,
        },
    }
}

/// The plan in WIT values.
pub fn tour_plan(plan: model::Plan) -> TourPlan {
    TourPlan {
        routes: plan
            .routes
            .into_iter()
            .map(|route| wit::Route {
                stops: route.stops,
                distance: route.distance,
            })
            .collect(),
        unassigned: plan.unassigned,
    }
}

/// The host's clock: `budget.remaining-ms`, within the request's budget.
struct HostClock {
    /// The host's milliseconds left when the search started.
    host_start: f64,
    /// The search's budget from then.
    budget: f64,
}

impl search::Clock for HostClock {
    fn remaining_ms(&mut self) -> f64 {
        let used = self.host_start - f64::from(xingji_plugin_sdk::host::budget::remaining_ms());
        self.budget - used
    }
}

impl Guest for Component {
    fn plan(request: PlanRequest) -> Result<TourPlan, String> {
        let config = params::config(&request.params)?;
        let plain = self::request(&request);
        let host_start = f64::from(xingji_plugin_sdk::host::budget::remaining_ms());
        let mut clock = HostClock {
            host_start,
            budget: f64::from(request.budget_ms).min(host_start * HOST_SHARE),
        };
        let (plan, _) = search::solve(&plain, request.seed, &config, &mut clock)?;
        Ok(tour_plan(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_plugin_sdk::wit::types::Geo;

    #[test]
    fn maps_the_request_and_the_plan() {
        let req = PlanRequest {
            depot: Geo {
                lat: 31.0,
                lon: 121.0,
            },
            metric: wit::Metric::Earth,
            stops: vec![wit::Stop {
                location: Geo {
                    lat: 31.1,
                    lon: 121.2,
                },
                demand: 3,
                ready: 60,
                due: 120,
                service: 30,
            }],
            fleet: wit::Fleet {
                vehicles: 2,
                capacity: 10,
                speed_kmh: 40.0,
                shift_start: 0,
                shift_end: 480,
            },
            budget_ms: 100,
            seed: 1,
            params: vec![],
        };
        let plain = request(&req);
        assert_eq!(plain.metric, model::Metric::Earth);
        assert_eq!(plain.depot, model::Point { x: 31.0, y: 121.0 });
        assert_eq!(plain.stops[0].at, model::Point { x: 31.1, y: 121.2 });
        assert_eq!(
            (
                plain.stops[0].ready,
                plain.stops[0].due,
                plain.stops[0].service
            ),
            (60, 120, 30)
        );
        assert_eq!(plain.fleet.capacity, 10);
        let config = params::config(&req.params).unwrap();
        let (plan, _) =
            search::solve(&plain, req.seed, &config, &mut search::Wall::new(50.0)).unwrap();
        check::check(&plain, &plan).unwrap();
        let out = tour_plan(plan.clone());
        assert_eq!(out.routes.len(), 1);
        assert_eq!(out.routes[0].stops, [0]);
        assert_eq!(out.routes[0].distance, plan.routes[0].distance);
        assert!(out.unassigned.is_empty());
    }
}
