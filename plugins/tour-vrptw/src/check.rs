//! An independent check of a plan against its request, written apart from
//! the solver's bookkeeping: it simulates every route from the depot, in
//! the request's own terms (stop indices, minutes, the metric), and
//! recomputes every distance with the kit's great-circle formula or the
//! plane's. Every test runs its plans through it.

use crate::model::{Metric, Plan, Request};

/// Slack allowed on times and distances (rounding only).
const TOLERANCE: f64 = 1e-6;

/// What a valid plan amounts to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub vehicles: usize,
    pub served: usize,
    pub distance: f64,
}

fn length(request: &Request, from: (f64, f64), to: (f64, f64)) -> f64 {
    match request.metric {
        Metric::Plane => (to.0 - from.0).hypot(to.1 - from.1),
        Metric::Earth => xingji_plugin_sdk::km(from.0, from.1, to.0, to.1),
    }
}

fn minutes(request: &Request, distance: f64) -> f64 {
    match request.metric {
        Metric::Plane => distance,
        Metric::Earth => distance / request.fleet.speed_kmh * 60.0,
    }
}

/// Checks `plan`: each stop in exactly one route or in `unassigned`, no
/// more vehicles than the fleet, no empty route, each route within the
/// capacity, every service starting within its window (waiting when
/// early), the vehicle leaving the depot at the shift start at the
/// earliest and back by its end, and each route's distance and so the
/// total right.
pub fn check(request: &Request, plan: &Plan) -> Result<Report, String> {
    let n = request.stops.len();
    let fleet = &request.fleet;
    let mut seen = vec![0u32; n];
    for &stop in plan
        .routes
        .iter()
        .flat_map(|route| &route.stops)
        .chain(&plan.unassigned)
    {
        let slot = seen
            .get_mut(stop as usize)
            .ok_or_else(|| format!("stop {stop} does not exist ({n} stops)"))?;
        *slot += 1;
    }
    if let Some(stop) = seen.iter().position(|&count| count > 1) {
        return Err(format!("stop {stop} appears {} times", seen[stop]));
    }
    if let Some(stop) = seen.iter().position(|&count| count == 0) {
        return Err(format!("stop {stop} is neither served nor unassigned"));
    }
    if plan.routes.len() > fleet.vehicles as usize {
        return Err(format!(
            "{} routes for {} vehicles",
            plan.routes.len(),
            fleet.vehicles
        ));
    }
    let depot = (request.depot.x, request.depot.y);
    let mut total = 0.0;
    for (r, route) in plan.routes.iter().enumerate() {
        if route.stops.is_empty() {
            return Err(format!("route {r} is empty"));
        }
        let load: u64 = route
            .stops
            .iter()
            .map(|&s| u64::from(request.stops[s as usize].demand))
            .sum();
        if load > u64::from(fleet.capacity) {
            return Err(format!(
                "route {r}: load {load} over the capacity {}",
                fleet.capacity
            ));
        }
        let mut clock = f64::from(fleet.shift_start);
        let mut here = depot;
        let mut distance = 0.0;
        for &s in &route.stops {
            let stop = &request.stops[s as usize];
            let there = (stop.at.x, stop.at.y);
            let leg = length(request, here, there);
            distance += leg;
            clock += minutes(request, leg);
            if clock > f64::from(stop.due) + TOLERANCE {
                return Err(format!(
                    "route {r}: stop {s} reached at {clock:.4}, after its due {}",
                    stop.due
                ));
            }
            clock = clock.max(f64::from(stop.ready)) + f64::from(stop.service);
            here = there;
        }
        let leg = length(request, here, depot);
        distance += leg;
        clock += minutes(request, leg);
        if clock > f64::from(fleet.shift_end) + TOLERANCE {
            return Err(format!(
                "route {r}: back at {clock:.4}, after the shift's end {}",
                fleet.shift_end
            ));
        }
        if !(route.distance - distance)
            .abs()
            .le(&(TOLERANCE * distance.max(1.0)))
        {
            return Err(format!(
                "route {r}: distance {} reported, {distance} measured",
                route.distance
            ));
        }
        total += distance;
    }
    Ok(Report {
        vehicles: plan.routes.len(),
        served: n - plan.unassigned.len(),
        distance: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Fleet, Point, Route, Stop};

    fn request() -> Request {
        let stop = |x: f64, demand: u32, ready: u32, due: u32| Stop {
            at: Point { x, y: 0.0 },
            demand,
            ready,
            due,
            service: 2,
        };
        Request {
            depot: Point { x: 0.0, y: 0.0 },
            metric: Metric::Plane,
            // At x = 3, 4, 10.
            stops: vec![
                stop(3.0, 4, 0, 10),
                stop(4.0, 4, 8, 9),
                stop(10.0, 5, 0, 100),
            ],
            fleet: Fleet {
                vehicles: 2,
                capacity: 8,
                speed_kmh: 1.0,
                shift_start: 0,
                shift_end: 40,
            },
        }
    }

    fn route(stops: &[u32], distance: f64) -> Route {
        Route {
            stops: stops.to_vec(),
            distance,
        }
    }

    #[test]
    fn catches_every_breach() {
        let req = request();
        // 0 at 3 (start 3, leave 5), 1 at 6, waits to 8, leaves 10, home
        // at 14; 2 alone: 10 out, 10 back.
        let good = Plan {
            routes: vec![route(&[0, 1], 8.0), route(&[2], 20.0)],
            unassigned: vec![],
        };
        assert_eq!(
            check(&req, &good),
            Ok(Report {
                vehicles: 2,
                served: 3,
                distance: 28.0
            })
        );
        let ok = Plan {
            routes: vec![route(&[0, 1], 8.0)],
            unassigned: vec![2],
        };
        assert!(check(&req, &ok).is_ok());

        let cases: Vec<(Plan, &str)> = vec![
            (
                Plan {
                    routes: vec![route(&[0, 1], 8.0)],
                    unassigned: vec![],
                },
                "stop 2 is neither",
            ),
            (
                Plan {
                    routes: vec![route(&[0, 1], 8.0), route(&[2], 20.0)],
                    unassigned: vec![2],
                },
                "stop 2 appears 2 times",
            ),
            (
                Plan {
                    routes: vec![route(&[0, 1, 7], 8.0)],
                    unassigned: vec![2],
                },
                "stop 7 does not exist",
            ),
            (
                Plan {
                    routes: vec![route(&[0], 6.0), route(&[1], 8.0), route(&[2], 20.0)],
                    unassigned: vec![],
                },
                "3 routes for 2 vehicles",
            ),
            (
                Plan {
                    routes: vec![route(&[0, 1], 8.0), route(&[], 0.0)],
                    unassigned: vec![2],
                },
                "route 1 is empty",
            ),
            (
                Plan {
                    routes: vec![route(&[0, 2], 20.0), route(&[1], 8.0)],
                    unassigned: vec![],
                },
                "load 9 over the capacity 8",
            ),
            (
                Plan {
                    routes: vec![route(&[1, 0], 8.0), route(&[2], 20.0)],
                    unassigned: vec![],
                },
                "stop 0 reached at 11.0000, after its due 10",
            ),
            (
                Plan {
                    routes: vec![route(&[0, 1], 8.5), route(&[2], 20.0)],
                    unassigned: vec![],
                },
                "distance 8.5 reported, 8 measured",
            ),
        ];
        for (plan, want) in cases {
            let err = check(&req, &plan).unwrap_err();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
        // Back too late: a shift ending at 13.
        let mut short = req.clone();
        short.fleet.shift_end = 13;
        let err = check(&short, &ok).unwrap_err();
        assert!(err.contains("back at 14.0000"), "{err}");
        // Leaving no earlier than the shift start: at 5, stop 0 starts at
        // 8, stop 1 is reached at 11, after 9.
        let mut late = req.clone();
        late.fleet.shift_start = 5;
        let err = check(&late, &ok).unwrap_err();
        assert!(err.contains("stop 1 reached at 11.0000"), "{err}");
    }

    #[test]
    fn earth_distances_and_speed() {
        let mut req = request();
        req.metric = Metric::Earth;
        req.depot = Point { x: 31.0, y: 121.0 };
        req.stops.truncate(1);
        req.stops[0].at = Point { x: 31.1, y: 121.0 };
        req.stops[0].due = 100;
        req.fleet.speed_kmh = 60.0;
        req.fleet.shift_end = 100;
        // 0.1° of latitude: 11.12 km each way, 11.12 minutes at 60 km/h.
        let km = xingji_plugin_sdk::km(31.0, 121.0, 31.1, 121.0);
        let plan = Plan {
            routes: vec![route(&[0], 2.0 * km)],
            unassigned: vec![],
        };
        assert!((check(&req, &plan).unwrap().distance - 22.24).abs() < 0.01);
        req.fleet.shift_end = 24;
        assert!(check(&req, &plan).unwrap_err().contains("back at"));
    }
}
