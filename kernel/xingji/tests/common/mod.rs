//! What the tests of the `xingji` binary share: a demo server on a loopback
//! port, and running the binary against it.

#![allow(dead_code)] // each test file uses its share

use std::process::{Command, Output};
use std::time::Duration;

use xingji::config::Config;

/// Runs `xingji --server URL ARGS…` to completion.
pub fn xingji(server: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xingji"))
        .arg("--server")
        .arg(server)
        .args(args)
        .output()
        .expect("run the xingji binary")
}

/// Runs `xingji --server URL ARGS…` off the async runtime.
pub async fn cli(server: &str, args: &[&str]) -> Output {
    let server = server.to_owned();
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xingji(&server, &args)
    })
    .await
    .expect("join")
}

/// A demo server on a loopback port over a temp dir, answering.
pub struct DemoServer {
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl DemoServer {
    pub async fn start() -> DemoServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let config = Config {
            data_dir: dir.path().to_owned(),
            demo: true,
            ..Config::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            xingji::server::serve(&config, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        // The server may take a moment to come up: retry until it answers,
        // or report why it stopped.
        for _ in 0..100 {
            if cli(&url, &["outlets", "list", "--page-size", "1"])
                .await
                .status
                .success()
            {
                break;
            }
            if serving.is_finished() {
                serving.await.expect("the server runs");
                panic!("the server stopped before answering");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        DemoServer {
            url,
            stop,
            serving,
            _dir: dir,
        }
    }

    /// Runs the CLI against this server and returns its JSON, or fails
    /// with what it printed on standard error.
    pub async fn json(&self, args: &[&str]) -> serde_json::Value {
        json(&cli(&self.url, args).await)
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.serving.await.expect("the server stops");
    }
}

pub fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the CLI prints JSON")
}
