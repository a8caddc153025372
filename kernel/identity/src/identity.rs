//! What a verified credential says about its holder.

use serde::{Deserialize, Serialize};

/// The `issuer` of every identity that comes from a client certificate.
pub const MTLS_ISSUER: &str = "mtls";

/// Who a verified credential says the caller is. Role names are not
/// interpreted here: the kernel's core decides what a role may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `iss` of the token, or [`MTLS_ISSUER`] for a client certificate.
    pub issuer: String,
    /// `sub` of the token, or the configured name of a certificate's
    /// principal.
    pub subject: String,
    /// The role, e.g. `call-centre`.
    pub role: String,
    /// Region ids; empty for roles that are not region-scoped.
    pub regions: Vec<String>,
    /// The outlet id, for the outlet role.
    pub outlet: Option<String>,
    /// The person id, for the engineer role.
    pub person: Option<String>,
    /// Explicit permissions (partner systems), e.g. `orders.create`.
    pub permissions: Vec<String>,
    /// When the credential stops being valid, in unix seconds.
    pub expires_at: Option<i64>,
}
