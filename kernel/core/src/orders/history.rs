//! An order's history: append-only, one entry per write. Every order write
//! after intake adds its entry here, so the entry, the status and the SLA
//! clocks always move together.
//!
//! Two rules keep a plugin from growing an order without bound (each write
//! is also in the audit trail, so nothing is lost to them): text a plugin
//! wrote is cut to [`PLUGIN_TEXT_BYTES`] ([`plugin_text`]), and a dispatch
//! refused or failed again while the order waits replaces the entry of the
//! attempt before, counting it in `repeats`.

use prost_types::Timestamp;
use xingji_api::v1::{HistoryEntry, Order, OrderStatus};

use crate::actor::Actor;
use crate::orders::sla;
use crate::settings::SlaTargets;

/// The most of a plugin's words (a refusal's reason, say) an entry keeps, in
/// bytes: a reason a person can read, far below what would make an order
/// too large to fetch.
pub const PLUGIN_TEXT_BYTES: usize = 1024;

/// The actions of a dispatch that left the order waiting in intake: one
/// entry stands for a run of them.
const RETRIED: [&str; 2] = ["dispatch-refused", "dispatch-failed"];

/// `text`, cut to at most [`PLUGIN_TEXT_BYTES`] on a character boundary,
/// saying how long it was.
pub fn plugin_text(text: String) -> String {
    if text.len() <= PLUGIN_TEXT_BYTES {
        return text;
    }
    let note = format!("… (cut from {} bytes)", text.len());
    let mut end = PLUGIN_TEXT_BYTES - note.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &text[..end])
}

/// A history entry: `actor` did `action` at `time`, moving an order from
/// `from` to `status`.
pub fn entry(
    time: Timestamp,
    actor: &Actor,
    action: &str,
    from: OrderStatus,
    status: OrderStatus,
    reason: String,
) -> HistoryEntry {
    HistoryEntry {
        time: Some(time),
        actor: actor.to_string(),
        action: action.to_owned(),
        status: status as i32,
        reason,
        from_status: from as i32,
        repeats: 0,
    }
}

/// Moves `order` to `status` at `time`, appending the one history entry of
/// the write (who, what, from which status, why) and stamping the SLA
/// clocks. A retried dispatch ([`RETRIED`]) right after another replaces it.
pub fn append(
    order: &mut Order,
    time: Timestamp,
    actor: &Actor,
    action: &str,
    status: OrderStatus,
    reason: String,
    targets: &SlaTargets,
) {
    let mut entry = entry(time, actor, action, order.status(), status, reason);
    let retry_of = order.history.last_mut().filter(|last| {
        RETRIED.contains(&action)
            && RETRIED.contains(&last.action.as_str())
            && last.status == entry.status
    });
    match retry_of {
        Some(last) => {
            entry.repeats = last.repeats.saturating_add(1);
            *last = entry;
        }
        None => order.history.push(entry),
    }
    order.set_status(status);
    order.update_time = Some(time);
    sla::stamp(order, targets);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp { seconds, nanos: 0 }
    }

    #[test]
    fn plugin_text_is_cut_on_a_character_boundary() {
        assert_eq!(plugin_text("busy".into()), "busy");
        let exact = "x".repeat(PLUGIN_TEXT_BYTES);
        assert_eq!(plugin_text(exact.clone()), exact);
        for long in ["x".repeat(1 << 20), "满".repeat(5000)] {
            let cut = plugin_text(long.clone());
            assert!(cut.len() <= PLUGIN_TEXT_BYTES, "{}", cut.len());
            assert!(cut.ends_with(&format!("… (cut from {} bytes)", long.len())));
            assert!(long.starts_with(cut.split('…').next().unwrap_or_default()));
        }
    }

    #[test]
    fn retried_dispatches_fold_into_one_entry() {
        let mut order = Order {
            status: OrderStatus::Intake as i32,
            create_time: Some(at(1_790_000_000)),
            ..Order::default()
        };
        let targets = SlaTargets::default();
        let kernel = &Actor::Kernel;
        append(
            &mut order,
            at(1_790_000_000),
            kernel,
            "created",
            OrderStatus::Intake,
            String::new(),
            &targets,
        );
        for (n, action) in ["dispatch-refused", "dispatch-failed", "dispatch-refused"]
            .iter()
            .enumerate()
        {
            let reason = format!("attempt {n}");
            append(
                &mut order,
                at(1_790_000_100 + n as i64),
                kernel,
                action,
                OrderStatus::Intake,
                reason,
                &targets,
            );
        }
        let actions: Vec<_> = order
            .history
            .iter()
            .map(|e| (e.action.as_str(), e.repeats))
            .collect();
        assert_eq!(actions, [("created", 0), ("dispatch-refused", 2)]);
        assert_eq!(order.history[1].reason, "attempt 2");
        assert_eq!(order.update_time, Some(at(1_790_000_102)));

        // A dispatch that succeeds is an entry of its own, and a refusal
        // after it starts a new run.
        append(
            &mut order,
            at(1_790_000_200),
            kernel,
            "dispatched",
            OrderStatus::Dispatched,
            String::new(),
            &targets,
        );
        append(
            &mut order,
            at(1_790_000_300),
            kernel,
            "refused",
            OrderStatus::Intake,
            String::new(),
            &targets,
        );
        append(
            &mut order,
            at(1_790_000_400),
            kernel,
            "dispatch-refused",
            OrderStatus::Intake,
            String::new(),
            &targets,
        );
        let actions: Vec<_> = order
            .history
            .iter()
            .map(|e| (e.action.as_str(), e.repeats))
            .collect();
        assert_eq!(
            actions,
            [
                ("created", 0),
                ("dispatch-refused", 2),
                ("dispatched", 0),
                ("refused", 0),
                ("dispatch-refused", 0)
            ]
        );
    }

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
