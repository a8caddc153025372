//! Why a client command failed, worded for the person who typed it.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Which flag (or positional argument) of a command sets each field of its
/// request: (field path or a prefix of it, flag). A flag may be written
/// `--lat/--lon` when two set one field, or `<ID>` for a positional.
pub type FieldFlags = &'static [(&'static str, &'static str)];

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command could not be sent, or its answer not printed.
    #[error("{0}")]
    Usage(String),
    /// The server refused it. `flags` names the flag of each request field,
    /// for the fields a `google.rpc.BadRequest` blames.
    #[error("{}", describe(.status, .flags))]
    Refused {
        /// The server's answer.
        status: Status,
        /// The command's field-to-flag table.
        flags: FieldFlags,
    },
}

impl From<Status> for ClientError {
    fn from(status: Status) -> Self {
        ClientError::Refused { status, flags: &[] }
    }
}

impl ClientError {
    /// The same error, naming fields by the flags of `flags`; for the
    /// dispatcher, which knows the command.
    pub fn with_flags(self, flags: FieldFlags) -> Self {
        match self {
            ClientError::Refused { status, .. } => ClientError::Refused { status, flags },
            usage => usage,
        }
    }
}

/// A status with its details, one per line, for people.
fn describe(status: &Status, flags: FieldFlags) -> String {
    let details = status.get_error_details();
    let violations = details
        .bad_request()
        .map(|bad| bad.field_violations.as_slice())
        .unwrap_or_default();
    let mut text = if status.code() == Code::InvalidArgument && !violations.is_empty() {
        // The message lists the same fields by their proto paths; a CLI
        // user needs the flag that sets each.
        let blamed: Vec<String> = violations
            .iter()
            .map(|v| match flag_for(flags, &v.field) {
                Some(flag) => format!("{flag} ({}): {}", v.field, v.description),
                None => format!("{}: {}", v.field, v.description),
            })
            .collect();
        format!("{:?}: {}", status.code(), blamed.join("; "))
    } else {
        format!("{:?}: {}", status.code(), status.message())
    };
    if let Some(failure) = details.precondition_failure() {
        for violation in &failure.violations {
            text.push_str(&format!(
                "\n  {} [{}]: {}",
                violation.subject, violation.r#type, violation.description
            ));
        }
    }
    if let Some(info) = details.error_info() {
        text.push_str(&format!("\n  reason: {} {:?}", info.reason, info.metadata));
    }
    text
}

/// The flag of the longest prefix in `flags` of the field path `field`: a
/// prefix matches whole path segments (`order.customer.location` matches
/// `order.customer.location.lat` and `dates` matches `dates[2]`, but `note`
/// does not match `notes`).
pub fn flag_for(flags: FieldFlags, field: &str) -> Option<&'static str> {
    flags
        .iter()
        .filter(|(prefix, _)| {
            field
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|&(_, flag)| flag)
}

#[cfg(test)]
mod tests {
    use tonic_types::{ErrorDetails, FieldViolation};

    use super::*;

    const FLAGS: FieldFlags = &[
        ("order.customer.location", "--lat/--lon"),
        ("order.customer.location.lat", "--lat"),
        ("order.appliance.purchase_date", "--purchase-date"),
        ("dates", "--date"),
        ("note", "--note"),
    ];

    #[test]
    fn the_longest_whole_segment_prefix_names_the_flag() {
        assert_eq!(
            flag_for(FLAGS, "order.customer.location.lat"),
            Some("--lat")
        );
        assert_eq!(
            flag_for(FLAGS, "order.customer.location.lon"),
            Some("--lat/--lon")
        );
        assert_eq!(
            flag_for(FLAGS, "order.customer.location"),
            Some("--lat/--lon")
        );
        assert_eq!(flag_for(FLAGS, "dates[3]"), Some("--date"));
        assert_eq!(flag_for(FLAGS, "notes"), None);
        assert_eq!(flag_for(FLAGS, "order.customer"), None);
    }

    #[test]
    fn a_bad_request_names_flags_and_keeps_paths_without_one() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "invalid request: …",
            ErrorDetails::with_bad_request(vec![
                FieldViolation::new("order.appliance.purchase_date", "2023-2-30 is not a date"),
                FieldViolation::new("order.appliance.price_fen", "must not be negative"),
            ]),
        );
        let error = ClientError::from(status).with_flags(FLAGS);
        assert_eq!(
            error.to_string(),
            "InvalidArgument: --purchase-date (order.appliance.purchase_date): 2023-2-30 is not a date; \
             order.appliance.price_fen: must not be negative"
        );
    }

    #[test]
    fn other_statuses_print_their_message() {
        let error =
            ClientError::from(Status::not_found("no order with id \"x\"")).with_flags(FLAGS);
        assert_eq!(error.to_string(), "NotFound: no order with id \"x\"");
    }
}
