//! TLS and mutual TLS on a real server, with certificate authorities and
//! certificates made here (rcgen): tonic clients and the `xingji` CLI
//! connect with the right authority; plaintext and TLS never meet quietly;
//! a partner's certificate reaches the handler; bad `[tls]` files stop the
//! start with errors naming the key and the file.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use xingji::config::{Config, TlsConfig};
use xingji_api::v1::ListOutletsRequest;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_identity::{ClientConfig, TokenRequest};

mod common;

use common::cli;

/// Bounds every attempt that must fail: failing is not enough, it must
/// fail without hanging.
const PROMPTLY: Duration = Duration::from_secs(20);

/// A certificate authority made for the test.
struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate an [`Authority`] signed, and its key.
struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("a key");
        let pem = params.self_signed(&key).expect("self-signed").pem();
        Authority {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for loopback, by name and address.
    fn server(&self) -> Leaf {
        self.leaf(
            "xingji test server",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A partner's client certificate.
    fn client(&self, name: &str) -> Leaf {
        self.leaf(name, &[], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, name: &str, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let names: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("valid names");
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }
}

/// Files of the test's certificates, in a temp dir.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write a PEM file");
        path
    }

    /// `leaf` as `<name>.pem` and `<name>.key`.
    fn leaf(&self, name: &str, leaf: &Leaf) -> (PathBuf, PathBuf) {
        (
            self.write(&format!("{name}.pem"), &leaf.cert_pem),
            self.write(&format!("{name}.key"), &leaf.key_pem),
        )
    }

    fn tls(&self, server: &Leaf, client_ca: Option<&Authority>) -> TlsConfig {
        let (cert_file, key_file) = self.leaf("server", server);
        TlsConfig {
            cert_file,
            key_file,
            client_ca_file: client_ca.map(|ca| self.write("client-ca.pem", &ca.pem)),
        }
    }
}

/// The real server (`xingji::server::serve`) on a loopback port.
struct Server {
    address: std::net::SocketAddr,
    /// A headquarters token of the server's own issuer: every RPC but
    /// health needs a credential.
    token: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts one with `tls`; returns once it listens (the listener is
    /// bound before it starts, so connections wait for it).
    async fn start(tls: Option<TlsConfig>) -> Server {
        Server::start_with(tls, Vec::new()).await
    }

    /// Starts one with `tls` that maps client certificates to `clients`.
    async fn start_with(tls: Option<TlsConfig>, clients: Vec<ClientConfig>) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            tls,
            ..Config::default()
        };
        config.identity.clients = clients;
        // The issuer's key is made here, before the server reads it.
        let issuer = xingji::tokens::embedded_issuer(&config)
            .expect("the embedded issuer")
            .expect("enabled by default");
        let token = issuer
            .issue(TokenRequest {
                subject: "tls-test".to_owned(),
                role: "hq".to_owned(),
                ttl: Duration::from_secs(600),
                audience: config.identity.audience.clone(),
                ..TokenRequest::default()
            })
            .expect("a token");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            xingji::server::serve(&config, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        Server {
            address,
            token,
            stop,
            serving,
            _dir: dir,
        }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.address)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.serving.await.expect("the server stops");
    }
}

/// A tonic client's TLS: trusting `ca`, presenting `identity`.
fn client_tls(ca: &Authority, identity: Option<&Leaf>) -> ClientTlsConfig {
    let config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&ca.pem));
    match identity {
        Some(leaf) => config.identity(Identity::from_pem(&leaf.cert_pem, &leaf.key_pem)),
        None => config,
    }
}

/// Connects to `url` (with `tls`, if any) and asks for the server's
/// health: the first call waits for the server to come up.
async fn health(url: &str, tls: Option<ClientTlsConfig>) -> Result<ServingStatus, String> {
    let mut endpoint = Endpoint::from_shared(url.to_owned()).map_err(|e| e.to_string())?;
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).map_err(|e| e.to_string())?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map_err(|status| format!("check: {status:?}"))?;
    Ok(answer.into_inner().status())
}

/// The server's overall health (over `tls`, if any), retried while it
/// starts.
async fn until_serving(url: &str, tls: Option<&ClientTlsConfig>) -> ServingStatus {
    let mut last = String::new();
    for _ in 0..200 {
        match health(url, tls.cloned()).await {
            Ok(status) => return status,
            Err(error) => last = error,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server never answered: {last}");
}

/// `attempt`, which must fail within [`PROMPTLY`]; its error.
async fn fails_promptly<T: std::fmt::Debug>(
    what: &str,
    attempt: impl Future<Output = Result<T, String>>,
) -> String {
    match tokio::time::timeout(PROMPTLY, attempt).await {
        Err(_) => panic!("{what}: hung for {PROMPTLY:?} instead of failing"),
        Ok(Ok(answer)) => panic!("{what}: succeeded: {answer:?}"),
        Ok(Err(error)) => error,
    }
}

/// The CLI's standard error, asserting it failed.
fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "it succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The CLI's JSON answer, asserting it succeeded.
fn answer(output: &Output) -> serde_json::Value {
    common::json(output)
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_server_answers_tls_clients_and_refuses_plaintext_cleanly() {
    let ca = Authority::new("xingji test CA");
    let files = Files::new();
    let server = Server::start(Some(files.tls(&ca.server(), None))).await;
    let https = server.url("https");
    let ca_file = files.write("ca.pem", &ca.pem);

    // A tonic client trusting the CA: a health check and a real RPC.
    let tls = client_tls(&ca, None);
    assert_eq!(
        until_serving(&https, Some(&tls)).await,
        ServingStatus::Serving
    );
    let channel: Channel = Endpoint::from_shared(https.clone())
        .expect("a URL")
        .tls_config(tls)
        .expect("TLS settings")
        .connect()
        .await
        .expect("connects over TLS");
    let mut request = Request::new(ListOutletsRequest::default());
    let bearer = format!("Bearer {}", server.token);
    request
        .metadata_mut()
        .insert("authorization", bearer.parse().expect("ASCII"));
    let outlets = OutletServiceClient::new(channel)
        .list_outlets(request)
        .await
        .expect("lists outlets over TLS")
        .into_inner();
    assert!(outlets.outlets.is_empty(), "a new store");

    // The CLI with --ca-file, and with XINGJI_CA_FILE.
    let token = server.token.as_str();
    let listed = cli(
        &https,
        &[
            "--token",
            token,
            "--ca-file",
            path(&ca_file),
            "outlets",
            "list",
            "--page-size",
            "1",
        ],
    )
    .await;
    assert!(answer(&listed).is_object());
    let from_env = tokio::task::spawn_blocking({
        let (https, ca_file, token) = (https.clone(), ca_file.clone(), server.token.clone());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_xingji"))
                .args(["--server", &https, "outlets", "list"])
                .env("XINGJI_CA_FILE", ca_file)
                .env("XINGJI_TOKEN", token)
                .output()
                .expect("run the xingji binary")
        }
    })
    .await
    .expect("join");
    assert!(answer(&from_env).is_object());

    // A plaintext client fails, without hanging.
    let plaintext = server.url("http");
    let error = fails_promptly("a plaintext tonic client", health(&plaintext, None)).await;
    assert!(!error.is_empty());
    let refused = cli(&plaintext, &["--token", token, "outlets", "list"]).await;
    let stderr = failure(&refused);
    assert!(
        stderr.contains(&format!("the server at {plaintext} "))
            && stderr.contains(": is it a TLS server? then write https://"),
        "{stderr}"
    );

    // The CLI trusting another authority: refused, saying which.
    let stranger = Authority::new("some other CA");
    let wrong_ca = files.write("wrong-ca.pem", &stranger.pem);
    let refused = cli(
        &https,
        &[
            "--token",
            token,
            "--ca-file",
            path(&wrong_ca),
            "outlets",
            "list",
        ],
    )
    .await;
    let stderr = failure(&refused);
    assert!(
        stderr.contains(&format!(
            "the server at {https} did not present a certificate signed by --ca-file {}",
            wrong_ca.display()
        )),
        "{stderr}"
    );
    // TLS flags with an http:// server are a usage error naming the flag.
    let mixed = cli(
        &plaintext,
        &[
            "--token",
            token,
            "--ca-file",
            path(&ca_file),
            "outlets",
            "list",
        ],
    )
    .await;
    let stderr = failure(&mixed);
    assert!(stderr.contains("--ca-file"), "{stderr}");
    assert!(stderr.contains("https://"), "{stderr}");

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_never_falls_back_to_plaintext_for_https() {
    let ca = Authority::new("xingji test CA");
    let files = Files::new();
    let ca_file = files.write("ca.pem", &ca.pem);
    let server = Server::start(None).await;
    let plaintext = server.url("http");
    assert_eq!(
        until_serving(&plaintext, None).await,
        ServingStatus::Serving
    );

    let https = server.url("https");
    let started = std::time::Instant::now();
    let args = [
        "--token",
        server.token.as_str(),
        "--ca-file",
        path(&ca_file),
        "outlets",
        "list",
    ];
    let refused = cli(&https, &args).await;
    let stderr = failure(&refused);
    assert!(
        stderr.contains(&format!(
            "the server at {https} is not speaking TLS (a plaintext server?"
        )),
        "{stderr}"
    );
    assert!(started.elapsed() < PROMPTLY, "failed, but slowly");
    // A tonic client fails the same way.
    let error = fails_promptly(
        "a TLS tonic client against plaintext",
        health(&https, Some(client_tls(&ca, None))),
    )
    .await;
    assert!(!error.is_empty());

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mutual_tls_takes_partners_certificates_and_callers_without_one() {
    let ca = Authority::new("xingji test CA");
    let partners = Authority::new("partners CA");
    let files = Files::new();
    // The partner's certificate stands for a partner system that may read
    // the network of Shanghai.
    let acme_client = ClientConfig {
        subject: "acme call centre".to_owned(),
        role: "partner".to_owned(),
        name: "acme".to_owned(),
        regions: vec!["shanghai".to_owned()],
        permissions: vec!["network.read".to_owned()],
        ..ClientConfig::default()
    };
    let server = Server::start_with(
        Some(files.tls(&ca.server(), Some(&partners))),
        vec![acme_client],
    )
    .await;
    let https = server.url("https");
    let ca_file = files.write("ca.pem", &ca.pem);

    // A partner's certificate, signed by the client CA: connects, and is
    // the credential.
    let acme = partners.client("acme call centre");
    let tls = client_tls(&ca, Some(&acme));
    assert_eq!(
        until_serving(&https, Some(&tls)).await,
        ServingStatus::Serving
    );
    let (acme_cert, acme_key) = files.leaf("acme", &acme);
    let listed = cli(
        &https,
        &[
            "--ca-file",
            path(&ca_file),
            "--cert",
            path(&acme_cert),
            "--key",
            path(&acme_key),
            "outlets",
            "list",
        ],
    )
    .await;
    answer(&listed);

    // No certificate: connects too (a caller with a token).
    assert_eq!(
        health(&https, Some(client_tls(&ca, None))).await,
        Ok(ServingStatus::Serving)
    );
    let args = [
        "--token",
        server.token.as_str(),
        "--ca-file",
        path(&ca_file),
        "outlets",
        "list",
    ];
    answer(&cli(&https, &args).await);

    // A certificate that another authority signed: refused.
    let stranger = Authority::new("some other CA").client("mallory");
    let error = fails_promptly(
        "a client certificate of another authority",
        health(&https, Some(client_tls(&ca, Some(&stranger)))),
    )
    .await;
    assert!(!error.is_empty());
    let (stranger_cert, stranger_key) = files.leaf("mallory", &stranger);
    let refused = cli(
        &https,
        &[
            "--ca-file",
            path(&ca_file),
            "--cert",
            path(&stranger_cert),
            "--key",
            path(&stranger_key),
            "outlets",
            "list",
        ],
    )
    .await;
    let stderr = failure(&refused);
    assert!(
        stderr.contains(&format!(
            "refused the client certificate --cert {}",
            stranger_cert.display()
        )),
        "{stderr}"
    );

    server.stop().await;
}

/// A health service that remembers the client certificate of each call.
#[derive(Clone, Default)]
struct Witness {
    seen: Arc<Mutex<Vec<Option<Vec<u8>>>>>,
}

#[tonic::async_trait]
impl Health for Witness {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let certificate = xingji::grpc::peer::client_certificate(&request);
        self.seen.lock().expect("not poisoned").push(certificate);
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving.into(),
        }))
    }

    type WatchStream = tokio_stream::Empty<Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("not watched here"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_sees_the_partners_leaf_certificate() {
    let ca = Authority::new("xingji test CA");
    let partners = Authority::new("partners CA");
    let files = Files::new();
    let tls = files.tls(&ca.server(), Some(&partners));
    // The server's own transport (`xingji::tls::transport`) and incoming
    // connections, with a handler of the test's.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let witness = Witness::default();
    let mut transport = xingji::tls::transport(Some(&tls), address).expect("TLS settings");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(
        transport
            .add_service(HealthServer::new(witness.clone()))
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    let https = format!("https://{address}");

    let acme = partners.client("acme call centre");
    assert_eq!(
        health(&https, Some(client_tls(&ca, Some(&acme)))).await,
        Ok(ServingStatus::Serving)
    );
    assert_eq!(
        health(&https, Some(client_tls(&ca, None))).await,
        Ok(ServingStatus::Serving)
    );
    let seen = witness.seen.lock().expect("not poisoned").clone();
    assert_eq!(
        seen,
        vec![Some(acme.der.clone()), None],
        "the partner's leaf, then no certificate"
    );

    let _ = stop.send(());
    serving.await.expect("joins").expect("serves");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tls_files_stop_the_start_naming_the_key_and_the_file() {
    let ca = Authority::new("xingji test CA");
    let files = Files::new();
    let good = files.tls(&ca.server(), None);
    let other = ca.server();
    let not_pem = files.write("notes.txt", "not PEM at all\n");

    let start = |tls: TlsConfig| async move {
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let config = Config {
            data_dir: dir.path().to_owned(),
            tls: Some(tls),
            ..Config::default()
        };
        let outcome = tokio::time::timeout(
            PROMPTLY,
            xingji::server::serve(&config, listener, std::future::pending::<()>()),
        )
        .await
        .expect("refuses to start, at once");
        outcome
            .expect_err("a bad [tls] stops the start")
            .to_string()
    };

    let missing = files.dir.path().join("missing.pem");
    let error = start(TlsConfig {
        cert_file: missing.clone(),
        ..good.clone()
    })
    .await;
    assert!(
        error.contains(&format!("tls.cert_file {}: cannot read", missing.display())),
        "{error}"
    );

    let error = start(TlsConfig {
        key_file: not_pem.clone(),
        ..good.clone()
    })
    .await;
    assert!(
        error.contains(&format!(
            "tls.key_file {}: holds no PEM private key",
            not_pem.display()
        )),
        "{error}"
    );

    let other_key = files.write("other.key", &other.key_pem);
    let error = start(TlsConfig {
        key_file: other_key.clone(),
        ..good.clone()
    })
    .await;
    assert!(
        error.contains(&format!(
            "tls.key_file {} is not the key of tls.cert_file",
            other_key.display()
        )),
        "{error}"
    );

    let error = start(TlsConfig {
        client_ca_file: Some(not_pem.clone()),
        ..good.clone()
    })
    .await;
    assert!(
        error.contains(&format!(
            "tls.client_ca_file {}: holds no PEM certificate",
            not_pem.display()
        )),
        "{error}"
    );
}
