//! An order's history: append-only, one entry per write. Every order write
//! after intake adds its entry here, so the entry, the status and the SLA
//! clocks always move together.

use prost_types::Timestamp;
use xingji_api::v1::{HistoryEntry, Order, OrderStatus};

use crate::actor::Actor;
use crate::orders::sla;
use crate::settings::SlaTargets;

/// Moves `order` to `status` at `time`, appending the one history entry of
/// the write (who, what, from which status, why) and stamping the SLA
/// clocks.
pub fn append(
    order: &mut Order,
    time: Timestamp,
    actor: &Actor,
    action: &str,
    status: OrderStatus,
    reason: String,
    targets: &SlaTargets,
) {
    order.history.push(HistoryEntry {
        time: Some(time),
        actor: actor.to_string(),
        action: action.to_owned(),
        status: status as i32,
        reason,
        from_status: order.status,
    });
    order.set_status(status);
    order.update_time = Some(time);
    sla::stamp(order, targets);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_moves_the_status_and_stamps_the_clocks() {
        let created = Timestamp {
            seconds: 1_790_000_000,
            nanos: 0,
        };
        let mut order = Order {
            status: OrderStatus::Intake as i32,
            create_time: Some(created),
            ..Order::default()
        };
        let later = Timestamp {
            seconds: created.seconds + 600,
            nanos: 0,
        };
        append(
            &mut order,
            later,
            &Actor::Kernel,
            "dispatched",
            OrderStatus::Dispatched,
            "nearest".into(),
            &SlaTargets::default(),
        );
        assert_eq!(order.status(), OrderStatus::Dispatched);
        let entry = order.history.last().expect("an entry");
        assert_eq!(
            (entry.from_status(), entry.actor.as_str()),
            (OrderStatus::Intake, "xingji")
        );
        let dispatch = order
            .sla
            .and_then(|s| s.dispatch)
            .expect("a dispatch clock");
        assert_eq!(dispatch.done_time, Some(later));
    }
}
