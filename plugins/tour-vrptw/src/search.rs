//! The search: construction, route minimisation, then distance
//! minimisation, all by ruin and recreate ([`crate::sisr`]), with a local
//! search ([`crate::local`]).
//!
//! 1. Construction: the recreate from nothing (cheapest feasible
//!    insertion, in four orders), the best kept, polished by the local
//!    search.
//! 2. Route minimisation (up to `fleet-share` of the budget): take the
//!    shortest route out, its customers into the pool, and ruin and
//!    recreate with one vehicle fewer. A candidate is kept if it leaves
//!    fewer customers out, or customers that were left out less often so
//!    far (the SISR paper's absence counters): the customers that are hard
//!    to place get placed first. When the pool is empty, that is a plan
//!    with one vehicle fewer: take the next route out. Stops at the lower
//!    bound from the demand.
//!    When the fleet is too small for all stops, the same search minimises
//!    the customers left out.
//! 3. Distance minimisation for the rest: ruin and recreate with
//!    simulated annealing, never more vehicles or more left out; the local
//!    search polishes each new best plan.

use crate::local;
use crate::model::{Instance, Plan, Request, Route as PlanRoute, validate};
use crate::rng::Rng;
use crate::route::Solution;
use crate::sisr::{self, Knobs, Order};

/// Time left for the search, in milliseconds. The wasm plugin asks the
/// host (`budget.remaining-ms`); native runs use the system clock.
pub trait Clock {
    fn remaining_ms(&mut self) -> f64;
}

/// A clock that never runs out: the search stops at its iteration cap.
pub struct NoClock;

impl Clock for NoClock {
    fn remaining_ms(&mut self) -> f64 {
        f64::INFINITY
    }
}

/// A native clock: `budget_ms` from its creation.
#[cfg(not(target_family = "wasm"))]
pub struct Wall {
    start: std::time::Instant,
    budget_ms: f64,
}

#[cfg(not(target_family = "wasm"))]
impl Wall {
    pub fn new(budget_ms: f64) -> Wall {
        Wall {
            start: std::time::Instant::now(),
            budget_ms,
        }
    }
}

#[cfg(not(target_family = "wasm"))]
impl Clock for Wall {
    fn remaining_ms(&mut self) -> f64 {
        self.budget_ms - self.start.elapsed().as_secs_f64() * 1000.0
    }
}

/// The search's parameters (see `plugins/README.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Ruin-and-recreate iterations at most. 0: [`AUTO_ITERATIONS`] per
    /// customer, and the phases and the cooling follow the clock or the
    /// iterations, whichever is further on. With a cap set, the phases and
    /// the cooling follow the iterations, not the clock, so that a run that
    /// ends by the cap repeats exactly.
    pub iterations: u64,
    /// Share of the search for route minimisation, 0 to 1.
    pub fleet_share: f64,
    /// Annealing temperatures at the start and the end, as a fraction of
    /// the mean edge of the first plan.
    pub t_start: f64,
    pub t_end: f64,
    /// Nearest neighbours the local search tries per customer.
    pub near: usize,
    pub knobs: Knobs,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            iterations: 0,
            fleet_share: 0.5,
            t_start: 4.0,
            t_end: 0.04,
            near: 20,
            knobs: Knobs::default(),
        }
    }
}

/// What the search did, for the benchmark and the log.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub iterations: u64,
    /// Vehicles after the construction.
    pub constructed: usize,
    /// Iterations of route minimisation.
    pub fleet_iterations: u64,
}

/// The automatic iteration cap, per customer: a small request is done
/// long before its budget (a 100-customer Solomon instance natively does
/// about 100,000 iterations a second).
pub const AUTO_ITERATIONS: u64 = 5_000;

/// Checks the clock every this many iterations (a host call in wasm)…
const TICK: u64 = 128;
/// … or sooner, after this many places tried (big requests).
const WORK_TICK: u64 = 200_000;
/// Customers of the pool tried per iteration, at least.
const POOL_SAMPLE: usize = 20;

/// Plans `request`: checks it, then searches until `clock` runs out or the
/// iteration cap.
pub fn solve(
    request: &Request,
    seed: u64,
    config: &Config,
    clock: &mut dyn Clock,
) -> Result<(Plan, Stats), String> {
    validate(request)?;
    let inst = Instance::new(request);
    let mut search = Search::new(&inst, seed, config, clock);
    let best = search.run();
    Ok((to_plan(&inst, &best), search.stats))
}

/// The plan of a solution: routes in order of their first customer's stop.
pub fn to_plan(inst: &Instance, sol: &Solution) -> Plan {
    let mut routes: Vec<PlanRoute> = sol
        .routes
        .iter()
        .map(|route| PlanRoute {
            stops: route
                .nodes
                .iter()
                .map(|&node| inst.stop[node as usize])
                .collect(),
            distance: route.dist,
        })
        .collect();
    routes.sort_by_key(|route| route.stops.first().copied());
    let mut unassigned = inst.unservable.clone();
    unassigned.extend(sol.pool.iter().map(|&node| inst.stop[node as usize]));
    unassigned.sort_unstable();
    Plan { routes, unassigned }
}

struct Search<'a> {
    inst: &'a Instance,
    config: &'a Config,
    clock: &'a mut dyn Clock,
    rng: Rng,
    /// Milliseconds of budget at the start.
    total_ms: f64,
    /// Share of the search done, 0 to 1.
    progress: f64,
    out_of_time: bool,
    stats: Stats,
    absences: Vec<u32>,
    /// Places tried since the clock was last read (about).
    work: u64,
}

impl<'a> Search<'a> {
    fn new(inst: &'a Instance, seed: u64, config: &'a Config, clock: &'a mut dyn Clock) -> Self {
        let total_ms = clock.remaining_ms();
        Search {
            inst,
            config,
            clock,
            rng: Rng::new(seed),
            total_ms,
            progress: 0.0,
            out_of_time: total_ms.is_nan() || total_ms <= 0.0,
            stats: Stats::default(),
            absences: vec![0; inst.n],
            work: 0,
        }
    }

    /// Counts an iteration; false when the search must stop.
    fn tick(&mut self) -> bool {
        if self.out_of_time {
            return false;
        }
        self.stats.iterations += 1;
        let it = self.stats.iterations;
        let auto = self.config.iterations == 0;
        let cap = if auto {
            AUTO_ITERATIONS * self.inst.customers().max(1) as u64
        } else {
            self.config.iterations
        };
        self.progress = self.progress.max(it as f64 / cap as f64);
        if it >= cap {
            return false;
        }
        if it.is_multiple_of(TICK) || self.work >= WORK_TICK {
            self.work = 0;
            let left = self.clock.remaining_ms();
            if left <= 0.0 {
                self.out_of_time = true;
            } else if auto && self.total_ms.is_finite() {
                self.progress = self.progress.max(1.0 - left / self.total_ms);
            }
        }
        !self.out_of_time
    }

    fn run(&mut self) -> Solution {
        let inst = self.inst;
        let best = self.construct();
        self.stats.constructed = best.routes.len();
        if inst.customers() == 0 {
            return best;
        }
        let mean_edge = best.dist() / (inst.customers() + best.routes.len()) as f64;
        let best = self.minimise_routes(best);
        self.minimise_distance(best, mean_edge)
    }

    fn construct(&mut self) -> Solution {
        let inst = self.inst;
        let mut best: Option<Solution> = None;
        for attempt in 0..4 {
            if attempt > 0 && self.clock.remaining_ms() <= 0.0 {
                break;
            }
            let mut sol = Solution::empty(inst);
            let order = match attempt {
                0 => Order::Far,
                1 => Order::Tight,
                2 => Order::Demand,
                _ => Order::Random,
            };
            sisr::sort(&mut sol.pool, order, inst, &self.absences, &mut self.rng);
            sisr::recreate(&mut sol, inst, inst.vehicles, 0.0, &mut self.rng);
            if best.as_ref().is_none_or(|b| sol.better_than(b)) {
                best = Some(sol);
            }
        }
        let mut best = best.unwrap_or_else(|| Solution::empty(inst));
        local::improve(&mut best, inst, self.config.near, usize::MAX, &mut self.rng);
        best
    }

    fn ruin_recreate(&mut self, cand: &mut Solution, limit: usize, order: Order) {
        // A big pool (a fleet far too small) is not tried whole every
        // iteration: a random sample of it, with the customers the ruin
        // takes out.
        let sample = POOL_SAMPLE.max(2 * self.config.knobs.removed as usize);
        let mut untried = Vec::new();
        if cand.pool.len() > sample {
            self.rng.shuffle(&mut cand.pool);
            untried = cand.pool.split_off(sample);
        }
        sisr::ruin(cand, self.inst, &self.config.knobs, &mut self.rng);
        let mut pool = std::mem::take(&mut cand.pool);
        sisr::sort(&mut pool, order, self.inst, &self.absences, &mut self.rng);
        let served = self.inst.customers() - pool.len() - untried.len();
        self.work += (pool.len() * (served + cand.routes.len() + 1)) as u64;
        cand.pool = pool;
        sisr::recreate(
            cand,
            self.inst,
            limit,
            self.config.knobs.blink,
            &mut self.rng,
        );
        cand.pool.append(&mut untried);
    }

    fn absent(&self, sol: &Solution) -> u64 {
        sol.pool
            .iter()
            .map(|&c| u64::from(self.absences[c as usize]))
            .sum()
    }

    fn minimise_routes(&mut self, mut best: Solution) -> Solution {
        let inst = self.inst;
        let lower = inst.lower_bound();
        let mut cur = best.clone();
        let mut cand = cur.clone();
        // Customers left out by the construction: the whole fleet may serve.
        let mut limit = if cur.pool.is_empty() {
            cur.routes.len()
        } else {
            inst.vehicles
        };
        loop {
            if cur.pool.is_empty() {
                if cur.better_than(&best) {
                    best.clone_from(&cur);
                }
                if cur.routes.len() <= lower || self.progress >= self.config.fleet_share {
                    break;
                }
                // Take the shortest route out (fewest customers).
                let r = (0..cur.routes.len())
                    .min_by_key(|&r| (cur.routes[r].len(), r))
                    .unwrap_or(0);
                let route = cur.routes.swap_remove(r);
                cur.pool.extend_from_slice(&route.nodes);
                cur.reindex();
                for &c in &cur.pool {
                    cur.route_of[c as usize] = crate::route::NONE;
                }
                limit = cur.routes.len();
            }
            if self.progress >= self.config.fleet_share || !self.tick() {
                break;
            }
            self.stats.fleet_iterations += 1;
            cand.clone_from(&cur);
            let order = if self.rng.below(2) == 0 {
                Order::Absent
            } else {
                sisr::pick_order(&mut self.rng)
            };
            self.ruin_recreate(&mut cand, limit, order);
            let accept = cand.pool.len() < cur.pool.len()
                || (cand.pool.len() == cur.pool.len() && self.absent(&cand) < self.absent(&cur))
                || (cand.pool.len() == cur.pool.len()
                    && self.absent(&cand) == self.absent(&cur)
                    && cand.dist() < cur.dist());
            for &c in &cand.pool {
                self.absences[c as usize] += 1;
            }
            if accept {
                std::mem::swap(&mut cur, &mut cand);
                if !cur.pool.is_empty() && cur.better_than(&best) {
                    // Fewer left out than before (a fleet too small).
                    best.clone_from(&cur);
                }
            }
        }
        if !best.pool.is_empty() || best.routes.len() < self.stats.constructed {
            local::improve(&mut best, inst, self.config.near, usize::MAX, &mut self.rng);
        }
        best
    }

    fn minimise_distance(&mut self, mut best: Solution, mean_edge: f64) -> Solution {
        let inst = self.inst;
        let mut cur = best.clone();
        let mut cand = cur.clone();
        let t0 = (self.config.t_start * mean_edge).max(1e-12);
        let t1 = (self.config.t_end * mean_edge).max(1e-12).min(t0);
        let start = self.progress.min(1.0);
        while self.tick() {
            let span = (1.0 - start).max(1e-9);
            let x = ((self.progress - start) / span).clamp(0.0, 1.0);
            let temperature = t0 * (t1 / t0).powf(x);
            cand.clone_from(&cur);
            // Never more vehicles, unless customers are left out (a fleet
            // too small): then the whole fleet may serve.
            let limit = if cur.pool.is_empty() {
                cur.routes.len()
            } else {
                inst.vehicles
            };
            let order = sisr::pick_order(&mut self.rng);
            self.ruin_recreate(&mut cand, limit, order);
            let (ck, uk) = (cand.key(), cur.key());
            let accept = if (ck.0, ck.1) != (uk.0, uk.1) {
                (ck.0, ck.1) < (uk.0, uk.1)
            } else {
                ck.2 < uk.2 - temperature * self.rng.unit().max(1e-300).ln()
            };
            if accept {
                std::mem::swap(&mut cur, &mut cand);
                if cur.better_than(&best) {
                    local::improve(&mut cur, inst, self.config.near, usize::MAX, &mut self.rng);
                    best.clone_from(&cur);
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check;
    use crate::model::{Fleet, Metric, Point, Stop};

    fn stop(x: f64, y: f64, demand: u32, ready: u32, due: u32, service: u32) -> Stop {
        Stop {
            at: Point { x, y },
            demand,
            ready,
            due,
            service,
        }
    }

    fn request(stops: Vec<Stop>, vehicles: u32, capacity: u32) -> Request {
        Request {
            depot: Point { x: 0.0, y: 0.0 },
            metric: Metric::Plane,
            stops,
            fleet: Fleet {
                vehicles,
                capacity,
                speed_kmh: 30.0,
                shift_start: 0,
                shift_end: 1000,
            },
        }
    }

    fn run(request: &Request, iterations: u64) -> Plan {
        let config = Config {
            iterations,
            ..Config::default()
        };
        let (plan, _) = solve(request, 42, &config, &mut NoClock).unwrap();
        check(request, &plan).unwrap();
        plan
    }

    /// A ring of `n` customers around the depot with wide windows.
    fn ring(n: usize) -> Vec<Stop> {
        (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                stop(
                    20.0 * a.cos(),
                    20.0 * a.sin(),
                    1 + (i % 3) as u32,
                    0,
                    900,
                    5,
                )
            })
            .collect()
    }

    #[test]
    fn edge_cases() {
        // Demand over the capacity: left out.
        let plan = run(
            &request(
                vec![stop(1.0, 0.0, 11, 0, 100, 0), stop(2.0, 0.0, 1, 0, 100, 0)],
                2,
                10,
            ),
            200,
        );
        assert_eq!(plan.unassigned, [0]);
        assert_eq!(plan.routes.len(), 1);
        // A window that closes before a vehicle can get there: left out.
        let plan = run(
            &request(
                vec![stop(50.0, 0.0, 1, 0, 49, 0), stop(5.0, 0.0, 1, 0, 100, 0)],
                2,
                10,
            ),
            200,
        );
        assert_eq!(plan.unassigned, [0]);
        // A window that opens too late to be back within the shift.
        let plan = run(&request(vec![stop(50.0, 0.0, 1, 990, 995, 0)], 2, 10), 200);
        assert_eq!(plan.unassigned, [0]);
        assert!(plan.routes.is_empty());
        // One stop.
        let plan = run(&request(vec![stop(3.0, 4.0, 1, 0, 100, 0)], 1, 10), 200);
        assert_eq!(plan.routes.len(), 1);
        assert_eq!(plan.routes[0].stops, [0]);
        assert_eq!(plan.routes[0].distance, 10.0);
        // No stop.
        let plan = run(&request(vec![], 1, 10), 200);
        assert_eq!(plan, Plan::default());
        // Stops on the depot: distance 0.
        let plan = run(&request(vec![stop(0.0, 0.0, 1, 0, 0, 0); 3], 1, 10), 200);
        assert_eq!(plan.routes.len(), 1);
        assert_eq!(plan.distance(), 0.0);
        assert!(plan.unassigned.is_empty());
    }

    #[test]
    fn fleet_too_small() {
        // One vehicle of capacity 10 for 20 customers of demand 1 to 3:
        // some are left out, and as many served as fit.
        let req = request(ring(20), 1, 10);
        let plan = run(&req, 2000);
        assert_eq!(plan.routes.len(), 1);
        let served = plan.routes[0].stops.len();
        assert_eq!(served + plan.unassigned.len(), 20);
        // Demands 1, 2, 3 repeating: at most seven of the lightest fit in 10
        // (1 × 7 = 7; seven 1s exist) plus... the best is every 1 (7 of
        // them) and a 2 or a 3: 8 customers.
        assert_eq!(served, 8, "{plan:?}");
        // Time instead of capacity: windows force one customer per trip.
        let stops: Vec<Stop> = (0..5)
            .map(|i| {
                let a = f64::from(i) / 5.0 * std::f64::consts::TAU;
                stop(100.0 * a.cos(), 100.0 * a.sin(), 1, 400, 410, 0)
            })
            .collect();
        let mut req = request(stops, 1, 10);
        req.fleet.shift_end = 1000;
        let plan = run(&req, 500);
        assert_eq!(plan.routes.len(), 1);
        assert_eq!(plan.routes[0].stops.len(), 1);
        assert_eq!(plan.unassigned.len(), 4);
    }

    #[test]
    fn ties_in_distance() {
        // Four customers at the same distance from the depot, in a square:
        // any order of equal length is fine, and the answer repeats.
        let stops = vec![
            stop(10.0, 0.0, 1, 0, 500, 0),
            stop(0.0, 10.0, 1, 0, 500, 0),
            stop(-10.0, 0.0, 1, 0, 500, 0),
            stop(0.0, -10.0, 1, 0, 500, 0),
        ];
        let req = request(stops, 4, 10);
        let a = run(&req, 300);
        let b = run(&req, 300);
        assert_eq!(a, b);
        assert_eq!(a.routes.len(), 1);
        let want = 20.0 + 3.0 * 200f64.sqrt();
        assert!((a.distance() - want).abs() < 1e-9, "{}", a.distance());
    }

    #[test]
    fn earth_metric_with_speed() {
        // Villages about 10 to 20 km from a county town (31° N), at 40 km/h,
        // 30 minutes each, an 8-hour shift: two vans are needed.
        let mut stops = Vec::new();
        for i in 0..16 {
            let a = i as f64 / 16.0 * std::f64::consts::TAU;
            let r = 0.1 + 0.1 * (i % 2) as f64;
            stops.push(stop(31.0 + r * a.cos(), 121.0 + r * a.sin(), 1, 0, 480, 30));
        }
        let mut req = request(stops, 4, 100);
        req.metric = Metric::Earth;
        req.depot = Point { x: 31.0, y: 121.0 };
        req.fleet.speed_kmh = 40.0;
        req.fleet.shift_end = 480;
        let plan = run(&req, 2000);
        assert!(plan.unassigned.is_empty());
        assert_eq!(plan.routes.len(), 2, "{plan:?}");
        // Slower vans need more of them.
        req.fleet.speed_kmh = 10.0;
        let slow = run(&req, 2000);
        assert!(slow.routes.len() > 2 || !slow.unassigned.is_empty());
    }

    #[test]
    fn deterministic_for_a_seed_and_iterations() {
        let req = request(ring(40), 10, 15);
        let a = run(&req, 3000);
        let b = run(&req, 3000);
        assert_eq!(a, b);
        assert!(a.routes.len() <= 6, "{}", a.routes.len()); // 80 demand / 15
    }

    #[test]
    fn stops_when_the_clock_runs_out() {
        let req = request(ring(60), 10, 15);
        struct Spent(u32);
        impl Clock for Spent {
            fn remaining_ms(&mut self) -> f64 {
                self.0 += 1;
                if self.0 > 3 { -1.0 } else { 100.0 }
            }
        }
        let (plan, stats) = solve(&req, 1, &Config::default(), &mut Spent(0)).unwrap();
        check(&req, &plan).unwrap();
        assert!(stats.iterations <= 3 * TICK, "{}", stats.iterations);
        // A spent budget still gets the construction.
        let (plan, stats) = solve(&req, 1, &Config::default(), &mut Spent(10)).unwrap();
        check(&req, &plan).unwrap();
        assert!(plan.unassigned.is_empty());
        assert_eq!(stats.iterations, 0);
    }

    /// The largest request, villages scattered 60 km around a county town
    /// with half-day windows: within its budget and feasible.
    #[test]
    #[ignore = "slow in debug builds; run with --release"]
    fn largest_request_in_budget() {
        let mut rng = Rng::new(11);
        let stops: Vec<Stop> = (0..crate::model::MAX_STOPS)
            .map(|_| {
                let ready = rng.below(300) as u32 + 480;
                stop(
                    31.0 + (rng.unit() - 0.5) * 1.0,
                    121.0 + (rng.unit() - 0.5) * 1.2,
                    1 + rng.below(3) as u32,
                    ready,
                    ready + 240,
                    30,
                )
            })
            .collect();
        let mut req = request(stops, 50, 20);
        req.metric = Metric::Earth;
        req.depot = Point { x: 31.0, y: 121.0 };
        req.fleet.speed_kmh = 40.0;
        req.fleet.shift_start = 480;
        req.fleet.shift_end = 1080;
        let started = std::time::Instant::now();
        let (plan, stats) = solve(&req, 1, &Config::default(), &mut Wall::new(2000.0)).unwrap();
        let ms = started.elapsed().as_millis();
        let report = check(&req, &plan).unwrap();
        println!(
            "{} stops: {} vehicles, {} served, {:.1} km, {} iterations, {ms} ms",
            req.stops.len(),
            report.vehicles,
            report.served,
            report.distance,
            stats.iterations
        );
        assert!(ms < 3000, "{ms} ms");
    }
}
