//! The audit trail, as the kernel writes and reads it: the event each write
//! hands the store (who, what, to which target, in which region, now),
//! which the store appends in the write's transaction and places in the
//! hash chain (`xingji_store::audit`); denials, appended on their own; and
//! `ListAuditEvents` (`kernel.audit_trail()`) for hq and each region's IT.

use xingji_api::v1::{AuditEvent, AuditOutcome, ListAuditEventsRequest, ListAuditEventsResponse};
use xingji_store::{AuditEventFilter, Page};

use crate::actor::Actor;
use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::paging::{ListRequest, enum_filter, page_size, text_filter};
use crate::permission::Permission;
use crate::validate::Violations;

/// The event of `actor` (an `Actor`, or the `role:name` one was
/// recorded as) doing `operation` (`<collection>.<verb>`, e.g.
/// `orders.accept`) to `target` (`orders/<id>`) in `region` (`""` when
/// global), done now. Refusals set `outcome` and `detail` on it.
pub fn event(
    actor: &impl std::fmt::Display,
    operation: &str,
    target: String,
    region: &str,
) -> AuditEvent {
    AuditEvent {
        time: Some(now()),
        principal: actor.to_string(),
        operation: operation.to_owned(),
        target,
        region: region.to_owned(),
        outcome: AuditOutcome::Ok as i32,
        ..AuditEvent::default()
    }
}

/// The audit trail of a kernel.
#[derive(Clone, Copy)]
pub struct AuditTrail<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// The audit trail.
    pub fn audit_trail(&self) -> AuditTrail<'_> {
        AuditTrail { kernel: self }
    }

    /// Appends to the audit trail that `actor` was denied `rpc`, if
    /// `answer` is a denial. A denial changes nothing, so it is appended on
    /// its own; if that fails the denial still stands, and the log has it.
    pub async fn record_denial<T>(&self, actor: &Actor, rpc: &str, answer: &Result<T>) {
        let Err(KernelError::Denied {
            permission,
            target,
            region,
            reason,
            ..
        }) = answer
        else {
            return;
        };
        let denied = AuditEvent {
            outcome: AuditOutcome::Denied as i32,
            detail: format!("{rpc}: {reason}"),
            ..event(actor, permission, target.clone(), region)
        };
        if let Err(error) = self.store.append_audit(denied).await {
            tracing::error!(%actor, rpc, permission, %error, "the denial could not be audited");
        }
    }
}

impl AuditTrail<'_> {
    /// `ListAuditEvents`: one page, oldest first — of every region for hq,
    /// of its own regions for regional IT.
    pub async fn list(
        &self,
        actor: &Actor,
        request: ListAuditEventsRequest,
    ) -> Result<ListAuditEventsResponse> {
        let regions = self
            .kernel
            .list_regions(actor, Permission::AuditTrailRead, &request.region)
            .await?;
        let mut violations = Violations::default();
        let outcome = enum_filter::<AuditOutcome>(&mut violations, "outcome", request.outcome);
        for (field, time) in [("since", &request.since), ("until", &request.until)] {
            if let Some(time) = time {
                violations.time(field, time);
            }
        }
        violations.into_result()?;
        let filter = AuditEventFilter {
            regions,
            principal: text_filter(&request.principal),
            operation: text_filter(&request.operation),
            outcome,
            since: request.since,
            until: request.until,
        };
        let limit = page_size(request.page_size)?;
        let tokens = &self.kernel.tokens;
        let scope = request.filters();
        let after = tokens.open(&scope, &request.page_token)?;
        let page = Page {
            after,
            limit: limit + 1,
        };
        let mut events = self
            .kernel
            .store
            .list_audit_events(&filter, &page)
            .await
            .map_err(|error| KernelError::store(error, "audit event", ""))?;
        let next_page_token = if events.len() > limit as usize {
            events.truncate(limit as usize);
            events
                .last()
                .map(|e| tokens.issue(&scope, &e.seq.to_string()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListAuditEventsResponse {
            events,
            next_page_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_names_who_what_and_where_now() {
        let before = now();
        let event = event(
            &crate::actor::Actor::new(crate::actor::Role::CallCentre, "07", &[]),
            "orders.accept",
            "orders/ord_1".into(),
            "shanghai",
        );
        assert_eq!(event.principal, "call-centre:07");
        assert_eq!(event.operation, "orders.accept");
        assert_eq!(event.target, "orders/ord_1");
        assert_eq!(event.region, "shanghai");
        assert_eq!(event.outcome(), AuditOutcome::Ok);
        assert!(
            event
                .time
                .is_some_and(|time| time.seconds >= before.seconds)
        );
        assert_eq!(
            (event.seq, event.hash.as_str()),
            (0, ""),
            "the store's to set"
        );
    }
}
