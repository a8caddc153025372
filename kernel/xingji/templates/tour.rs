//! `{{name}}`: a rural-tour planner. It fills one vehicle at a time with
//! the nearest stop it can still serve within the stop's window, its
//! capacity and its shift, and leaves out the stops no vehicle can take.

wit_bindgen::generate!({
    path: "wit/{{wit_version}}",
    world: "xingji:plugins/tour@{{wit_version}}",
    with: {
        "xingji:plugins/types@{{wit_version}}": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@{{wit_version}}": xingji_plugin_sdk::host::log,
        "xingji:plugins/budget@{{wit_version}}": xingji_plugin_sdk::host::budget,
    },
});

use exports::xingji::plugins::tour_planner::{Guest, Metric, PlanRequest, Route, TourPlan};
use xingji_plugin_sdk::host::budget::remaining_ms;
use xingji_plugin_sdk::host::log::{Level, log};
use xingji_plugin_sdk::wit::types::Geo;

struct Component;

// The component's exports, for the kernel. In `cargo test` (native) the
// tests call `Component` directly, and a native library cannot export
// these names.
#[cfg(target_arch = "wasm32")]
export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "{{author}}");

/// Distance and minutes of travel between two places.
fn leg(request: &PlanRequest, from: &Geo, to: &Geo) -> (f64, f64) {
    match request.metric {
        Metric::Plane => {
            let distance = ((to.lat - from.lat).powi(2) + (to.lon - from.lon).powi(2)).sqrt();
            (distance, distance)
        }
        Metric::Earth => {
            let km = xingji_plugin_sdk::km(from.lat, from.lon, to.lat, to.lon);
            (km, km / request.fleet.speed_kmh.max(1.0) * 60.0)
        }
    }
}

impl Guest for Component {
    fn plan(request: PlanRequest) -> Result<TourPlan, String> {
        let mut left: Vec<usize> = (0..request.stops.len()).collect();
        let mut routes = Vec::new();
        while !left.is_empty() && (routes.len() as u32) < request.fleet.vehicles {
            let (mut at, mut time, mut load) = (request.depot, f64::from(request.fleet.shift_start), 0);
            let mut route = Route { stops: Vec::new(), distance: 0.0 };
            // The nearest stop that still fits, until none does.
            while let Some((position, distance, start)) = left
                .iter()
                .enumerate()
                .filter_map(|(position, &index)| {
                    let stop = &request.stops[index];
                    let (distance, minutes) = leg(&request, &at, &stop.location);
                    let start = (time + minutes).max(f64::from(stop.ready));
                    let (_, back_minutes) = leg(&request, &stop.location, &request.depot);
                    let fits = load + stop.demand <= request.fleet.capacity
                        && start <= f64::from(stop.due)
                        && start + f64::from(stop.service) + back_minutes
                            <= f64::from(request.fleet.shift_end);
                    fits.then_some((position, distance, start))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
            {
                let index = left.remove(position);
                let stop = &request.stops[index];
                route.stops.push(index as u32);
                route.distance += distance;
                time = start + f64::from(stop.service);
                load += stop.demand;
                at = stop.location;
            }
            if route.stops.is_empty() {
                break;
            }
            route.distance += leg(&request, &at, &request.depot).0;
            routes.push(route);
        }
        log(
            Level::Info,
            &format!("{} routes, {} stops left, {} ms to spare", routes.len(), left.len(), remaining_ms()),
        );
        Ok(TourPlan {
            routes,
            unassigned: left.into_iter().map(|index| index as u32).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use exports::xingji::plugins::tour_planner::{Fleet, Stop};
    use xingji_plugin_sdk::test_host::{self, TestHost};

    use super::*;

    fn stop(x: f64, demand: u32, due: u32) -> Stop {
        Stop { location: Geo { lat: x, lon: 0.0 }, demand, ready: 0, due, service: 10 }
    }

    #[test]
    fn fills_a_vehicle_then_the_next_and_leaves_what_none_can_take() {
        TestHost::new().remaining_ms(500).install();
        let request = PlanRequest {
            depot: Geo { lat: 0.0, lon: 0.0 },
            metric: Metric::Plane,
            // Stop 3 is due before anyone can reach it.
            stops: vec![stop(10.0, 6, 1000), stop(20.0, 6, 1000), stop(30.0, 3, 1000), stop(500.0, 1, 100)],
            fleet: Fleet { vehicles: 2, capacity: 10, speed_kmh: 30.0, shift_start: 0, shift_end: 2000 },
            budget_ms: 100,
            seed: 1,
            params: Vec::new(),
        };
        let plan = Component::plan(request).expect("a plan");
        let routes: Vec<Vec<u32>> = plan.routes.iter().map(|r| r.stops.clone()).collect();
        assert_eq!(routes, vec![vec![0, 2], vec![1]]);
        assert_eq!(plan.unassigned, vec![3]);
        assert_eq!(test_host::logged()[0].1, "2 routes, 1 stops left, 500 ms to spare");
    }
}
