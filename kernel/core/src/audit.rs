//! The audit event each write hands the store: who, what, to which target,
//! in which region, now. The store appends it in the write's transaction
//! and gives it its place in the hash chain (`xingji_store::audit`).
//! (Denials and reading the trail: `audit_trail`.)

use xingji_api::v1::{AuditEvent, AuditOutcome};

use crate::calendar::now;

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
