//! The problem in plain values (no WIT types), its validation, and the
//! instance the search works on: the servable stops as nodes `1..n` with
//! the depot as node 0, a distance matrix and the time windows in minutes.

/// How distance and travel time are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Plane coordinates; travel takes one minute per unit (Solomon).
    Plane,
    /// WGS 84 degrees (`x` latitude, `y` longitude); kilometres, at the
    /// fleet's speed.
    Earth,
}

/// A point: plane `x`, `y`, or latitude, longitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A place to visit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stop {
    pub at: Point,
    pub demand: u32,
    /// Service starts at `ready` at the earliest and `due` at the latest.
    pub ready: u32,
    pub due: u32,
    /// Minutes of service.
    pub service: u32,
}

/// The vehicles, all alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fleet {
    pub vehicles: u32,
    pub capacity: u32,
    /// For [`Metric::Earth`] only.
    pub speed_kmh: f64,
    /// Leave the depot at `shift_start` at the earliest, be back by
    /// `shift_end`.
    pub shift_start: u32,
    pub shift_end: u32,
}

/// One planning call: one outlet (the depot), one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub depot: Point,
    pub metric: Metric,
    pub stops: Vec<Stop>,
    pub fleet: Fleet,
}

/// One vehicle's route: indices into the request's stops, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub stops: Vec<u32>,
    pub distance: f64,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub routes: Vec<Route>,
    /// Stops no vehicle takes, ascending.
    pub unassigned: Vec<u32>,
}

impl Plan {
    pub fn distance(&self) -> f64 {
        self.routes.iter().map(|route| route.distance).sum()
    }
}

/// The largest request: the distance matrix grows with its square.
pub const MAX_STOPS: usize = 2_000;

/// Times are compared with this tolerance (minutes): a schedule computed
/// forward and the same schedule checked backward may differ in the last
/// bit.
pub const EPS: f64 = 1e-9;

/// Kilometres of the mean earth radius, as in the kit.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// The distance between two points under `metric`.
pub fn distance(metric: Metric, a: Point, b: Point) -> f64 {
    match metric {
        Metric::Plane => {
            let (dx, dy) = (a.x - b.x, a.y - b.y);
            (dx * dx + dy * dy).sqrt()
        }
        Metric::Earth => {
            let (la1, la2) = (a.x.to_radians(), b.x.to_radians());
            let dla = la2 - la1;
            let dlo = (b.y - a.y).to_radians();
            let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
        }
    }
}

/// Minutes of travel per unit of distance.
pub fn minutes_per_unit(request: &Request) -> f64 {
    match request.metric {
        Metric::Plane => 1.0,
        Metric::Earth => 60.0 / request.fleet.speed_kmh,
    }
}

fn check_point(metric: Metric, point: Point, what: &str) -> Result<(), String> {
    if !point.x.is_finite() || !point.y.is_finite() {
        return Err(format!("{what}: the location is not a finite number"));
    }
    if metric == Metric::Earth && (point.x.abs() > 90.0 || point.y.abs() > 180.0) {
        return Err(format!(
            "{what}: ({}, {}) is not a latitude and longitude in degrees",
            point.x, point.y
        ));
    }
    Ok(())
}

/// Rejects a malformed request with a message that names the culprit.
pub fn validate(request: &Request) -> Result<(), String> {
    let fleet = &request.fleet;
    if fleet.vehicles == 0 {
        return Err("fleet: no vehicles".into());
    }
    if fleet.shift_start > fleet.shift_end {
        return Err(format!(
            "fleet: the shift starts at {} after it ends at {}",
            fleet.shift_start, fleet.shift_end
        ));
    }
    if request.metric == Metric::Earth && !(fleet.speed_kmh.is_finite() && fleet.speed_kmh > 0.0) {
        return Err(format!(
            "fleet: speed {} km/h is not a positive number",
            fleet.speed_kmh
        ));
    }
    if request.stops.len() > MAX_STOPS {
        return Err(format!(
            "{} stops are more than the {MAX_STOPS} one call plans",
            request.stops.len()
        ));
    }
    check_point(request.metric, request.depot, "depot")?;
    for (index, stop) in request.stops.iter().enumerate() {
        let what = format!("stop {index}");
        check_point(request.metric, stop.at, &what)?;
        if stop.ready > stop.due {
            return Err(format!(
                "{what}: ready {} is after due {}",
                stop.ready, stop.due
            ));
        }
    }
    Ok(())
}

/// The search's view of a valid request. Node 0 is the depot; nodes
/// `1..n` are the servable stops.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Nodes, the depot included.
    pub n: usize,
    /// The request's stop index of each node (the depot's is `u32::MAX`).
    pub stop: Vec<u32>,
    /// Distances, row-major `n × n`.
    dist: Vec<f64>,
    /// Minutes of travel per unit of distance.
    pub per_unit: f64,
    pub demand: Vec<u64>,
    pub ready: Vec<f64>,
    pub due: Vec<f64>,
    pub service: Vec<f64>,
    pub capacity: u64,
    pub vehicles: usize,
    /// The shift.
    pub start: f64,
    pub end: f64,
    /// Each node's nearest customers, nearest first (itself excluded).
    pub near: Vec<Vec<u32>>,
    /// Stops that no vehicle can serve within the rules, ascending.
    pub unservable: Vec<u32>,
}

/// How many neighbours each node keeps for the ruin.
const NEIGHBOURS: usize = 100;

impl Instance {
    /// Builds the instance of a request that [`validate`] accepted.
    pub fn new(request: &Request) -> Instance {
        let fleet = &request.fleet;
        let per_unit = minutes_per_unit(request);
        let (start, end) = (f64::from(fleet.shift_start), f64::from(fleet.shift_end));
        let metric = request.metric;
        let mut stop = vec![u32::MAX];
        let mut unservable = Vec::new();
        for (index, s) in request.stops.iter().enumerate() {
            let out = distance(metric, request.depot, s.at) * per_unit;
            let back = distance(metric, s.at, request.depot) * per_unit;
            let arrive = start + out;
            let begin = arrive.max(f64::from(s.ready));
            let servable = u64::from(s.demand) <= u64::from(fleet.capacity)
                && arrive <= f64::from(s.due) + EPS
                && begin + f64::from(s.service) + back <= end + EPS;
            if servable {
                stop.push(index as u32);
            } else {
                unservable.push(index as u32);
            }
        }
        let n = stop.len();
        let at = |node: usize| {
            if node == 0 {
                request.depot
            } else {
                request.stops[stop[node] as usize].at
            }
        };
        let mut dist = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    dist[i * n + j] = distance(metric, at(i), at(j));
                }
            }
        }
        let field = |f: &dyn Fn(&Stop) -> f64, depot: f64| {
            (0..n)
                .map(|node| {
                    if node == 0 {
                        depot
                    } else {
                        f(&request.stops[stop[node] as usize])
                    }
                })
                .collect::<Vec<f64>>()
        };
        let ready = field(&|s| f64::from(s.ready), start);
        let due = field(&|s| f64::from(s.due), end);
        let service = field(&|s| f64::from(s.service), 0.0);
        let demand = (0..n)
            .map(|node| {
                if node == 0 {
                    0
                } else {
                    u64::from(request.stops[stop[node] as usize].demand)
                }
            })
            .collect();
        let near = (0..n)
            .map(|i| {
                let mut others: Vec<u32> = (1..n as u32).filter(|&j| j as usize != i).collect();
                let key = |&j: &u32| dist[i * n + j as usize];
                let keep = NEIGHBOURS.min(others.len());
                if keep < others.len() {
                    others.select_nth_unstable_by(keep, |a, b| key(a).total_cmp(&key(b)));
                    others.truncate(keep);
                }
                others.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
                others
            })
            .collect();
        Instance {
            n,
            stop,
            dist,
            per_unit,
            demand,
            ready,
            due,
            service,
            capacity: u64::from(fleet.capacity),
            vehicles: fleet.vehicles as usize,
            start,
            end,
            near,
            unservable,
        }
    }

    /// Distance from node `i` to node `j`.
    #[inline]
    pub fn d(&self, i: usize, j: usize) -> f64 {
        self.dist[i * self.n + j]
    }

    /// Minutes from node `i` to node `j`.
    #[inline]
    pub fn t(&self, i: usize, j: usize) -> f64 {
        self.dist[i * self.n + j] * self.per_unit
    }

    /// The customers (servable stops).
    pub fn customers(&self) -> usize {
        self.n - 1
    }

    /// The fewest vehicles the demand needs.
    pub fn lower_bound(&self) -> usize {
        let total: u64 = self.demand.iter().sum();
        if self.capacity == 0 || total == 0 {
            return usize::from(self.n > 1);
        }
        total.div_ceil(self.capacity) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(x: f64, y: f64, ready: u32, due: u32) -> Stop {
        Stop {
            at: Point { x, y },
            demand: 1,
            ready,
            due,
            service: 0,
        }
    }

    fn request(stops: Vec<Stop>) -> Request {
        Request {
            depot: Point { x: 0.0, y: 0.0 },
            metric: Metric::Plane,
            stops,
            fleet: Fleet {
                vehicles: 2,
                capacity: 10,
                speed_kmh: 30.0,
                shift_start: 0,
                shift_end: 100,
            },
        }
    }

    #[test]
    fn malformed_requests() {
        let ok = request(vec![stop(1.0, 1.0, 0, 50)]);
        assert_eq!(validate(&ok), Ok(()));
        type Change = Box<dyn Fn(&mut Request)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|r| r.fleet.vehicles = 0), "no vehicles"),
            (
                Box::new(|r| {
                    r.fleet.shift_start = 10;
                    r.fleet.shift_end = 5
                }),
                "shift starts at 10",
            ),
            (
                Box::new(|r| r.stops[0].ready = 60),
                "stop 0: ready 60 is after due 50",
            ),
            (
                Box::new(|r| r.stops[0].at.x = f64::NAN),
                "stop 0: the location",
            ),
            (
                Box::new(|r| r.depot.y = f64::INFINITY),
                "depot: the location",
            ),
            (
                Box::new(|r| {
                    r.metric = Metric::Earth;
                    r.fleet.speed_kmh = 0.0
                }),
                "speed 0 km/h",
            ),
            (
                Box::new(|r| {
                    r.metric = Metric::Earth;
                    r.fleet.speed_kmh = f64::NAN
                }),
                "speed NaN km/h",
            ),
            (
                Box::new(|r| {
                    r.metric = Metric::Earth;
                    r.stops[0].at.x = 91.0
                }),
                "stop 0: (91, 1) is not a latitude",
            ),
            (
                Box::new(|r| r.stops = vec![stop(1.0, 1.0, 0, 50); MAX_STOPS + 1]),
                "more than the 2000",
            ),
        ];
        for (change, want) in cases {
            let mut r = ok.clone();
            change(&mut r);
            let err = validate(&r).unwrap_err();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
        // The plane metric ignores the speed.
        let mut r = ok.clone();
        r.fleet.speed_kmh = f64::NAN;
        assert_eq!(validate(&r), Ok(()));
    }

    #[test]
    fn servable_stops() {
        let mut r = request(vec![
            stop(3.0, 4.0, 0, 50),   // 0: fine, 5 out
            stop(3.0, 4.0, 0, 4),    // 1: due before it can be reached
            stop(30.0, 40.0, 0, 50), // 2: 50 out, 50 back: exactly the shift
            stop(30.0, 40.0, 0, 60), // 3: ready at 50, but its service ends too late
            stop(3.0, 4.0, 0, 5),    // 4: exactly reachable
        ]);
        r.stops[3].service = 1;
        r.stops[0].demand = 10; // exactly the capacity
        let mut heavy = stop(1.0, 0.0, 0, 50);
        heavy.demand = 11;
        r.stops.push(heavy); // 5: too heavy
        let inst = Instance::new(&r);
        assert_eq!(inst.unservable, [1, 3, 5]);
        assert_eq!(inst.stop[1..], [0, 2, 4]);
        assert_eq!(inst.n, 4);
        assert_eq!(inst.d(0, 1), 5.0);
        assert_eq!(inst.t(1, 0), 5.0);
        assert_eq!(inst.near[0], [1, 3, 2]);
        assert_eq!(inst.lower_bound(), 2); // 10 + 1 + 1 over capacity 10
    }

    #[test]
    fn earth_metric() {
        // One degree of latitude is about 111.2 km; at 60 km/h that is
        // about 111.2 minutes.
        let mut r = request(vec![stop(1.0, 0.0, 0, 500)]);
        r.metric = Metric::Earth;
        r.fleet.speed_kmh = 60.0;
        r.fleet.shift_end = 1000;
        let inst = Instance::new(&r);
        assert!((inst.d(0, 1) - 111.195).abs() < 0.01, "{}", inst.d(0, 1));
        assert!((inst.t(0, 1) - inst.d(0, 1)).abs() < 1e-9);
        r.fleet.speed_kmh = 30.0;
        let inst = Instance::new(&r);
        assert!((inst.t(0, 1) - 2.0 * inst.d(0, 1)).abs() < 1e-9);
        // Too slow to be back within the shift: 222 minutes each way.
        r.fleet.shift_end = 400;
        assert_eq!(Instance::new(&r).unservable, [0]);
    }
}
