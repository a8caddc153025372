//! What can go wrong: a credential refused ([`AuthError`]), a configuration
//! or key that cannot be used ([`SetupError`]), a token that cannot be
//! issued ([`IssueError`]). Messages say what to fix and never hold key
//! material.

use std::path::PathBuf;

use crate::time::utc;

/// Why a credential was refused. Every variant means "not authenticated";
/// the message tells the caller what was wrong with what they sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Not three base64url parts of JSON, or too long.
    #[error("token is not a JWT: {0}")]
    Malformed(String),
    /// `alg: none`.
    #[error("alg none is not accepted: the token is unsigned")]
    Unsigned,
    /// An HMAC or unknown algorithm.
    #[error(
        "alg {0} is not accepted: asymmetric algorithms only \
         (RS256/384/512, PS256/384/512, ES256/384, EdDSA)"
    )]
    Algorithm(String),
    /// `iss` names no configured issuer.
    #[error("issuer {0} is not trusted")]
    UntrustedIssuer(String),
    /// The issuer has no key with this id that takes this algorithm (after
    /// one refetch of its JWKS, if it has one and none was made lately).
    #[error("issuer {issuer} has no key{} for alg {alg}", kid_text(.kid))]
    NoKey {
        /// The token's `iss`.
        issuer: String,
        /// The token's `kid`.
        kid: Option<String>,
        /// The token's `alg`.
        alg: String,
    },
    /// No key of the issuer that could have signed it verifies the
    /// signature.
    #[error("signature does not verify with the keys of issuer {0}")]
    BadSignature(String),
    /// `exp` (plus leeway) is past.
    #[error("token expired at {}", utc(*.0))]
    Expired(i64),
    /// `nbf` (less leeway) is to come.
    #[error("token is not valid before {}", utc(*.0))]
    NotYetValid(i64),
    /// `aud` does not contain our audience.
    #[error("token is not for audience {expected} (its aud: {found})")]
    Audience {
        /// The configured audience.
        expected: String,
        /// The token's `aud`, as given.
        found: String,
    },
    /// A required claim is absent.
    #[error("token has no {0} claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong shape.
    #[error("token claim {claim} is malformed: {reason}")]
    BadClaim {
        /// Which claim.
        claim: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The claims do not read as ours (a claim of the wrong type).
    #[error("token claims do not read: {0}")]
    Claims(String),
    /// No `xingji` claim: the issuer was not set up for us.
    #[error(
        "token has no xingji claim: its issuer must add \
         {{\"xingji\": {{\"role\": …, \"regions\": […]}}}}"
    )]
    NoXingjiClaim,
    /// The `xingji` claim has no role.
    #[error("token's xingji claim has no role")]
    NoRole,
    /// The client certificate could not be read.
    #[error("client certificate is unreadable: {0}")]
    BadCertificate(String),
    /// No configured client matches the certificate.
    #[error("client certificate ({0}) is not mapped to a client")]
    UnmappedCertificate(String),
    /// Several configured clients match the certificate.
    #[error("client certificate ({names}) matches several clients: {clients}")]
    AmbiguousCertificate {
        /// The certificate's CN and SANs.
        names: String,
        /// The configured subjects it matches.
        clients: String,
    },
}

fn kid_text(kid: &Option<String>) -> String {
    kid.as_deref()
        .map(|kid| format!(" with kid {}", bounded(kid)))
        .unwrap_or_default()
}

/// Text from a credential, cut short: an error message must not carry (or
/// be inflated by) whatever a caller put in a token.
pub(crate) fn bounded(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Why the identity configuration, a key file or the embedded issuer's key
/// cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A key file cannot be read or holds no usable key.
    #[error("key file {}: {reason}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An issuer's configuration is unusable.
    #[error("issuer {issuer}: {reason}")]
    Issuer {
        /// The issuer's `iss`.
        issuer: String,
        /// What is wrong.
        reason: String,
    },
    /// A client certificate mapping is unusable.
    #[error("client {subject}: {reason}")]
    Client {
        /// The client's `subject`.
        subject: String,
        /// What is wrong.
        reason: String,
    },
    /// Something else in `[identity]`.
    #[error("identity configuration: {0}")]
    Config(String),
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The request is incomplete or out of range.
    #[error("token request: {0}")]
    Request(String),
    /// Signing failed.
    #[error("token signing failed: {0}")]
    Signing(String),
}
