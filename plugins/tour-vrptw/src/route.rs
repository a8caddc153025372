//! Routes and solutions with the bookkeeping that makes a feasibility test
//! O(1): for each position the earliest start of service (forward, waiting
//! when early) and the latest start that keeps the rest of the route on
//! time (backward), and the load so far.

use crate::model::{EPS, Instance};
use crate::rng::Rng;

/// One vehicle: its customers (nodes), without the depot at either end.
#[derive(Debug, Default)]
pub struct Route {
    pub nodes: Vec<u32>,
    /// Earliest start of service at each position.
    pub start: Vec<f64>,
    /// Latest start of service at each position for the rest to be on time.
    pub latest: Vec<f64>,
    /// Load up to and including each position.
    pub cum: Vec<u64>,
    pub load: u64,
    pub dist: f64,
}

impl Clone for Route {
    fn clone(&self) -> Self {
        let mut route = Route::default();
        route.clone_from(self);
        route
    }

    /// Reuses the buffers: the search copies solutions every iteration.
    fn clone_from(&mut self, other: &Self) {
        self.nodes.clone_from(&other.nodes);
        self.start.clone_from(&other.start);
        self.latest.clone_from(&other.latest);
        self.cum.clone_from(&other.cum);
        self.load = other.load;
        self.dist = other.dist;
    }
}

impl Route {
    pub fn new(inst: &Instance, nodes: Vec<u32>) -> Route {
        let mut route = Route {
            nodes,
            ..Route::default()
        };
        route.refresh(inst);
        route
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Recomputes the bookkeeping after `nodes` changed.
    pub fn refresh(&mut self, inst: &Instance) {
        let m = self.nodes.len();
        self.start.resize(m, 0.0);
        self.latest.resize(m, 0.0);
        self.cum.resize(m, 0);
        let (mut time, mut prev, mut load, mut dist) = (inst.start, 0usize, 0u64, 0.0);
        for (k, &node) in self.nodes.iter().enumerate() {
            let node = node as usize;
            let begin = (time + inst.t(prev, node)).max(inst.ready[node]);
            self.start[k] = begin;
            time = begin + inst.service[node];
            dist += inst.d(prev, node);
            load += inst.demand[node];
            self.cum[k] = load;
            prev = node;
        }
        self.dist = dist + inst.d(prev, 0);
        self.load = load;
        let (mut latest, mut next) = (inst.end, 0usize);
        for k in (0..m).rev() {
            let node = self.nodes[k] as usize;
            latest = inst.due[node].min(latest - inst.t(node, next) - inst.service[node]);
            self.latest[k] = latest;
            next = node;
        }
    }

    /// Whether the route keeps every window, the shift and the capacity.
    pub fn feasible(&self, inst: &Instance) -> bool {
        self.load <= inst.capacity && sequence_ok(inst, &self.nodes)
    }

    /// The node before position `p` and when the vehicle leaves it.
    #[inline]
    pub fn depart(&self, inst: &Instance, p: usize) -> (usize, f64) {
        if p == 0 {
            (0, inst.start)
        } else {
            let node = self.nodes[p - 1] as usize;
            (node, self.start[p - 1] + inst.service[node])
        }
    }

    /// The node at position `p` (the depot at the end) and the latest it
    /// may be reached.
    #[inline]
    pub fn reach_by(&self, inst: &Instance, p: usize) -> (usize, f64) {
        if p == self.nodes.len() {
            (0, inst.end)
        } else {
            (self.nodes[p] as usize, self.latest[p])
        }
    }

    /// Load of positions `from..to`.
    #[inline]
    pub fn load_of(&self, from: usize, to: usize) -> u64 {
        if from >= to {
            return 0;
        }
        let before = if from == 0 { 0 } else { self.cum[from - 1] };
        self.cum[to - 1] - before
    }

    /// The extra distance of inserting `c` before position `p`, if the
    /// windows allow it (the caller checks the capacity).
    #[inline]
    pub fn insertion(&self, inst: &Instance, c: usize, p: usize) -> Option<f64> {
        let (a, leave) = self.depart(inst, p);
        let arrive = leave + inst.t(a, c);
        if arrive > inst.due[c] + EPS {
            return None;
        }
        let (b, by) = self.reach_by(inst, p);
        if arrive.max(inst.ready[c]) + inst.service[c] + inst.t(c, b) > by + EPS {
            return None;
        }
        Some(inst.d(a, c) + inst.d(c, b) - inst.d(a, b))
    }

    /// The cheapest feasible place for `c` in this route that costs less
    /// than `bound`: position and extra distance (the caller checks the
    /// capacity). Places are skipped where `blinks` says so. Only the
    /// places the windows could allow are scanned: the latest starts only
    /// grow along the route, so the scan starts at the first place where
    /// the next customer can still wait for `c`'s service, and the
    /// departures only grow too, so it stops once `c` would be late.
    #[inline]
    pub fn best_insertion(
        &self,
        inst: &Instance,
        c: usize,
        mut bound: f64,
        blinks: &mut Blinks,
        rng: &mut Rng,
    ) -> Option<(usize, f64)> {
        let m = self.nodes.len();
        let (ready, due, service) = (inst.ready[c], inst.due[c], inst.service[c]);
        let need = ready + service;
        let first = self.latest.partition_point(|&latest| latest + EPS < need);
        let per_unit = inst.per_unit;
        let mut found = None;
        for p in first..=m {
            let (a, leave) = self.depart(inst, p);
            let dac = inst.d(a, c);
            let arrive = leave + dac * per_unit;
            if arrive > due + EPS {
                break;
            }
            if blinks.skip(rng) {
                continue;
            }
            let (b, by) = self.reach_by(inst, p);
            let dcb = inst.d(c, b);
            let cost = dac + dcb - inst.d(a, b);
            if cost >= bound {
                continue;
            }
            if arrive.max(ready) + service + dcb * per_unit > by + EPS {
                continue;
            }
            bound = cost;
            found = Some((p, cost));
        }
        found
    }

    /// Leaving `from` at `leave`, visits `nodes` in order: when the vehicle
    /// leaves the last one, or `None` if a window is missed.
    #[inline]
    pub fn through(
        inst: &Instance,
        mut from: usize,
        mut leave: f64,
        nodes: &[u32],
    ) -> Option<(usize, f64)> {
        for &node in nodes {
            let node = node as usize;
            let arrive = leave + inst.t(from, node);
            if arrive > inst.due[node] + EPS {
                return None;
            }
            leave = arrive.max(inst.ready[node]) + inst.service[node];
            from = node;
        }
        Some((from, leave))
    }

    /// Whether `nodes` between positions `p` (before it) and `q` (from it
    /// on) keep the windows: the part before `p` and from `q` are this
    /// route's, unchanged.
    #[inline]
    pub fn splice_ok(&self, inst: &Instance, p: usize, nodes: &[u32], q: usize) -> bool {
        let (a, leave) = self.depart(inst, p);
        match Route::through(inst, a, leave, nodes) {
            Some((last, leave)) => {
                let (b, by) = self.reach_by(inst, q);
                leave + inst.t(last, b) <= by + EPS
            }
            None => false,
        }
    }
}

/// Whether a whole sequence from the depot back to it keeps the windows and
/// the shift (not the capacity).
pub fn sequence_ok(inst: &Instance, nodes: &[u32]) -> bool {
    match Route::through(inst, 0, inst.start, nodes) {
        Some((last, leave)) => leave + inst.t(last, 0) <= inst.end + EPS,
        None => false,
    }
}

/// Distance of a sequence from the depot back to it.
pub fn sequence_dist(inst: &Instance, nodes: &[u32]) -> f64 {
    let mut prev = 0;
    let mut dist = 0.0;
    for &node in nodes {
        dist += inst.d(prev, node as usize);
        prev = node as usize;
    }
    dist + inst.d(prev, 0)
}

pub const NONE: u32 = u32::MAX;

/// The places the recreate skips at random ("blinks", each with
/// probability `rate`), drawn as geometric gaps: one draw per blink, not
/// per place.
#[derive(Debug, Clone)]
pub struct Blinks {
    ln_keep: f64,
    /// Places to keep before the next blink.
    gap: u64,
}

impl Blinks {
    pub fn new(rate: f64, rng: &mut Rng) -> Blinks {
        let mut blinks = Blinks {
            ln_keep: (1.0 - rate.clamp(0.0, 1.0)).ln(),
            gap: 0,
        };
        blinks.draw(rng);
        blinks
    }

    fn draw(&mut self, rng: &mut Rng) {
        self.gap = if self.ln_keep == 0.0 {
            u64::MAX
        } else if self.ln_keep == f64::NEG_INFINITY {
            0
        } else {
            // U in (0, 1]: ln U / ln(1 - rate) places kept.
            ((1.0 - rng.unit()).ln() / self.ln_keep) as u64
        };
    }

    /// Whether to skip the next place.
    #[inline]
    pub fn skip(&mut self, rng: &mut Rng) -> bool {
        if self.gap == 0 {
            self.draw(rng);
            true
        } else {
            self.gap -= 1;
            false
        }
    }
}

/// Routes and the customers not (yet) in any.
#[derive(Debug, Default)]
pub struct Solution {
    pub routes: Vec<Route>,
    /// Customers in no route.
    pub pool: Vec<u32>,
    /// Per node, its route and position (`NONE` if in the pool).
    pub route_of: Vec<u32>,
    pub pos_of: Vec<u32>,
}

impl Clone for Solution {
    fn clone(&self) -> Self {
        let mut solution = Solution::default();
        solution.clone_from(self);
        solution
    }

    fn clone_from(&mut self, other: &Self) {
        self.routes.clone_from(&other.routes);
        self.pool.clone_from(&other.pool);
        self.route_of.clone_from(&other.route_of);
        self.pos_of.clone_from(&other.pos_of);
    }
}

impl Solution {
    /// All customers in the pool, no route.
    pub fn empty(inst: &Instance) -> Solution {
        Solution {
            routes: Vec::new(),
            pool: (1..inst.n as u32).collect(),
            route_of: vec![NONE; inst.n],
            pos_of: vec![NONE; inst.n],
        }
    }

    pub fn dist(&self) -> f64 {
        self.routes.iter().map(|route| route.dist).sum()
    }

    /// Fewer unassigned, then fewer vehicles, then less distance.
    pub fn key(&self) -> (usize, usize, f64) {
        (self.pool.len(), self.routes.len(), self.dist())
    }

    /// Whether `self` is better than `other` by [`Solution::key`], by more
    /// than rounding in distance.
    pub fn better_than(&self, other: &Solution) -> bool {
        let (a, b) = (self.key(), other.key());
        (a.0, a.1) < (b.0, b.1) || ((a.0, a.1) == (b.0, b.1) && a.2 < b.2 - 1e-9)
    }

    /// Drops empty routes and recomputes where each customer is.
    pub fn reindex(&mut self) {
        self.routes.retain(|route| !route.is_empty());
        self.route_of.fill(NONE);
        for (r, route) in self.routes.iter().enumerate() {
            for (p, &node) in route.nodes.iter().enumerate() {
                self.route_of[node as usize] = r as u32;
                self.pos_of[node as usize] = p as u32;
            }
        }
    }

    /// Recomputes where the customers of route `r` are.
    pub fn reindex_route(&mut self, r: usize) {
        for (p, &node) in self.routes[r].nodes.iter().enumerate() {
            self.route_of[node as usize] = r as u32;
            self.pos_of[node as usize] = p as u32;
        }
    }

    /// Whether every route is feasible and every customer is in exactly one
    /// route or the pool (the solver's own consistency check, for tests and
    /// debug builds; the independent check is `check`).
    pub fn consistent(&self, inst: &Instance) -> bool {
        let mut seen = vec![0u32; inst.n];
        for route in &self.routes {
            if route.is_empty() || !route.feasible(inst) {
                return false;
            }
            let fresh = Route::new(inst, route.nodes.clone());
            if (fresh.dist - route.dist).abs() > 1e-6 || fresh.load != route.load {
                return false;
            }
            for &node in &route.nodes {
                seen[node as usize] += 1;
            }
        }
        for &node in &self.pool {
            seen[node as usize] += 1;
        }
        seen[1..].iter().all(|&count| count == 1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Fleet, Metric, Point, Request, Stop};

    /// A line: the depot at 0, customers at x = 1, 2, 3, … with the given
    /// windows, no service, demand 1, capacity 10, shift [0, 100].
    pub fn line(windows: &[(u32, u32)]) -> Instance {
        let stops = windows
            .iter()
            .enumerate()
            .map(|(i, &(ready, due))| Stop {
                at: Point {
                    x: (i + 1) as f64,
                    y: 0.0,
                },
                demand: 1,
                ready,
                due,
                service: 0,
            })
            .collect();
        Instance::new(&Request {
            depot: Point { x: 0.0, y: 0.0 },
            metric: Metric::Plane,
            stops,
            fleet: Fleet {
                vehicles: 5,
                capacity: 10,
                speed_kmh: 1.0,
                shift_start: 0,
                shift_end: 100,
            },
        })
    }

    #[test]
    fn bookkeeping() {
        // Node k sits at x = k. Windows: 1 [0, 100], 2 [10, 20], 3 [0, 100].
        let inst = line(&[(0, 100), (10, 20), (0, 100)]);
        let route = Route::new(&inst, vec![1, 2, 3]);
        assert_eq!(route.start, [1.0, 10.0, 11.0]); // waits at 2 until 10
        assert_eq!(route.dist, 6.0);
        assert_eq!(route.cum, [1, 2, 3]);
        // Latest: 3 by 97 (3 back), 2 by min(20, 96) = 20, 1 by 19.
        assert_eq!(route.latest, [19.0, 20.0, 97.0]);
        assert!(route.feasible(&inst));
        assert_eq!(route.load_of(1, 3), 2);
        assert_eq!(route.load_of(0, 0), 0);
        assert_eq!(route.depart(&inst, 0), (0, 0.0));
        assert_eq!(route.depart(&inst, 2), (2, 10.0));
        assert_eq!(route.reach_by(&inst, 3), (0, 100.0));

        // Going 3 first reaches 2 at 4 + ... fine; 3, 2, 1 too.
        assert!(sequence_ok(&inst, &[3, 2, 1]));
        // A detour that reaches 2 after 20: impossible.
        let late = line(&[(0, 100), (0, 2), (0, 100)]);
        assert!(!sequence_ok(&late, &[1, 3, 2]));
        assert!(sequence_ok(&late, &[2, 1, 3]));
        assert_eq!(sequence_dist(&late, &[2, 1, 3]), 2.0 + 1.0 + 2.0 + 3.0);
    }

    #[test]
    fn insertion_matches_a_full_recheck() {
        // Every insertion of every customer into every position agrees
        // with rebuilding the route and checking it from scratch.
        let windows = [(0, 100), (5, 9), (0, 6), (20, 30), (0, 100), (40, 41)];
        let inst = line(&windows);
        let base = [1u32, 2, 4];
        let route = Route::new(&inst, base.to_vec());
        assert!(route.feasible(&inst));
        for c in [3usize, 5, 6] {
            for p in 0..=base.len() {
                let mut nodes = base.to_vec();
                nodes.insert(p, c as u32);
                let want =
                    sequence_ok(&inst, &nodes).then(|| sequence_dist(&inst, &nodes) - route.dist);
                let got = route.insertion(&inst, c, p);
                match (want, got) {
                    (None, None) => {}
                    (Some(w), Some(g)) => assert!((w - g).abs() < 1e-9, "{c} at {p}"),
                    _ => panic!("{c} at {p}: want {want:?}, got {got:?}"),
                }
                assert_eq!(route.splice_ok(&inst, p, &[c as u32], p), want.is_some());
            }
            // The pruned scan finds the cheapest of them.
            let least = (0..=base.len())
                .filter_map(|p| route.insertion(&inst, c, p).map(|cost| (p, cost)))
                .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
            let mut rng = Rng::new(1);
            let mut never = Blinks::new(0.0, &mut rng);
            let got = route.best_insertion(&inst, c, f64::INFINITY, &mut never, &mut rng);
            assert_eq!(got, least, "{c}");
        }
    }

    #[test]
    fn blinks() {
        let mut rng = Rng::new(9);
        let mut never = Blinks::new(0.0, &mut rng);
        assert!((0..1000).all(|_| !never.skip(&mut rng)));
        let mut always = Blinks::new(1.0, &mut rng);
        assert!((0..1000).all(|_| always.skip(&mut rng)));
        let mut some = Blinks::new(0.1, &mut rng);
        let skipped = (0..100_000).filter(|_| some.skip(&mut rng)).count();
        assert!((9_000..11_000).contains(&skipped), "{skipped}");
    }

    #[test]
    fn solution_key_and_index() {
        let inst = line(&[(0, 100); 4]);
        let mut s = Solution::empty(&inst);
        assert_eq!(s.key(), (4, 0, 0.0));
        s.pool.clear();
        s.routes.push(Route::new(&inst, vec![1, 2]));
        s.routes.push(Route::new(&inst, vec![]));
        s.routes.push(Route::new(&inst, vec![4, 3]));
        s.reindex();
        assert_eq!(s.routes.len(), 2);
        assert_eq!((s.route_of[3], s.pos_of[3]), (1, 1));
        assert!(s.consistent(&inst));
        let mut t = s.clone();
        t.routes[1] = Route::new(&inst, vec![3, 4]);
        assert!(!t.better_than(&s) && !s.better_than(&t)); // same distance
        t.routes[0] = Route::new(&inst, vec![1, 3]);
        t.routes[1] = Route::new(&inst, vec![2, 4]);
        assert!(s.better_than(&t)); // 14 against 12
        t.routes[1] = Route::new(&inst, vec![4, 3]);
        t.routes.pop();
        t.pool = vec![3, 4];
        assert!(s.better_than(&t)); // unassigned customers count first
    }
}
