//! What one order says about its month (DOMAIN.md sections 4 and 5): done
//! in it, in hand at its end, a complaint made in it, to be settled by it;
//! its callbacks, parts, SLA and promise; and the machine's recent repairs.
//! Formulas, grades and pay are the plugins'; these are the facts.

use xingji_api::v1::{Order, OrderKind, OrderStatus};
use xingji_plugin_host::bindings::host::xingji::plugins::month::MonthOrder;

use crate::calendar::{DAY, Month};
use crate::orders::sla::{all_met, overdue_at, reached};
use crate::wit::{order_kind, product_line};

/// How far back a machine's repairs count: "3 months" for the part rule.
pub const PART_WINDOW: i64 = 90 * DAY;
/// A repair that comes back within this long did not hold.
pub const REPEAT_WINDOW: i64 = 30 * DAY;

/// A completed visit to a machine, for the part and repeat-repair rules.
pub(crate) struct Visit {
    pub completed_at: i64,
    pub parts: u32,
    pub repair: bool,
    pub engineer: Option<u32>,
}

/// Why an order counts in a month.
pub(crate) struct Counts {
    /// Completed in the month (not a complaint).
    pub completed: bool,
    /// In an outlet's hands at the month's end.
    pub open_at_end: bool,
    /// A complaint made in the month.
    pub complaint: bool,
    /// Quality-checked and completed by the month's end: settled by it.
    pub to_settle: bool,
}

/// A month, in Unix seconds: `start..end`.
pub(crate) struct MonthWindow {
    pub start: i64,
    pub end: i64,
}

impl MonthWindow {
    /// The window of `month`, China Standard Time.
    pub fn of(month: Month) -> MonthWindow {
        MonthWindow {
            start: month.start(),
            end: month.end(),
        }
    }

    /// Why `order`, completed at `completed_at`, counts in the month;
    /// `None` if it does not.
    pub fn counts(&self, order: &Order, completed_at: Option<i64>) -> Option<Counts> {
        let complaint = order.kind() == OrderKind::Complaint;
        let created = order.create_time.map_or(0, |t| t.seconds);
        let counts = Counts {
            completed: !complaint
                && completed_at.is_some_and(|at| (self.start..self.end).contains(&at)),
            open_at_end: status_at(order, self.end).is_in_hand(),
            complaint: complaint && (self.start..self.end).contains(&created),
            to_settle: order.status() == OrderStatus::QualityChecked
                && completed_at.is_some_and(|at| at < self.end),
        };
        (counts.completed || counts.open_at_end || counts.complaint || counts.to_settle)
            .then_some(counts)
    }

    /// The machine rules over every visit to the machine: its parts in the
    /// three months before, and the repair it repeats (within 30 days).
    pub fn machine_rules(&self, fact: &mut MonthOrder, at: i64, repair: bool, visits: &[Visit]) {
        let earlier = |window: i64| {
            visits
                .iter()
                .filter(move |v| v.completed_at < at && v.completed_at >= at - window)
        };
        fact.machine_parts_3m = fact
            .parts
            .saturating_add(earlier(PART_WINDOW).map(|v| v.parts).sum::<u32>());
        if repair {
            fact.repeat_of = earlier(REPEAT_WINDOW)
                .filter(|v| v.repair)
                .max_by_key(|v| v.completed_at)
                .and_then(|v| v.engineer);
        }
    }
}

/// The facts of one order the month counts, of the outlet and engineer at
/// these indices. The machine rules come later, over every order.
pub(crate) fn order_fact(
    order: &Order,
    outlet: u32,
    engineer: Option<u32>,
    counts: &Counts,
    window: &MonthWindow,
) -> MonthOrder {
    // Borrowed, not cloned: this runs for every order of a big month.
    let qc = order.quality_control.as_ref();
    let callbacks = qc.map_or(&[][..], |qc| &qc.callbacks[..]);
    let report_parts = order
        .service_report
        .as_ref()
        .map_or(&[][..], |r| &r.parts[..]);
    let parts = parts_used(order);
    MonthOrder {
        outlet,
        engineer,
        kind: order_kind(order.kind),
        product_line: product_line(order.appliance.as_ref().map_or(0, |a| a.product_line)),
        completed: counts.completed,
        open_at_end: counts.open_at_end,
        overdue_at_end: counts.open_at_end && overdue_at(order, window.end),
        to_settle: counts.to_settle,
        reached: callbacks.iter().any(|c| c.reached),
        satisfied: callbacks.iter().any(|c| c.satisfied),
        parts,
        part_due: report_parts.iter().any(|p| p.old_part_due_return),
        part_returned: qc.is_some_and(|qc| qc.old_part_returned),
        finding_agreed: qc.is_some_and(|qc| qc.finding_agreed),
        machine_parts_3m: parts,
        repeat_of: None,
        on_time: all_met(order),
        promise_broken: promise_broken(order),
        major: order.complaint.as_ref().is_some_and(|c| c.major),
    }
}

/// The order's status just before `time`.
fn status_at(order: &Order, time: i64) -> OrderStatus {
    order
        .history
        .iter()
        .take_while(|e| e.time.is_some_and(|t| t.seconds < time))
        .last()
        .map_or(OrderStatus::Unspecified, |e| e.status())
}

/// Whether the engineer arrived after the appointment.
fn promise_broken(order: &Order) -> bool {
    match (order.appointment_time, reached(order, OrderStatus::OnSite)) {
        (Some(appointment), Some(arrived)) => arrived.seconds > appointment.seconds,
        _ => false,
    }
}

/// Parts replaced on the visit.
pub(crate) fn parts_used(order: &Order) -> u32 {
    order.service_report.as_ref().map_or(0, |r| {
        r.parts
            .iter()
            .map(|p| p.quantity.max(0) as u32)
            .fold(0u32, u32::saturating_add)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::Timestamp;
    use xingji_api::v1::HistoryEntry;

    fn entry(seconds: i64, status: OrderStatus) -> HistoryEntry {
        HistoryEntry {
            time: Some(Timestamp { seconds, nanos: 0 }),
            status: status as i32,
            ..HistoryEntry::default()
        }
    }

    #[test]
    fn in_hand_at_the_end_is_the_status_then() {
        let month = Month::parse("2026-10").expect("a month");
        let window = MonthWindow::of(month);
        let order = |history: Vec<HistoryEntry>| Order {
            kind: OrderKind::Repair as i32,
            status: history.last().map_or(0, |e| e.status),
            history,
            ..Order::default()
        };
        let before = window.end - 60;
        let after = window.end + 60;
        // Waiting in intake at the end: in no one's hands, and not counted.
        let waiting = order(vec![entry(before, OrderStatus::Intake)]);
        assert!(window.counts(&waiting, None).is_none());
        // Dispatched before the end, completed after: in hand at the end.
        let late = order(vec![
            entry(before - 60, OrderStatus::Intake),
            entry(before, OrderStatus::Dispatched),
            entry(after, OrderStatus::Completed),
        ]);
        let counts = window.counts(&late, Some(after)).expect("counted");
        assert!(counts.open_at_end && !counts.completed);
    }
}
