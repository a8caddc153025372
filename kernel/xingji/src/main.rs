//! The `xingji` binary: the server and the command-line client.

use std::process::ExitCode;

use clap::Parser;
use xingji::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Audit(command) => command.run().await,
            Command::Tokens(command) => command.run().await,
            Command::Wit(args) => args.run(),
            _ => xingji::cli::run_client(cli).await.map_err(Into::into),
        }
    });
    // Whatever tasks are left (calls dropped after the shutdown grace) must
    // not hold the process.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: &xingji::cli::ServeArgs) -> Result<(), xingji::server::BoxError> {
    let config = args.config()?;
    xingji::telemetry::init_logs(config.log_format, &config.log_filter);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
    let shutdown = async {
        stop_signal().await;
        tracing::info!("shutting down: finishing the calls in flight");
    };
    xingji::server::serve(&config, listener, shutdown).await
}

/// Ctrl-C, or SIGTERM (what systemd and container runtimes send).
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
