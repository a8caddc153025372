//! Setting up: the embedded issuer's key on disk, what it issues, and the
//! `[identity]` section as the binary reads it (figment, TOML).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{AUDIENCE, EMBEDDED, now};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde_json::Value;
use xingji_identity::{
    ClientConfig, EmbeddedIssuer, IdentityConfig, IssueError, IssuerConfig, KEY_FILE,
    PUBLIC_KEY_FILE, SetupError, TokenRequest, Verifier,
};

fn request() -> TokenRequest {
    TokenRequest {
        subject: "admin".to_owned(),
        role: "regional-it".to_owned(),
        regions: vec!["shanghai".to_owned()],
        ttl: Duration::from_secs(3600),
        audience: AUDIENCE.to_owned(),
        ..TokenRequest::default()
    }
}

/// The claims of a token, read without checking it.
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_key_is_made_once_private_and_kept_across_opens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("identity");
    let first = EmbeddedIssuer::open_or_create(&keys, EMBEDDED).expect("created");
    let key_file = keys.join(KEY_FILE);
    let pem = std::fs::read_to_string(&key_file).expect("the key file");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    #[cfg(unix)]
    assert_eq!(mode(&key_file), 0o600);
    let public = std::fs::read_to_string(keys.join(PUBLIC_KEY_FILE)).expect("the public key");
    assert_eq!(public, first.public_key_pem());
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&keys)
        .expect("the directory")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    let second = EmbeddedIssuer::open_or_create(&keys, EMBEDDED).expect("opened");
    assert_eq!(second.kid(), first.kid());
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("the key file"),
        pem
    );
    // A token of the first opening passes a verifier of the second.
    let verifier = Verifier::new(&IdentityConfig::default(), Some(&second))
        .await
        .expect("the verifier starts");
    let token = first.issue(request()).expect("issued");
    assert_eq!(
        verifier.verify(&token).await.expect("verified").subject,
        "admin"
    );
    // Another directory, another key, and its tokens do not pass.
    let stranger =
        EmbeddedIssuer::open_or_create(&dir.path().join("other"), EMBEDDED).expect("created");
    assert_ne!(stranger.kid(), first.kid());
    let refused = verifier
        .verify(&stranger.issue(request()).expect("issued"))
        .await;
    assert!(refused.is_err(), "{refused:?}");
}

#[test]
fn the_public_key_file_is_put_back_if_it_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let issuer = EmbeddedIssuer::open_or_create(dir.path(), EMBEDDED).expect("created");
    let public = dir.path().join(PUBLIC_KEY_FILE);
    std::fs::remove_file(&public).expect("removed");
    EmbeddedIssuer::open_or_create(dir.path(), EMBEDDED).expect("opened");
    assert_eq!(
        std::fs::read_to_string(&public).expect("written again"),
        issuer.public_key_pem()
    );
}

#[test]
fn a_key_file_that_is_not_a_key_is_refused_without_being_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_file = dir.path().join(KEY_FILE);
    std::fs::write(&key_file, "not a key").expect("written");
    let refused = EmbeddedIssuer::open_or_create(dir.path(), EMBEDDED);
    assert!(
        matches!(&refused, Err(SetupError::KeyFile { path, .. }) if *path == key_file),
        "{refused:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("kept"),
        "not a key"
    );
}

#[test]
fn a_fixed_key_gives_a_fixed_kid() {
    let pem = EmbeddedIssuer::generate_pem().expect("a key");
    let one = EmbeddedIssuer::from_pem(&pem, EMBEDDED).expect("reads");
    let two = EmbeddedIssuer::from_pem(&pem, "elsewhere").expect("reads");
    assert_eq!(one.kid(), two.kid());
    assert_eq!(one.kid().len(), 16);
    let jwks: Value = serde_json::from_str(&one.jwks_json()).expect("JSON");
    assert_eq!(jwks["keys"][0]["kid"], one.kid());
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert!(EmbeddedIssuer::from_pem(&pem, "").is_err());
    assert!(EmbeddedIssuer::from_pem("-----BEGIN PRIVATE KEY-----\n", EMBEDDED).is_err());
}

#[test]
fn a_token_says_what_was_asked_with_fresh_times_and_a_random_jti() {
    let issuer = EmbeddedIssuer::from_pem(&EmbeddedIssuer::generate_pem().expect("key"), EMBEDDED)
        .expect("reads");
    let before = now();
    let one = payload(&issuer.issue(request()).expect("issued"));
    let two = payload(&issuer.issue(request()).expect("issued"));
    assert_eq!(one["iss"], EMBEDDED);
    assert_eq!(one["sub"], "admin");
    assert_eq!(one["aud"], AUDIENCE);
    assert_eq!(one["xingji"]["role"], "regional-it");
    assert_eq!(one["xingji"]["regions"][0], "shanghai");
    let iat = one["iat"].as_i64().expect("iat");
    assert!(iat >= before && iat <= now());
    assert_eq!(one["nbf"].as_i64(), Some(iat));
    assert_eq!(one["exp"].as_i64(), Some(iat + 3600));
    assert_eq!(one["jti"].as_str().map(str::len), Some(32));
    assert_ne!(one["jti"], two["jti"]);
}

#[test]
fn an_incomplete_request_is_not_issued() {
    let issuer = EmbeddedIssuer::from_pem(&EmbeddedIssuer::generate_pem().expect("key"), EMBEDDED)
        .expect("reads");
    for broken in [
        TokenRequest {
            role: String::new(),
            ..request()
        },
        TokenRequest {
            subject: String::new(),
            ..request()
        },
        TokenRequest {
            audience: String::new(),
            ..request()
        },
        TokenRequest {
            ttl: Duration::from_millis(500),
            ..request()
        },
    ] {
        assert!(
            matches!(issuer.issue(broken.clone()), Err(IssueError::Request(_))),
            "{broken:?}"
        );
    }
}

const SAMPLE: &str = r#"
[identity]
audience = "xingji"
leeway_seconds = 30

[identity.embedded]
enabled = true
issuer = "xingji"

[[identity.issuers]]
issuer = "https://idp.example/realms/xingji"
public_key_files = ["deploy/idp-signing.pem"]
jwks_url = "https://idp.example/realms/xingji/protocol/openid-connect/certs"
jwks_refresh_seconds = 300

[[identity.issuers]]
issuer = "crm-signer"
public_key_files = ["deploy/crm.pem"]

[[identity.clients]]
subject = "crm.partner.example"
role = "partner"
name = "crm"
regions = ["shanghai"]
permissions = ["orders.create", "orders.read"]
"#;

fn read(toml: &str) -> Result<IdentityConfig, Box<figment::Error>> {
    // As the binary reads it: defaults, then the file.
    Figment::from(Serialized::default("identity", IdentityConfig::default()))
        .merge(Toml::string(toml))
        .extract_inner("identity")
        .map_err(Box::new)
}

#[test]
fn the_identity_section_reads_from_toml() {
    let config = read(SAMPLE).expect("reads");
    assert_eq!(
        config,
        IdentityConfig {
            issuers: vec![
                IssuerConfig {
                    issuer: "https://idp.example/realms/xingji".to_owned(),
                    public_key_files: vec![PathBuf::from("deploy/idp-signing.pem")],
                    jwks_url: Some(
                        "https://idp.example/realms/xingji/protocol/openid-connect/certs"
                            .to_owned()
                    ),
                    jwks_refresh_seconds: 300,
                },
                IssuerConfig {
                    issuer: "crm-signer".to_owned(),
                    public_key_files: vec![PathBuf::from("deploy/crm.pem")],
                    ..IssuerConfig::default()
                },
            ],
            clients: vec![ClientConfig {
                subject: "crm.partner.example".to_owned(),
                role: "partner".to_owned(),
                name: "crm".to_owned(),
                regions: vec!["shanghai".to_owned()],
                permissions: vec!["orders.create".to_owned(), "orders.read".to_owned()],
                ..ClientConfig::default()
            }],
            ..IdentityConfig::default()
        }
    );
}

#[test]
fn an_empty_section_is_the_defaults_and_a_misspelt_key_is_refused() {
    let config = read("[identity]\n").expect("reads");
    assert_eq!(config, IdentityConfig::default());
    assert!(config.embedded.enabled);
    assert_eq!(config.embedded.issuer, "xingji");
    assert_eq!(config.leeway_seconds, 30);
    assert!(
        read("[identity]\n[[identity.issuers]]\nissuer = \"x\"\njwks_uri = \"https://x\"\n")
            .is_err()
    );
}
