//! The `[identity]` section of the server's configuration. The binary
//! deserializes it (figment, from TOML); every field has a default, so an
//! absent section means: embedded issuer on, no external issuer, no client
//! certificates.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How credentials are checked.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Every token's `aud` must contain this.
    pub audience: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Our own issuer.
    pub embedded: EmbeddedConfig,
    /// External issuers (an OIDC identity provider, a partner's signer).
    pub issuers: Vec<IssuerConfig>,
    /// Client certificates and the identities they stand for.
    pub clients: Vec<ClientConfig>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            audience: "xingji".to_owned(),
            leeway_seconds: 30,
            embedded: EmbeddedConfig::default(),
            issuers: Vec::new(),
            clients: Vec::new(),
        }
    }
}

/// The embedded issuer: tokens signed with the deployment's own Ed25519 key.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// Trust the tokens it writes.
    pub enabled: bool,
    /// The `iss` of the tokens it writes.
    pub issuer: String,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            issuer: "xingji".to_owned(),
        }
    }
}

/// An external issuer: its `iss`, and where its public keys are.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The `iss` its tokens carry, compared exactly.
    pub issuer: String,
    /// PEM files of public keys (RSA, EC P-256/P-384, Ed25519), one or more
    /// keys a file. These keys have no key id: they may verify any token of
    /// this issuer whose algorithm fits them.
    #[serde(default)]
    pub public_key_files: Vec<PathBuf>,
    /// An OIDC JWKS document (`https://`; `http://` only to a loopback
    /// host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// How often the JWKS is fetched again, in seconds.
    #[serde(default = "default_jwks_refresh_seconds")]
    pub jwks_refresh_seconds: u64,
}

fn default_jwks_refresh_seconds() -> u64 {
    300
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            public_key_files: Vec::new(),
            jwks_url: None,
            jwks_refresh_seconds: default_jwks_refresh_seconds(),
        }
    }
}

/// A client certificate's principal. The certificate is chosen by its
/// subject common name, or one of its DNS or URI subject alternative names.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The CN, DNS name or URI the certificate carries (DNS names and CNs
    /// compared without regard to ASCII case, URIs exactly).
    pub subject: String,
    /// The role its identity has.
    pub role: String,
    /// The identity's subject: what logs and audits call this client.
    pub name: String,
    /// Region ids, for region-scoped roles.
    #[serde(default)]
    pub regions: Vec<String>,
    /// The outlet id, for the outlet role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    /// The person id, for the engineer role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Explicit permissions, e.g. `orders.create`.
    #[serde(default)]
    pub permissions: Vec<String>,
}
