//! `--server`: a kernel the driver starts itself, on a free loopback port
//! over a data directory of its own, and stops at the end, reporting its
//! peak memory.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::time::{Instant, sleep};

use crate::Result;
use crate::net::serving;

/// How long a fresh server may take to answer SERVING: a first start over
/// an empty data dir compiles every plugin (seconds on two busy cores).
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long it may take to drain and exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `xingji serve --demo` child process.
pub struct ManagedServer {
    child: Child,
    url: String,
    data_dir: PathBuf,
    log: PathBuf,
    /// The temporary data directory, if it is one: held so that it lives
    /// as long as the server, and deleted when this is dropped after it.
    temp: Option<TempDir>,
}

/// What the driver saw of its server when stopping it.
pub struct ServerStats {
    /// The process id.
    pub pid: u32,
    /// `VmHWM` of `/proc/<pid>/status` just before SIGTERM: the peak
    /// resident set in KiB. `None` where /proc is missing.
    pub peak_rss_kib: Option<u64>,
    /// How it ended.
    pub exit: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its log file, when the data directory is kept (`--server-data-dir`);
    /// a temporary one is deleted with its log.
    pub kept_log: Option<PathBuf>,
}

impl ManagedServer {
    /// Starts `binary serve --demo` on a free loopback port, over `data_dir`
    /// (kept) or a fresh temporary directory (deleted afterwards), and waits
    /// until its health service says SERVING.
    pub async fn start(binary: &Path, data_dir: Option<&Path>) -> Result<Self> {
        // The child runs in its data dir (so that no stray ./xingji.toml of
        // ours is picked up), so a relative binary path must be resolved
        // here first.
        let binary = binary
            .canonicalize()
            .map_err(|error| format!("--server {}: {error}", binary.display()))?;
        let (temp, data_dir) = match data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                (None, dir.canonicalize()?)
            }
            None => {
                let temp = tempfile::Builder::new().prefix("xingji-load-").tempdir()?;
                let path = temp.path().to_owned();
                (Some(temp), path)
            }
        };
        // Binding port 0 and letting go leaves a tiny race with other
        // programs picking the same port; the wait below then fails loudly
        // rather than loading someone else's server.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let log = data_dir.join("server.log");
        let log_file = OpenOptions::new().create(true).append(true).open(&log)?;
        let child = Command::new(&binary)
            .arg("serve")
            .arg("--demo")
            .arg("--listen")
            .arg(&listen)
            .arg("--data-dir")
            .arg(&data_dir)
            .current_dir(&data_dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .map_err(|error| format!("start {}: {error}", binary.display()))?;
        eprintln!(
            "xingji-load: started {} (pid {}) on {listen}, data in {}",
            binary.display(),
            child.id(),
            data_dir.display()
        );
        let mut server = Self {
            child,
            url: format!("http://{listen}"),
            data_dir,
            log,
            temp,
        };
        server.wait_until_serving().await?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where `serve --demo` saved the tokens of the demo's people
    /// (`<data dir>/tokens`).
    pub fn tokens_dir(&self) -> PathBuf {
        self.data_dir.join("tokens")
    }

    async fn wait_until_serving(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!(
                    "the server exited ({status}) before serving; the end of {}:\n{}",
                    self.log.display(),
                    tail(&self.log)
                )
                .into());
            }
            if serving(&self.url).await {
                eprintln!(
                    "xingji-load: server SERVING after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "the server did not say SERVING within {} s; the end of {}:\n{}",
                    START_TIMEOUT.as_secs(),
                    self.log.display(),
                    tail(&self.log)
                )
                .into());
            }
            sleep(Duration::from_millis(100)).await;
        }
    }

    /// Reads the peak RSS, sends SIGTERM (a graceful shutdown, as systemd
    /// would), waits for the exit, and kills it if it does not come.
    pub async fn stop(mut self) -> Result<ServerStats> {
        let pid = self.child.id();
        let peak_rss_kib = peak_rss_kib(pid);
        // `kill(1)` rather than a libc binding: one signal at the end of a
        // run is not worth a dependency.
        let signalled = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()?;
        if !signalled.success() {
            eprintln!("xingji-load: kill -TERM {pid} failed ({signalled})");
        }
        let asked = Instant::now();
        let status: ExitStatus = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            if asked.elapsed() > STOP_TIMEOUT {
                eprintln!(
                    "xingji-load: the server did not stop within {} s of SIGTERM; killing it",
                    STOP_TIMEOUT.as_secs()
                );
                self.child.kill()?;
                break self.child.wait()?;
            }
            sleep(Duration::from_millis(50)).await;
        };
        Ok(ServerStats {
            pid,
            peak_rss_kib,
            exit: format!("{status} after {:.2} s", asked.elapsed().as_secs_f64()),
            data_dir: self.data_dir.clone(),
            kept_log: self.temp.is_none().then(|| self.log.clone()),
        })
    }
}

impl Drop for ManagedServer {
    /// Never leaves a server behind: on an error path, where `stop` was not
    /// reached, the child is killed.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl ServerStats {
    /// One line for the human summary.
    pub fn text(&self) -> String {
        let peak = self.peak_rss_kib.map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
        );
        let log = self
            .kept_log
            .as_ref()
            .map(|log| format!("; log {}", log.display()))
            .unwrap_or_default();
        format!(
            "server: pid {}, peak RSS (VmHWM) {peak}, stopped: {}{log}\n",
            self.pid, self.exit
        )
    }

    /// The same as JSON.
    pub fn json(&self) -> Value {
        json!({
            "pid": self.pid,
            "peak_rss_kib": self.peak_rss_kib,
            "exit": self.exit,
            "data_dir": self.data_dir.display().to_string(),
        })
    }
}

/// `VmHWM` of `/proc/<pid>/status`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The last lines of the server's log, for an error message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
