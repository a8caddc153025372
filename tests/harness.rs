//! The test harness: a real kernel, serving on an ephemeral loopback port
//! over a data directory of the test's, and helpers to call it and read its
//! errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use xingji::config::Config;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_identity::{EmbeddedIssuer, KEY_FILE, TokenRequest};

/// The regions every test server declares. (`nowhere` is a region with no
/// outlets; any other region is unknown.)
pub const TEST_REGIONS: &[&str] = &[
    "shanghai", "beijing", "qingdao", "lab", "rural", "east", "west", "region-a", "region-b",
    "nowhere",
];

/// What the tests' clients send their calls over: a channel whose requests
/// carry headquarters' token unless [`acting`] gave them another.
pub type Channel = InterceptedService<tonic::transport::Channel, DefaultCredential>;

/// The principal a request made without [`acting`] calls as.
pub const DEFAULT_PRINCIPAL: &str = "hq:tests";

/// The permissions a test partner (`partner:<name>`) is given.
pub const PARTNER_PERMISSIONS: &[&str] = &[
    "orders.create",
    "orders.read",
    "orders.dispatch",
    "orders.cancel",
    "campaigns.run",
    "month.close",
];

/// The embedded issuer's key every test server is given, so that a test
/// can sign tokens for any principal (the key a deployment keeps in its
/// data directory).
fn test_issuer() -> &'static (String, EmbeddedIssuer) {
    static ISSUER: OnceLock<(String, EmbeddedIssuer)> = OnceLock::new();
    ISSUER.get_or_init(|| {
        let pem = EmbeddedIssuer::generate_pem().expect("a test key");
        let issuer = EmbeddedIssuer::from_pem(&pem, "xingji").expect("the test issuer");
        (pem, issuer)
    })
}

/// The test issuer's private key (PKCS#8 PEM, Ed25519), for tests that
/// forge tokens of their own (expired, of another audience, …).
pub fn test_key_pem() -> &'static str {
    &test_issuer().0
}

/// A token of the test issuer for `principal` (`<role>:<name>`): region
/// roles act in every test region, an outlet or engineer is the record of
/// that id, a partner holds [`PARTNER_PERMISSIONS`].
pub fn token_for(principal: &str) -> String {
    let (role, name) = principal
        .split_once(':')
        .unwrap_or_else(|| panic!("{principal:?} is not <role>:<name>"));
    let request = TokenRequest {
        subject: name.to_owned(),
        role: role.to_owned(),
        regions: match role {
            "hq" | "outlet" | "engineer" => Vec::new(),
            _ => TEST_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        },
        permissions: if role == "partner" {
            PARTNER_PERMISSIONS
                .iter()
                .map(|p| (*p).to_owned())
                .collect()
        } else {
            Vec::new()
        },
        ttl: Duration::from_secs(3600),
        audience: "xingji".to_owned(),
        ..TokenRequest::default()
    };
    test_issuer().1.issue(request).expect("a test token")
}

/// Puts the test issuer's key in `data_dir`, where the server's embedded
/// issuer reads it.
pub fn install_test_key(data_dir: &Path) {
    let dir = data_dir.join("identity");
    std::fs::create_dir_all(&dir).expect("identity dir");
    let path = dir.join(KEY_FILE);
    std::fs::write(&path, &test_issuer().0).expect("write the test key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("key mode");
    }
}

/// `authorization: Bearer <token>`.
fn bearer(token: &str) -> AsciiMetadataValue {
    format!("Bearer {token}").parse().expect("an ASCII token")
}

/// Adds [`DEFAULT_PRINCIPAL`]'s token to a request that carries none.
#[derive(Debug, Clone)]
pub struct DefaultCredential(AsciiMetadataValue);

impl Interceptor for DefaultCredential {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if !request.metadata().contains_key("authorization") {
            request
                .metadata_mut()
                .insert("authorization", self.0.clone());
        }
        Ok(request)
    }
}

/// `[plugins]` with `allow_unsigned`, as the test servers run.
pub fn unsigned_allowed() -> xingji_core::settings::PluginsConfig {
    xingji_core::settings::PluginsConfig {
        allow_unsigned: true,
        ..Default::default()
    }
}

/// A kernel running in this process on a loopback port.
pub struct TestServer {
    /// Where it listens.
    pub address: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a kernel over `data_dir`, seeding the demo network if `demo`.
    /// It takes unsigned components, as the demo does: the tests install
    /// their unsigned test plugins, and what a component may do does not
    /// depend on its signature. Tests of publishers and signatures pass
    /// their own `[plugins]` to [`Self::start_config`].
    pub async fn start_with(data_dir: &Path, demo: bool) -> Self {
        Self::start_config(Config {
            data_dir: data_dir.to_owned(),
            demo,
            plugins: unsigned_allowed(),
            ..Config::default()
        })
        .await
    }

    /// Starts a kernel with `config`, on an ephemeral port whatever
    /// `config.listen` says. The kernel serves the regions the tests use
    /// ([`TEST_REGIONS`]), as a deployment declares its own, besides those
    /// `config` declares.
    pub async fn start_config(mut config: Config) -> Self {
        for region in TEST_REGIONS {
            config.regions.entry((*region).to_owned()).or_default();
        }
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("local address");
        let data_dir = config.data_dir.clone();
        install_test_key(&data_dir);
        let config = Config {
            listen: address,
            ..config
        };
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            xingji::server::serve(&config, listener, async {
                let _ = stop.await;
            })
            .await
            .expect("the server runs");
        });
        let server = Self {
            address,
            data_dir,
            shutdown: Some(shutdown),
            task: Some(task),
        };
        server.wait_until_serving().await;
        server
    }

    /// Starts a kernel over `data_dir` with no demo data.
    pub async fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, false).await
    }

    async fn wait_until_serving(&self) {
        for _ in 0..200 {
            if let Ok(channel) = tonic::transport::Channel::from_shared(self.url())
                .expect("url")
                .connect()
                .await
            {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let request = tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                };
                if health.check(request).await.is_ok() {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server did not come up on {}", self.address);
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A channel to the server, without a credential.
    pub async fn bare_channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(self.url())
            .expect("url")
            .connect()
            .await
            .expect("connect")
    }

    /// A channel to the server whose requests call as
    /// [`DEFAULT_PRINCIPAL`] unless [`acting`] says otherwise.
    pub async fn channel(&self) -> Channel {
        let credential = DefaultCredential(bearer(&token_for(DEFAULT_PRINCIPAL)));
        InterceptedService::new(self.bare_channel().await, credential)
    }

    /// An `OutletService` client.
    pub async fn outlets(&self) -> OutletServiceClient<Channel> {
        OutletServiceClient::new(self.channel().await)
    }

    /// A `PersonService` client.
    pub async fn people(&self) -> PersonServiceClient<Channel> {
        PersonServiceClient::new(self.channel().await)
    }

    /// An `OrderService` client.
    pub async fn orders(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.channel().await)
    }

    /// A `PluginService` client.
    pub async fn plugins(&self) -> PluginServiceClient<Channel> {
        PluginServiceClient::new(self.channel().await).max_decoding_message_size(64 << 20)
    }

    /// Shuts the server down gracefully and waits until it has stopped.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server stops cleanly");
        }
    }
}

/// The fields a `google.rpc.BadRequest` in `status` names, after checking
/// that the code is `INVALID_ARGUMENT`.
pub fn bad_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let details = status.get_error_details();
    let bad = details
        .bad_request()
        .unwrap_or_else(|| panic!("no BadRequest in {status:?}"));
    bad.field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect()
}

/// The `(type, subject)` of each `google.rpc.PreconditionFailure`
/// violation in `status`, after checking that the code is
/// `FAILED_PRECONDITION`.
pub fn precondition_failures(status: &Status) -> Vec<(String, String)> {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let details = status.get_error_details();
    let failure = details
        .precondition_failure()
        .unwrap_or_else(|| panic!("no PreconditionFailure in {status:?}"));
    failure
        .violations
        .iter()
        .map(|v| (v.r#type.clone(), v.subject.clone()))
        .collect()
}

/// The bytes of a plugin the build made from `plugins/` (`dispatch-nearest`,
/// `test-hostile`, …).
pub fn built_plugin(name: &str) -> Vec<u8> {
    let path = Path::new(xingji_bundled::BUILT_PLUGINS_DIR)
        .join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

/// The `google.rpc.ErrorInfo` of `status`: its reason and metadata.
pub fn error_info(status: &Status) -> (String, std::collections::HashMap<String, String>) {
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    (info.reason.clone(), info.metadata.clone())
}

/// `message` as a request from `principal` (`<role>:<name>`), with a token
/// of the test issuer (see [`token_for`]).
pub fn acting<T>(principal: &str, message: T) -> tonic::Request<T> {
    with_token(&token_for(principal), message)
}

/// `message` with `authorization: Bearer <token>`.
pub fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", bearer(token));
    request
}

/// A string no other call of this process returns: `prefix`, the time and
/// a counter. For request ids.
pub fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{nanos}-{n}")
}
