//! The order state machine (DOMAIN.md section 3) and who may move it.
//!
//! One table, [`Step::target`], says which status each step leads to from
//! which status; one table, [`Step::allows`], says which actors may take it.
//! The services only read these tables: no transition is decided anywhere
//! else.

use std::fmt;

use prost_types::Timestamp;
use xingji_api::v1::{HistoryEntry, Order, OrderKind, OrderStatus};

use crate::sla::SlaTargets;

/// A step in an order's life, one per transition RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// INTAKE → DISPATCHED, by the dispatch plugin.
    Dispatch,
    /// DISPATCHED or ACCEPTED → INTAKE: the outlet or engineer turns it down.
    Refuse,
    /// DISPATCHED → ACCEPTED.
    Accept,
    /// ACCEPTED or CONTACTED → CONTACTED, with an appointment.
    Contact,
    /// CONTACTED → ON_SITE.
    Arrive,
    /// ON_SITE → COMPLETED, with the service report.
    Complete,
    /// COMPLETED → COMPLETED: one customer callback.
    Callback,
    /// COMPLETED → QUALITY_CHECKED.
    CheckQuality,
    /// QUALITY_CHECKED → SETTLED, by the month close.
    Settle,
    /// Open → CANCELLED.
    Cancel,
    /// Open → INVALID.
    Invalidate,
    /// A complaint order's next step; IMPROVE completes it.
    AdvanceComplaint,
}

impl Step {
    /// The history action this step records.
    pub fn action(self) -> &'static str {
        match self {
            Step::Dispatch => "dispatched",
            Step::Refuse => "refused",
            Step::Accept => "accepted",
            Step::Contact => "contacted",
            Step::Arrive => "arrived",
            Step::Complete => "completed",
            Step::Callback => "callback",
            Step::CheckQuality => "quality-checked",
            Step::Settle => "settled",
            Step::Cancel => "cancelled",
            Step::Invalidate => "invalidated",
            Step::AdvanceComplaint => "complaint-step",
        }
    }

    /// The status an order of `kind` in `from` moves to, if it can.
    /// Complaint orders are not dispatched or serviced: they go through
    /// their own steps from intake to completed.
    fn next(self, kind: OrderKind, from: OrderStatus) -> Option<OrderStatus> {
        use OrderStatus::*;
        let complaint = kind == OrderKind::Complaint;
        Some(match (self, from) {
            (Step::Dispatch, Intake) if !complaint => Dispatched,
            (Step::Refuse, Dispatched | Accepted) => Intake,
            (Step::Accept, Dispatched) => Accepted,
            (Step::Contact, Accepted | Contacted) => Contacted,
            (Step::Arrive, Contacted) => OnSite,
            (Step::Complete, OnSite) => Completed,
            (Step::Callback, Completed) if !complaint => Completed,
            (Step::CheckQuality, Completed) if !complaint => QualityChecked,
            (Step::Settle, QualityChecked) => Settled,
            (Step::Cancel, Intake | Dispatched | Accepted | Contacted | OnSite) => Cancelled,
            (Step::Invalidate, Intake | Dispatched | Accepted | Contacted | OnSite) => Invalid,
            (Step::AdvanceComplaint, Intake) if complaint => Intake,
            _ => return None,
        })
    }

    /// The status an order of `kind` in `from` moves to, or why it cannot,
    /// naming what it can do instead.
    pub fn target(self, kind: OrderKind, from: OrderStatus) -> Result<OrderStatus, String> {
        let complaint = kind == OrderKind::Complaint;
        self.next(kind, from).ok_or_else(|| match self {
            Step::AdvanceComplaint if !complaint => {
                "only complaint orders have complaint steps".to_owned()
            }
            Step::Dispatch | Step::Callback | Step::CheckQuality if complaint => format!(
                "complaint orders are not {}: they move by AdvanceComplaint",
                self.action()
            ),
            _ => {
                let open: Vec<_> = ALL
                    .iter()
                    .filter(|step| step.next(kind, from).is_some())
                    .map(|step| step.action())
                    .collect();
                let open = if open.is_empty() {
                    "nothing more (an end state)".to_owned()
                } else {
                    open.join(", ")
                };
                format!(
                    "an order in {} cannot be {}; it can be {open}",
                    from.as_str_name(),
                    self.action()
                )
            }
        })
    }

    /// Whether `actor` may take this step on `order`. HQ may take every
    /// step but the month close's; the kernel itself takes that one.
    pub fn allows(self, actor: &Actor, order: &Order) -> bool {
        let own_outlet = |id: &str| !id.is_empty() && id == order.outlet_id;
        let own_engineer = |id: &str| !id.is_empty() && id == order.engineer_id;
        match (self, actor) {
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

    /// Who may take this step, in words, for PERMISSION_DENIED messages.
    pub fn who(self) -> &'static str {
        match self {
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
}

/// Every step, for listing what is possible.
const ALL: [Step; 12] = [
    Step::Dispatch,
    Step::Refuse,
    Step::Accept,
    Step::Contact,
    Step::Arrive,
    Step::Complete,
    Step::Callback,
    Step::CheckQuality,
    Step::Settle,
    Step::Cancel,
    Step::Invalidate,
    Step::AdvanceComplaint,
];

/// Moves `order` to `status` at `time`, appending the one history entry of
/// the write (who, what, from which status, why) and stamping the SLA
/// clocks. Every order write after intake goes through here.
pub fn append(
    order: &mut Order,
    time: Timestamp,
    actor: &Actor,
    action: &str,
    status: i32,
    reason: String,
    sla: &SlaTargets,
) {
    order.history.push(HistoryEntry {
        time: Some(time),
        actor: actor.to_string(),
        action: action.to_owned(),
        status,
        reason,
        from_status: order.status,
    });
    order.status = status;
    order.update_time = Some(time);
    crate::sla::stamp(order, sla);
}

/// Whether an order in `status` is still open: not completed or ended.
pub fn is_open(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Intake
            | OrderStatus::Dispatched
            | OrderStatus::Accepted
            | OrderStatus::Contacted
            | OrderStatus::OnSite
    )
}

/// Who acts, from the `xingji-actor` metadata: `<role>:<name>`. Until
/// authentication binds it to a credential, this is the client's own word;
/// the rules in [`Step::allows`] are what authentication will enforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// `hq:<name>`: customer-service headquarters.
    Hq(String),
    /// `call-centre:<name>`: callbacks, quality control, complaints.
    CallCentre(String),
    /// `system:<name>`: a partner's or our own integration.
    System(String),
    /// `auditor:<name>`: a mystery customer.
    Auditor(String),
    /// `outlet:<outlet id>`: an outlet's staff, for its own orders.
    Outlet(String),
    /// `engineer:<person id>`: an engineer, for the orders assigned to them.
    Engineer(String),
    /// The kernel itself (`xingji`): automatic dispatch, the month close.
    Kernel,
    /// Anything else, or nothing: may create and read, not move orders.
    Anonymous(String),
}

impl Actor {
    /// Reads an actor from the metadata value (`anonymous` when missing).
    pub fn parse(value: &str) -> Actor {
        let Some((role, name)) = value.split_once(':') else {
            return Actor::Anonymous(value.to_owned());
        };
        let name = name.to_owned();
        if name.is_empty() {
            return Actor::Anonymous(value.to_owned());
        }
        match role {
            "hq" => Actor::Hq(name),
            "call-centre" => Actor::CallCentre(name),
            "system" => Actor::System(name),
            "auditor" => Actor::Auditor(name),
            "outlet" => Actor::Outlet(name),
            "engineer" => Actor::Engineer(name),
            _ => Actor::Anonymous(value.to_owned()),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Hq(name) => write!(f, "hq:{name}"),
            Actor::CallCentre(name) => write!(f, "call-centre:{name}"),
            Actor::System(name) => write!(f, "system:{name}"),
            Actor::Auditor(name) => write!(f, "auditor:{name}"),
            Actor::Outlet(id) => write!(f, "outlet:{id}"),
            Actor::Engineer(id) => write!(f, "engineer:{id}"),
            Actor::Kernel => f.write_str("xingji"),
            Actor::Anonymous(value) => f.write_str(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const STATUSES: [OrderStatus; 10] = [
        Intake,
        Dispatched,
        Accepted,
        Contacted,
        OnSite,
        Completed,
        QualityChecked,
        Settled,
        Cancelled,
        Invalid,
    ];

    #[test]
    fn the_main_path_runs_from_intake_to_settled() {
        let path = [
            (Step::Dispatch, Dispatched),
            (Step::Accept, Accepted),
            (Step::Contact, Contacted),
            (Step::Contact, Contacted),
            (Step::Arrive, OnSite),
            (Step::Complete, Completed),
            (Step::Callback, Completed),
            (Step::CheckQuality, QualityChecked),
            (Step::Settle, Settled),
        ];
        let mut status = Intake;
        for (step, expected) in path {
            status = step.target(OrderKind::Repair, status).expect("legal");
            assert_eq!(status, expected, "{step:?}");
        }
    }

    #[test]
    fn end_states_lead_nowhere() {
        for end in [Settled, Cancelled, Invalid] {
            for step in ALL.into_iter().filter(|s| *s != Step::AdvanceComplaint) {
                let error = step.target(OrderKind::Repair, end).unwrap_err();
                assert!(
                    error.contains("nothing more"),
                    "{step:?} from {end:?}: {error}"
                );
            }
        }
    }

    #[test]
    fn only_open_orders_are_cancelled_or_invalidated() {
        for status in STATUSES {
            for step in [Step::Cancel, Step::Invalidate] {
                assert_eq!(
                    step.target(OrderKind::Repair, status).is_ok(),
                    is_open(status),
                    "{step:?} from {status:?}"
                );
            }
        }
    }

    #[test]
    fn complaints_take_their_own_path() {
        let complaint = OrderKind::Complaint;
        assert!(Step::Dispatch.target(complaint, Intake).is_err());
        assert_eq!(Step::AdvanceComplaint.target(complaint, Intake), Ok(Intake));
        assert!(
            Step::AdvanceComplaint
                .target(OrderKind::Repair, Intake)
                .is_err()
        );
        assert!(Step::CheckQuality.target(complaint, Completed).is_err());
    }

    #[test]
    fn actors_act_only_on_their_own_orders() {
        let order = Order {
            outlet_id: "out_1".into(),
            engineer_id: "per_1".into(),
            ..Order::default()
        };
        let own = Actor::parse("engineer:per_1");
        let other = Actor::parse("engineer:per_2");
        assert!(Step::Arrive.allows(&own, &order));
        assert!(!Step::Arrive.allows(&other, &order));
        assert!(Step::Accept.allows(&Actor::parse("outlet:out_1"), &order));
        assert!(!Step::Accept.allows(&Actor::parse("outlet:out_2"), &order));
        assert!(!Step::Callback.allows(&own, &order));
        assert!(Step::Callback.allows(&Actor::parse("call-centre:07"), &order));
        assert!(!Step::Settle.allows(&Actor::parse("hq:boss"), &order));
        assert!(!Step::Accept.allows(&Actor::parse("someone"), &order));
        assert_eq!(Actor::parse("outlet:").to_string(), "outlet:");
        assert_eq!(Actor::parse("outlet:"), Actor::Anonymous("outlet:".into()));
    }
}
