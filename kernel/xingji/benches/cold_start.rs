//! Cold start: `serve` over a data directory with five regions that each
//! run a plugin in all six slots, until the health service reports
//! SERVING. First over an empty directory (the plugins are compiled), then
//! again over the same directory (compiled artifacts cached), five times.
//!
//! `cargo bench -p xingji --bench cold_start`

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xingji::config::Config;
use xingji_core::settings::RegionConfig;

/// Five regions; two of them run the other variants, so all embedded
/// plugins are in use.
fn config(dir: &std::path::Path) -> Config {
    let mut regions = BTreeMap::new();
    for (i, region) in ["east", "west", "north", "south", "centre"]
        .iter()
        .enumerate()
    {
        let mut config = RegionConfig::default();
        if i % 2 == 1 {
            config
                .plugins
                .insert("dispatch".into(), "dispatch-balanced@1.0.0".into());
            config
                .plugins
                .insert("settlement".into(), "settlement-flat@1.0.0".into());
        }
        regions.insert(region.to_string(), config);
    }
    Config {
        data_dir: dir.to_owned(),
        regions,
        ..Config::default()
    }
}

/// Starts the server and returns how long until health said SERVING.
async fn start_once(dir: &std::path::Path) -> Duration {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let config = config(dir);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let server = tokio::spawn(async move {
        xingji::server::serve(&config, listener, async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
    });
    let serving = loop {
        if let Ok(channel) = Channel::from_shared(url.clone())
            .expect("url")
            .connect()
            .await
        {
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status);
            if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                break started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let _ = stop.send(());
    server.await.expect("the server stops");
    serving
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = start_once(dir.path()).await;
        println!(
            "first start (compiles the plugins): {:.0} ms",
            first.as_secs_f64() * 1e3
        );
        let mut cached: Vec<Duration> = Vec::new();
        for _ in 0..5 {
            cached.push(start_once(dir.path()).await);
        }
        cached.sort();
        println!(
            "cached starts: min {:.0} ms, median {:.0} ms, max {:.0} ms",
            cached[0].as_secs_f64() * 1e3,
            cached[2].as_secs_f64() * 1e3,
            cached[4].as_secs_f64() * 1e3,
        );
    });
}
