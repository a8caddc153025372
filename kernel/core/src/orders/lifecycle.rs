//! The order state machine (DOMAIN.md section 3): which status each step
//! leads to, from which status, and a complaint's own steps. The one place
//! transitions are decided; who may take a step is `crate::access`.

use xingji_api::v1::{ComplaintStep, OrderKind, OrderStatus};

/// A step in an order's life, one per transition.
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
    /// A complaint order's next step: HANDLE, ACCEPT (in intake), IMPROVE
    /// (completes it); see [`complaint_step`].
    AdvanceComplaint,
}

/// Every step, for listing what is possible.
pub const ALL: [Step; 12] = [
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

    /// What the step does to an order, as "an order … can be <this>".
    pub fn done(self) -> &'static str {
        match self {
            Step::Arrive => "marked on site",
            Step::Callback => "given a customer callback",
            Step::Contact => "given an appointment",
            Step::AdvanceComplaint => "moved to its next complaint step",
            _ => self.action(),
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
            (Step::Cancel, _) if from.is_open() => Cancelled,
            (Step::Invalidate, _) if from.is_open() => Invalid,
            // The status after the step itself is `complaint_step`'s.
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
                self.done()
            ),
            _ => {
                let open: Vec<_> = ALL
                    .iter()
                    .filter(|step| step.next(kind, from).is_some())
                    .map(|step| step.done())
                    .collect();
                let open = if open.is_empty() {
                    "nothing more (an end state)".to_owned()
                } else {
                    open.join(", ")
                };
                format!(
                    "an order in {} cannot be {}; it can be {open}",
                    from.as_str_name(),
                    self.done()
                )
            }
        })
    }
}

/// A complaint at step `at` taking step `to`: the status the complaint
/// order moves to (IMPROVE closes the complaint, and with it the order), or
/// why `to` is not its next step.
pub fn complaint_step(at: ComplaintStep, to: ComplaintStep) -> Result<OrderStatus, String> {
    let next = match at {
        ComplaintStep::Unspecified => Some(ComplaintStep::Handle),
        ComplaintStep::Handle => Some(ComplaintStep::Accept),
        ComplaintStep::Accept => Some(ComplaintStep::Improve),
        ComplaintStep::Improve => None,
    };
    if next != Some(to) {
        let next = next.map_or("none: the complaint is closed", |s| s.as_str_name());
        return Err(format!(
            "the complaint is at {}; the next step is {next}",
            at.as_str_name()
        ));
    }
    Ok(if to == ComplaintStep::Improve {
        OrderStatus::Completed
    } else {
        OrderStatus::Intake
    })
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
                    status.is_open(),
                    "{step:?} from {status:?}"
                );
            }
        }
    }

    #[test]
    fn refusals_read_as_english() {
        let error = Step::Arrive
            .target(OrderKind::Repair, Completed)
            .unwrap_err();
        assert_eq!(
            error,
            "an order in ORDER_STATUS_COMPLETED cannot be marked on site; it can be given a customer callback, quality-checked"
        );
        let error = Step::Accept.target(OrderKind::Repair, Intake).unwrap_err();
        assert!(
            error.ends_with("cannot be accepted; it can be dispatched, cancelled, invalidated"),
            "{error}"
        );
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
        use ComplaintStep::*;
        assert_eq!(complaint_step(Unspecified, Handle), Ok(Intake));
        assert_eq!(complaint_step(Handle, Accept), Ok(Intake));
        assert_eq!(complaint_step(Accept, Improve), Ok(Completed));
        assert!(complaint_step(Unspecified, Improve).is_err());
        assert!(
            complaint_step(Improve, Improve)
                .unwrap_err()
                .contains("closed")
        );
    }
}
