//! The audit trail beyond the writes that carry their own events: denials,
//! appended on their own, and `ListAuditEvents` (`kernel.audit_trail()`)
//! for hq and each region's IT.

use xingji_api::v1::{AuditEvent, AuditOutcome, ListAuditEventsRequest, ListAuditEventsResponse};
use xingji_store::{AuditEventFilter, Page};

use crate::actor::Actor;
use crate::audit::event;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::paging::{ListRequest, enum_filter, page_size, text_filter};
use crate::permission::Permission;
use crate::validate::Violations;

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
