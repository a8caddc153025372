//! What the tests of the `xingji` binary share: a demo server on a loopback
//! port, and running the binary against it.

#![allow(dead_code)] // each test file uses its share

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use xingji::config::Config;

/// The environment through which a caller's shell could name a credential
/// or where tokens are: cleared, so that each test says who calls.
pub const CREDENTIAL_ENV: &[&str] = &[
    "XINGJI_AS",
    "XINGJI_TOKEN",
    "XINGJI_TOKEN_FILE",
    "XINGJI_TOKENS_DIR",
];

/// Who a [`DemoServer`] call is made as when its arguments name no
/// credential: headquarters, whose token `serve --demo` saves.
pub const DEMO_HQ: &str = "hq:demo";

/// `xingji --server URL ARGS…`, with no credential from the environment.
pub fn command(server: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xingji"));
    command.arg("--server").arg(server).args(args);
    for name in CREDENTIAL_ENV {
        command.env_remove(name);
    }
    command
}

/// Runs `xingji --server URL ARGS…` to completion.
pub fn xingji(server: &str, args: &[&str]) -> Output {
    command(server, args)
        .output()
        .expect("run the xingji binary")
}

/// Runs `command` to completion off the async runtime.
pub async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("run the xingji binary"))
        .await
        .expect("join")
}

/// Runs `xingji --server URL ARGS…` off the async runtime.
pub async fn cli(server: &str, args: &[&str]) -> Output {
    run(command(server, args)).await
}

/// Whether `args` say who calls (`--as`, `--token`, `--token-file`).
fn names_credential(args: &[&str]) -> bool {
    args.iter().any(|arg| {
        ["--as", "--token", "--token-file"]
            .iter()
            .any(|flag| arg == flag || arg.starts_with(&format!("{flag}=")))
    })
}

/// A demo server on a loopback port over a temp dir, answering.
pub struct DemoServer {
    pub url: String,
    /// Where `serve --demo` saved its people's tokens (`<data dir>/tokens`),
    /// for `--tokens-dir` or `XINGJI_TOKENS_DIR`.
    pub tokens_dir: PathBuf,
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
        let tokens_dir = config.data_dir.join(xingji::tokens::TOKENS_DIR);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            xingji::server::serve(&config, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        let server = DemoServer {
            url,
            tokens_dir,
            stop,
            serving,
            _dir: dir,
        };
        // The server may take a moment to come up (and to save its
        // tokens): retry until it answers, or report why it stopped or
        // what it last said.
        let mut last = String::new();
        for _ in 0..200 {
            let probe = server.cli(&["outlets", "list", "--page-size", "1"]).await;
            if probe.status.success() {
                return server;
            }
            last = String::from_utf8_lossy(&probe.stderr).into_owned();
            if server.serving.is_finished() {
                server.serving.await.expect("the server runs");
                panic!("the server stopped before answering");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the demo server never answered: {last}");
    }

    /// `xingji --server URL ARGS…` against this server, finding saved
    /// tokens in [`Self::tokens_dir`], as [`DEMO_HQ`] unless `args` name a
    /// credential.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = command(&self.url, &[]);
        command.env("XINGJI_TOKENS_DIR", &self.tokens_dir);
        if !names_credential(args) {
            command.args(["--as", DEMO_HQ]);
        }
        command.args(args);
        command
    }

    /// Runs the CLI against this server as [`Self::command`] says, off the
    /// async runtime.
    pub async fn cli(&self, args: &[&str]) -> Output {
        run(self.command(args)).await
    }

    /// Runs the CLI against this server and returns its JSON, or fails
    /// with what it printed on standard error.
    pub async fn json(&self, args: &[&str]) -> serde_json::Value {
        json(&self.cli(args).await)
    }

    /// The file of `principal`'s saved token (`<role>:<name>`).
    pub fn token_file(&self, principal: &str) -> PathBuf {
        xingji::tokens::token_file(&self.tokens_dir, principal)
            .unwrap_or_else(|| panic!("{principal:?} is not <role>:<name>"))
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
