//! Bad credentials through gRPC, each on its own: every one is
//! UNAUTHENTICATED with a message that says what is wrong with it (and,
//! where the kernel refused what the token claims, ErrorInfo
//! `CREDENTIAL_REFUSED`). Health checking and reflection need none.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use prost_types::FieldMask;
use serde_json::{Value, json};
use tonic::metadata::MetadataValue;
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::*;
use xingji_identity::EmbeddedIssuer;
use xingji_tests::{TestServer, error_info, test_key_pem, with_token};

use crate::fixtures::{create_person, engineer, network};
use crate::principals::{issuer, principal};

/// Seconds since the epoch.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The claims of a good token of shanghai's call centre, valid for an
/// hour; tests change one thing about them.
fn claims() -> Value {
    let now = now();
    json!({
        "iss": "xingji",
        "sub": "cc-07",
        "aud": "xingji",
        "exp": now + 3600,
        "nbf": now - 10,
        "iat": now - 10,
        "xingji": {"role": "call-centre", "regions": ["shanghai"]},
    })
}

/// `claims` signed as the test issuer signs: EdDSA with its key and kid.
fn signed(claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(test_key_pem().as_bytes()).expect("the test key");
    sign(claims, Algorithm::EdDSA, &key)
}

fn sign(claims: &Value, alg: Algorithm, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(issuer().kid().to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("a signed token")
}

/// A server with shanghai's network (a regional and a star centre).
async fn server() -> (tempfile::TempDir, TestServer, Outlet) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(dir.path()).await;
    let (_, star) = network(&mut server.outlets().await, "shanghai").await;
    (dir, server, star)
}

/// What a call of ListOutlets in shanghai (which the good token may make)
/// answers with `authorization: value`, or with no such header.
async fn list_outlets(server: &TestServer, authorization: Option<&str>) -> Result<(), Status> {
    let mut request = Request::new(ListOutletsRequest {
        region: "shanghai".into(),
        ..ListOutletsRequest::default()
    });
    if let Some(value) = authorization {
        let value: MetadataValue<_> = value.parse().expect("an ASCII header");
        request.metadata_mut().insert("authorization", value);
    }
    OutletServiceClient::new(server.bare_channel().await)
        .list_outlets(request)
        .await
        .map(drop)
}

/// The refusal of `token`, after checking that it is UNAUTHENTICATED and
/// that its message says `why`.
async fn refused(server: &TestServer, token: &str, why: &str) -> Status {
    let status = list_outlets(server, Some(&format!("Bearer {token}")))
        .await
        .expect_err("a bad credential is refused");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(
        status.message().contains(why),
        "the message says why ({why:?}): {:?}",
        status.message()
    );
    status
}

#[tokio::test]
async fn a_good_token_of_the_tests_works() {
    // The tokens below differ from this one in one thing each.
    let (_dir, server, _) = server().await;
    list_outlets(&server, Some(&format!("Bearer {}", signed(&claims()))))
        .await
        .expect("a good token");
    server.stop().await;
}

#[tokio::test]
async fn a_token_signed_by_another_key_with_our_kid_is_refused() {
    let (_dir, server, _) = server().await;
    let other = EmbeddedIssuer::generate_pem().expect("another key");
    let key = EncodingKey::from_ed_pem(other.as_bytes()).expect("another key");
    let forged = sign(&claims(), Algorithm::EdDSA, &key);
    refused(&server, &forged, "signature does not verify").await;
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (_dir, server, _) = server().await;
    let mut claims = claims();
    claims["exp"] = json!(now() - 3600);
    claims["nbf"] = json!(now() - 7200);
    claims["iat"] = json!(now() - 7200);
    refused(&server, &signed(&claims), "expired").await;
    server.stop().await;
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let (_dir, server, _) = server().await;
    let mut claims = claims();
    claims["nbf"] = json!(now() + 3600);
    refused(&server, &signed(&claims), "not valid before").await;
    server.stop().await;
}

#[tokio::test]
async fn a_token_of_another_issuer_is_refused() {
    let (_dir, server, _) = server().await;
    let mut claims = claims();
    claims["iss"] = json!("https://idp.example.com");
    let status = refused(&server, &signed(&claims), "not trusted").await;
    assert!(status.message().contains("https://idp.example.com"));
    server.stop().await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let (_dir, server, _) = server().await;
    let mut claims = claims();
    claims["aud"] = json!("crm");
    let status = refused(&server, &signed(&claims), "audience").await;
    assert!(status.message().contains("crm"), "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn an_unsigned_token_alg_none_is_refused() {
    let (_dir, server, _) = server().await;
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let header = json!({"alg": "none", "typ": "JWT", "kid": issuer().kid()});
    let token = format!("{}.{}.", part(&header), part(&claims()));
    refused(&server, &token, "alg none").await;
    server.stop().await;
}

#[tokio::test]
async fn hs256_keyed_with_our_public_key_is_refused() {
    // The classic confusion: a verifier that took the public key as an
    // HMAC secret would accept this.
    let (_dir, server, _) = server().await;
    let public = issuer().public_key_pem().to_owned();
    let key = EncodingKey::from_secret(public.as_bytes()).expect("an HMAC key");
    let token = sign(&claims(), Algorithm::HS256, &key);
    refused(&server, &token, "HS256").await;
    server.stop().await;
}

#[tokio::test]
async fn a_truncated_token_is_refused() {
    let (_dir, server, _) = server().await;
    let token = signed(&claims());
    // Cut inside the claims: two parts and a half.
    let cut = &token[..token.len() / 2];
    refused(&server, cut, "not a JWT").await;
    // Cut inside the signature: three parts, the signature a byte short
    // (86 base64 characters for 64 bytes; 84 still decode, to 63).
    let short = &token[..token.len() - 2];
    refused(&server, short, "signature").await;
    server.stop().await;
}

#[tokio::test]
async fn a_token_of_a_person_who_never_existed_is_refused() {
    let (_dir, server, _) = server().await;
    let nobody = principal("engineer", "per_01NOBODYNOBODYNOBODYNOBODY", &[]);
    let status = refused(&server, &nobody.token, "does not exist").await;
    assert_eq!(error_info(&status).0, "CREDENTIAL_REFUSED");
    let nowhere = principal("outlet", "out_01NOWHERENOWHERENOWHERENO", &[]);
    let status = refused(&server, &nowhere.token, "does not exist").await;
    assert_eq!(error_info(&status).0, "CREDENTIAL_REFUSED");
    server.stop().await;
}

/// ListOrders as the holder of `token` (an outlet's or engineer's own).
async fn list_orders(server: &TestServer, token: &str) -> Result<(), Status> {
    OrderServiceClient::new(server.bare_channel().await)
        .list_orders(with_token(token, ListOrdersRequest::default()))
        .await
        .map(drop)
}

#[tokio::test]
async fn a_deactivated_persons_token_stops_working_at_once() {
    let (_dir, server, star) = server().await;
    let person = create_person(
        &mut server.people().await,
        engineer("shanghai", &star.id, "Wang Wei"),
    )
    .await;
    let token = principal("engineer", &person.id, &[]).token;
    list_orders(&server, &token)
        .await
        .expect("the engineer's token works while they are active");
    PersonServiceClient::new(server.channel().await)
        .update_person(UpdatePersonRequest {
            person: Some(Person {
                id: person.id.clone(),
                status: PersonStatus::Deactivated as i32,
                ..Person::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["status".into()],
            }),
        })
        .await
        .expect("deactivate");
    let status = refused(&server, &token, "deactivated").await;
    assert_eq!(error_info(&status).0, "CREDENTIAL_REFUSED");
    let status = list_orders(&server, &token).await.expect_err("refused");
    assert_eq!(status.code(), Code::Unauthenticated);
    server.stop().await;
}

#[tokio::test]
async fn an_eliminated_outlets_token_stops_working_at_once() {
    let (_dir, server, star) = server().await;
    let token = principal("outlet", &star.id, &[]).token;
    list_orders(&server, &token)
        .await
        .expect("the outlet's token works while it is active");
    OutletServiceClient::new(server.channel().await)
        .update_outlet(UpdateOutletRequest {
            outlet: Some(Outlet {
                id: star.id.clone(),
                status: OutletStatus::Eliminated as i32,
                ..Outlet::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["status".into()],
            }),
        })
        .await
        .expect("eliminate");
    let status = refused(&server, &token, "eliminated").await;
    assert_eq!(error_info(&status).0, "CREDENTIAL_REFUSED");
    server.stop().await;
}

#[tokio::test]
async fn a_token_of_an_unknown_role_is_refused() {
    let (_dir, server, _) = server().await;
    let mut claims = claims();
    claims["xingji"]["role"] = json!("superuser");
    let status = refused(&server, &signed(&claims), "superuser").await;
    assert!(status.message().contains("role"), "{status:?}");
    assert_eq!(error_info(&status).0, "CREDENTIAL_REFUSED");
    server.stop().await;
}

#[tokio::test]
async fn a_call_without_a_credential_is_refused() {
    let (_dir, server, _) = server().await;
    let status = list_outlets(&server, None).await.expect_err("refused");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().contains("no credential"),
        "{:?}",
        status.message()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused() {
    let (_dir, server, _) = server().await;
    let token = signed(&claims());
    for header in [
        format!("Basic {token}"),
        token.clone(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
    ] {
        let status = list_outlets(&server, Some(&header))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::Unauthenticated, "{header:?}");
        assert!(
            status.message().contains("Bearer <token>"),
            "{header:?}: {:?}",
            status.message()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn health_and_reflection_need_no_credential() {
    let (_dir, server, _) = server().await;
    let health = HealthClient::new(server.bare_channel().await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health without a credential")
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);
    let request = ServerReflectionRequest {
        message_request: Some(MessageRequest::ListServices(String::new())),
        ..ServerReflectionRequest::default()
    };
    let mut answers = ServerReflectionClient::new(server.bare_channel().await)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection without a credential")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("an answer")
        .expect("one message");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("a service list: {answer:?}");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "xingji.v1.OrderService")
    );
    server.stop().await;
}
