//! The cost of one dispatch plugin call: a fresh store and instance, the
//! request copied in, the choice copied out. `cargo bench -p xingji --bench
//! plugin_call` prints the latency distribution for regions of 0 (the fixed
//! cost: instantiation and the call itself), 10, 100 and
//! 1000 outlets (three engineers each).

use std::time::{Duration, Instant};

use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::{
    CandidateEngineer, CandidateOutlet, Certifications, DispatchOrder, DispatchRequest,
};
use xingji_plugin_host::bindings::host::xingji::plugins::types::*;
use xingji_plugin_host::{Limits, Runtime, Slot};

fn request(outlets: usize) -> DispatchRequest {
    let at = |i: usize| Geo {
        lat: 31.0 + (i % 37) as f64 * 0.01,
        lon: 121.0 + (i % 41) as f64 * 0.01,
    };
    DispatchRequest {
        order: DispatchOrder {
            id: "order-1".into(),
            kind: OrderKind::Repair,
            product_line: ProductLine::Refrigerator,
            location: at(7),
            vip: false,
        },
        outlets: (0..outlets)
            .map(|i| CandidateOutlet {
                id: format!("outlet-{i}"),
                location: at(i),
                service_radius_minutes: 30,
                product_lines: ProductLines::all(),
                status: OutletStatus::Active,
                grade: Grade::B,
                daily_capacity: 40,
                open_orders: (i % 13) as u32,
            })
            .collect(),
        engineers: (0..outlets * 3)
            .map(|i| CandidateEngineer {
                id: format!("person-{i}"),
                outlet: (i / 3) as u32,
                level: PersonLevel::Engineer,
                skills: ProductLines::REFRIGERATOR | ProductLines::TV,
                certified: Certifications {
                    junior: ProductLines::TV,
                    intermediate: ProductLines::REFRIGERATOR,
                    senior: ProductLines::empty(),
                },
                licence_state: LicenceState::Normal,
                on_duty: i % 5 != 0,
                open_orders: (i % 4) as u32,
                location: Some(at(i)),
            })
            .collect(),
        now: 1_800_000_000,
        params: vec![("speed_kmh".into(), "30".into())],
    }
}

/// The region sizes to measure: `XINGJI_OUTLETS=100` (a comma list) for one.
fn sizes() -> Vec<usize> {
    std::env::var("XINGJI_OUTLETS")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![0, 10, 100, 1000])
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        let engine = Runtime::new(None).expect("runtime");
        println!("pooling allocator: {}", engine.pooling());
        let calls_wanted: Option<usize> = std::env::var("XINGJI_CALLS")
            .ok()
            .and_then(|n| n.parse().ok());
        for (name, bytes) in xingji_bundled::EMBEDDED {
            // Compile only what is measured (and what a profile should see).
            if !name.starts_with("dispatch-") {
                continue;
            }
            let plugin = engine.load(bytes, None).await.expect("load");
            assert_eq!(plugin.slot, Slot::Dispatch, "{name}");
            for outlets in sizes() {
                let request = request(outlets);
                let limits = Limits::for_slot(Slot::Dispatch);
                for _ in 0..200 {
                    plugin.dispatch(&request, limits, None).await.expect("warm-up call");
                }
                let calls = calls_wanted.unwrap_or(if outlets == 1000 { 2_000 } else { 10_000 });
                let mut times = Vec::with_capacity(calls);
                let mut fuel = 0;
                for _ in 0..calls {
                    let started = Instant::now();
                    let (_, cost) = plugin.dispatch(&request, limits, None).await.expect("call");
                    times.push(started.elapsed());
                    fuel = cost.fuel;
                }
                times.sort();
                let mean = times.iter().sum::<Duration>() / calls as u32;
                let pct = |p: f64| times[((calls as f64 * p) as usize).min(calls - 1)];
                println!(
                    "{name:18} {outlets:5} outlets: mean {:7.1} µs  p50 {:7.1} µs  p99 {:7.1} µs  fuel {fuel}",
                    mean.as_secs_f64() * 1e6,
                    pct(0.50).as_secs_f64() * 1e6,
                    pct(0.99).as_secs_f64() * 1e6,
                );
            }
        }
    });
}
