//! An issuer's keys from its JWKS, served by a tiny HTTP server on
//! 127.0.0.1: fetched at start, on rotation (once per 30 s at most), on the
//! timer; kept when a fetch fails.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{AUDIENCE, claims, ec_key, rsa_key, sign};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use xingji_identity::{
    AuthError, EmbeddedConfig, EmbeddedIssuer, IdentityConfig, IssuerConfig, TokenRequest, Verifier,
};

/// A one-route HTTP/1.1 server: every request gets the current status and
/// body, and is counted.
struct JwksServer {
    addr: SocketAddr,
    answer: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl JwksServer {
    async fn start(status: u16, body: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let answer = Arc::new(Mutex::new((status, body)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (answer.clone(), hits.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (served, counted) = (served.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.ends_with(b"\r\n\r\n") && request.len() < 16 * 1024 {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = served.lock().expect("the answer").clone();
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            addr,
            answer,
            hits,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/realms/xingji/certs", self.addr)
    }

    fn serve(&self, status: u16, body: String) {
        *self.answer.lock().expect("the answer") = (status, body);
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Waits (5 s at most) until more than `count` requests came.
    async fn wait_for_hits_over(&self, count: usize) {
        for _ in 0..50 {
            if self.hits() > count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no request after the {count}th within 5 s");
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const ISSUER: &str = "https://idp.example/realms/xingji";

/// A signer standing in for the provider's key of the moment.
fn provider_key() -> EmbeddedIssuer {
    let pem = EmbeddedIssuer::generate_pem().expect("a key");
    EmbeddedIssuer::from_pem(&pem, ISSUER).expect("the key reads")
}

fn token(key: &EmbeddedIssuer) -> String {
    key.issue(TokenRequest {
        subject: "agent-7".to_owned(),
        role: "call-centre".to_owned(),
        ttl: Duration::from_secs(300),
        audience: AUDIENCE.to_owned(),
        ..TokenRequest::default()
    })
    .expect("issued")
}

/// A verifier trusting only `ISSUER`, by the server's JWKS.
async fn verifier(server: &JwksServer, refresh_seconds: u64) -> Verifier {
    let config = IdentityConfig {
        embedded: EmbeddedConfig {
            enabled: false,
            ..EmbeddedConfig::default()
        },
        issuers: vec![IssuerConfig {
            issuer: ISSUER.to_owned(),
            jwks_url: Some(server.url()),
            jwks_refresh_seconds: refresh_seconds,
            ..IssuerConfig::default()
        }],
        ..IdentityConfig::default()
    };
    Verifier::new(&config, None)
        .await
        .expect("the verifier starts")
}

fn no_key(key: &EmbeddedIssuer) -> Result<(), AuthError> {
    Err(AuthError::NoKey {
        issuer: ISSUER.to_owned(),
        kid: Some(key.kid().to_owned()),
        alg: "EdDSA".to_owned(),
    })
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_unknown_kids_do_not_fetch_again() {
    let (old, new, stranger) = (provider_key(), provider_key(), provider_key());
    let server = JwksServer::start(200, old.jwks_json()).await;
    let verifier = verifier(&server, 300).await;
    assert_eq!(server.hits(), 1, "fetched at start");

    let identity = verifier.verify(&token(&old)).await.expect("verified");
    assert_eq!(identity.issuer, ISSUER);
    assert_eq!(server.hits(), 1, "a known key needs no fetch");

    // The provider rotates: the new key only.
    server.serve(200, new.jwks_json());
    assert!(verifier.verify(&token(&new)).await.is_ok());
    assert_eq!(server.hits(), 2, "the new kid was fetched");

    // Within 30 s, unknown kids (even many at once) fetch nothing more.
    assert_eq!(
        verifier.verify(&token(&stranger)).await.map(drop),
        no_key(&stranger)
    );
    let mut many = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (verifier, token) = (verifier.clone(), token(&stranger));
        many.spawn(async move { verifier.verify(&token).await });
    }
    while let Some(done) = many.join_next().await {
        assert!(done.expect("joined").is_err());
    }
    assert_eq!(server.hits(), 2, "no refetch within 30 s");
    // The old key left the set, so its tokens no longer pass.
    assert_eq!(verifier.verify(&token(&old)).await.map(drop), no_key(&old));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_provider_down_at_start_is_fetched_for_the_first_token() {
    let key = provider_key();
    let server = JwksServer::start(503, "down".to_owned()).await;
    let verifier = verifier(&server, 300).await;
    assert_eq!(server.hits(), 1);
    server.serve(200, key.jwks_json());
    assert!(verifier.verify(&token(&key)).await.is_ok());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_keys_and_the_timer_brings_new_ones() {
    let (first, second, stranger) = (provider_key(), provider_key(), provider_key());
    let server = JwksServer::start(200, first.jwks_json()).await;
    let verifier = verifier(&server, 1).await;
    // Spend the unknown-kid fetch, so that only the timer fetches below.
    assert!(verifier.verify(&token(&stranger)).await.is_err());
    let hits = server.hits();

    server.serve(500, "oops".to_owned());
    server.wait_for_hits_over(hits).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(verifier.verify(&token(&first)).await.is_ok(), "keys kept");

    server.serve(200, second.jwks_json());
    let mut verified = verifier.verify(&token(&second)).await;
    for _ in 0..50 {
        if verified.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        verified = verifier.verify(&token(&second)).await;
    }
    assert!(
        verified.is_ok(),
        "the timer fetched the new key: {verified:?}"
    );
}

#[tokio::test]
async fn a_static_key_without_kid_does_not_stand_in_for_a_rotated_kid() {
    let (pinned, old, new) = (provider_key(), provider_key(), provider_key());
    let dir = tempfile::tempdir().expect("temp dir");
    let pinned_file = dir.path().join("pinned.pem");
    std::fs::write(&pinned_file, pinned.public_key_pem()).expect("written");
    let server = JwksServer::start(200, old.jwks_json()).await;
    let config = IdentityConfig {
        issuers: vec![IssuerConfig {
            issuer: ISSUER.to_owned(),
            public_key_files: vec![pinned_file],
            jwks_url: Some(server.url()),
            ..IssuerConfig::default()
        }],
        ..IdentityConfig::default()
    };
    let verifier = Verifier::new(&config, Some(&common::embedded()))
        .await
        .expect("the verifier starts");
    assert!(verifier.verify(&token(&old)).await.is_ok());
    assert_eq!(server.hits(), 1);
    server.serve(200, new.jwks_json());
    assert!(verifier.verify(&token(&new)).await.is_ok());
    assert_eq!(server.hits(), 2, "the rotated kid was fetched");
    // The pinned key has no kid: it checks tokens of any kid (and, within
    // 30 s of the last, the kid it lacks is not fetched for).
    assert!(verifier.verify(&token(&pinned)).await.is_ok());
    assert_eq!(server.hits(), 2);
}

/// A JWK of `key` under `alg`, with `kid`.
fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> serde_json::Value {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("a JWK");
    jwk.common.key_id = Some(kid.to_owned());
    serde_json::to_value(jwk).expect("JSON")
}

#[tokio::test]
async fn rsa_and_ec_keys_of_a_jwks_verify_and_the_keys_we_do_not_take_are_skipped() {
    let rsa = rsa_key(2048).encoding(Algorithm::RS256);
    let ec = ec_key(false).encoding(Algorithm::ES256);
    let mut encryption = jwk(&rsa, Algorithm::RS256, "enc");
    encryption["use"] = json!("enc");
    let document = json!({"keys": [
        jwk(&rsa, Algorithm::RS256, "rsa"),
        jwk(&ec, Algorithm::ES256, "ec"),
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
        encryption,
        {"kty": "weird", "kid": "weird"},
    ]});
    let server = JwksServer::start(200, document.to_string()).await;
    let verifier = verifier(&server, 300).await;

    let claims = claims(ISSUER);
    assert!(
        verifier
            .verify(&sign(Algorithm::RS256, Some("rsa"), &claims, &rsa))
            .await
            .is_ok()
    );
    assert!(
        verifier
            .verify(&sign(Algorithm::ES256, Some("ec"), &claims, &ec))
            .await
            .is_ok()
    );
    // The key says RS256: PS256 under it is refused.
    assert!(matches!(
        verifier
            .verify(&sign(Algorithm::PS256, Some("rsa"), &claims, &rsa))
            .await,
        Err(AuthError::NoKey { .. })
    ));
    let secret = EncodingKey::from_secret(b"secret").expect("a secret");
    assert_eq!(
        verifier
            .verify(&sign(Algorithm::HS256, Some("hmac"), &claims, &secret))
            .await,
        Err(AuthError::Algorithm("HS256".to_owned()))
    );
    assert!(matches!(
        verifier.verify(&sign(Algorithm::RS256, Some("enc"), &claims, &rsa)).await,
        Err(AuthError::NoKey { kid: Some(kid), .. }) if kid == "enc"
    ));
}
