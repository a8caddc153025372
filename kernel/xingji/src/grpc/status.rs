//! The kernel's errors as gRPC statuses, in Google's rich error model
//! (`google.rpc.Status` details, through tonic-types), so that a partner's
//! program can tell which field or record is at fault without parsing
//! messages. Every status is bounded in size: it travels back in the
//! response's trailers, which clients cap.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
use xingji_core::error::{Conflict, KernelError};

/// The `domain` of the `google.rpc.ErrorInfo` details this API returns.
pub const DOMAIN: &str = "xingji.v1";

/// The longest message a status carries; longer ones are cut. (The core
/// quotes request text in bounded form; this is the last guard.)
const MAX_MESSAGE: usize = 1024;

/// The status of a kernel error.
pub fn status(error: KernelError) -> Status {
    let message = bounded_message(&error.to_string());
    match error {
        KernelError::Invalid(violations) => Status::with_error_details(
            Code::InvalidArgument,
            message,
            ErrorDetails::with_bad_request(
                violations
                    .into_iter()
                    .map(|v| FieldViolation::new(v.field, v.description))
                    .collect::<Vec<_>>(),
            ),
        ),
        KernelError::NotFound(missing) => Status::with_error_details(
            Code::NotFound,
            message,
            ErrorDetails::with_resource_info(missing.kind, missing.name, "", missing.description),
        ),
        KernelError::Precondition {
            kind,
            subject,
            description,
        } => Status::with_error_details(
            Code::FailedPrecondition,
            message,
            ErrorDetails::with_precondition_failure_violation(kind, subject, description),
        ),
        KernelError::Conflict(Conflict::Version { current, .. }) => Status::with_error_details(
            Code::Aborted,
            message,
            ErrorDetails::with_error_info(
                "VERSION_MISMATCH",
                DOMAIN,
                [("current_version".to_owned(), current.to_string())],
            ),
        ),
        KernelError::Conflict(Conflict::Exists {
            kind,
            name,
            description,
            ..
        }) => Status::with_error_details(
            Code::AlreadyExists,
            message,
            ErrorDetails::with_resource_info(kind, name, "", description),
        ),
        KernelError::Conflict(Conflict::RequestReused { order_id, .. }) => {
            Status::with_error_details(
                Code::AlreadyExists,
                message,
                ErrorDetails::with_error_info(
                    "REQUEST_ID_REUSED",
                    DOMAIN,
                    [("order_id".to_owned(), order_id)],
                ),
            )
        }
        KernelError::Conflict(Conflict::Changed(_)) => Status::aborted(message),
        KernelError::Denied {
            actor,
            permission,
            target,
            ..
        } => Status::with_error_details(
            Code::PermissionDenied,
            message,
            ErrorDetails::with_error_info(
                "PERMISSION_MISSING",
                DOMAIN,
                [
                    ("principal".to_owned(), actor),
                    ("permission".to_owned(), permission.to_owned()),
                    ("target".to_owned(), target),
                ],
            ),
        ),
        KernelError::Unauthenticated(_) => Status::with_error_details(
            Code::Unauthenticated,
            message,
            ErrorDetails::with_error_info("CREDENTIAL_REFUSED", DOMAIN, []),
        ),
        KernelError::Plugin(failure) => Status::with_error_details(
            // The plugin's fault is a precondition of the region's set-up;
            // the host's is ours.
            if failure.host_fault {
                Code::Internal
            } else {
                Code::FailedPrecondition
            },
            message,
            ErrorDetails::with_error_info(
                "PLUGIN_FAILED",
                DOMAIN,
                [
                    ("plugin".to_owned(), failure.plugin),
                    ("version".to_owned(), failure.version),
                    ("region".to_owned(), failure.region),
                    ("slot".to_owned(), failure.slot.to_owned()),
                    ("cause".to_owned(), failure.cause.to_owned()),
                    ("message".to_owned(), bounded_message(&failure.message)),
                ],
            ),
        ),
        KernelError::PluginRejected {
            reason, metadata, ..
        } => Status::with_error_details(
            Code::FailedPrecondition,
            message,
            ErrorDetails::with_error_info(
                reason,
                DOMAIN,
                metadata
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect::<std::collections::HashMap<_, _>>(),
            ),
        ),
        KernelError::Exhausted(_) => Status::resource_exhausted(message),
        KernelError::PluginBusy(busy) => Status::with_error_details(
            Code::ResourceExhausted,
            message,
            ErrorDetails::with_error_info(
                "PLUGIN_CONCURRENCY_LIMIT",
                DOMAIN,
                [
                    ("plugin".to_owned(), busy.plugin),
                    ("region".to_owned(), busy.region),
                    ("slot".to_owned(), busy.slot.to_owned()),
                    ("scope".to_owned(), busy.scope.to_owned()),
                    ("limit".to_owned(), busy.limit.to_string()),
                ],
            ),
        ),
        KernelError::Overloaded(overloaded) => {
            let mut details = ErrorDetails::with_error_info(
                "OVERLOADED",
                DOMAIN,
                [
                    ("region".to_owned(), overloaded.region),
                    ("scope".to_owned(), overloaded.scope.to_owned()),
                    ("limit".to_owned(), overloaded.limit.to_string()),
                ],
            );
            details.set_retry_info(Some(overloaded.retry_after));
            Status::with_error_details(Code::ResourceExhausted, message, details)
        }
        KernelError::Unavailable(_) => Status::unavailable(message),
        KernelError::Internal(_) => Status::internal(message),
    }
}

/// The answer to an RPC: the core's result, its error as a status.
pub fn reply<T>(result: Result<T, KernelError>) -> Result<tonic::Response<T>, Status> {
    result.map(tonic::Response::new).map_err(status)
}

/// `message`, cut to [`MAX_MESSAGE`] bytes at a character boundary.
fn bounded_message(message: &str) -> String {
    if message.len() <= MAX_MESSAGE {
        return message.to_owned();
    }
    let mut end = MAX_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (cut)", &message[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_stay_small_whatever_the_request_quoted() {
        let huge = "x".repeat(3 << 20);
        let not_found = status(KernelError::not_found("order", &huge));
        assert_eq!(not_found.code(), Code::NotFound);
        assert!(not_found.message().len() < 200, "{}", not_found.message());
        assert!(not_found.details().len() < 300);
        let long = status(KernelError::Internal("y".repeat(100_000)));
        assert!(long.message().len() <= MAX_MESSAGE + 10);
    }

    #[test]
    fn a_refused_component_s_metadata_reaches_the_error_info() {
        use tonic_types::StatusExt;
        let refused = status(KernelError::PluginRejected {
            reason: "UNSUPPORTED_WIT_VERSION",
            message: "built for 0.3.0".into(),
            metadata: vec![("found", "0.3.0".into()), ("supported", "0.2.0".into())],
        });
        assert_eq!(refused.code(), Code::FailedPrecondition);
        let info = refused
            .get_details_error_info()
            .expect("ErrorInfo in the details");
        assert_eq!(info.reason, "UNSUPPORTED_WIT_VERSION");
        assert_eq!(
            info.metadata.get("found").map(String::as_str),
            Some("0.3.0")
        );
        assert_eq!(
            info.metadata.get("supported").map(String::as_str),
            Some("0.2.0")
        );
    }
}
