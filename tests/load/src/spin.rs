//! `xingji-load spin`: a soak of one region by a hostile plugin. An
//! open-loop intake runs in region A; after a baseline, `--calls` callers
//! send orders back to back to region B, whose dispatch plugin (installed
//! from `--plugin`, `test-sleeper` in tests/benchmarks.sh) spins on each
//! to its deadline. The claim under test (issue 13): B's plugin calls are
//! capped per region and slot, so A's CreateOrder latency stays near its
//! baseline.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use serde_json::json;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::{ActivatePluginRequest, InstallPluginRequest, PluginSlot, ProductLine};

use crate::credentials::{AdminArgs, CallerArgs, bearer};
use crate::engine::{Answer, Load, Sink, open_loop};
use crate::intake::ORDERS_AS;
use crate::net::{acting, connect};
use crate::tally::{Tally, round3};
use crate::workload::RegionNetwork;
use crate::{Report, Result, Target, parse_rate, parse_secs};

/// `spin` options.
#[derive(Debug, Clone, Args)]
pub struct SpinArgs {
    /// Server and output options.
    #[command(flatten)]
    pub target: Target,
    /// The region measured: its CreateOrder latency, before and during.
    #[arg(long, default_value = "shanghai")]
    pub region_a: String,
    /// The region whose dispatch plugin spins.
    #[arg(long, default_value = "qingdao")]
    pub region_b: String,
    /// The spinning dispatch plugin's component (a dispatch plugin that
    /// spins on computer orders, as test-sleeper does).
    #[arg(long, value_name = "WASM")]
    pub plugin: PathBuf,
    /// Callers sending orders to region B back to back.
    #[arg(long, default_value_t = 32)]
    pub calls: usize,
    /// Orders a second into region A.
    #[arg(long, default_value = "200", value_parser = parse_rate)]
    pub rate: f64,
    /// Load before the baseline, not counted.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    pub warmup: Duration,
    /// Seconds measured before the spinning starts.
    #[arg(long, default_value = "20", value_parser = parse_secs)]
    pub baseline: Duration,
    /// Seconds measured while it spins.
    #[arg(long, default_value = "20", value_parser = parse_secs)]
    pub soak: Duration,
    /// HTTP/2 connections for region A's orders (B's callers share one
    /// more).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Give up on a request after this long.
    #[arg(long, default_value = "30", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Who sends the orders.
    #[command(flatten)]
    pub caller: CallerArgs,
    /// Who installs and activates the plugin [default: hq:demo].
    #[command(flatten)]
    pub admin: AdminArgs,
}

const BASELINE: usize = 0;
const SOAK: usize = 1;

/// Installs the plugin at `path` and makes `region` dispatch with it;
/// returns its `name@version`.
async fn install_spinner(
    plugins: &mut PluginServiceClient<tonic::transport::Channel>,
    admin: &tonic::metadata::AsciiMetadataValue,
    path: &Path,
    region: &str,
) -> Result<String> {
    let component =
        std::fs::read(path).map_err(|error| format!("--plugin {}: {error}", path.display()))?;
    let installed = plugins
        .install_plugin(acting(
            admin,
            InstallPluginRequest {
                component,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    plugins
        .activate_plugin(acting(
            admin,
            ActivatePluginRequest {
                region: region.to_owned(),
                slot: PluginSlot::Dispatch as i32,
                name: installed.name.clone(),
                version: installed.version.clone(),
                reason: "xingji-load spin".to_owned(),
                params: Vec::new(),
            },
        ))
        .await?;
    Ok(format!("{}@{}", installed.name, installed.version))
}

/// Runs the soak.
pub async fn run(args: &SpinArgs, addr: &str, tokens_dir: &Path) -> Result<Report> {
    let (a, b) = (args.region_a.as_str(), args.region_b.as_str());
    let orders = bearer(args.caller.source(), ORDERS_AS, tokens_dir)?;
    let admin = bearer(args.admin.source(), "hq:demo", tokens_dir)?;
    let channels = connect(addr, args.connections, args.timeout).await?;
    let spin_channel = connect(addr, 1, args.timeout).await?.remove(0);
    let mut plugins = PluginServiceClient::new(spin_channel.clone());
    let spinner = install_spinner(&mut plugins, &admin, &args.plugin, b).await?;
    let network_b = RegionNetwork::load(&spin_channel, &orders, b).await;
    let load = Arc::new(Load::new(channels, &[a], orders.clone()).await);

    let start = Instant::now();
    let baseline_from = start + args.warmup;
    let soak_from = baseline_from + args.baseline;
    let end = soak_from + args.soak;
    let tallies = Arc::new(Mutex::new([Tally::default(), Tally::default()]));
    let sink: Sink = {
        let tallies = tallies.clone();
        Arc::new(move |answer: Answer<'_>| {
            if answer.intended < baseline_from {
                return;
            }
            let phase = if answer.intended < soak_from {
                BASELINE
            } else {
                SOAK
            };
            tallies.lock().unwrap_or_else(PoisonError::into_inner)[phase]
                .record(answer.latency, answer.result);
        })
    };
    let stop = Arc::new(AtomicBool::new(false));
    eprintln!(
        "xingji-load: spin: {} orders/s into {a}; {:.0} s warmup, {:.0} s baseline, then {:.0} s with {} callers into {b}, whose dispatch plugin {spinner} spins",
        args.rate,
        args.warmup.as_secs_f64(),
        args.baseline.as_secs_f64(),
        args.soak.as_secs_f64(),
        args.calls
    );
    let load_task = tokio::spawn(open_loop(
        load.clone(),
        args.rate,
        start,
        stop.clone(),
        sink,
    ));

    sleep_until(soak_from).await;
    let spun = Arc::new(AtomicU64::new(0));
    let spin_failed = Arc::new(AtomicU64::new(0));
    let mut callers = JoinSet::new();
    for caller in 0..args.calls.max(1) {
        let (channel, orders, network, maker) = (
            spin_channel.clone(),
            orders.clone(),
            network_b.clone(),
            load.maker.clone(),
        );
        let (spun, failed) = (spun.clone(), spin_failed.clone());
        callers.spawn(async move {
            let mut client = OrderServiceClient::new(channel);
            let mut k = (caller as u64) << 40;
            while Instant::now() < end {
                let mut request = maker.make(&network, k);
                k += 1;
                if let Some(appliance) = request.order.as_mut().and_then(|o| o.appliance.as_mut()) {
                    appliance.product_line = ProductLine::Computer as i32;
                }
                match client.create_order(acting(&orders, request)).await {
                    Ok(_) => spun.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        });
    }
    sleep_until(end).await;
    stop.store(true, Ordering::Relaxed);
    while callers.join_next().await.is_some() {}
    load_task.await?;

    let tallies = tallies.lock().unwrap_or_else(PoisonError::into_inner);
    let [baseline, soak] = &*tallies;
    let ratio = |q: f64| {
        let before = baseline.quantile_ms(q);
        if before > 0.0 {
            round3(soak.quantile_ms(q) / before)
        } else {
            0.0
        }
    };
    let spun = spun.load(Ordering::Relaxed);
    let spin_failed = spin_failed.load(Ordering::Relaxed);
    let text = format!(
        "{a} CreateOrder at {} orders/s\n  baseline: {}\n            {}\n  soak:     {}\n            {}\n  p50 x{}, p99 x{} of the baseline\n{b}: {} callers sent {} orders (their dispatch spinning in {spinner}), {} refused\n",
        args.rate,
        baseline.latency_text(),
        baseline.failures_text(),
        soak.latency_text(),
        soak.failures_text(),
        ratio(0.5),
        ratio(0.99),
        args.calls,
        spun + spin_failed,
        spin_failed,
    );
    let json = json!({
        "command": "spin",
        "region_a": a,
        "region_b": b,
        "rate": args.rate,
        "calls": args.calls,
        "plugin": spinner,
        "baseline": { "latency": baseline.latency_json(), "failures": baseline.failures_json() },
        "soak": { "latency": soak.latency_json(), "failures": soak.failures_json() },
        "p50_ratio": ratio(0.5),
        "p99_ratio": ratio(0.99),
        "b_orders": spun + spin_failed,
        "b_refused": spin_failed,
    });
    Ok(Report { text, json })
}
