//! The Solomon VRPTW benchmark (56 instances of 100 customers), read from
//! `$SOLOMON_DIR` (default `/work/shared/bench/solomon`): a quick
//! feasibility test on three instances, and the full run as an ignored
//! test that prints a table against the best-known solutions:
//!
//! ```sh
//! cargo test --release --manifest-path plugins/Cargo.toml -p tour-vrptw --lib \
//!     -- --ignored --nocapture solomon_all
//! ```
//!
//! `SOLOMON_MS` sets the budget per instance (default 2000),
//! `SOLOMON_ONLY` a comma-separated list of instances, `SOLOMON_SEED` the
//! seed (default 1), `SOLOMON_PARAMS` the plugin's parameters
//! (`name=value,name=value`).

use std::path::PathBuf;

use crate::check::check;
use crate::model::{Fleet, Metric, Point, Request, Stop};
use crate::search::{Config, NoClock, Wall, solve};

fn dir() -> PathBuf {
    std::env::var_os("SOLOMON_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/bench/solomon"))
}

/// Parses the classic text format: name, `VEHICLE` block with number and
/// capacity, `CUSTOMER` table whose row 0 is the depot.
pub fn parse(text: &str) -> Result<Request, String> {
    let mut numbers = Vec::new();
    let mut vehicle = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() == Some(&"NUMBER") {
            let row = lines.next().ok_or("no vehicle row")?;
            let v: Vec<u32> = row
                .split_whitespace()
                .map(|f| f.parse().map_err(|_| format!("bad vehicle row {row:?}")))
                .collect::<Result<_, _>>()?;
            vehicle = Some((v[0], v[1]));
            continue;
        }
        let row: Option<Vec<f64>> = fields.iter().map(|f| f.parse().ok()).collect();
        if let Some(row) = row
            && row.len() == 7
        {
            numbers.push(row);
        }
    }
    let (vehicles, capacity) = vehicle.ok_or("no VEHICLE block")?;
    let depot = numbers.first().ok_or("no customers")?;
    let stops = numbers[1..]
        .iter()
        .map(|r| Stop {
            at: Point { x: r[1], y: r[2] },
            demand: r[3] as u32,
            ready: r[4] as u32,
            due: r[5] as u32,
            service: r[6] as u32,
        })
        .collect();
    Ok(Request {
        depot: Point {
            x: depot[1],
            y: depot[2],
        },
        metric: Metric::Plane,
        stops,
        fleet: Fleet {
            vehicles,
            capacity,
            speed_kmh: 0.0,
            shift_start: depot[4] as u32,
            shift_end: depot[5] as u32,
        },
    })
}

fn load(name: &str) -> Request {
    let path = dir().join("instances").join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&text).unwrap()
}

/// Best-known vehicles and distance per instance.
fn bks() -> Vec<(String, usize, f64)> {
    let text = std::fs::read_to_string(dir().join("bks.csv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Some((
                f.first()?.to_string(),
                f.get(1)?.parse().ok()?,
                f.get(2)?.parse().ok()?,
            ))
        })
        .collect()
}

#[test]
fn parses_the_format() {
    let text = "C101\n\nVEHICLE\nNUMBER     CAPACITY\n  25         200\n\nCUSTOMER\n\
        CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n \n\
        0      40         50          0          0       1236          0   \n\
        1      45         68         10        912        967         90   \n";
    let req = parse(text).unwrap();
    assert_eq!(req.fleet.vehicles, 25);
    assert_eq!(req.fleet.capacity, 200);
    assert_eq!((req.fleet.shift_start, req.fleet.shift_end), (0, 1236));
    assert_eq!(req.depot, Point { x: 40.0, y: 50.0 });
    assert_eq!(req.stops.len(), 1);
    assert_eq!(req.stops[0].due, 967);
}

/// A few instances of different families with a small iteration budget:
/// every plan feasible, every customer served, within the fleet.
#[test]
fn solomon_quick() {
    if !dir().join("instances").is_dir() {
        eprintln!("no Solomon instances in {}: skipped", dir().display());
        return;
    }
    for name in ["C101", "R101", "RC208"] {
        let req = load(name);
        let config = Config {
            iterations: 1500,
            ..Config::default()
        };
        let (plan, _) = solve(&req, 1, &config, &mut NoClock).unwrap();
        let report = check(&req, &plan).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.unassigned.is_empty(), "{name}");
        assert!(report.vehicles <= 25, "{name}");
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[test]
#[ignore = "the full benchmark: about two minutes"]
fn solomon_all() {
    let ms: f64 = std::env::var("SOLOMON_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000.0);
    let seed: u64 = std::env::var("SOLOMON_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let only: Option<Vec<String>> = std::env::var("SOLOMON_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_uppercase()).collect());
    let params: Vec<(String, String)> = std::env::var("SOLOMON_PARAMS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let config = crate::params::config(&params).unwrap();
    println!(
        "{:<7} {:>4} {:>9} {:>4} {:>9} {:>7} {:>6} {:>8} {:>6}",
        "inst", "veh", "dist", "bks", "bks dist", "gap %", "ms", "iters", "built"
    );
    let (mut vehicles, mut bks_vehicles) = (0, 0);
    let mut gaps = Vec::new();
    let mut times = Vec::new();
    let mut worse = Vec::new();
    for (name, bv, bd) in bks() {
        if only.as_ref().is_some_and(|only| !only.contains(&name)) {
            continue;
        }
        let req = load(&name);
        let started = std::time::Instant::now();
        let (plan, stats) = solve(&req, seed, &config, &mut Wall::new(ms)).unwrap();
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let report = check(&req, &plan).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            plan.unassigned.is_empty(),
            "{name}: {:?} unassigned",
            plan.unassigned
        );
        let gap = (report.distance / bd - 1.0) * 100.0;
        println!(
            "{name:<7} {:>4} {:>9.2} {bv:>4} {bd:>9.2} {gap:>7.2} {elapsed:>6.0} {:>8} {:>6}",
            report.vehicles, report.distance, stats.iterations, stats.constructed
        );
        vehicles += report.vehicles;
        bks_vehicles += bv;
        times.push(elapsed);
        if report.vehicles == bv {
            gaps.push(gap);
        } else {
            worse.push(name.clone());
        }
    }
    let n = times.len();
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
    let equal = gaps.len();
    println!(
        "instances {n}; vehicles {vehicles} (BKS {bks_vehicles}); at the BKS vehicles: {equal}, \
         median gap {:.2} %, mean gap {mean_gap:.2} %, max gap {:.2} %; time max {:.0} ms, mean {:.0} ms",
        median(&mut gaps),
        gaps.iter().copied().fold(f64::NAN, f64::max),
        times.iter().copied().fold(0.0, f64::max),
        times.iter().sum::<f64>() / n.max(1) as f64,
    );
    println!("more vehicles than the BKS: {}", worse.join(" "));
}
