//! Who calls in the access tests: tokens of the test issuer for principals
//! that act in the regions a test gives them (the harness's `acting` gives
//! region roles every test region), and how a denial reads.

use std::time::Duration;

use tonic::{Code, Status};
use xingji_identity::{EmbeddedIssuer, TokenRequest};
use xingji_tests::{PARTNER_PERMISSIONS, error_info, test_key_pem};

/// The issuer every test server trusts, as a test signs with it.
pub fn issuer() -> EmbeddedIssuer {
    EmbeddedIssuer::from_pem(test_key_pem(), "xingji").expect("the test issuer")
}

/// A principal of the test: its `role:name` as the kernel names it, and a
/// token for it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub role: &'static str,
    /// `role:name`, as denials and the audit trail name it.
    pub name: String,
    pub token: String,
}

/// A principal of `role` named `subject` acting in `regions`: for an outlet
/// or an engineer the subject is the record's id and the regions are the
/// record's (the token names none); a partner holds the harness's
/// [`PARTNER_PERMISSIONS`].
pub fn principal(role: &'static str, subject: &str, regions: &[&str]) -> Principal {
    let permissions: &[&str] = if role == "partner" {
        PARTNER_PERMISSIONS
    } else {
        &[]
    };
    signed(role, subject, regions, permissions)
}

/// A partner system named `subject` acting in `regions` with exactly
/// `permissions`.
pub fn partner(subject: &str, regions: &[&str], permissions: &[&str]) -> Principal {
    signed("partner", subject, regions, permissions)
}

fn signed(role: &'static str, subject: &str, regions: &[&str], permissions: &[&str]) -> Principal {
    let permissions = permissions.iter().map(|p| (*p).to_owned()).collect();
    let regions = match role {
        "hq" | "outlet" | "engineer" => Vec::new(),
        _ => regions.iter().map(|r| (*r).to_owned()).collect(),
    };
    let token = issuer()
        .issue(TokenRequest {
            subject: subject.to_owned(),
            role: role.to_owned(),
            regions,
            permissions,
            ttl: Duration::from_secs(3600),
            audience: "xingji".to_owned(),
            ..TokenRequest::default()
        })
        .expect("a test token");
    Principal {
        role,
        name: format!("{role}:{subject}"),
        token,
    }
}

/// What a denial says: PERMISSION_DENIED with ErrorInfo reason
/// `PERMISSION_MISSING`, and its `principal`, `permission` and `target`;
/// `Err` saying what `status` is instead.
pub fn denial(status: &Status) -> Result<(String, String, String), String> {
    if status.code() != Code::PermissionDenied {
        return Err(format!("{:?}: {}", status.code(), status.message()));
    }
    let details = tonic_types::StatusExt::get_error_details(status);
    let Some(info) = details.error_info() else {
        return Err(format!(
            "PERMISSION_DENIED without ErrorInfo: {}",
            status.message()
        ));
    };
    if info.reason != "PERMISSION_MISSING" {
        return Err(format!("PERMISSION_DENIED with reason {}", info.reason));
    }
    let (_, metadata) = error_info(status);
    let field = |key: &str| metadata.get(key).cloned().unwrap_or_default();
    Ok((field("principal"), field("permission"), field("target")))
}
