//! A client certificate as a principal: a partner system mapped by
//! `[[identity.clients]]` calls over mutual TLS with no token and acts as
//! the partner it is mapped to — with exactly its permissions, in its
//! regions; a certificate the map does not name is UNAUTHENTICATED.
//! (Certificates are made here with rcgen, as in `tls.rs`.)

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::net::TcpListener;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity as TlsIdentity};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use xingji::config::{Config, TlsConfig};
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::*;
use xingji_identity::{ClientConfig, EmbeddedIssuer, IdentityConfig, KEY_FILE, TokenRequest};

/// A certificate authority made for the test.
struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate an [`Authority`] signed, and its key, as PEM.
struct Leaf {
    cert_pem: String,
    key_pem: String,
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

    /// A certificate with common name `name` (and the DNS and IP names
    /// `names`) for `usage`.
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
        }
    }
}

/// The server: TLS with the test CA's loopback certificate, client
/// certificates of the partners' CA, the CRM's certificate mapped to a
/// partner of shanghai that reads orders; and headquarters' token.
struct Server {
    address: SocketAddr,
    ca: Authority,
    partners: Authority,
    hq_token: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| -> PathBuf {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write a PEM file");
            path
        };
        let ca = Authority::new("xingji test CA");
        let partners = Authority::new("partners CA");
        let server = ca.leaf(
            "xingji test server",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let tls = TlsConfig {
            cert_file: write("server.pem", &server.cert_pem),
            key_file: write("server.key", &server.key_pem),
            client_ca_file: Some(write("partners-ca.pem", &partners.pem)),
        };
        // The embedded issuer's key, known to the test, for hq's token.
        let data_dir = dir.path().join("data");
        let key = EmbeddedIssuer::generate_pem().expect("a key");
        std::fs::create_dir_all(data_dir.join("identity")).expect("identity dir");
        let key_file = data_dir.join("identity").join(KEY_FILE);
        std::fs::write(&key_file, &key).expect("write the key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
                .expect("key mode");
        }
        let hq_token = EmbeddedIssuer::from_pem(&key, "xingji")
            .expect("the issuer")
            .issue(TokenRequest {
                subject: "ops".into(),
                role: "hq".into(),
                ttl: Duration::from_secs(3600),
                audience: "xingji".into(),
                ..TokenRequest::default()
            })
            .expect("a token");
        let mut config = Config {
            data_dir,
            tls: Some(tls),
            identity: IdentityConfig {
                clients: vec![ClientConfig {
                    subject: "crm.partner.example".into(),
                    role: "partner".into(),
                    name: "crm".into(),
                    regions: vec!["shanghai".into()],
                    permissions: vec!["orders.read".into()],
                    ..ClientConfig::default()
                }],
                ..IdentityConfig::default()
            },
            ..Config::default()
        };
        for region in ["shanghai", "beijing"] {
            config.regions.entry(region.to_owned()).or_default();
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
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
            ca,
            partners,
            hq_token,
            stop,
            serving,
            _dir: dir,
        }
    }

    /// A channel over TLS presenting `certificate`, if any, once the
    /// server answers.
    async fn channel(&self, certificate: Option<&Leaf>) -> Channel {
        let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.ca.pem));
        if let Some(leaf) = certificate {
            tls = tls.identity(TlsIdentity::from_pem(&leaf.cert_pem, &leaf.key_pem));
        }
        let endpoint = Endpoint::from_shared(format!("https://{}", self.address))
            .expect("url")
            .tls_config(tls)
            .expect("TLS");
        let mut last = String::new();
        for _ in 0..200 {
            match endpoint.connect().await {
                Ok(channel) => return channel,
                Err(error) => last = format!("{error:?}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never answered: {last}");
    }

    /// A partner's client certificate with common name `name`, signed by
    /// the partners' CA.
    fn partner(&self, name: &str) -> Leaf {
        self.partners
            .leaf(name, &[], ExtendedKeyUsagePurpose::ClientAuth)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.serving.await.expect("the server stops");
    }
}

fn shanghai_order() -> Order {
    Order {
        region: "shanghai".into(),
        kind: OrderKind::Repair as i32,
        customer: Some(Customer {
            name: "Li Na".into(),
            phone: "13912345678".into(),
            address: "上海市徐汇区漕溪北路88号".into(),
            location: Some(GeoPoint {
                lat: 31.19,
                lon: 121.43,
            }),
            vip: false,
        }),
        appliance: Some(Appliance {
            product_line: ProductLine::Refrigerator as i32,
            model: "BCD-458".into(),
            serial: "SH0012345678".into(),
            ..Appliance::default()
        }),
        description: "does not cool".into(),
        ..Order::default()
    }
}

fn create(request_id: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: request_id.into(),
        order: Some(shanghai_order()),
    }
}

/// The ErrorInfo `(reason, principal, permission)` of a denial.
fn denial(status: &Status) -> (String, String, String) {
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let details = status.get_error_details();
    let info = details.error_info().expect("ErrorInfo");
    let field = |key: &str| info.metadata.get(key).cloned().unwrap_or_default();
    (info.reason.clone(), field("principal"), field("permission"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mapped_certificate_acts_as_its_partner_with_no_token() {
    let server = Server::start().await;
    // Headquarters records an order of shanghai (no outlet: it waits).
    let mut hq = OrderServiceClient::new(server.channel(None).await);
    let mut request = Request::new(create("mtls-hq-1"));
    let bearer = format!("Bearer {}", server.hq_token);
    request
        .metadata_mut()
        .insert("authorization", bearer.parse().expect("ASCII"));
    let order = hq
        .create_order(request)
        .await
        .expect("hq creates")
        .into_inner();

    let crm = server.partner("crm.partner.example");
    let mut orders = OrderServiceClient::new(server.channel(Some(&crm)).await);
    let listed = orders
        .list_orders(ListOrdersRequest {
            region: "shanghai".into(),
            ..ListOrdersRequest::default()
        })
        .await
        .expect("the CRM reads shanghai's orders with its certificate alone")
        .into_inner();
    let ids: Vec<&str> = listed.orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, [order.id.as_str()]);
    let customer = listed.orders[0].customer.as_ref().expect("a customer");
    assert_eq!(customer.phone, "139****5678", "a partner sees it masked");
    orders
        .get_order(GetOrderRequest {
            id: order.id.clone(),
        })
        .await
        .expect("and one by id");

    // Only what it was given, and only where.
    let refused = orders
        .create_order(create("mtls-crm-1"))
        .await
        .expect_err("orders.read only");
    assert_eq!(
        denial(&refused),
        (
            "PERMISSION_MISSING".to_owned(),
            "partner:crm".to_owned(),
            "orders.create".to_owned()
        )
    );
    let elsewhere = orders
        .list_orders(ListOrdersRequest {
            region: "beijing".into(),
            ..ListOrdersRequest::default()
        })
        .await
        .expect_err("shanghai only");
    assert_eq!(denial(&elsewhere).1, "partner:crm");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_the_map_does_not_name_is_unauthenticated() {
    let server = Server::start().await;
    let stranger = server.partner("mallory.partner.example");
    let refused = OrderServiceClient::new(server.channel(Some(&stranger)).await)
        .list_orders(ListOrdersRequest {
            region: "shanghai".into(),
            ..ListOrdersRequest::default()
        })
        .await
        .expect_err("an unmapped certificate");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("not mapped"),
        "says why: {:?}",
        refused.message()
    );
    assert!(refused.message().contains("mallory.partner.example"));
    // Without any credential at all, the same.
    let bare = OrderServiceClient::new(server.channel(None).await)
        .list_orders(ListOrdersRequest::default())
        .await
        .expect_err("no credential");
    assert_eq!(bare.code(), Code::Unauthenticated);
    server.stop().await;
}
