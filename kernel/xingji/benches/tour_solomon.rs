//! Rural tour quality on the 56 Solomon VRPTW instances, through the entry
//! point the kernel uses (`PluginSets::call` on the region's tour plugin,
//! in the sandbox), each plan checked by a feasibility checker written
//! apart from the solver.
//!
//! `cargo bench -p xingji --bench tour_solomon` — the instances are read
//! from `XINGJI_SOLOMON_DIR` (default `../shared/bench/solomon`, beside the
//! checkout); `XINGJI_SOLOMON_MS` sets the search budget per instance
//! (default 2000); `XINGJI_SOLOMON_ONLY` a comma-separated list of names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use xingji_core::actor::{Actor, Role};
use xingji_core::plugins::PluginSets;
use xingji_core::regions::Regions;
use xingji_plugin_host::Slot;
use xingji_plugin_host::bindings::host::xingji::plugins::types::Geo;
use xingji_plugin_host::bindings::tour::exports::xingji::plugins::tour_planner::{
    Fleet, Metric, PlanRequest, Stop, TourPlan,
};
use xingji_store::prelude::*;
use xingji_store_sqlite::SqliteStore;

/// One Solomon instance: the depot is customer 0.
struct Instance {
    name: String,
    vehicles: u32,
    capacity: u32,
    /// `(x, y, demand, ready, due, service)`, depot first.
    nodes: Vec<(f64, f64, u32, u32, u32, u32)>,
}

fn parse(path: &Path) -> Instance {
    let text = std::fs::read_to_string(path).expect("read an instance");
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let name = lines.next().expect("a name").to_owned();
    let numbers = |line: &str| -> Vec<f64> {
        line.split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let mut fleet = None;
    let mut nodes = Vec::new();
    for line in lines {
        let n = numbers(line);
        match n.len() {
            2 if fleet.is_none() => fleet = Some((n[0] as u32, n[1] as u32)),
            7 => nodes.push((
                n[1],
                n[2],
                n[3] as u32,
                n[4] as u32,
                n[5] as u32,
                n[6] as u32,
            )),
            _ => {}
        }
    }
    let (vehicles, capacity) = fleet.expect("VEHICLE NUMBER CAPACITY");
    Instance {
        name,
        vehicles,
        capacity,
        nodes,
    }
}

/// Checks a plan on its own terms: every customer served exactly once,
/// capacity, windows (waiting allowed), service times, back at the depot
/// before it closes. Returns (vehicles, distance) or what is wrong.
fn check(instance: &Instance, plan: &TourPlan) -> Result<(usize, f64), String> {
    let nodes = &instance.nodes;
    let dist = |a: usize, b: usize| {
        let (dx, dy) = (nodes[a].0 - nodes[b].0, nodes[a].1 - nodes[b].1);
        (dx * dx + dy * dy).sqrt()
    };
    if !plan.unassigned.is_empty() {
        return Err(format!("{} customers unassigned", plan.unassigned.len()));
    }
    let mut served = vec![0; nodes.len()];
    let mut total = 0.0;
    let depot_due = f64::from(nodes[0].4);
    let mut used = 0;
    for (r, route) in plan.routes.iter().enumerate() {
        if route.stops.is_empty() {
            continue;
        }
        used += 1;
        let (mut at, mut here, mut load) = (f64::from(nodes[0].3), 0usize, 0u32);
        for &stop in &route.stops {
            // Stops are customers 1..; the plugin indexes them from 0.
            let node = stop as usize + 1;
            if node >= nodes.len() {
                return Err(format!("route {r}: stop {stop} does not exist"));
            }
            served[node] += 1;
            let (_, _, demand, ready, due, service) = nodes[node];
            total += dist(here, node);
            at = (at + dist(here, node)).max(f64::from(ready));
            if at > f64::from(due) + 1e-6 {
                return Err(format!(
                    "route {r}: customer {node} starts at {at:.2}, due {due}"
                ));
            }
            at += f64::from(service);
            load += demand;
            here = node;
        }
        total += dist(here, 0);
        if at + dist(here, 0) > depot_due + 1e-6 {
            return Err(format!(
                "route {r}: back at {:.2}, the depot closes at {depot_due}",
                at + dist(here, 0)
            ));
        }
        if load > instance.capacity {
            return Err(format!("route {r}: load {load} over {}", instance.capacity));
        }
    }
    if let Some(node) = (1..nodes.len()).find(|&n| served[n] != 1) {
        return Err(format!("customer {node} served {} times", served[node]));
    }
    if used > instance.vehicles as usize {
        return Err(format!("{used} vehicles, {} available", instance.vehicles));
    }
    Ok((used, total))
}

fn main() {
    let dir = std::env::var("XINGJI_SOLOMON_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/solomon")
        });
    let budget_ms: u32 = std::env::var("XINGJI_SOLOMON_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(2000);
    let only: Option<Vec<String>> = std::env::var("XINGJI_SOLOMON_ONLY")
        .ok()
        .map(|names| names.split(',').map(|n| n.trim().to_uppercase()).collect());
    let bks: BTreeMap<String, (u32, f64)> = std::fs::read_to_string(dir.join("bks.csv"))
        .expect("bks.csv")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split(',');
            let name = fields.next()?.to_uppercase();
            let vehicles = fields.next()?.parse().ok()?;
            let distance = fields.next()?.parse().ok()?;
            Some((name, (vehicles, distance)))
        })
        .collect();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("instances"))
        .expect("the instances directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();

    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(async {
        let data = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&data.path().join("xingji.db"))
                .await
                .expect("store"),
        );
        let regions = Arc::new(Regions::load(BTreeMap::new(), store.clone()).await.expect("regions"));
        let sets = PluginSets::start(store, data.path().join("artifacts"), regions, &xingji::server::BUNDLED, &Default::default())
            .await
            .expect("plugins");
        let plugin = sets.active("bench", Slot::Tour).map(|(id, _)| id).unwrap_or_default();
        // The call centre plans tours, as through PlanTours.
        let planner = Actor::new(Role::CallCentre, "bench", &["bench"]);
        println!("tour plugin {plugin}, {budget_ms} ms per instance, through PluginSets::call (sandboxed)");
        println!("instance vehicles   distance  bks_v   bks_dist   gap_%      ms");
        let (mut vehicles_total, mut bks_total, mut infeasible) = (0, 0, 0);
        let mut gaps = Vec::new();
        let mut times = Vec::new();
        for path in &paths {
            let instance = parse(path);
            if only.as_ref().is_some_and(|o| !o.contains(&instance.name.to_uppercase())) {
                continue;
            }
            let depot = instance.nodes[0];
            let request = PlanRequest {
                depot: Geo { lat: depot.0, lon: depot.1 },
                metric: Metric::Plane,
                stops: instance.nodes[1..]
                    .iter()
                    .map(|&(x, y, demand, ready, due, service)| Stop {
                        location: Geo { lat: x, lon: y },
                        demand,
                        ready,
                        due,
                        service,
                    })
                    .collect(),
                fleet: Fleet {
                    vehicles: instance.vehicles,
                    capacity: instance.capacity,
                    speed_kmh: 60.0,
                    shift_start: depot.3,
                    shift_end: depot.4,
                },
                budget_ms,
                seed: 1,
                params: Vec::new(),
            };
            let started = Instant::now();
            let plan = sets
                .call("bench", Slot::Tour, (&planner, "tours.plan"), |plugin, limits, _, services| {
                    let request = &request;
                    async move { plugin.tour_plan(request, limits, services).await }
                })
                .await
                .expect("the plugin call")
                .expect("a plan");
            let ms = started.elapsed().as_millis();
            times.push(ms);
            let (bv, bd) = bks.get(&instance.name.to_uppercase()).copied().unwrap_or((0, 0.0));
            bks_total += bv;
            match check(&instance, &plan) {
                Ok((v, d)) => {
                    vehicles_total += v;
                    let gap = (d - bd) / bd * 100.0;
                    if v as u32 == bv {
                        gaps.push(gap);
                    }
                    println!("{:8} {v:8} {d:10.2} {bv:6} {bd:10.2} {gap:7.2} {ms:7}", instance.name);
                }
                Err(why) => {
                    infeasible += 1;
                    println!("{:8} INFEASIBLE: {why}", instance.name);
                }
            }
        }
        gaps.sort_by(|a, b| a.total_cmp(b));
        times.sort();
        let median = |v: &[f64]| if v.is_empty() { f64::NAN } else { v[v.len() / 2] };
        println!(
            "total vehicles {vehicles_total} (best known {bks_total}); infeasible {infeasible}; \
             median gap {:.2} % over {} instances at the best-known vehicle count; \
             time per instance median {} ms, max {} ms",
            median(&gaps),
            gaps.len(),
            times.get(times.len() / 2).copied().unwrap_or(0),
            times.last().copied().unwrap_or(0),
        );
    });
}
