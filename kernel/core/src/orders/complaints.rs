//! `AdvanceComplaint`: a complaint order's own steps, HANDLE (the cause,
//! and who is responsible), ACCEPT, IMPROVE (the measure, which completes
//! it). Which step may follow which is `lifecycle::complaint_step`.

use xingji_api::v1::{AdvanceComplaintRequest, ComplaintCause, ComplaintStep, Order};

use crate::actor::Actor;
use crate::error::{KernelError, Result};
use crate::orders::lifecycle::{Step, complaint_step};
use crate::orders::write::{Entry, Orders, present};
use crate::validate::{MAX_DESCRIPTION, MAX_REASON, Violations};

impl Orders<'_> {
    /// `AdvanceComplaint`: takes a complaint order's next step.
    pub async fn advance_complaint(
        &self,
        actor: &Actor,
        request: AdvanceComplaintRequest,
    ) -> Result<Order> {
        let AdvanceComplaintRequest {
            id,
            version,
            step,
            cause,
            responsible_person_id,
            improvement_measure,
            note,
        } = request;
        let mut violations = Violations::default();
        violations.enumeration::<ComplaintStep>("step", step, false);
        violations.text("note", &note, 0, MAX_REASON);
        let step = ComplaintStep::try_from(step).unwrap_or_default();
        match step {
            ComplaintStep::Handle => {
                violations.enumeration::<ComplaintCause>("cause", cause, false);
                if ComplaintCause::try_from(cause) == Ok(ComplaintCause::WorkQuality)
                    && responsible_person_id.is_empty()
                {
                    violations.add(
                        "responsible_person_id",
                        "is required for a complaint about work quality",
                    );
                }
            }
            ComplaintStep::Improve => violations.text(
                "improvement_measure",
                &improvement_measure,
                1,
                MAX_DESCRIPTION,
            ),
            ComplaintStep::Accept | ComplaintStep::Unspecified => {}
        }
        violations.into_result()?;
        // The status the step leads to depends on the complaint's own step.
        let (mut order, _, _admitted) = self
            .load(&id, version, Step::AdvanceComplaint, actor)
            .await?;
        if !responsible_person_id.is_empty() {
            self.kernel
                .referenced_person(
                    "responsible_person_id",
                    &responsible_person_id,
                    &order.region,
                )
                .await?;
        }
        let complaint = order.complaint.get_or_insert_with(Default::default);
        let status = complaint_step(complaint.step(), step)
            .map_err(|why| KernelError::precondition("STEP", "step", why))?;
        complaint.set_step(step);
        match step {
            ComplaintStep::Handle => {
                complaint.cause = cause;
                complaint.responsible_person_id = responsible_person_id;
            }
            ComplaintStep::Improve => complaint.improvement_measure = improvement_measure,
            _ => {}
        }
        let reason = if note.is_empty() {
            step.as_str_name().to_owned()
        } else {
            format!("{}: {note}", step.as_str_name())
        };
        let entry = Entry {
            action: Step::AdvanceComplaint.action(),
            status,
            reason,
            decision: None,
        };
        self.write(order, actor, entry)
            .await
            .map(|order| present(actor, order))
    }
}
