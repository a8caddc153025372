//! Ruin and recreate after Christiaens and Vanden Berghe, "Slack Induction
//! by String Removals for Vehicle Routing Problems" (Transportation Science
//! 54(2), 2020): remove strings of consecutive customers from routes near
//! a random seed customer, then put the customers back one by one at their
//! cheapest feasible place, skipping ("blinking" over) a few places at
//! random.

use crate::model::Instance;
use crate::rng::Rng;
use crate::route::{Blinks, NONE, Route, Solution};

/// The ruin's and recreate's knobs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knobs {
    /// Average customers removed (c̄).
    pub removed: f64,
    /// Longest string removed (L_max).
    pub string: f64,
    /// Probability of a split string (a string with a kept hole).
    pub split: f64,
    /// Probability that the hole grows by one more customer, per step.
    pub split_depth: f64,
    /// Probability of skipping a place in the recreate.
    pub blink: f64,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            removed: 10.0,
            string: 10.0,
            split: 0.5,
            split_depth: 0.01,
            blink: 0.01,
        }
    }
}

/// Removes strings of customers from `sol`; they join `sol.pool`. Leaves
/// no empty route and `sol` indexed.
pub fn ruin(sol: &mut Solution, inst: &Instance, knobs: &Knobs, rng: &mut Rng) {
    let routes = sol.routes.len();
    if routes == 0 {
        return;
    }
    let served: usize = sol.routes.iter().map(Route::len).sum();
    let mean_card = served as f64 / routes as f64;
    let ls_max = knobs.string.min(mean_card).max(1.0);
    let ks_max = (4.0 * knobs.removed / (1.0 + ls_max) - 1.0).max(1.0);
    let strings = (rng.unit() * ks_max) as usize + 1;
    // A random served customer seeds the ruin.
    let mut pick = rng.below(served);
    let mut seed = 0;
    for route in &sol.routes {
        if pick < route.len() {
            seed = route.nodes[pick] as usize;
            break;
        }
        pick -= route.len();
    }
    let mut ruined = 0;
    // Per ruined route: the string `from..to`, less the kept `keep`.
    let mut touched: Vec<(usize, std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    let neighbours = std::iter::once(seed as u32).chain(inst.near[seed].iter().copied());
    for c in neighbours {
        if ruined >= strings {
            break;
        }
        let r = sol.route_of[c as usize];
        if r == NONE || touched.iter().any(|(done, _, _)| *done == r as usize) {
            continue;
        }
        let r = r as usize;
        let pos = sol.pos_of[c as usize] as usize;
        let card = sol.routes[r].len();
        let l_max = (card as f64).min(ls_max);
        let l = ((rng.unit() * l_max) as usize + 1).min(card);
        if l < card && rng.unit() < knobs.split {
            // A string of l + m customers around c, of which m consecutive
            // ones stay.
            let mut m = 1;
            while l + m < card && rng.unit() > knobs.split_depth {
                m += 1;
            }
            let total = l + m;
            let lo = (pos + 1).saturating_sub(total);
            let hi = pos.min(card - total);
            let from = lo + rng.below(hi - lo + 1);
            let keep = from + rng.below(l + 1);
            touched.push((r, from..from + total, keep..keep + m));
        } else {
            let lo = (pos + 1).saturating_sub(l);
            let hi = pos.min(card - l);
            let from = lo + rng.below(hi - lo + 1);
            touched.push((r, from..from + l, 0..0));
        }
        ruined += 1;
    }
    for (r, cut, keep) in touched {
        let route = &mut sol.routes[r];
        let mut kept = Vec::with_capacity(route.len());
        for (p, &node) in route.nodes.iter().enumerate() {
            if !cut.contains(&p) || keep.contains(&p) {
                kept.push(node);
            } else {
                sol.pool.push(node);
            }
        }
        route.nodes = kept;
        route.refresh(inst);
    }
    sol.reindex();
    for &node in &sol.pool {
        sol.route_of[node as usize] = NONE;
    }
}

/// How the recreate orders the customers to insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Random,
    /// Largest demand first.
    Demand,
    /// Farthest from the depot first.
    Far,
    /// Nearest to the depot first.
    Close,
    /// Tightest window first.
    Tight,
    /// Most often left out first (route minimisation).
    Absent,
}

/// Picks an order with weights 4 random, 4 demand, 2 far, 1 close, 2 tight
/// (the SISR paper's 4:4:2:1, with the window width added for time
/// windows).
pub fn pick_order(rng: &mut Rng) -> Order {
    match rng.below(13) {
        0..=3 => Order::Random,
        4..=7 => Order::Demand,
        8..=9 => Order::Far,
        10 => Order::Close,
        _ => Order::Tight,
    }
}

/// Sorts `nodes` by `order` (ties broken at random, by a shuffle first).
pub fn sort(nodes: &mut [u32], order: Order, inst: &Instance, absences: &[u32], rng: &mut Rng) {
    rng.shuffle(nodes);
    match order {
        Order::Random => {}
        Order::Demand => nodes.sort_by_key(|&c| std::cmp::Reverse(inst.demand[c as usize])),
        Order::Far => {
            nodes.sort_by(|&a, &b| inst.d(0, b as usize).total_cmp(&inst.d(0, a as usize)))
        }
        Order::Close => {
            nodes.sort_by(|&a, &b| inst.d(0, a as usize).total_cmp(&inst.d(0, b as usize)))
        }
        Order::Tight => nodes.sort_by(|&a, &b| {
            let width = |c: u32| inst.due[c as usize] - inst.ready[c as usize];
            width(a).total_cmp(&width(b))
        }),
        Order::Absent => nodes.sort_by_key(|&c| std::cmp::Reverse(absences[c as usize])),
    }
}

/// The cheapest feasible place for `c`: route, position, extra distance.
pub fn best_place(
    sol: &Solution,
    inst: &Instance,
    c: usize,
    blinks: &mut Blinks,
    rng: &mut Rng,
) -> Option<(usize, usize, f64)> {
    let mut best: Option<(usize, usize, f64)> = None;
    let demand = inst.demand[c];
    for (r, route) in sol.routes.iter().enumerate() {
        if route.load + demand > inst.capacity {
            continue;
        }
        let bound = best.map_or(f64::INFINITY, |(_, _, cost)| cost);
        if let Some((p, cost)) = route.best_insertion(inst, c, bound, blinks, rng) {
            best = Some((r, p, cost));
        }
    }
    best
}

/// Inserts the pool's customers in `order`, each at its cheapest feasible
/// place, opening a route when none fits while there are fewer than
/// `limit` routes. Those that fit nowhere stay in the pool. Leaves `sol`
/// indexed.
pub fn recreate(sol: &mut Solution, inst: &Instance, limit: usize, blink: f64, rng: &mut Rng) {
    let todo = std::mem::take(&mut sol.pool);
    let mut blinks = Blinks::new(blink, rng);
    for &c in &todo {
        let c = c as usize;
        match best_place(sol, inst, c, &mut blinks, rng) {
            Some((r, p, _)) => {
                let route = &mut sol.routes[r];
                route.nodes.insert(p, c as u32);
                route.refresh(inst);
            }
            None if sol.routes.len() < limit => {
                sol.routes.push(Route::new(inst, vec![c as u32]));
            }
            None => sol.pool.push(c as u32),
        }
    }
    sol.reindex();
    for &node in &sol.pool {
        sol.route_of[node as usize] = NONE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::tests::line;

    #[test]
    fn recreate_then_ruin_keeps_every_customer() {
        let windows: Vec<(u32, u32)> = (0..30).map(|i| (i * 2, i * 2 + 40)).collect();
        let inst = line(&windows);
        let mut rng = Rng::new(3);
        let mut sol = Solution::empty(&inst);
        recreate(&mut sol, &inst, 10, 0.0, &mut rng);
        assert!(sol.pool.is_empty());
        assert!(sol.consistent(&inst));
        let knobs = Knobs::default();
        for _ in 0..200 {
            ruin(&mut sol, &inst, &knobs, &mut rng);
            assert!(!sol.pool.is_empty());
            assert!(sol.consistent(&inst));
            let mut pool = std::mem::take(&mut sol.pool);
            sort(&mut pool, pick_order(&mut rng), &inst, &[], &mut rng);
            sol.pool = pool;
            recreate(&mut sol, &inst, 10, knobs.blink, &mut rng);
            assert!(sol.consistent(&inst));
        }
    }

    #[test]
    fn recreate_respects_the_limit_and_capacity() {
        // Capacity 10, 25 customers of demand 1 on a wide-open line: three
        // routes at least; with a limit of 2, five stay out.
        let inst = line(&[(0, 100); 25]);
        let mut rng = Rng::new(1);
        let mut sol = Solution::empty(&inst);
        recreate(&mut sol, &inst, 2, 0.0, &mut rng);
        assert_eq!(sol.routes.len(), 2);
        assert_eq!(sol.pool.len(), 5);
        assert!(sol.routes.iter().all(|route| route.load == 10));
        assert!(sol.consistent(&inst));
    }

    #[test]
    fn best_place_is_cheapest() {
        // 1, 3 in a route: 2 goes between them at no extra cost.
        let inst = line(&[(0, 100); 3]);
        let mut sol = Solution::empty(&inst);
        sol.pool = vec![2];
        sol.routes.push(Route::new(&inst, vec![1, 3]));
        sol.reindex();
        let mut rng = Rng::new(0);
        let mut never = Blinks::new(0.0, &mut rng);
        assert_eq!(
            best_place(&sol, &inst, 2, &mut never, &mut rng),
            Some((0, 1, 0.0))
        );
    }
}
