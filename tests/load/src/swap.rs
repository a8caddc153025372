//! `xingji-load swap`: hot swap under load. An open-loop intake runs over
//! two regions; after a baseline, region A's dispatch plugin is swapped back
//! and forth. The claim under test: a swap is atomic and costs the other
//! region nothing (plugin.proto, ActivatePlugin).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until};
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::{
    ActivatePluginRequest, GetRegionPluginsRequest, ListPluginsRequest, Plugin, PluginSlot,
};

use crate::credentials::{AdminArgs, CallerArgs, bearer};
use crate::engine::{Answer, Load, Sink, open_loop};
use crate::intake::ORDERS_AS;
use crate::net::{acting, connect};
use crate::tally::{Tally, round3};
use crate::{Report, Result, Target, parse_rate, parse_secs};

/// `swap` options.
#[derive(Debug, Clone, Args)]
pub struct SwapArgs {
    /// Server and output options.
    #[command(flatten)]
    pub target: Target,
    /// The region whose dispatch plugin is swapped.
    #[arg(long, default_value = "shanghai")]
    pub region_a: String,
    /// The region left alone: its latency should not notice A's swaps.
    #[arg(long, default_value = "qingdao")]
    pub region_b: String,
    /// Orders a second in all, split evenly over the two regions.
    #[arg(long, default_value = "2000", value_parser = parse_rate)]
    pub rate: f64,
    /// Load before the baseline, not counted.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    pub warmup: Duration,
    /// Seconds of load measured before the first swap.
    #[arg(long, default_value = "20", value_parser = parse_secs)]
    pub baseline: Duration,
    /// How many activations of region A's dispatch slot.
    #[arg(long, default_value_t = 20)]
    pub swaps: u32,
    /// Seconds between two activations; the swap window ends this long
    /// after the last one.
    #[arg(long, default_value = "1", value_parser = parse_secs)]
    pub every: Duration,
    /// The two dispatch plugins to swap between, as name@version,
    /// comma-separated [default: region A's current one and another
    /// installed dispatch plugin, bundled ones first].
    #[arg(long, value_delimiter = ',', num_args = 2)]
    pub plugins: Option<Vec<String>>,
    /// HTTP/2 connections for the orders (the activations use one more of
    /// their own, as an operator's console would).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Give up on a request after this long.
    #[arg(long, default_value = "30", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Who sends the orders (and reads the regions' outlets to place
    /// them).
    #[command(flatten)]
    pub caller: CallerArgs,
    /// Who reads the plugins and activates region A's: regional IT swaps
    /// plugins.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// The measured window before the first swap (an index into a region's
/// tallies).
const BASELINE: usize = 0;
/// The measured window from the first swap to one interval after the last.
const SWAPPING: usize = 1;
/// The windows' names in the report, by index.
const PHASES: [&str; 2] = ["baseline", "swap"];

/// One ActivatePlugin call as the client saw it.
struct Swap {
    /// 1-based.
    n: u32,
    /// `name@version` asked for.
    to: String,
    /// Client-side time of the ActivatePlugin call.
    ms: f64,
    /// The activation's `seq`, or the error.
    outcome: std::result::Result<i64, String>,
    /// Region A's dispatch plugin read back right after, as name@version.
    read_back: String,
}

/// `region`'s dispatch plugin now, as `name@version`, read as `admin`.
async fn active_dispatch(
    plugins: &mut PluginServiceClient<Channel>,
    admin: &AsciiMetadataValue,
    region: &str,
) -> Result<String> {
    let set = plugins
        .get_region_plugins(acting(
            admin,
            GetRegionPluginsRequest {
                region: region.to_owned(),
            },
        ))
        .await?
        .into_inner();
    set.plugins
        .iter()
        .find(|p| p.slot == PluginSlot::Dispatch as i32)
        .map(|p| format!("{}@{}", p.name, p.version))
        .ok_or_else(|| format!("region {region:?} runs no dispatch plugin").into())
}

/// Every installed dispatch plugin, read as `admin`.
async fn installed_dispatch(
    plugins: &mut PluginServiceClient<Channel>,
    admin: &AsciiMetadataValue,
) -> Result<Vec<Plugin>> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = plugins
            .list_plugins(acting(
                admin,
                ListPluginsRequest {
                    slot: PluginSlot::Dispatch as i32,
                    page_size: 1000,
                    page_token,
                },
            ))
            .await?
            .into_inner();
        all.extend(page.plugins);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

/// The two plugins to alternate, the one to activate first first; the
/// region's current plugin is the other unless `asked` says otherwise.
async fn choose(
    plugins: &mut PluginServiceClient<Channel>,
    admin: &AsciiMetadataValue,
    original: &str,
    asked: Option<&[String]>,
) -> Result<[String; 2]> {
    let installed = installed_dispatch(plugins, admin).await?;
    let ids: Vec<String> = installed
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    if let Some([p, q]) = asked {
        for id in [p, q] {
            if !ids.contains(id) {
                return Err(format!(
                    "--plugins: {id} is not an installed dispatch plugin (installed: {})",
                    ids.join(", ")
                )
                .into());
            }
        }
        // Start with whichever is not running, so the first swap changes
        // something.
        return Ok(if p == original {
            [q.clone(), p.clone()]
        } else {
            [p.clone(), q.clone()]
        });
    }
    let mut others: Vec<&Plugin> = installed
        .iter()
        .filter(|p| format!("{}@{}", p.name, p.version) != original)
        .collect();
    // Bundled plugins first: they are the ones every kernel has, which
    // makes runs comparable across deployments.
    others.sort_by_key(|p| !p.bundled);
    let other = others.first().ok_or_else(|| {
        format!(
            "only {original} is installed for dispatch: install a second dispatch plugin or pass --plugins"
        )
    })?;
    Ok([
        format!("{}@{}", other.name, other.version),
        original.to_owned(),
    ])
}

async fn activate(
    plugins: &mut PluginServiceClient<Channel>,
    actor: &AsciiMetadataValue,
    region: &str,
    id: &str,
    reason: String,
) -> std::result::Result<i64, tonic::Status> {
    let (name, version) = id.split_once('@').unwrap_or((id, ""));
    let activation = plugins
        .activate_plugin(acting(
            actor,
            ActivatePluginRequest {
                region: region.to_owned(),
                slot: PluginSlot::Dispatch as i32,
                name: name.to_owned(),
                version: version.to_owned(),
                reason,
                params: Vec::new(),
            },
        ))
        .await?
        .into_inner();
    Ok(activation.seq)
}

/// Runs the hot-swap test against `addr`, finding saved tokens in
/// `tokens_dir`.
pub async fn run(args: &SwapArgs, addr: &str, tokens_dir: &Path) -> Result<Report> {
    let (a, b) = (args.region_a.as_str(), args.region_b.as_str());
    let orders = bearer(args.caller.source(), ORDERS_AS, tokens_dir)?;
    let admin_default = format!("regional-it:{a}");
    let admin = bearer(args.admin.source(), &admin_default, tokens_dir)?;
    let channels = connect(addr, args.connections, args.timeout).await?;
    let admin_channel = connect(addr, 1, args.timeout).await?.remove(0);
    let mut plugins = PluginServiceClient::new(admin_channel);
    let original = active_dispatch(&mut plugins, &admin, a).await?;
    // Region A's IT may not read region B's plugins: then B's orders'
    // history says which plugin dispatched them (below).
    let b_plugin = active_dispatch(&mut plugins, &admin, b).await.ok();
    let pair = choose(&mut plugins, &admin, &original, args.plugins.as_deref()).await?;

    let load = Arc::new(Load::new(channels, &[a, b], orders).await);

    let start = Instant::now();
    let baseline_from = start + args.warmup;
    let swap_from = baseline_from + args.baseline;
    // tallies[region][phase]
    let tallies = Arc::new(Mutex::new([
        [Tally::default(), Tally::default()],
        [Tally::default(), Tally::default()],
    ]));
    let warmup_sent = Arc::new(AtomicU64::new(0));
    let sink: Sink = {
        let (tallies, warmup_sent) = (tallies.clone(), warmup_sent.clone());
        Arc::new(move |answer: Answer<'_>| {
            // Orders are put in a phase by when they were due, so that an
            // order caught in a stall at the first swap counts in the swap
            // window even if it was answered later.
            let phase = if answer.intended < baseline_from {
                warmup_sent.fetch_add(1, Ordering::Relaxed);
                return;
            } else if answer.intended < swap_from {
                BASELINE
            } else {
                SWAPPING
            };
            tallies.lock().unwrap_or_else(PoisonError::into_inner)[answer.region][phase]
                .record(answer.latency, answer.result);
        })
    };
    let stop = Arc::new(AtomicBool::new(false));
    eprintln!(
        "xingji-load: swap: {} orders/s over {a} and {b}; {:.0} s warmup, {:.0} s baseline, then {} swaps of {a}'s dispatch between {} and {} every {:.1} s",
        args.rate,
        args.warmup.as_secs_f64(),
        args.baseline.as_secs_f64(),
        args.swaps,
        pair[0],
        pair[1],
        args.every.as_secs_f64()
    );
    let load_task = tokio::spawn(open_loop(load, args.rate, start, stop.clone(), sink));

    let mut swaps = Vec::new();
    for i in 0..args.swaps {
        sleep_until(swap_from + args.every * i).await;
        let to = &pair[i as usize % 2];
        let asked = Instant::now();
        let outcome = activate(
            &mut plugins,
            &admin,
            a,
            to,
            format!("xingji-load hot swap {}/{}", i + 1, args.swaps),
        )
        .await;
        let ms = asked.elapsed().as_secs_f64() * 1000.0;
        let read_back = active_dispatch(&mut plugins, &admin, a)
            .await
            .unwrap_or_else(|error| format!("(read failed: {error})"));
        eprintln!(
            "xingji-load: swap {}: {to} in {ms:.2} ms, now {read_back}",
            i + 1
        );
        swaps.push(Swap {
            n: i + 1,
            to: to.clone(),
            ms,
            outcome: outcome.map_err(|status| {
                format!(
                    "{}: {}",
                    crate::tally::code_name(status.code()),
                    status.message()
                )
            }),
            read_back,
        });
    }
    sleep_until(swap_from + args.every * args.swaps).await;
    stop.store(true, Ordering::Relaxed);
    let schedule = load_task.await?;

    // Leave region A as it was found (outside the measured windows).
    let now_active = active_dispatch(&mut plugins, &admin, a).await?;
    let restored = if now_active == original {
        None
    } else {
        let reason = "xingji-load: restore after the hot-swap run".to_owned();
        activate(&mut plugins, &admin, a, &original, reason).await?;
        Some(original.clone())
    };

    let tallies = tallies
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let b_plugin = b_plugin.unwrap_or_else(|| {
        let seen: BTreeSet<&str> = tallies[1]
            .iter()
            .flat_map(|t| t.dispatched_by.keys().map(String::as_str))
            .collect();
        let seen = if seen.is_empty() {
            "an unknown plugin".to_owned()
        } else {
            seen.into_iter().collect::<Vec<_>>().join(", ")
        };
        format!("{seen} (by its orders' history: the admin credential may not read {b}'s plugins)")
    });
    Ok(report(
        args,
        addr,
        &pair,
        &original,
        &b_plugin,
        &tallies,
        &swaps,
        restored,
        warmup_sent.load(Ordering::Relaxed),
        &schedule.lag,
    ))
}

#[allow(clippy::too_many_arguments)] // one report of one run; a struct would only rename them
fn report(
    args: &SwapArgs,
    addr: &str,
    pair: &[String; 2],
    original: &str,
    b_plugin: &str,
    tallies: &[[Tally; 2]; 2],
    swaps: &[Swap],
    restored: Option<String>,
    warmup_sent: u64,
    lag: &hdrhistogram::Histogram<u64>,
) -> Report {
    let regions = [args.region_a.as_str(), args.region_b.as_str()];
    let mut text = format!(
        "swap: open loop {} orders/s over {} and {} ({:.0}/s each), {} connections; warmup {:.1} s ({warmup_sent} orders), baseline {:.1} s, {} swaps every {:.2} s\n",
        args.rate,
        regions[0],
        regions[1],
        args.rate / 2.0,
        args.connections,
        args.warmup.as_secs_f64(),
        args.baseline.as_secs_f64(),
        args.swaps,
        args.every.as_secs_f64(),
    );
    text += &format!(
        "{} dispatch: {original} at start, swapped between {} and {}; {} runs {b_plugin}\n",
        regions[0], pair[0], pair[1], regions[1]
    );
    text += &format!(
        "{:<12} {:<9} {:>8} {:>8} {:>7} {:>9} {:>9} {:>9}\n",
        "region", "window", "sent", "ok", "failed", "p50 ms", "p99 ms", "max ms"
    );
    let mut windows = serde_json::Map::new();
    let mut total_failed = 0;
    for (r, region) in regions.iter().enumerate() {
        let mut per_phase = serde_json::Map::new();
        for (p, phase) in PHASES.iter().enumerate() {
            let t = &tallies[r][p];
            total_failed += t.failed();
            text += &format!(
                "{region:<12} {phase:<9} {:>8} {:>8} {:>7} {:>9.3} {:>9.3} {:>9.3}\n",
                t.sent(),
                t.ok,
                t.failed(),
                t.quantile_ms(0.5),
                t.quantile_ms(0.99),
                t.max_ms()
            );
            per_phase.insert(
                (*phase).to_owned(),
                json!({
                    "sent": t.sent(),
                    "ok": t.ok,
                    "failed": t.failed(),
                    "failures": t.failures_json(),
                    "p50_ms": round3(t.quantile_ms(0.5)),
                    "p99_ms": round3(t.quantile_ms(0.99)),
                    "max_ms": round3(t.max_ms()),
                    "statuses": t.statuses,
                    "dispatched_by": t.dispatched_by,
                }),
            );
        }
        windows.insert((*region).to_owned(), Value::Object(per_phase));
    }
    for (r, region) in regions.iter().enumerate() {
        for (p, phase) in PHASES.iter().enumerate() {
            let failures = tallies[r][p].failures_text();
            if !failures.is_empty() {
                text += &format!("{region} {phase} failures:\n{failures}");
            }
        }
    }
    let swap_window = &tallies[0][SWAPPING];
    if !swap_window.dispatched_by.is_empty() {
        let by: Vec<String> = swap_window
            .dispatched_by
            .iter()
            .map(|(plugin, n)| format!("{plugin} {n}"))
            .collect();
        text += &format!(
            "{} orders dispatched during the swaps by: {}\n",
            regions[0],
            by.join(", ")
        );
    }
    let b_before = tallies[1][BASELINE].quantile_ms(0.99);
    let b_during = tallies[1][SWAPPING].quantile_ms(0.99);
    let ratio = if b_before > 0.0 {
        Some(b_during / b_before)
    } else {
        None
    };
    text += &format!(
        "{} p99: {b_before:.3} ms before, {b_during:.3} ms during the swaps, ratio {}\n",
        regions[1],
        ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}"))
    );
    let mut ms: Vec<f64> = swaps.iter().map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    let median = ms.get(ms.len() / 2).copied().unwrap_or(0.0);
    let max = ms.last().copied().unwrap_or(0.0);
    let listed: Vec<String> = swaps.iter().map(|s| format!("{:.2}", s.ms)).collect();
    text += &format!(
        "activations (client ms): median {median:.2}, max {max:.2}: [{}]\n",
        listed.join(", ")
    );
    let mismatched: Vec<&Swap> = swaps
        .iter()
        .filter(|s| s.outcome.is_err() || s.read_back != s.to)
        .collect();
    for s in &mismatched {
        text += &format!(
            "  swap {} to {}: {} (read back {})\n",
            s.n,
            s.to,
            s.outcome
                .as_ref()
                .map_or_else(Clone::clone, |seq| format!("seq {seq}")),
            s.read_back
        );
    }
    if mismatched.is_empty() {
        text += "every activation succeeded and read back as asked\n";
    }
    if let Some(original) = &restored {
        text += &format!("{} restored to {original}\n", regions[0]);
    }
    let lag_p99 = lag.value_at_quantile(0.99) as f64 / 1000.0;
    let lag_max = lag.max() as f64 / 1000.0;
    text += &format!(
        "driver send lag behind schedule: p99 {lag_p99:.3} ms, max {lag_max:.3} ms (included in the latencies)\n"
    );
    text += &if total_failed == 0 {
        "failures: zero\n".to_owned()
    } else {
        format!("failures: NON-ZERO ({total_failed})\n")
    };
    let json = json!({
        "command": "swap",
        "addr": addr,
        "region_a": regions[0],
        "region_b": regions[1],
        "rate": args.rate,
        "connections": args.connections,
        "warmup_s": args.warmup.as_secs_f64(),
        "baseline_s": args.baseline.as_secs_f64(),
        "every_s": args.every.as_secs_f64(),
        "plugins": pair,
        "original_plugin": original,
        "region_b_plugin": b_plugin,
        "windows": windows,
        "region_b_p99_ms": {"baseline": round3(b_before), "swap": round3(b_during),
                             "ratio": ratio.map(round3)},
        "activations": swaps.iter().map(|s| json!({
            "n": s.n,
            "to": s.to,
            "ms": round3(s.ms),
            "seq": s.outcome.as_ref().ok(),
            "error": s.outcome.as_ref().err(),
            "read_back": s.read_back,
        })).collect::<Vec<_>>(),
        "activation_ms": {"median": round3(median), "max": round3(max)},
        "restored": restored,
        "failed": total_failed,
        "zero_failures": total_failed == 0,
        "send_lag_ms": {"p99": round3(lag_p99), "max": round3(lag_max)},
    });
    Report { text, json }
}
