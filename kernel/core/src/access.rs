//! Who may do what: every rule that depends on the actor, in one place.
//! Until authentication binds the actor to a credential the actor is the
//! caller's word; these are the rules authentication will enforce.
//! `hq:` may do everything but the month close's settling, which is the
//! kernel's own; anyone may create and read.

use xingji_api::v1::{Order, Outlet, Person};

use crate::actor::Actor;
use crate::error::{KernelError, Result};
use crate::orders::lifecycle::Step;

/// Whether `actor` may take `step` on `order`.
pub fn may_take(step: Step, actor: &Actor, order: &Order) -> bool {
    let own_outlet = |id: &str| !id.is_empty() && id == order.outlet_id;
    let own_engineer = |id: &str| !id.is_empty() && id == order.engineer_id;
    match (step, actor) {
        (Step::Settle, Actor::Kernel) => true,
        (Step::Settle, _) => false,
        (_, Actor::Hq(_)) => true,
        (Step::Dispatch, Actor::CallCentre(_) | Actor::System(_) | Actor::Kernel) => true,
        (Step::Accept | Step::Refuse | Step::Contact | Step::Complete, actor) => match actor {
            Actor::Outlet(id) => own_outlet(id),
            Actor::Engineer(id) => own_engineer(id),
            _ => false,
        },
        (Step::Arrive, Actor::Engineer(id)) => own_engineer(id),
        (
            Step::Callback | Step::CheckQuality | Step::Invalidate | Step::AdvanceComplaint,
            Actor::CallCentre(_),
        ) => true,
        (Step::Cancel, Actor::CallCentre(_)) => true,
        // A partner system may withdraw what it created.
        (Step::Cancel, Actor::System(_)) => order
            .history
            .first()
            .is_some_and(|created| created.actor == actor.to_string()),
        _ => false,
    }
}

/// Who may take `step`, in words, for refusals.
pub fn who_takes(step: Step) -> &'static str {
    match step {
        Step::Dispatch => "hq:, call-centre: or system:",
        Step::Accept | Step::Refuse | Step::Contact | Step::Complete => {
            "the order's outlet (outlet:<id>) or engineer (engineer:<id>), or hq:"
        }
        Step::Arrive => "the order's engineer (engineer:<id>) or hq:",
        Step::Callback | Step::CheckQuality | Step::Invalidate | Step::AdvanceComplaint => {
            "call-centre: or hq:"
        }
        Step::Cancel => "call-centre:, hq:, or the system: that created the order",
        Step::Settle => "the kernel's month close",
    }
}

/// `PERMISSION_DENIED` unless `actor` may take `step` on `order`.
pub fn check_step(step: Step, actor: &Actor, order: &Order) -> Result<()> {
    let allowed = may_take(step, actor, order);
    allow(allowed, actor, step.action(), who_takes(step))
}

/// `PERMISSION_DENIED` for `actor` unless `allowed`; `who` says who may.
fn allow(allowed: bool, actor: &Actor, action: &'static str, who: &'static str) -> Result<()> {
    if allowed {
        Ok(())
    } else {
        Err(KernelError::denied(actor, action, who))
    }
}

/// Mystery-customer audits: auditors, and HQ.
pub fn check_audit(actor: &Actor) -> Result<()> {
    let allowed = matches!(actor, Actor::Auditor(_) | Actor::Hq(_));
    allow(allowed, actor, "record an audit", "auditor: or hq:")
}

/// Licence events of `person`: HQ, the call centre, or the person's outlet.
pub fn check_licence_event(actor: &Actor, person: &Person) -> Result<()> {
    let allowed = match actor {
        Actor::Hq(_) | Actor::CallCentre(_) => true,
        Actor::Outlet(id) => *id == person.outlet_id,
        _ => false,
    };
    let who = "hq:, call-centre:, or the person's own outlet (outlet:<id>)";
    allow(allowed, actor, "record a licence event", who)
}

/// Birthday campaigns, which create orders: HQ, the call centre, systems.
pub fn check_campaign(actor: &Actor) -> Result<()> {
    let allowed = matches!(
        actor,
        Actor::Hq(_) | Actor::CallCentre(_) | Actor::System(_)
    );
    allow(
        allowed,
        actor,
        "run a campaign",
        "hq:, call-centre: or system:",
    )
}

/// Rural tours out of `outlet`: HQ, the call centre, systems, or the outlet.
pub fn check_tours(actor: &Actor, outlet: &Outlet) -> Result<()> {
    let allowed = match actor {
        Actor::Hq(_) | Actor::CallCentre(_) | Actor::System(_) => true,
        Actor::Outlet(id) => *id == outlet.id,
        _ => false,
    };
    let who = "hq:, call-centre:, system: or the outlet itself (outlet:<id>)";
    allow(allowed, actor, "plan tours", who)
}

/// The month close: HQ, or a system (a scheduler).
pub fn check_month_close(actor: &Actor) -> Result<()> {
    let allowed = matches!(actor, Actor::Hq(_) | Actor::System(_));
    allow(allowed, actor, "close a month", "hq: or system:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_act_only_on_their_own_orders() {
        let order = Order {
            outlet_id: "out_1".into(),
            engineer_id: "per_1".into(),
            ..Order::default()
        };
        let own = Actor::parse("engineer:per_1");
        let other = Actor::parse("engineer:per_2");
        assert!(may_take(Step::Arrive, &own, &order));
        assert!(!may_take(Step::Arrive, &other, &order));
        assert!(may_take(
            Step::Accept,
            &Actor::parse("outlet:out_1"),
            &order
        ));
        assert!(!may_take(
            Step::Accept,
            &Actor::parse("outlet:out_2"),
            &order
        ));
        assert!(!may_take(Step::Callback, &own, &order));
        assert!(may_take(
            Step::Callback,
            &Actor::parse("call-centre:07"),
            &order
        ));
        assert!(!may_take(Step::Settle, &Actor::parse("hq:boss"), &order));
        assert!(!may_take(Step::Accept, &Actor::parse("someone"), &order));
    }

    #[test]
    fn other_actions_name_who_may() {
        let person = Person {
            outlet_id: "out_1".into(),
            ..Person::default()
        };
        assert!(check_licence_event(&Actor::parse("outlet:out_1"), &person).is_ok());
        let refused = check_licence_event(&Actor::parse("outlet:out_2"), &person);
        assert!(
            matches!(refused, Err(KernelError::Denied { allowed, .. }) if allowed.contains("own outlet"))
        );
        assert!(check_audit(&Actor::parse("auditor:a")).is_ok());
        assert!(check_audit(&Actor::parse("call-centre:a")).is_err());
        assert!(check_month_close(&Actor::parse("system:cron")).is_ok());
        assert!(check_month_close(&Actor::Kernel).is_err());
    }
}
