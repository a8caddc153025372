//! Tokens to identities: the signature by a key of the issuer the token
//! names, then the time, audience and `xingji` claims.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use crate::claims::TokenClaims;
use crate::config::IdentityConfig;
use crate::error::{AuthError, SetupError, bounded};
use crate::http::{HttpClient, jwks_uri};
use crate::identity::Identity;
use crate::issuer::EmbeddedIssuer;
use crate::jwks::JwksSource;
use crate::keys::{TrustedKey, accepted_algorithm};
use crate::time::now;
use crate::verified::Verified;

/// A longer token is refused unread.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Checks tokens against the configured issuers' keys. Cheap to clone;
/// clones share the keys. JWKS issuers are refreshed by background tasks
/// that end when the last clone is dropped.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("audience", &self.inner.audience)
            .field("issuers", &self.issuers())
            .finish_non_exhaustive()
    }
}

struct Inner {
    audience: String,
    leeway_seconds: u64,
    issuers: HashMap<String, TrustedIssuer>,
    verified: Verified,
}

/// One issuer's keys: static ones (PEM files, the embedded issuer's) and
/// those of its JWKS.
struct TrustedIssuer {
    static_keys: Vec<TrustedKey>,
    jwks: Option<Arc<JwksSource>>,
}

impl Verifier {
    /// A verifier for `config`: reads the issuers' PEM files and fetches
    /// their JWKS once (a failed fetch is logged, and retried on the timer
    /// or for the first token of an unknown key). `embedded` is required
    /// when `config.embedded.enabled`, and must be named as configured.
    /// Call it within a Tokio runtime when an issuer has a JWKS.
    pub async fn new(
        config: &IdentityConfig,
        embedded: Option<&EmbeddedIssuer>,
    ) -> Result<Self, SetupError> {
        if config.audience.is_empty() {
            return Err(SetupError::Config("audience is empty".to_owned()));
        }
        let mut issuers = HashMap::new();
        if config.embedded.enabled {
            let embedded = embedded.ok_or_else(|| {
                SetupError::Config("the embedded issuer is enabled but was not opened".to_owned())
            })?;
            if embedded.issuer() != config.embedded.issuer {
                return Err(SetupError::Config(format!(
                    "the embedded issuer is configured as {:?} but was opened as {:?}",
                    config.embedded.issuer,
                    embedded.issuer()
                )));
            }
            let keys = vec![embedded.trusted_key()];
            issuers.insert(embedded.issuer().to_owned(), TrustedIssuer::fixed(keys));
        }
        let mut refreshed = Vec::new();
        let mut http = None;
        for issuer in &config.issuers {
            let problem = |reason: &str| SetupError::Issuer {
                issuer: issuer.issuer.clone(),
                reason: reason.to_owned(),
            };
            if issuer.issuer.is_empty() {
                return Err(SetupError::Config(
                    "an [[identity.issuers]] entry has no issuer".to_owned(),
                ));
            }
            if issuers.contains_key(&issuer.issuer) {
                return Err(problem(
                    "is configured twice (or is the embedded issuer's name)",
                ));
            }
            let mut static_keys = Vec::new();
            for path in &issuer.public_key_files {
                let file_error = |reason: String| SetupError::KeyFile {
                    path: path.clone(),
                    reason,
                };
                let text =
                    std::fs::read(path).map_err(|e| file_error(format!("cannot be read: {e}")))?;
                static_keys.extend(TrustedKey::from_pem(&text).map_err(file_error)?);
            }
            let jwks = match &issuer.jwks_url {
                Some(url) => {
                    let uri = jwks_uri(url).map_err(|reason| problem(&reason))?;
                    if issuer.jwks_refresh_seconds == 0 {
                        return Err(problem("jwks_refresh_seconds must be at least 1"));
                    }
                    let client = match &http {
                        Some(client) => client,
                        None => http.insert(Self::http_client(config)?),
                    };
                    let source =
                        Arc::new(JwksSource::new(issuer.issuer.clone(), uri, client.clone()));
                    let period = Duration::from_secs(issuer.jwks_refresh_seconds);
                    refreshed.push((source.clone(), period));
                    Some(source)
                }
                None => None,
            };
            if static_keys.is_empty() && jwks.is_none() {
                return Err(problem("has neither public_key_files nor jwks_url"));
            }
            let trusted = TrustedIssuer { static_keys, jwks };
            issuers.insert(issuer.issuer.clone(), trusted);
        }
        if !refreshed.is_empty() && tokio::runtime::Handle::try_current().is_err() {
            return Err(SetupError::Config(
                "issuers with a jwks_url need a Tokio runtime to refresh in".to_owned(),
            ));
        }
        // The first fetches side by side: one slow provider must not hold
        // the others' keys back.
        let mut first_fetches = tokio::task::JoinSet::new();
        for (source, period) in refreshed {
            let fetching = source.clone();
            first_fetches.spawn(async move { fetching.refresh().await });
            source.spawn_refresher(period);
        }
        while first_fetches.join_next().await.is_some() {}
        if issuers.is_empty() {
            tracing::warn!("no token issuer is trusted: every token will be refused");
        }
        Ok(Self {
            inner: Arc::new(Inner {
                audience: config.audience.clone(),
                leeway_seconds: config.leeway_seconds,
                issuers,
                verified: Verified::default(),
            }),
        })
    }

    fn http_client(config: &IdentityConfig) -> Result<HttpClient, SetupError> {
        let needs_roots = config.issuers.iter().any(|issuer| {
            issuer
                .jwks_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https:"))
        });
        HttpClient::new(needs_roots).map_err(SetupError::Config)
    }

    /// The `iss` of every issuer whose tokens are accepted, sorted.
    pub fn issuers(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.issuers.keys().cloned().collect();
        names.sort();
        names
    }

    /// The identity a token (the bare JWT, without `Bearer `) stands for,
    /// or why it is refused. A token verified before is not checked again
    /// until it expires (a key the issuer drops meanwhile does not revoke
    /// it: tokens are short-lived, and the kernel admits the identity on
    /// every call).
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let (now, leeway) = (now(), self.inner.leeway_seconds);
        if let Some(identity) = self.inner.verified.get(token, now, leeway) {
            return Ok(identity);
        }
        let identity = self.verify_signed(token).await?;
        self.inner.verified.insert(token, &identity, now, leeway);
        Ok(identity)
    }

    /// [`Self::verify`] without the cache: the signature, then the claims.
    async fn verify_signed(&self, token: &str) -> Result<Identity, AuthError> {
        let read = Unverified::read(token)?;
        let issuer = self
            .inner
            .issuers
            .get(&read.iss)
            .ok_or_else(|| AuthError::UntrustedIssuer(bounded(&read.iss)))?;
        let kid = read.kid.as_deref();
        let mut fetched = issuer.jwks.as_ref().map(|jwks| jwks.keys());
        let mut candidates =
            issuer.candidates(fetched.as_deref().map(Vec::as_slice), kid, read.alg);
        // A key we lack (rotation): the JWKS may have it by now. A kid-less
        // static key that fits does not stand in for the kid's own key.
        let lacking = match kid {
            Some(kid) => !candidates.iter().any(|key| key.kid.as_deref() == Some(kid)),
            None => candidates.is_empty(),
        };
        if lacking && let Some(jwks) = &issuer.jwks {
            jwks.refetch_for_unknown_key().await;
            fetched = Some(jwks.keys());
            candidates = issuer.candidates(fetched.as_deref().map(Vec::as_slice), kid, read.alg);
        }
        if candidates.is_empty() {
            return Err(AuthError::NoKey {
                issuer: bounded(&read.iss),
                kid: read.kid.clone(),
                alg: format!("{:?}", read.alg),
            });
        }
        let validation = self.validation(read.alg, &read.iss);
        for key in candidates {
            match jsonwebtoken::decode::<TokenClaims>(token, &key.key, &validation) {
                Ok(data) => return data.claims.into_identity(),
                // Not this key: another of the issuer's may have signed it.
                Err(e) if is_key_mismatch(&e) => continue,
                // The signature held (it is checked first); a claim did not.
                Err(e) => return Err(self.claim_error(&e, &read)),
            }
        }
        Err(AuthError::BadSignature(bounded(&read.iss)))
    }

    fn validation(&self, alg: Algorithm, issuer: &str) -> Validation {
        let mut validation = Validation::new(alg);
        validation.leeway = self.inner.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.inner.audience]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation
    }

    fn claim_error(&self, error: &JwtError, read: &Unverified) -> AuthError {
        match error.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired(read.exp),
            ErrorKind::ImmatureSignature => AuthError::NotYetValid(read.nbf.unwrap_or_default()),
            ErrorKind::InvalidAudience => AuthError::Audience {
                expected: self.inner.audience.clone(),
                found: read.aud.clone(),
            },
            ErrorKind::InvalidIssuer => AuthError::UntrustedIssuer(bounded(&read.iss)),
            ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim_name(claim)),
            ErrorKind::InvalidClaimFormat(claim) => AuthError::BadClaim {
                claim: claim_name(claim),
                reason: "has the wrong type".to_owned(),
            },
            ErrorKind::Json(e) => AuthError::Claims(bounded(&e.to_string())),
            _ => AuthError::Malformed(
                "its header or parts are not of a shape we accept (crit, b64, encoding)".to_owned(),
            ),
        }
    }
}

impl TrustedIssuer {
    fn fixed(static_keys: Vec<TrustedKey>) -> Self {
        Self {
            static_keys,
            jwks: None,
        }
    }

    /// The keys that may have signed a token with this kid and alg: those
    /// with its kid first, then those without a kid.
    fn candidates<'a>(
        &'a self,
        fetched: Option<&'a [TrustedKey]>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Vec<&'a TrustedKey> {
        let mut keys: Vec<&TrustedKey> = self
            .static_keys
            .iter()
            .chain(fetched.into_iter().flatten())
            .filter(|key| key.fits(kid, alg))
            .collect();
        keys.sort_by_key(|key| key.kid.is_none());
        keys
    }
}

/// Errors that say the key was not the token's (or not of its algorithm),
/// as opposed to a bad claim under a good signature.
fn is_key_mismatch(error: &JwtError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::InvalidSignature
            | ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidRsaKey(_)
    )
}

fn claim_name(name: &str) -> &'static str {
    match name {
        "exp" => "exp",
        "nbf" => "nbf",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        _ => "(standard claim)",
    }
}

/// What a token says before its signature is checked: enough to pick a
/// key, and to word an error about its claims.
struct Unverified {
    alg: Algorithm,
    kid: Option<String>,
    iss: String,
    exp: i64,
    nbf: Option<i64>,
    /// `aud` as written, for messages.
    aud: String,
}

impl Unverified {
    fn read(token: &str) -> Result<Self, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed(format!(
                "it is {} bytes long; at most {MAX_TOKEN_BYTES}",
                token.len()
            )));
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts.as_slice() else {
            return Err(AuthError::Malformed(format!(
                "a JWT is three base64url parts joined by dots; this has {} part{}",
                parts.len(),
                if parts.len() == 1 { "" } else { "s" }
            )));
        };
        let header =
            json_object(header).map_err(|e| AuthError::Malformed(format!("its header {e}")))?;
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => accepted_algorithm(alg)?,
            Some(_) => {
                return Err(AuthError::Malformed(
                    "its header's alg is not a string".to_owned(),
                ));
            }
            None => return Err(AuthError::Malformed("its header has no alg".to_owned())),
        };
        let kid = match header.get("kid") {
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => {
                return Err(AuthError::Malformed(
                    "its header's kid is not a string".to_owned(),
                ));
            }
            None => None,
        };
        if signature.is_empty() {
            return Err(AuthError::Malformed("it has no signature".to_owned()));
        }
        let claims =
            json_object(payload).map_err(|e| AuthError::Malformed(format!("its payload {e}")))?;
        let iss = match claims.get("iss") {
            Some(Value::String(iss)) => iss.clone(),
            Some(_) => return Err(bad_claim("iss", "must be a string")),
            None => return Err(AuthError::MissingClaim("iss")),
        };
        let exp = seconds(&claims, "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        let nbf = seconds(&claims, "nbf")?;
        let aud = claims
            .get("aud")
            .map(|aud| bounded(&aud.to_string()))
            .ok_or(AuthError::MissingClaim("aud"))?;
        Ok(Self {
            alg,
            kid,
            iss,
            exp,
            nbf,
            aud,
        })
    }
}

/// A base64url part that holds a JSON object.
fn json_object(part: &str) -> Result<Map<String, Value>, &'static str> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| "is not base64url")?;
    serde_json::from_slice(&bytes).map_err(|_| "is not a JSON object")
}

/// A NumericDate claim, if present.
fn seconds(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| bad_claim(name, "must be a time in unix seconds")),
    }
}

fn bad_claim(claim: &'static str, reason: &str) -> AuthError {
    AuthError::BadClaim {
        claim,
        reason: reason.to_owned(),
    }
}
