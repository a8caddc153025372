//! Fetching a JWKS document: HTTPS (rustls, ring, the system's roots), or
//! plain HTTP to a loopback host, which is only ever a test.
//!
//! hyper-util's client because tonic already compiles it: no second HTTP
//! stack. The system's roots honour `SSL_CERT_FILE` and `SSL_CERT_DIR`, so
//! an identity provider behind an internal CA needs no option of ours.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A fetch that takes longer is abandoned (the cached keys stay).
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A JWKS document larger than this is refused: a key set is a few KiB.
const MAX_BODY: usize = 1024 * 1024;

/// The URL of a JWKS document, if it is one we may fetch: `https://`, or
/// `http://` to `localhost` or a loopback address.
pub(crate) fn jwks_uri(url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|_| format!("jwks_url {url:?} is not a URL"))?;
    let host = uri
        .host()
        .ok_or_else(|| format!("jwks_url {url:?} has no host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(host) => Ok(uri),
        Some("http") => Err(format!(
            "jwks_url {url:?} is plain http: https only (http only to a loopback host, for tests)"
        )),
        _ => Err(format!("jwks_url {url:?} is not an https URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The client every JWKS fetch of a verifier goes through.
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpClient {
    /// A client trusting the system's root certificates. None found is an
    /// error only when an `https` URL is to be fetched.
    pub(crate) fn new(needs_roots: bool) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(%error, "a system root certificate could not be loaded");
        }
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if needs_roots && added == 0 {
            return Err(
                "no system root certificates to check the identity provider's HTTPS with \
                 (install ca-certificates, or set SSL_CERT_FILE)"
                    .to_owned(),
            );
        }
        // Our own provider, not the process default: which providers the
        // build links must not decide whether this works.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client })
    }

    /// The body of a `200 OK` answer to `GET uri`.
    pub(crate) async fn get(&self, uri: &Uri) -> Result<Bytes, String> {
        let fetch = async {
            let response = self
                .client
                .get(uri.clone())
                .await
                .map_err(|e| format!("GET failed: {e}"))?;
            if response.status() != StatusCode::OK {
                return Err(format!("GET answered {}", response.status()));
            }
            Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map(|body| body.to_bytes())
                .map_err(|e| format!("reading the answer failed: {e}"))
        };
        tokio::time::timeout(FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| format!("no answer within {}s", FETCH_TIMEOUT.as_secs()))?
    }
}

#[cfg(test)]
mod tests {
    use super::jwks_uri;

    #[test]
    fn plain_http_is_for_loopback_hosts_only() {
        assert!(jwks_uri("https://idp.example/certs").is_ok());
        assert!(jwks_uri("http://127.0.0.1:8080/certs").is_ok());
        assert!(jwks_uri("http://localhost/certs").is_ok());
        assert!(jwks_uri("http://[::1]:9/certs").is_ok());
        assert!(jwks_uri("http://idp.example/certs").is_err());
        assert!(jwks_uri("http://10.0.0.1/certs").is_err());
        assert!(jwks_uri("ftp://idp.example/certs").is_err());
        assert!(jwks_uri("not a url").is_err());
    }
}
