//! SLA clocks (DOMAIN.md section 3, "comes when called"): from an order's
//! creation to its dispatch, customer contact, arrival and completion.
//!
//! Due times are stamped when the order is written, from the region's
//! targets then in force; whether a clock is overdue depends on the time of
//! reading, so [`refresh`] sets it on the way out.

use prost_types::Timestamp;
use xingji_api::v1::{Order, OrderKind, OrderStatus, Sla, SlaClock};

use crate::settings::SlaTargets;

/// Sets the order's clocks from its history: due times from `targets` and
/// the appointment, done times from the first entry reaching each
/// milestone. A refusal does not restart a clock: the customer's wait goes
/// on from the first dispatch.
pub fn stamp(order: &mut Order, targets: &SlaTargets) {
    let Some(created) = order.create_time else {
        return;
    };
    let after = |minutes: u32| Timestamp {
        seconds: created.seconds + i64::from(minutes) * 60,
        nanos: created.nanos,
    };
    let clock = |due: Timestamp, status: OrderStatus| {
        Some(SlaClock {
            due_time: Some(due),
            done_time: reached(order, status),
            overdue: false,
        })
    };
    let completion = clock(after(targets.completion_minutes), OrderStatus::Completed);
    let sla = if order.kind() == OrderKind::Complaint {
        Sla {
            completion,
            ..Sla::default()
        }
    } else {
        let arrival_due = order
            .appointment_time
            .unwrap_or_else(|| after(targets.arrival_minutes));
        Sla {
            dispatch: clock(after(targets.dispatch_minutes), OrderStatus::Dispatched),
            contact: clock(after(targets.contact_minutes), OrderStatus::Contacted),
            arrival: clock(arrival_due, OrderStatus::OnSite),
            completion,
        }
    };
    order.sla = Some(sla);
}

/// When `order` first moved into `status` (a repeat, such as a moved
/// appointment, does not count).
pub fn reached(order: &Order, status: OrderStatus) -> Option<Timestamp> {
    order
        .history
        .iter()
        .find(|entry| entry.status == status as i32 && entry.from_status != status as i32)
        .and_then(|entry| entry.time)
}

/// The clocks of `sla` that are set.
pub fn clocks(sla: &Sla) -> impl Iterator<Item = &SlaClock> {
    [&sla.dispatch, &sla.contact, &sla.arrival, &sla.completion]
        .into_iter()
        .flatten()
}

/// Whether every clock of `order` stopped by its due time.
pub fn all_met(order: &Order) -> bool {
    order.sla.as_ref().is_some_and(|sla| {
        clocks(sla).all(|clock| match (clock.done_time, clock.due_time) {
            (Some(done), Some(due)) => !later(&done, &due),
            _ => false,
        })
    })
}

/// The earliest due time of an SLA clock still running, or `None` when none
/// runs (the order is no longer open, or has no clocks): what the store
/// indexes for lists of orders due before a time.
pub fn due_at(order: &Order) -> Option<i64> {
    let sla = order.sla.as_ref().filter(|_| order.status().is_open())?;
    clocks(sla)
        .filter(|clock| clock.done_time.is_none())
        .filter_map(|clock| clock.due_time.map(|due| due.seconds))
        .min()
}

/// Whether a clock of `order` was running past its due time at `seconds`.
pub fn overdue_at(order: &Order, seconds: i64) -> bool {
    order.sla.as_ref().is_some_and(|sla| {
        clocks(sla).any(|clock| {
            let due = clock.due_time.map_or(i64::MAX, |t| t.seconds);
            let done = clock.done_time.map_or(i64::MAX, |t| t.seconds);
            due < seconds && done >= seconds
        })
    })
}

/// Sets each clock's `overdue` as of `now`: done late, or still running
/// past its due time on an open order. A clock of a cancelled or invalid
/// order stopped when the order ended and is not overdue.
pub fn refresh(order: &mut Order, now: &Timestamp) {
    let open = order.status().is_open();
    let Some(sla) = order.sla.as_mut() else {
        return;
    };
    for clock in [
        &mut sla.dispatch,
        &mut sla.contact,
        &mut sla.arrival,
        &mut sla.completion,
    ]
    .into_iter()
    .flatten()
    {
        let Some(due) = clock.due_time else {
            continue;
        };
        clock.overdue = match clock.done_time {
            Some(done) => later(&done, &due),
            None => open && later(now, &due),
        };
    }
}

fn later(a: &Timestamp, b: &Timestamp) -> bool {
    (a.seconds, a.nanos) > (b.seconds, b.nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_api::v1::HistoryEntry;

    fn at(minutes: i64) -> Timestamp {
        Timestamp {
            seconds: 1_700_000_000 + minutes * 60,
            nanos: 0,
        }
    }

    fn entry(minutes: i64, from: OrderStatus, status: OrderStatus) -> HistoryEntry {
        HistoryEntry {
            time: Some(at(minutes)),
            from_status: from as i32,
            status: status as i32,
            ..HistoryEntry::default()
        }
    }

    fn order(history: Vec<HistoryEntry>) -> Order {
        Order {
            kind: OrderKind::Repair as i32,
            status: history.last().map_or(0, |e| e.status),
            create_time: Some(at(0)),
            history,
            ..Order::default()
        }
    }

    #[test]
    fn clocks_run_from_creation_and_stop_at_their_milestone() {
        use OrderStatus::*;
        let mut order = order(vec![
            entry(0, Unspecified, Intake),
            entry(10, Intake, Dispatched),
            entry(20, Dispatched, Accepted),
        ]);
        stamp(&mut order, &SlaTargets::default());
        refresh(&mut order, &at(200));
        let sla = order.sla.expect("stamped");
        let dispatch = sla.dispatch.expect("dispatch clock");
        assert_eq!(dispatch.done_time, Some(at(10)));
        assert!(!dispatch.overdue, "dispatched in 10 of 30 minutes");
        let contact = sla.contact.expect("contact clock");
        assert_eq!(contact.due_time, Some(at(120)));
        assert!(contact.overdue, "not contacted after 200 minutes");
        assert!(!sla.arrival.expect("arrival").overdue);
    }

    #[test]
    fn the_appointment_is_when_arrival_is_due_and_ended_orders_stop() {
        use OrderStatus::*;
        let mut order = order(vec![
            entry(0, Unspecified, Intake),
            entry(10, Intake, Dispatched),
            entry(40, Dispatched, Cancelled),
        ]);
        order.appointment_time = Some(at(5000));
        stamp(&mut order, &SlaTargets::default());
        refresh(&mut order, &at(10_000));
        let sla = order.sla.expect("stamped");
        assert_eq!(sla.arrival.expect("arrival").due_time, Some(at(5000)));
        assert!(!sla.contact.expect("contact").overdue, "cancelled: stopped");
    }
}
