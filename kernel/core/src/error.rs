//! The kernel's error: what went wrong with a request, in terms a partner's
//! program can act on, and nothing of how it travels. The gRPC adapters map
//! each variant to a status code and Google's rich error details
//! (`xingji::grpc::status`); the variants carry exactly what those details
//! need.
//!
//! Every text an error quotes from the request goes through [`quoted`], so an
//! error never echoes unbounded input back to the caller.

use std::fmt;

use xingji_store::StoreError;

/// One field of a request that is wrong, and why. `field` is the field's
/// path from the request (`order.customer.location.lat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum KernelError {
    /// The request itself is wrong: every field at fault (`INVALID_ARGUMENT`).
    Invalid(Vec<FieldViolation>),
    /// A record, or a region, that does not exist (`NOT_FOUND`).
    NotFound(Missing),
    /// The request is well-formed but the records are not in a state that
    /// allows it (`FAILED_PRECONDITION`). `kind` is the violation type, such as
    /// `STATUS` or `REGION`; `subject` the field it is about.
    Precondition {
        /// The violation type.
        kind: &'static str,
        /// The field or thing it is about.
        subject: String,
        /// What is wrong, and what would do.
        description: String,
    },
    /// Someone else's write came first, or the thing exists already.
    Conflict(Conflict),
    /// No credential, or one that does not hold (`UNAUTHENTICATED`).
    Unauthenticated(String),
    /// The principal may not do this (`PERMISSION_DENIED`).
    Denied {
        /// Who asked.
        actor: String,
        /// The permission it needed.
        permission: &'static str,
        /// What it asked to act on (`orders/ord_…`, `regions/shanghai`).
        target: String,
        /// The target's region (empty when it has none, or none is known).
        region: String,
        /// Why not, and who may.
        reason: String,
    },
    /// A plugin call failed: the plugin's fault or the host's.
    Plugin(Box<PluginFailure>),
    /// A component was refused at install; `reason` is a stable code such as
    /// `FORBIDDEN_IMPORT`.
    PluginRejected {
        /// The stable code.
        reason: &'static str,
        /// What to change.
        message: String,
        /// What a client can act on without parsing the message, as
        /// `ErrorInfo` metadata (`found` and `supported` for a WIT version).
        metadata: Vec<(&'static str, String)>,
    },
    /// A quota is used up (`RESOURCE_EXHAUSTED`).
    Exhausted(String),
    /// A plugin call refused because as many calls as allowed are running
    /// (`RESOURCE_EXHAUSTED`): the region's cap in the slot, or the
    /// kernel's for all plugin calls.
    PluginBusy(Box<PluginBusy>),
    /// As many calls as admission allows are in progress, in the region or
    /// in all (`RESOURCE_EXHAUSTED`, with a retry delay).
    Overloaded(Box<Overloaded>),
    /// The kernel cannot serve this now, such as while shutting down
    /// (`UNAVAILABLE`).
    Unavailable(String),
    /// The kernel failed (`INTERNAL`); details are in its log, not here.
    Internal(String),
}

/// A call refused by admission control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overloaded {
    /// The call's region.
    pub region: String,
    /// Whose cap was reached: `region`, `kernel`, or `principal` (its rate;
    /// `limit` is then its burst).
    pub scope: &'static str,
    /// That cap.
    pub limit: u32,
    /// How long to wait before trying again.
    pub retry_after: std::time::Duration,
}

/// A record that is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The kind of record: `order`, `region`, …
    pub kind: &'static str,
    /// Its id or name, bounded (see [`quoted`]).
    pub name: String,
    /// The error's message.
    pub message: String,
    /// A line for the resource details.
    pub description: String,
}

/// A write that lost to another, or a thing that exists already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// The record changed since it was read (`ABORTED`).
    Version {
        /// The kind of record.
        kind: &'static str,
        /// Its id.
        id: String,
        /// The version stored now.
        current: i64,
    },
    /// A unique name is taken (`ALREADY_EXISTS`).
    Exists {
        /// The kind of record.
        kind: &'static str,
        /// The name that is taken.
        name: String,
        /// The error's message.
        message: String,
        /// A line for the resource details.
        description: String,
    },
    /// A `CreateOrder` request id already made a different order
    /// (`ALREADY_EXISTS`).
    RequestReused {
        /// The request id, bounded.
        request_id: String,
        /// The order it made.
        order_id: String,
    },
    /// Records changed during a long operation, which wrote nothing
    /// (`ABORTED`).
    Changed(String),
}

/// A plugin call that failed, named well enough for regional IT to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFailure {
    /// The plugin's name.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// The region it ran for.
    pub region: String,
    /// Its slot.
    pub slot: &'static str,
    /// A stable code for the cause (`DEADLINE_EXCEEDED`, `PANIC`, …).
    pub cause: &'static str,
    /// The cause in words.
    pub message: String,
    /// Whether the host, not the plugin, is at fault.
    pub host_fault: bool,
}

/// A plugin call refused for a cap on calls running at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginBusy {
    /// The plugin it would have called, `name@version`.
    pub plugin: String,
    /// The region it was for.
    pub region: String,
    /// Its slot.
    pub slot: &'static str,
    /// Which cap: `region-slot` (the region's in the slot) or `kernel`
    /// (every plugin call of the kernel: its instance pool).
    pub scope: &'static str,
    /// The cap.
    pub limit: usize,
}

/// A shorthand for the kernel's results.
pub type Result<T, E = KernelError> = std::result::Result<T, E>;

impl KernelError {
    /// `INVALID_ARGUMENT` for one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        KernelError::Invalid(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    /// `NOT_FOUND` for the record `kind` with `id`.
    pub fn not_found(kind: &'static str, id: &str) -> Self {
        KernelError::NotFound(Missing {
            kind,
            name: bounded(id),
            message: format!("no {kind} with id {}", quoted(id)),
            description: "not found".to_owned(),
        })
    }

    /// `FAILED_PRECONDITION`.
    pub fn precondition(
        kind: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        KernelError::Precondition {
            kind,
            subject: subject.into(),
            description: description.into(),
        }
    }

    /// `ABORTED`: the record changed since the client read it.
    pub fn version_mismatch(kind: &'static str, id: &str, current: i64) -> Self {
        KernelError::Conflict(Conflict::Version {
            kind,
            id: bounded(id),
            current,
        })
    }

    /// `PERMISSION_DENIED`: `actor` lacks `permission` on `target` (of
    /// `region`), for `reason`.
    pub fn denied(
        actor: &impl fmt::Display,
        permission: &'static str,
        (target, region): (String, &str),
        reason: String,
    ) -> Self {
        KernelError::Denied {
            actor: bounded(&actor.to_string()),
            permission,
            target: bounded(&target),
            region: bounded(region),
            reason,
        }
    }

    /// A store failure on the record `kind` / `id`, as the kernel's error.
    /// Failures of the database itself are logged here and reach the
    /// caller only as `INTERNAL`.
    pub fn store(error: StoreError, kind: &'static str, id: &str) -> Self {
        match error {
            StoreError::NotFound => KernelError::not_found(kind, id),
            StoreError::AlreadyExists(what) => KernelError::Conflict(Conflict::Exists {
                kind,
                name: bounded(id),
                message: format!("{what} already exists"),
                description: format!("{what} already exists"),
            }),
            StoreError::VersionMismatch { current } => {
                KernelError::version_mismatch(kind, id, current)
            }
            StoreError::Quota { used, limit } => KernelError::Exhausted(format!(
                "{kind} {}: quota exceeded: {used} bytes, the limit is {limit}",
                quoted(id)
            )),
            // The database is away (a lost connection, a failover): the
            // caller may retry, and nothing unacknowledged was written.
            StoreError::Unavailable(why) => {
                tracing::warn!(why, kind, id = %bounded(id), "store unavailable");
                KernelError::Unavailable(format!(
                    "storage unavailable on {kind} {}: try again",
                    quoted(id)
                ))
            }
            error @ (StoreError::Corrupt { .. } | StoreError::Backend(_)) => {
                tracing::error!(%error, kind, id = %bounded(id), "store failure");
                KernelError::Internal(format!("storage failure on {kind} {}", quoted(id)))
            }
        }
    }
}

impl fmt::Display for KernelError {
    /// The error's message, as the status message carries it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Invalid(violations) => {
                f.write_str("invalid request: ")?;
                for (i, v) in violations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}: {}", v.field, v.description)?;
                }
                Ok(())
            }
            KernelError::NotFound(missing) => f.write_str(&missing.message),
            KernelError::Precondition {
                subject,
                description,
                ..
            } => write!(f, "{subject}: {description}"),
            KernelError::Conflict(Conflict::Version { kind, id, current }) => write!(
                f,
                "{kind} {id:?} changed since it was read: it is now at version {current}; read it again and retry"
            ),
            KernelError::Conflict(Conflict::Exists { message, .. }) => f.write_str(message),
            KernelError::Conflict(Conflict::RequestReused {
                request_id,
                order_id,
            }) => write!(
                f,
                "request_id {request_id:?} already made order {order_id:?} from a different request: use a new request_id for a new order"
            ),
            KernelError::Conflict(Conflict::Changed(message)) => f.write_str(message),
            KernelError::Denied {
                actor,
                permission,
                target,
                reason,
                ..
            } => write!(
                f,
                "{actor:?} may not do this ({permission} on {target}): {reason}"
            ),
            KernelError::Unauthenticated(message) => f.write_str(message),
            KernelError::Plugin(failure) => write!(
                f,
                "plugin {}@{} ({} slot, region {}) failed: {}",
                failure.plugin, failure.version, failure.slot, failure.region, failure.message
            ),
            KernelError::PluginRejected { message, .. } => write!(f, "plugin rejected: {message}"),
            KernelError::PluginBusy(busy) if busy.scope == "kernel" => write!(
                f,
                "plugin {} ({} slot, region {}) not called: the kernel already runs {} plugin calls, its most at once; retry shortly",
                busy.plugin, busy.slot, busy.region, busy.limit
            ),
            KernelError::PluginBusy(busy) => write!(
                f,
                "plugin {} not called: region {} already runs {} {} calls, its most at once ([plugins] max_concurrent_calls, or regions.{}.limits.{}.concurrency); retry shortly",
                busy.plugin, busy.region, busy.limit, busy.slot, busy.region, busy.slot
            ),
            KernelError::Overloaded(overloaded) if overloaded.scope == "kernel" => write!(
                f,
                "not admitted: the kernel already has {} order calls in progress, its most at once ([admission] max_in_flight); retry after {} ms",
                overloaded.limit,
                overloaded.retry_after.as_millis()
            ),
            KernelError::Overloaded(overloaded) if overloaded.scope == "principal" => write!(
                f,
                "not admitted: this principal's rate ([admission.principals], a burst of {}) is used up; retry after {} ms",
                overloaded.limit,
                overloaded.retry_after.as_millis()
            ),
            KernelError::Overloaded(overloaded) => write!(
                f,
                "not admitted: region {} already has {} order calls in progress, its share now ([admission] max_in_flight_per_region, split while other regions are busy); retry after {} ms",
                overloaded.region,
                overloaded.limit,
                overloaded.retry_after.as_millis()
            ),
            KernelError::Exhausted(message)
            | KernelError::Unavailable(message)
            | KernelError::Internal(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for KernelError {}

/// The most characters of a request's text an error quotes.
pub const QUOTE_CHARS: usize = 64;

/// `text` for an error to name: whole if short, else its first
/// [`QUOTE_CHARS`] characters and how long it was. Errors travel back in
/// the response's trailers, which clients bound (8 KiB by default): an
/// error that repeated a huge id would never reach its caller.
pub fn bounded(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
    }
}

/// [`bounded`] `text`, in quotes as `{:?}` would print it.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_bounded() {
        assert_eq!(quoted("ord_1"), "\"ord_1\"");
        let huge = "x".repeat(8000);
        let q = quoted(&huge);
        assert!(q.len() < 100, "{q}");
        assert!(q.ends_with("… (8000 bytes)"), "{q}");
        let wide = "星".repeat(100);
        assert_eq!(bounded(&wide).chars().filter(|c| *c == '星').count(), 64);
        let message = KernelError::not_found("order", &huge).to_string();
        assert!(message.len() < 120, "{message}");
    }
}
