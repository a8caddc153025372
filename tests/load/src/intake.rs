//! `xingji-load intake`: the order-intake benchmark.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use serde_json::json;
use tokio::time::Instant;

use crate::credentials::{CallerArgs, bearer};
use crate::engine::{Answer, Load, Sink, closed_loop, open_loop, stop_at};
use crate::net::connect;
use crate::tally::{Tally, round3};
use crate::{Report, Result, Target, parse_rate, parse_secs};

/// `intake` options.
#[derive(Debug, Clone, Args)]
pub struct IntakeArgs {
    /// Server and output options.
    #[command(flatten)]
    pub target: Target,
    /// The regions to send orders to, comma-separated; orders go round-robin.
    #[arg(long, value_delimiter = ',', default_value = "shanghai")]
    pub regions: Vec<String>,
    /// How long to measure, in seconds (60, 60s, 1.5, 500ms).
    #[arg(long, default_value = "60", value_parser = parse_secs)]
    pub duration: Duration,
    /// How long to send before measuring (not counted): connections,
    /// caches and the store's pages warm up.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    pub warmup: Duration,
    /// Closed loop: this many callers, each sending CreateOrder back to back.
    #[arg(long, default_value_t = 64, conflicts_with = "rate")]
    pub concurrency: usize,
    /// Open loop instead: this many orders a second in all, latency measured
    /// from each order's scheduled send time.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// HTTP/2 connections to spread the requests over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Give up on a request after this long (it counts as DEADLINE_EXCEEDED
    /// or CANCELLED).
    #[arg(long, default_value = "30", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Who sends the orders (and reads the regions' outlets to place
    /// them): the call centre records customers' requests.
    #[command(flatten)]
    pub caller: CallerArgs,
}

/// Who sends the orders unless the flags say: the demo's call centre, of
/// every demo region.
pub const ORDERS_AS: &str = "call-centre:07";

/// Runs the benchmark against `addr`, finding saved tokens in `tokens_dir`.
pub async fn run(args: &IntakeArgs, addr: &str, tokens_dir: &Path) -> Result<Report> {
    let credential = bearer(args.caller.source(), ORDERS_AS, tokens_dir)?;
    let channels = connect(addr, args.connections, args.timeout).await?;
    let regions: Vec<&str> = args.regions.iter().map(String::as_str).collect();
    let load = Arc::new(Load::new(channels, &regions, credential).await);

    let start = Instant::now();
    let measure_from = start + args.warmup;
    let end = measure_from + args.duration;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let warmup_sent = Arc::new(AtomicU64::new(0));
    let sink: Sink = {
        let (tally, warmup_sent) = (tally.clone(), warmup_sent.clone());
        Arc::new(move |answer: Answer<'_>| {
            if answer.intended < measure_from {
                warmup_sent.fetch_add(1, Ordering::Relaxed);
            } else if answer.intended < end {
                tally
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .record(answer.latency, answer.result);
            }
        })
    };
    let stop = Arc::new(AtomicBool::new(false));
    stop_at(end, stop.clone());
    let progress = progress(tally.clone(), measure_from, end);
    let (mode, schedule) = match args.rate {
        Some(rate) => {
            eprintln!(
                "xingji-load: intake, open loop at {rate} orders/s over {} connections to {addr}",
                args.connections
            );
            let schedule = open_loop(load, rate, start, stop, sink).await;
            (format!("open loop at {rate} orders/s"), Some(schedule))
        }
        None => {
            eprintln!(
                "xingji-load: intake, closed loop with {} callers over {} connections to {addr}",
                args.concurrency, args.connections
            );
            closed_loop(load, args.concurrency, stop, sink).await;
            (
                format!("closed loop with {} callers", args.concurrency),
                None,
            )
        }
    };
    progress.abort();

    let tally = tally.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let window = args.duration.as_secs_f64();
    let per_second = if window > 0.0 {
        tally.ok as f64 / window
    } else {
        0.0
    };
    let mut text = format!(
        "intake: {mode} over {} connections, regions {}; warmup {:.1} s, measured {window:.1} s\n",
        args.connections,
        args.regions.join(","),
        args.warmup.as_secs_f64(),
    );
    text += &format!(
        "sent {} (plus {} in warmup), ok {}, failed {}\n",
        tally.sent(),
        warmup_sent.load(Ordering::Relaxed),
        tally.ok,
        tally.failed()
    );
    text += &tally.failures_text();
    text += &format!("orders/s {per_second:.1} (OK answers over the measured window)\n");
    text += &format!("latency {}\n", tally.latency_text());
    text += &tally.admission_text();
    text += &format!(
        "created orders: DISPATCHED {}, INTAKE {}{}\n",
        tally.statuses.get("DISPATCHED").copied().unwrap_or(0),
        tally.statuses.get("INTAKE").copied().unwrap_or(0),
        tally
            .first_intake_reason
            .as_ref()
            .map(|r| format!(" (first left in intake: {r})"))
            .unwrap_or_default()
    );
    if !tally.dispatched_by.is_empty() {
        let by: Vec<String> = tally
            .dispatched_by
            .iter()
            .map(|(plugin, n)| format!("{plugin} {n}"))
            .collect();
        text += &format!("dispatched by: {}\n", by.join(", "));
    }
    let lag = schedule.as_ref().map(|s| {
        let p99 = s.lag.value_at_quantile(0.99) as f64 / 1000.0;
        let max = s.lag.max() as f64 / 1000.0;
        (p99, max)
    });
    if let Some((p99, max)) = lag {
        text += &format!(
            "driver send lag behind schedule: p99 {p99:.3} ms, max {max:.3} ms (included in the latencies)\n"
        );
    }
    let json = json!({
        "command": "intake",
        "addr": addr,
        "regions": args.regions,
        "mode": if args.rate.is_some() { "open" } else { "closed" },
        "concurrency": if args.rate.is_some() { None } else { Some(args.concurrency) },
        "rate": args.rate,
        "connections": args.connections,
        "warmup_s": args.warmup.as_secs_f64(),
        "duration_s": window,
        "sent": tally.sent(),
        "warmup_sent": warmup_sent.load(Ordering::Relaxed),
        "ok": tally.ok,
        "failed": tally.failed(),
        "failures": tally.failures_json(),
        "orders_per_s": round3(per_second),
        "latency_ms": tally.latency_json(),
        "admission_latency_ms": tally.admission_json(),
        "statuses": tally.statuses,
        "dispatched_by": tally.dispatched_by,
        "first_intake_reason": tally.first_intake_reason,
        "send_lag_ms": lag.map(|(p99, max)| json!({"p99": round3(p99), "max": round3(max)})),
    });
    Ok(Report { text, json })
}

/// Prints the measured counts to standard error every five seconds, so a
/// long run shows it is alive and a collapse shows as it happens.
fn progress(
    tally: Arc<Mutex<Tally>>,
    measure_from: Instant,
    end: Instant,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(
            measure_from + Duration::from_secs(5),
            Duration::from_secs(5),
        );
        loop {
            let now = tick.tick().await;
            if now > end {
                return;
            }
            let (ok, failed, p99) = {
                let t = tally.lock().unwrap_or_else(PoisonError::into_inner);
                (t.ok, t.failed(), t.quantile_ms(0.99))
            };
            eprintln!(
                "xingji-load: {:>5.0} s measured: ok {ok}, failed {failed}, p99 {p99:.1} ms",
                (now - measure_from).as_secs_f64()
            );
        }
    })
}
