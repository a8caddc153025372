//! A deployment's processes, for real: kernel replicas (`xingji serve`)
//! and HAProxy in front of them, each logging to a file of the test's.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use xingji_identity::{EmbeddedIssuer, KEY_FILE, TokenRequest};

use crate::tools;

/// The regions the replicas serve (declared in their config, so orders can
/// be taken before a region has outlets).
pub const REGIONS: &[&str] = &["east", "west", "north", "south"];

/// The deployment's embedded-issuer key: every replica is given the same
/// one, as deploy/xingji@.service does, so a token one signs the others
/// accept.
pub struct DeploymentKey {
    pem: String,
    issuer: EmbeddedIssuer,
}

impl DeploymentKey {
    /// A fresh key.
    pub fn generate() -> Self {
        let pem = EmbeddedIssuer::generate_pem().expect("an Ed25519 key");
        let issuer = EmbeddedIssuer::from_pem(&pem, "xingji").expect("the issuer of the key");
        Self { pem, issuer }
    }

    /// Puts the key where `serve` reads it: `<data dir>/identity/issuer.key`,
    /// readable by its owner only.
    pub fn install(&self, data_dir: &Path) {
        let dir = data_dir.join("identity");
        std::fs::create_dir_all(&dir).expect("the identity directory");
        let path = dir.join(KEY_FILE);
        std::fs::write(&path, &self.pem).expect("write the key");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .expect("the key's mode");
    }

    /// A token for `role:subject` in every test region, for an hour.
    pub fn token(&self, role: &str, subject: &str) -> String {
        let regions = if role == "hq" {
            Vec::new()
        } else {
            REGIONS.iter().map(|r| (*r).to_owned()).collect()
        };
        self.issuer
            .issue(TokenRequest {
                subject: subject.to_owned(),
                role: role.to_owned(),
                regions,
                ttl: Duration::from_secs(3600),
                audience: "xingji".to_owned(),
                ..TokenRequest::default()
            })
            .expect("a token")
    }
}

/// Adds a bearer token to every request.
#[derive(Clone)]
pub struct Bearer(AsciiMetadataValue);

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel whose calls carry a token.
pub type Channel = InterceptedService<tonic::transport::Channel, Bearer>;

/// A channel to `address` calling with `token`. Lazy: it connects on the
/// first call and reconnects after a failure, as a long-lived client does.
pub fn channel(address: SocketAddr, token: &str) -> Channel {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .expect("an endpoint")
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(15));
    let bearer = format!("Bearer {token}").parse().expect("an ASCII token");
    InterceptedService::new(endpoint.connect_lazy(), Bearer(bearer))
}

/// One `xingji serve` process.
pub struct Replica {
    /// `replica-1`, …
    pub name: String,
    /// Where it serves gRPC.
    pub address: SocketAddr,
    /// Its own data directory (the compiled-plugin cache, the key).
    pub data_dir: PathBuf,
    /// Its stderr and stdout.
    pub log: PathBuf,
    child: Option<Child>,
}

impl Replica {
    /// Starts `binary serve` in `dir/<name>` on a free loopback port, on the
    /// database `store_url` (`--store-url`, as an operator would), with the
    /// deployment's `key`. Returns once it is started, not serving: see
    /// [`Self::wait_serving`].
    pub fn start(
        binary: &Path,
        dir: &Path,
        name: &str,
        store_url: Option<&str>,
        key: &DeploymentKey,
    ) -> Self {
        let data_dir = dir.join(name);
        std::fs::create_dir_all(&data_dir).expect("the replica's data directory");
        key.install(&data_dir);
        let address = tools::free_port();
        let mut config = format!(
            "listen = \"{address}\"\ndata_dir = \"{}\"\nlog_format = \"text\"\nshutdown_grace_seconds = 2\n",
            data_dir.display()
        );
        for region in REGIONS {
            config.push_str(&format!("[regions.{region}]\n"));
        }
        let config_file = dir.join(format!("{name}.toml"));
        std::fs::write(&config_file, config).expect("write the replica's config");
        let log = dir.join(format!("{name}.log"));
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--config")
            .arg(&config_file)
            .env_remove("XINGJI_STORE_URL")
            .env("RUST_LOG", "info");
        if let Some(url) = store_url {
            command.args(["--store-url", url]);
        }
        let child = spawn_logged(&mut command, &log);
        Self {
            name: name.to_owned(),
            address,
            data_dir,
            log,
            child: Some(child),
        }
    }

    /// Waits until the replica's health service answers SERVING, at most
    /// `limit`; panics with its log otherwise.
    pub async fn wait_serving(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if self.serving().await {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "{} exited ({status}) before serving:\n{}",
                    self.name,
                    tail(&self.log)
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not serve within {limit:?}:\n{}",
                    self.name,
                    tail(&self.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the health service answers SERVING now.
    pub async fn serving(&self) -> bool {
        let Ok(endpoint) =
            tonic::transport::Endpoint::from_shared(format!("http://{}", self.address))
        else {
            return false;
        };
        let Ok(channel) = endpoint
            .connect_timeout(Duration::from_millis(500))
            .timeout(Duration::from_secs(2))
            .connect()
            .await
        else {
            return false;
        };
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let request = tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        };
        matches!(
            health.check(request).await,
            Ok(answer) if answer.get_ref().status
                == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        )
    }

    /// SIGKILL, as `kill -9`: no drain, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The end of the replica's log, for a failure's message.
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// HAProxy running a configuration with the deployment's addresses in its
/// environment.
pub struct Haproxy {
    /// The gRPC frontend clients call.
    pub frontend: SocketAddr,
    /// The statistics page (CSV at `/stats;csv`).
    pub stats: SocketAddr,
    /// Its output.
    pub log: PathBuf,
    child: Child,
}

impl Haproxy {
    /// Starts `haproxy -db -f cfg` with the frontend and stats on free
    /// loopback ports and `XINGJI_REPLICA_<n>` naming each replica, in
    /// order; waits until it listens.
    pub fn start(haproxy: &Path, cfg: &Path, replicas: &[SocketAddr], dir: &Path) -> Self {
        let frontend = tools::free_port();
        let stats = tools::free_port();
        let log = dir.join("haproxy.log");
        let mut command = Command::new(haproxy);
        command
            .arg("-db")
            .arg("-f")
            .arg(cfg)
            .env("XINGJI_FRONTEND", frontend.to_string())
            .env("XINGJI_HAPROXY_STATS", stats.to_string());
        for (n, address) in replicas.iter().enumerate() {
            command.env(format!("XINGJI_REPLICA_{}", n + 1), address.to_string());
        }
        let mut child = spawn_logged(&mut command, &log);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(stats).is_err() || TcpStream::connect(frontend).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("haproxy exited ({status}):\n{}", tail(&log));
            }
            assert!(
                Instant::now() < deadline,
                "haproxy did not listen:\n{}",
                tail(&log)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            frontend,
            stats,
            log,
            child,
        }
    }

    /// Each backend server's name and status (`UP`, `DOWN`, `UP 1/2`, …)
    /// from the statistics page.
    pub fn servers(&self) -> Vec<(String, String)> {
        let Ok(mut stream) = TcpStream::connect(self.stats) else {
            return Vec::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if stream
            .write_all(b"GET /stats;csv HTTP/1.0\r\nHost: stats\r\n\r\n")
            .is_err()
        {
            return Vec::new();
        }
        let mut answer = String::new();
        if stream.read_to_string(&mut answer).is_err() {
            return Vec::new();
        }
        let Some((head, body)) = answer.split_once("\r\n\r\n") else {
            return Vec::new();
        };
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        };
        let mut lines = body.lines();
        let Some(header) = lines.next() else {
            return Vec::new();
        };
        let columns: Vec<&str> = header.trim_start_matches("# ").split(',').collect();
        let column = |name: &str| columns.iter().position(|c| *c == name);
        let (Some(pxname), Some(svname), Some(status)) =
            (column("pxname"), column("svname"), column("status"))
        else {
            return Vec::new();
        };
        lines
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|fields| {
                fields.get(pxname) == Some(&"replicas")
                    && !matches!(fields.get(svname), Some(&"FRONTEND") | Some(&"BACKEND"))
            })
            .filter_map(|fields| {
                Some((
                    (*fields.get(svname)?).to_owned(),
                    (*fields.get(status)?).to_owned(),
                ))
            })
            .collect()
    }

    /// Waits until `server`'s status starts with `status` (`UP`, `DOWN`),
    /// at most `limit`.
    pub async fn wait_server(&self, server: &str, status: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let servers = self.servers();
            if servers
                .iter()
                .any(|(name, now)| name == server && now.starts_with(status))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "haproxy's {server} is not {status} after {limit:?}: {servers:?}\n{}",
                tail(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a chunked HTTP/1.1 answer (RFC 9112 §7.1), whole chunks
/// only: HAProxy's statistics page is sent that way.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = size.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        let Some(chunk) = after.get(..size) else {
            break;
        };
        body.push_str(chunk);
        rest = after
            .get(size..)
            .unwrap_or_default()
            .trim_start_matches("\r\n");
    }
    body
}

/// Spawns `command` with stdout and stderr into `log`.
fn spawn_logged(command: &mut Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).expect("the log file");
    let err = file.try_clone().expect("the log file, again");
    command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {command:?}: {e}"))
}

/// The last 40 lines of a log.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk("5\r\nhello\r\n7;x=1\r\n, world\r\n0\r\n\r\n"),
            "hello, world"
        );
        // A chunk cut short is left out, not half-read.
        assert_eq!(dechunk("5\r\nhello\r\n9\r\nworld"), "hello");
    }
}
