//! Tokens: the good ones give the identity they say, and each bad one is
//! refused for its own reason.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{
    AUDIENCE, EMBEDDED, PARTNER, b64, claims, config, ec_key, embedded, now, rsa_key, sign,
    static_issuer,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use xingji_identity::{
    AuthError, EmbeddedIssuer, Identity, IdentityConfig, SetupError, TokenRequest, Verifier,
};

/// A verifier trusting the embedded issuer `issuer` only.
async fn embedded_verifier(issuer: &EmbeddedIssuer) -> Verifier {
    Verifier::new(&IdentityConfig::default(), Some(issuer))
        .await
        .expect("the verifier starts")
}

fn request() -> TokenRequest {
    TokenRequest {
        subject: "agent-7".to_owned(),
        role: "call-centre".to_owned(),
        regions: vec!["shanghai".to_owned(), "suzhou".to_owned()],
        outlet: None,
        person: None,
        permissions: vec!["orders.read".to_owned()],
        ttl: Duration::from_secs(600),
        audience: AUDIENCE.to_owned(),
    }
}

/// A verifier trusting `PARTNER` through one static P-256 key, and the
/// key's private half.
async fn partner_verifier(dir: &tempfile::TempDir) -> (Verifier, EncodingKey) {
    let key = ec_key(false);
    let issuer = static_issuer(dir.path(), PARTNER, &[&key.public_pem]);
    let verifier = Verifier::new(&config(vec![issuer]), Some(&embedded()))
        .await
        .expect("the verifier starts");
    (verifier, key.encoding(Algorithm::ES256))
}

#[tokio::test]
async fn a_token_of_the_embedded_issuer_gives_its_identity() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    let token = issuer.issue(request()).expect("issued");
    let identity = verifier.verify(&token).await.expect("verified");
    let expires_at = identity.expires_at.expect("an expiry");
    assert!((expires_at - (now() + 600)).abs() <= 2, "{expires_at}");
    assert_eq!(
        identity,
        Identity {
            issuer: EMBEDDED.to_owned(),
            subject: "agent-7".to_owned(),
            role: "call-centre".to_owned(),
            regions: vec!["shanghai".to_owned(), "suzhou".to_owned()],
            outlet: None,
            person: None,
            permissions: vec!["orders.read".to_owned()],
            expires_at: Some(expires_at),
        }
    );
}

#[tokio::test]
async fn outlet_and_person_come_through() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    let token = issuer
        .issue(TokenRequest {
            role: "engineer".to_owned(),
            outlet: Some("outlet-12".to_owned()),
            person: Some("person-3".to_owned()),
            ..request()
        })
        .expect("issued");
    let identity = verifier.verify(&token).await.expect("verified");
    assert_eq!(identity.role, "engineer");
    assert_eq!(identity.outlet.as_deref(), Some("outlet-12"));
    assert_eq!(identity.person.as_deref(), Some("person-3"));
}

#[tokio::test]
async fn an_es256_token_of_a_static_pem_key_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let token = sign(Algorithm::ES256, None, &claims(PARTNER), &key);
    let identity = verifier.verify(&token).await.expect("verified");
    assert_eq!(identity.issuer, PARTNER);
    assert_eq!(identity.subject, "agent-7");
    assert_eq!(identity.role, "call-centre");
    assert_eq!(identity.regions, ["shanghai"]);
}

#[tokio::test]
async fn an_es384_token_of_a_static_pem_key_verifies_and_es256_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = ec_key(true);
    let issuer = static_issuer(dir.path(), PARTNER, &[&key.public_pem]);
    let verifier = Verifier::new(&config(vec![issuer]), Some(&embedded()))
        .await
        .expect("the verifier starts");
    let token = sign(
        Algorithm::ES384,
        None,
        &claims(PARTNER),
        &key.encoding(Algorithm::ES384),
    );
    assert!(verifier.verify(&token).await.is_ok());
    // A P-384 key takes ES384 only.
    let other = ec_key(false);
    let token = sign(
        Algorithm::ES256,
        None,
        &claims(PARTNER),
        &other.encoding(Algorithm::ES256),
    );
    assert!(matches!(
        verifier.verify(&token).await,
        Err(AuthError::NoKey { alg, .. }) if alg == "ES256"
    ));
}

#[tokio::test]
async fn rs256_and_ps256_tokens_of_a_static_rsa_key_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = rsa_key(2048);
    let issuer = static_issuer(dir.path(), PARTNER, &[&key.public_pem]);
    let verifier = Verifier::new(&config(vec![issuer]), Some(&embedded()))
        .await
        .expect("the verifier starts");
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let token = sign(alg, None, &claims(PARTNER), &key.encoding(alg));
        let identity = verifier.verify(&token).await;
        assert!(identity.is_ok(), "{alg:?}: {identity:?}");
    }
}

#[tokio::test]
async fn an_identity_providers_shapes_are_read() {
    // Keycloak writes several audiences and, for a single-valued user
    // attribute, a string where we take a list.
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims["aud"] = json!(["account", AUDIENCE]);
    claims["azp"] = json!("xingji-web");
    claims["xingji"] =
        json!({"role": "regional-it", "regions": "shanghai", "permissions": "plugins.admin"});
    let identity = verifier
        .verify(&sign(Algorithm::ES256, Some("rsa-sig-1"), &claims, &key))
        .await
        .expect("verified");
    assert_eq!(identity.role, "regional-it");
    assert_eq!(identity.regions, ["shanghai"]);
    assert_eq!(identity.permissions, ["plugins.admin"]);
}

#[tokio::test]
async fn clock_skew_within_the_leeway_is_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims["exp"] = json!(now() - 10);
    claims["nbf"] = json!(now() + 10);
    assert!(
        verifier
            .verify(&sign(Algorithm::ES256, None, &claims, &key))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_forged_signature_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, _) = partner_verifier(&dir).await;
    let forger = ec_key(false).encoding(Algorithm::ES256);
    let token = sign(Algorithm::ES256, None, &claims(PARTNER), &forger);
    let refused = verifier.verify(&token).await;
    assert_eq!(refused, Err(AuthError::BadSignature(PARTNER.to_owned())));
    assert_eq!(
        refused.unwrap_err().to_string(),
        format!("signature does not verify with the keys of issuer {PARTNER}")
    );
}

#[tokio::test]
async fn a_token_signed_by_another_ed25519_key_under_the_embedded_kid_is_refused() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    let forger =
        EncodingKey::from_ed_pem(EmbeddedIssuer::generate_pem().expect("a key").as_bytes())
            .expect("the key reads");
    let token = sign(
        Algorithm::EdDSA,
        Some(issuer.kid()),
        &claims(EMBEDDED),
        &forger,
    );
    assert_eq!(
        verifier.verify(&token).await,
        Err(AuthError::BadSignature(EMBEDDED.to_owned()))
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_with_its_expiry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    // 2026-01-01T00:00:00Z
    claims["exp"] = json!(1_767_225_600);
    let refused = verifier
        .verify(&sign(Algorithm::ES256, None, &claims, &key))
        .await;
    assert_eq!(refused, Err(AuthError::Expired(1_767_225_600)));
    assert_eq!(
        refused.unwrap_err().to_string(),
        "token expired at 2026-01-01T00:00:00Z"
    );
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    let nbf = now() + 600;
    claims["nbf"] = json!(nbf);
    assert_eq!(
        verifier
            .verify(&sign(Algorithm::ES256, None, &claims, &key))
            .await,
        Err(AuthError::NotYetValid(nbf))
    );
}

#[tokio::test]
async fn a_token_of_an_untrusted_issuer_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims["iss"] = json!("https://idp.example/realms/xingji-test");
    let refused = verifier
        .verify(&sign(Algorithm::ES256, None, &claims, &key))
        .await;
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err("issuer https://idp.example/realms/xingji-test is not trusted".to_owned())
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims["aud"] = json!(["account", "billing"]);
    let refused = verifier
        .verify(&sign(Algorithm::ES256, None, &claims, &key))
        .await;
    assert_eq!(
        refused,
        Err(AuthError::Audience {
            expected: AUDIENCE.to_owned(),
            found: r#"["account","billing"]"#.to_owned()
        })
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    for alg in ["none", "None", "NONE"] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": issuer.kid()});
        let token = format!(
            "{}.{}.",
            b64(header.to_string().as_bytes()),
            b64(claims(EMBEDDED).to_string().as_bytes())
        );
        let refused = verifier.verify(&token).await;
        assert_eq!(refused, Err(AuthError::Unsigned), "{alg}");
        assert_eq!(
            refused.unwrap_err().to_string(),
            "alg none is not accepted: the token is unsigned"
        );
    }
}

#[tokio::test]
async fn hs256_signed_with_a_public_key_as_the_secret_is_refused() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let rsa = rsa_key(2048);
    let rsa_issuer = static_issuer(dir.path(), PARTNER, &[&rsa.public_pem]);
    let both = Verifier::new(&config(vec![rsa_issuer]), Some(&issuer))
        .await
        .expect("the verifier starts");
    let cases = [
        (EMBEDDED, issuer.public_key_pem().to_owned(), &verifier),
        (PARTNER, rsa.public_pem.clone(), &both),
    ];
    for (iss, public_pem, verifier) in cases {
        // The PEM text, and the DER it holds, each tried as the secret.
        let body: String = public_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = STANDARD.decode(body).expect("PEM base64");
        let secrets = [public_pem.into_bytes(), der];
        let algs = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
        for (alg, secret) in algs
            .into_iter()
            .flat_map(|a| secrets.iter().map(move |s| (a, s)))
        {
            let secret = EncodingKey::from_secret(secret).expect("a secret");
            let token = sign(alg, Some(issuer.kid()), &claims(iss), &secret);
            let refused = verifier.verify(&token).await;
            let name = format!("{alg:?}");
            assert_eq!(refused, Err(AuthError::Algorithm(name.clone())), "{iss}");
            assert!(refused.unwrap_err().to_string().starts_with(&format!(
                "alg {name} is not accepted: asymmetric algorithms only"
            )));
        }
    }
}

#[tokio::test]
async fn an_alg_that_does_not_fit_the_key_type_is_refused() {
    // ES256 under the embedded issuer's Ed25519 kid: no key of that type.
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    let ec = ec_key(false).encoding(Algorithm::ES256);
    let token = sign(Algorithm::ES256, Some(issuer.kid()), &claims(EMBEDDED), &ec);
    assert_eq!(
        verifier.verify(&token).await,
        Err(AuthError::NoKey {
            issuer: EMBEDDED.to_owned(),
            kid: Some(issuer.kid().to_owned()),
            alg: "ES256".to_owned()
        })
    );
}

#[tokio::test]
async fn a_truncated_token_is_refused() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    let token = issuer.issue(request()).expect("issued");
    // Cut inside the payload: two parts.
    let payload_cut = &token[..token.find('.').expect("a dot") + 10];
    assert!(matches!(
        verifier.verify(payload_cut).await,
        Err(AuthError::Malformed(reason)) if reason.contains("this has 2 parts")
    ));
    // Cut inside the signature: the rest no longer verifies.
    let signature_cut = &token[..token.len() - 8];
    assert!(matches!(
        verifier.verify(signature_cut).await,
        Err(AuthError::BadSignature(_) | AuthError::Malformed(_))
    ));
    // The signature gone, the dot kept.
    let unsigned = &token[..=token.rfind('.').expect("a dot")];
    assert_eq!(
        verifier.verify(unsigned).await,
        Err(AuthError::Malformed("it has no signature".to_owned()))
    );
}

#[tokio::test]
async fn what_is_not_a_jwt_is_refused() {
    let issuer = embedded();
    let verifier = embedded_verifier(&issuer).await;
    for junk in ["", "Bearer", "a.b.c", "!!.??.**"] {
        assert!(
            matches!(verifier.verify(junk).await, Err(AuthError::Malformed(_))),
            "{junk:?}"
        );
    }
    let huge = "a".repeat(20_000);
    assert!(matches!(
        verifier.verify(&huge).await,
        Err(AuthError::Malformed(_))
    ));
}

#[tokio::test]
async fn a_token_without_a_role_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims["xingji"] = json!({"regions": ["shanghai"]});
    let refused = verifier
        .verify(&sign(Algorithm::ES256, None, &claims, &key))
        .await;
    assert_eq!(refused, Err(AuthError::NoRole));
    claims["xingji"] = json!({"role": ""});
    let refused = verifier
        .verify(&sign(Algorithm::ES256, None, &claims, &key))
        .await;
    assert_eq!(refused, Err(AuthError::NoRole));
}

#[tokio::test]
async fn a_token_without_the_xingji_claim_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims.as_object_mut().expect("an object").remove("xingji");
    let refused = verifier
        .verify(&sign(Algorithm::ES256, None, &claims, &key))
        .await;
    assert_eq!(refused, Err(AuthError::NoXingjiClaim));
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("its issuer must add")
    );
}

#[tokio::test]
async fn tokens_missing_a_required_claim_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    for claim in ["exp", "sub", "aud", "iss"] {
        let mut claims = claims(PARTNER);
        claims.as_object_mut().expect("an object").remove(claim);
        assert_eq!(
            verifier
                .verify(&sign(Algorithm::ES256, None, &claims, &key))
                .await,
            Err(AuthError::MissingClaim(claim)),
            "{claim}"
        );
    }
}

#[tokio::test]
async fn a_claim_of_the_wrong_type_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let mut claims = claims(PARTNER);
    claims["xingji"] = json!({"role": "call-centre", "regions": [1, 2]});
    assert!(matches!(
        verifier
            .verify(&sign(Algorithm::ES256, None, &claims, &key))
            .await,
        Err(AuthError::Claims(_))
    ));
    let mut claims = common::claims(PARTNER);
    claims["exp"] = json!("tomorrow");
    assert!(matches!(
        verifier
            .verify(&sign(Algorithm::ES256, None, &claims, &key))
            .await,
        Err(AuthError::BadClaim { claim: "exp", .. })
    ));
}

/// A token with exactly this header, signed by `key` under ES256.
fn signed_with_header(header: &serde_json::Value, key: &EncodingKey) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims(PARTNER).to_string().as_bytes())
    );
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::ES256).expect("signed");
    format!("{message}.{signature}")
}

#[tokio::test]
async fn a_header_with_an_unknown_critical_parameter_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (verifier, key) = partner_verifier(&dir).await;
    let critical = json!({"alg": "ES256", "crit": ["exp-2"], "exp-2": 1});
    assert!(matches!(
        verifier.verify(&signed_with_header(&critical, &key)).await,
        Err(AuthError::Malformed(_))
    ));
    // The same token without `crit` passes: the refusal was the header's.
    let plain = json!({"alg": "ES256", "exp-2": 1});
    assert!(
        verifier
            .verify(&signed_with_header(&plain, &key))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_misconfigured_verifier_does_not_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let issuer = embedded();
    // The embedded issuer on, but not opened.
    assert!(matches!(
        Verifier::new(&IdentityConfig::default(), None).await,
        Err(SetupError::Config(_))
    ));
    // Opened under another name.
    let other = EmbeddedIssuer::from_pem(&EmbeddedIssuer::generate_pem().expect("key"), "other")
        .expect("reads");
    assert!(
        Verifier::new(&IdentityConfig::default(), Some(&other))
            .await
            .is_err()
    );
    // An issuer without keys; one named twice; plain http off loopback.
    let keyless = xingji_identity::IssuerConfig {
        issuer: PARTNER.to_owned(),
        ..Default::default()
    };
    assert!(matches!(
        Verifier::new(&config(vec![keyless.clone()]), Some(&issuer)).await,
        Err(SetupError::Issuer { .. })
    ));
    let key = ec_key(false);
    let twice = static_issuer(dir.path(), EMBEDDED, &[&key.public_pem]);
    assert!(
        Verifier::new(&config(vec![twice]), Some(&issuer))
            .await
            .is_err()
    );
    let remote_http = xingji_identity::IssuerConfig {
        jwks_url: Some("http://idp.example/certs".to_owned()),
        ..keyless
    };
    let refused = Verifier::new(&config(vec![remote_http]), Some(&issuer)).await;
    assert!(
        matches!(&refused, Err(SetupError::Issuer { reason, .. }) if reason.contains("plain http")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn key_files_that_hold_no_usable_public_key_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let issuer = embedded();
    let key = ec_key(false);
    let small_rsa = rsa_key(1024);
    let cases = [
        (key.private_pem.as_str(), "private key"),
        (small_rsa.public_pem.as_str(), "1024-bit RSA key"),
        ("hello", "no PEM public key"),
    ];
    for (text, reason) in cases {
        let config = config(vec![static_issuer(dir.path(), PARTNER, &[text])]);
        let refused = Verifier::new(&config, Some(&issuer)).await;
        assert!(
            matches!(&refused, Err(SetupError::KeyFile { reason: r, .. }) if r.contains(reason)),
            "{reason}: {refused:?}"
        );
        // What is wrong is said; the key is not.
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.contains("MII"), "{message}");
    }
}
