//! The claims of our tokens: the standard ones and the `xingji` object. The
//! embedded issuer writes them; an external issuer must emit the same (e.g.
//! with Keycloak's hardcoded or user-attribute claim mappers).

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::AuthError;
use crate::identity::Identity;

/// A token's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenClaims {
    pub(crate) iss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sub: Option<String>,
    pub(crate) aud: Audience,
    #[serde(deserialize_with = "numeric_date")]
    pub(crate) exp: i64,
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) nbf: Option<i64>,
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) xingji: Option<XingjiClaim>,
}

/// `aud`: one audience or several.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The `xingji` claim: who the holder is to the kernel. Only `role` is
/// required; `regions` and `permissions` may be one string or a list
/// (an identity provider's single-valued attribute gives a string).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct XingjiClaim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(crate) regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outlet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) person: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(crate) permissions: Vec<String>,
}

impl TokenClaims {
    /// The identity these (verified) claims describe.
    pub(crate) fn into_identity(self) -> Result<Identity, AuthError> {
        let subject = self
            .sub
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::MissingClaim("sub"))?;
        let xingji = self.xingji.ok_or(AuthError::NoXingjiClaim)?;
        let role = xingji
            .role
            .filter(|r| !r.is_empty())
            .ok_or(AuthError::NoRole)?;
        Ok(Identity {
            issuer: self.iss,
            subject,
            role,
            regions: xingji.regions,
            outlet: xingji.outlet.filter(|o| !o.is_empty()),
            person: xingji.person.filter(|p| !p.is_empty()),
            permissions: xingji.permissions,
            expires_at: Some(self.exp),
        })
    }
}

/// A NumericDate: whole seconds, or a fraction of them (RFC 7519 allows
/// both), truncated.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| serde::de::Error::custom("not a time in unix seconds"))
}

fn optional_numeric_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    numeric_date(deserializer).map(Some)
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}
