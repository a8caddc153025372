//! The transitions that only check their own fields and move the order:
//! accept, refuse (and dispatch again), contact, arrive, callbacks, quality
//! control, cancel and invalidate.

use xingji_api::v1::{
    AcceptOrderRequest, ArriveOnSiteRequest, Callback, CancelOrderRequest, CheckQualityRequest,
    ContactCustomerRequest, InvalidateOrderRequest, Order, QualityControl, RecordCallbackRequest,
    Refusal, RefuseOrderRequest, RefusedBy,
};

use crate::actor::{Actor, Role};
use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::orders::lifecycle::Step;
use crate::orders::write::{Orders, present};
use crate::validate::{MAX_DESCRIPTION, MAX_REASON, Violations};

/// How far in the past an appointment may be, for clock skew.
const APPOINTMENT_SKEW_SECONDS: i64 = 300;
/// How far ahead an appointment may be.
const MAX_APPOINTMENT_DAYS: i64 = 30;

impl Orders<'_> {
    /// `AcceptOrder`: the outlet takes the order.
    pub async fn accept(&self, actor: &Actor, request: AcceptOrderRequest) -> Result<Order> {
        self.transition(&request.id, request.version, Step::Accept, actor, |_| {
            Ok(String::new())
        })
        .await
        .map(|order| present(actor, order))
    }

    /// `RefuseOrder`: the outlet or the engineer turns the order down; it
    /// is dispatched again at once, skipping whoever refused.
    pub async fn refuse(&self, actor: &Actor, request: RefuseOrderRequest) -> Result<Order> {
        let RefuseOrderRequest {
            id,
            version,
            reason,
            by,
        } = request;
        let mut violations = Violations::default();
        violations.text("reason", &reason, 1, MAX_REASON);
        violations.enumeration::<RefusedBy>("by", by, false);
        violations.into_result()?;
        if actor.role() == Some(Role::Engineer) && RefusedBy::try_from(by) == Ok(RefusedBy::Outlet)
        {
            return Err(KernelError::invalid(
                "by",
                "an engineer refuses for themselves (REFUSED_BY_ENGINEER); the outlet refuses for the outlet",
            ));
        }
        let refused = self
            .transition(&id, version, Step::Refuse, actor, |order| {
                order.refusals.push(Refusal {
                    time: Some(now()),
                    by,
                    outlet_id: std::mem::take(&mut order.outlet_id),
                    engineer_id: std::mem::take(&mut order.engineer_id),
                    reason: reason.clone(),
                });
                Ok(reason.clone())
            })
            .await?;
        // The refusal stands on its own: if dispatching again fails, the
        // order waits in intake, and the failure is on its history.
        self.dispatch_or_wait(refused)
            .await
            .map(|order| present(actor, order))
    }

    /// `ContactCustomer`: an appointment is agreed with the customer.
    pub async fn contact(&self, actor: &Actor, request: ContactCustomerRequest) -> Result<Order> {
        let ContactCustomerRequest {
            id,
            version,
            appointment_time,
            note,
        } = request;
        let mut violations = Violations::default();
        violations.text("note", &note, 0, MAX_REASON);
        let now = now();
        match appointment_time {
            None => violations.add("appointment_time", "is required"),
            Some(time) if !violations.time("appointment_time", &time) => {}
            Some(time) if time.seconds < now.seconds - APPOINTMENT_SKEW_SECONDS => {
                violations.add("appointment_time", "must not be in the past")
            }
            Some(time) if time.seconds > now.seconds + MAX_APPOINTMENT_DAYS * 86_400 => violations
                .add(
                    "appointment_time",
                    format!("must be at most {MAX_APPOINTMENT_DAYS} days ahead"),
                ),
            Some(_) => {}
        }
        violations.into_result()?;
        self.transition(&id, version, Step::Contact, actor, |order| {
            order.appointment_time = appointment_time;
            Ok(note)
        })
        .await
        .map(|order| present(actor, order))
    }

    /// `ArriveOnSite`: the engineer is at the customer's.
    pub async fn arrive(&self, actor: &Actor, request: ArriveOnSiteRequest) -> Result<Order> {
        self.transition(&request.id, request.version, Step::Arrive, actor, |_| {
            Ok(String::new())
        })
        .await
        .map(|order| present(actor, order))
    }

    /// `RecordCallback`: one call to the customer after completion.
    pub async fn record_callback(
        &self,
        actor: &Actor,
        request: RecordCallbackRequest,
    ) -> Result<Order> {
        let RecordCallbackRequest {
            id,
            version,
            callback,
        } = request;
        let Some(callback) = callback else {
            return Err(KernelError::invalid("callback", "is required"));
        };
        let mut violations = Violations::default();
        violations.text("callback.note", &callback.note, 0, MAX_REASON);
        if callback.satisfied && !callback.reached {
            violations.add(
                "callback.satisfied",
                "needs `reached`: only a customer reached can be satisfied",
            );
        }
        violations.into_result()?;
        let regions = &self.kernel.regions;
        self.transition(&id, version, Step::Callback, actor, |order| {
            let attempts = regions.settings(&order.region).orders.callback_attempts;
            let qc = order.quality_control.get_or_insert_with(QualityControl::default);
            if qc.callbacks.len() >= attempts as usize {
                return Err(KernelError::precondition(
                    "CALLBACKS",
                    "callback",
                    format!("all {attempts} callback attempts are used: close quality control with CheckQuality"),
                ));
            }
            let reason = match (callback.reached, callback.satisfied) {
                (false, _) => "customer not reached",
                (true, true) => "customer satisfied",
                (true, false) => "customer not satisfied",
            };
            qc.callbacks.push(Callback {
                time: Some(now()),
                ..callback
            });
            Ok(reason.to_owned())
        })
        .await
        .map(|order| present(actor, order))
    }

    /// `CheckQuality`: quality control closes the completed order.
    pub async fn check_quality(
        &self,
        actor: &Actor,
        request: CheckQualityRequest,
    ) -> Result<Order> {
        let CheckQualityRequest {
            id,
            version,
            old_part_returned,
            finding,
            finding_agreed,
        } = request;
        let mut violations = Violations::default();
        violations.text("finding", &finding, 0, MAX_DESCRIPTION);
        violations.into_result()?;
        let regions = &self.kernel.regions;
        self.transition(&id, version, Step::CheckQuality, actor, |order| {
            let attempts = regions.settings(&order.region).orders.callback_attempts;
            let due_back = order
                .service_report
                .as_ref()
                .is_some_and(|r| r.parts.iter().any(|p| p.old_part_due_return));
            if old_part_returned && !due_back {
                return Err(KernelError::precondition(
                    "PARTS",
                    "old_part_returned",
                    "no part of this order was due back to the warehouse",
                ));
            }
            let qc = order.quality_control.get_or_insert_with(QualityControl::default);
            let reached = qc.callbacks.iter().any(|c| c.reached);
            if !reached && qc.callbacks.len() < attempts as usize {
                return Err(KernelError::precondition(
                    "CALLBACKS",
                    "id",
                    format!(
                        "the customer was not reached yet, {} of {attempts} callback attempts made: record a callback first",
                        qc.callbacks.len()
                    ),
                ));
            }
            qc.old_part_returned = old_part_returned;
            qc.finding = finding;
            qc.finding_agreed = finding_agreed;
            let satisfied = qc.callbacks.iter().any(|c| c.satisfied);
            Ok(format!(
                "callback {}, old part {}, finding {}",
                if satisfied { "satisfied" } else { "not satisfied" },
                match (due_back, old_part_returned) {
                    (false, _) => "not due",
                    (true, true) => "returned",
                    (true, false) => "not returned",
                },
                if finding_agreed { "agreed" } else { "not agreed" }
            ))
        })
        .await
        .map(|order| present(actor, order))
    }

    /// `CancelOrder`: the customer withdrew an open order.
    pub async fn cancel(&self, actor: &Actor, request: CancelOrderRequest) -> Result<Order> {
        self.end(
            &request.id,
            request.version,
            Step::Cancel,
            actor,
            request.reason,
        )
        .await
    }

    /// `InvalidateOrder`: an open order was a duplicate or a false request.
    pub async fn invalidate(
        &self,
        actor: &Actor,
        request: InvalidateOrderRequest,
    ) -> Result<Order> {
        self.end(
            &request.id,
            request.version,
            Step::Invalidate,
            actor,
            request.reason,
        )
        .await
    }

    /// Ends an open order (cancelled or invalid) with a required reason.
    async fn end(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
        reason: String,
    ) -> Result<Order> {
        let mut violations = Violations::default();
        violations.text("reason", &reason, 1, MAX_REASON);
        violations.into_result()?;
        self.transition(id, version, step, actor, |_| Ok(reason))
            .await
            .map(|order| present(actor, order))
    }
}
