//! gRPC errors in Google's rich error model (`google.rpc.Status` details,
//! through tonic-types), so that a partner's program can tell which field or
//! record is at fault without parsing messages.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
use xingji_store::StoreError;

/// The `domain` of the `google.rpc.ErrorInfo` details this API returns.
pub const DOMAIN: &str = "xingji.v1";

/// `INVALID_ARGUMENT`, with a `google.rpc.BadRequest` listing every violation.
pub fn invalid(violations: Vec<FieldViolation>) -> Status {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {message}"),
        ErrorDetails::with_bad_request(violations),
    )
}

/// `INVALID_ARGUMENT` for one field.
pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Status {
    invalid(vec![FieldViolation::new(field, description)])
}

/// `NOT_FOUND`, with a `google.rpc.ResourceInfo` naming the record.
pub fn not_found(kind: &str, id: &str) -> Status {
    Status::with_error_details(
        Code::NotFound,
        format!("no {kind} with id {id:?}"),
        ErrorDetails::with_resource_info(kind, id, "", "not found"),
    )
}

/// `FAILED_PRECONDITION`, with a `google.rpc.PreconditionFailure`.
/// `kind` is the violation type, such as `REGION`; `subject` the field.
pub fn failed_precondition(kind: &str, subject: &str, description: impl Into<String>) -> Status {
    let description = description.into();
    Status::with_error_details(
        Code::FailedPrecondition,
        format!("{subject}: {description}"),
        ErrorDetails::with_precondition_failure_violation(kind, subject, description),
    )
}

/// Maps a store failure on the record `kind` / `id` to a status.
pub fn from_store(error: StoreError, kind: &str, id: &str) -> Status {
    match error {
        StoreError::NotFound => not_found(kind, id),
        StoreError::AlreadyExists(what) => Status::with_error_details(
            Code::AlreadyExists,
            format!("{what} already exists"),
            ErrorDetails::with_resource_info(kind, id, "", format!("{what} already exists")),
        ),
        StoreError::VersionMismatch { current } => version_mismatch(kind, id, current),
        StoreError::Quota { used, limit } => Status::resource_exhausted(format!(
            "{kind} {id:?}: quota exceeded: {used} bytes, the limit is {limit}"
        )),
        error @ (StoreError::Corrupt { .. } | StoreError::Backend(_)) => {
            tracing::error!(%error, kind, id, "store failure");
            Status::internal(format!("storage failure on {kind} {id:?}"))
        }
    }
}

/// `ABORTED`: the record changed since the client read it.
pub fn version_mismatch(kind: &str, id: &str, current: i64) -> Status {
    Status::with_error_details(
        Code::Aborted,
        format!(
            "{kind} {id:?} changed since it was read: it is now at version {current}; read it again and retry"
        ),
        ErrorDetails::with_error_info(
            "VERSION_MISMATCH",
            DOMAIN,
            [("current_version".to_owned(), current.to_string())],
        ),
    )
}

/// `PERMISSION_DENIED`: `actor` may not `action`; `who` says who may. The
/// `google.rpc.ErrorInfo` (reason ACTOR_NOT_ALLOWED) carries all three.
pub fn permission_denied(actor: &str, action: &str, who: &str) -> Status {
    Status::with_error_details(
        Code::PermissionDenied,
        format!(
            "{actor:?} may not do this ({action}): {who} may; say who you are in the `xingji-actor` metadata as <role>:<name>"
        ),
        ErrorDetails::with_error_info(
            "ACTOR_NOT_ALLOWED",
            DOMAIN,
            [
                ("actor".to_owned(), actor.to_owned()),
                ("action".to_owned(), action.to_owned()),
                ("allowed".to_owned(), who.to_owned()),
            ],
        ),
    )
}
