//! `xingji-load`: a load driver for the xingji kernel, over its public gRPC
//! API only, as a partner's systems would call it.
//!
//! - `intake`: the order-intake benchmark (CreateOrder, closed or open loop);
//! - `setup`: grows a region's network so dispatch has real candidates;
//! - `swap`: swaps a region's dispatch plugin back and forth under load and
//!   shows what that does to both regions' latencies;
//! - `spin`: a region's CreateOrder latency before and while another
//!   region's dispatch plugin spins under 32 callers (issue 13's soak).
//!
//! Each can start its own server (`--server target/release/xingji`) on a
//! free loopback port over a fresh data dir, and report its peak memory.
//!
//! Every call carries a bearer token, one per purpose: the orders' (`--as`,
//! `--token` or `--token-file`; by default the token saved for
//! `call-centre:07`), `setup`'s creates (by default `hq:demo`'s) and
//! `swap`'s activations (`--admin-as`, `--admin-token`,
//! `--admin-token-file`; by default `regional-it:<region A>`'s). Saved
//! tokens are read from `--tokens-dir` as the `xingji` CLI reads them; with
//! `--server`, from the tokens its `serve --demo` saved.
//!
//! ```sh
//! cargo build --release -p xingji-load -p xingji
//! # 60 s of intake, 64 callers, against a server of its own:
//! target/release/xingji-load intake --server target/release/xingji
//! # Against a running `xingji serve --demo --data-dir data`, as its call centre:
//! target/release/xingji-load intake --tokens-dir data/tokens --as call-centre:07
//! # Open loop at 150 orders/s over two regions, one JSON line on stdout:
//! target/release/xingji-load intake --rate 150 --regions shanghai,qingdao --json
//! # A bigger network first, then intake over it, in one kept data dir:
//! target/release/xingji-load setup --server target/release/xingji \
//!     --server-data-dir /tmp/net --region shanghai --outlets 100
//! target/release/xingji-load intake --server target/release/xingji --server-data-dir /tmp/net
//! # Hot swap under load:
//! target/release/xingji-load swap --server target/release/xingji --rate 100
//! ```
//!
//! Load goes only to the address given (loopback by default) and every run
//! is bounded: by `--duration` (or the swap schedule) plus `--timeout`.

mod credentials;
mod engine;
mod intake;
mod net;
mod server;
mod setup;
mod spin;
mod swap;
mod tally;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use crate::server::ManagedServer;

/// The driver's errors: whatever went wrong, with its message. Boxed, since
/// the driver only reports errors and never branches on their kind.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Load driver for the xingji kernel's gRPC API.
#[derive(Debug, Parser)]
#[command(name = "xingji-load", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The order-intake benchmark: valid REPAIR orders through CreateOrder,
    /// closed loop (--concurrency) or open loop (--rate).
    Intake(intake::IntakeArgs),
    /// Grows a region's network over gRPC: star centres and sub-outlets
    /// under its regional centre, with on-duty refrigerator engineers.
    Setup(setup::SetupArgs),
    /// Hot swap under load: an open-loop intake over two regions while the
    /// first one's dispatch plugin is swapped back and forth.
    Swap(swap::SwapArgs),
    /// A soak: region A's intake latency before and while region B's
    /// dispatch plugin spins under many callers.
    Spin(spin::SpinArgs),
}

/// Which server to load and how to print the result; every command has these.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The server to call, when --server is not given; several, separated
    /// by commas (replicas on one database), share the connections in turn.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub addr: String,
    /// Start this `xingji` binary as `serve --demo` on a free loopback port
    /// over a fresh data dir, run against it, stop it with SIGTERM, and
    /// report its peak RSS.
    #[arg(long)]
    pub server: Option<PathBuf>,
    /// With --server: keep the store in this directory (created if missing,
    /// kept afterwards) instead of a temporary one, e.g. to run `setup` and
    /// then `intake` over the same grown network.
    #[arg(long, requires = "server")]
    pub server_data_dir: Option<PathBuf>,
    /// Also print the result as one JSON line on standard output; the human
    /// summary then goes to standard error.
    #[arg(long)]
    pub json: bool,
    /// Where --as (and --admin-as) find saved tokens, as the `xingji` CLI
    /// lays them out: <DIR>/<role>/<name>.jwt [default: with --server, the
    /// tokens its `serve --demo` saved; else data/tokens].
    #[arg(long, env = "XINGJI_TOKENS_DIR", value_name = "DIR")]
    pub tokens_dir: Option<PathBuf>,
}

impl Command {
    fn target(&self) -> &Target {
        match self {
            Command::Intake(args) => &args.target,
            Command::Setup(args) => &args.target,
            Command::Swap(args) => &args.target,
            Command::Spin(args) => &args.target,
        }
    }
}

/// What a command found: a human summary and the same as JSON.
pub struct Report {
    /// Lines for a person.
    pub text: String,
    /// One object for a script.
    pub json: Value,
}

/// Parses `60`, `60s`, `1.5` or `500ms` as a duration (seconds unless it
/// says `ms`).
pub fn parse_secs(text: &str) -> std::result::Result<Duration, String> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: give seconds (60, 60s, 1.5) or 500ms"))?;
    Duration::try_from_secs_f64(value * scale)
        .map_err(|_| format!("{text:?} is not a duration: it must be 0 or more"))
}

/// Parses a rate in orders a second: a number above 0.
pub fn parse_rate(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate: give orders a second, above 0"
        )),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xingji-load: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<()> {
    let target = command.target().clone();
    let server = match &target.server {
        Some(binary) => {
            Some(ManagedServer::start(binary, target.server_data_dir.as_deref()).await?)
        }
        None => None,
    };
    let addr = server
        .as_ref()
        .map_or_else(|| target.addr.clone(), |s| s.url().to_owned());
    // Read once the server runs: `serve --demo` saves its tokens at start.
    let tokens_dir = target
        .tokens_dir
        .clone()
        .or_else(|| server.as_ref().map(ManagedServer::tokens_dir))
        .unwrap_or_else(|| PathBuf::from(credentials::DEFAULT_TOKENS_DIR));
    let outcome = match &command {
        Command::Intake(args) => intake::run(args, &addr, &tokens_dir).await,
        Command::Setup(args) => setup::run(args, &addr, &tokens_dir).await,
        Command::Swap(args) => swap::run(args, &addr, &tokens_dir).await,
        Command::Spin(args) => spin::run(args, &addr, &tokens_dir).await,
    };
    // The server is stopped whatever the command's outcome, so that a
    // failed run leaves no process behind (its Drop kills it otherwise).
    let stopped = match server {
        Some(server) => Some(server.stop().await),
        None => None,
    };
    let mut report = outcome?;
    if let Some(stats) = stopped.transpose()? {
        report.text.push_str(&stats.text());
        if let Value::Object(fields) = &mut report.json {
            fields.insert("server".into(), stats.json());
        }
    }
    if target.json {
        eprint!("{}", report.text);
        println!("{}", report.json);
    } else {
        print!("{}", report.text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_seconds_or_milliseconds() {
        assert_eq!(parse_secs("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_secs("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_secs("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_secs("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
    }

    #[test]
    fn rates_are_positive() {
        assert_eq!(parse_rate("2000"), Ok(2000.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-3").is_err());
        assert!(parse_rate("inf").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
