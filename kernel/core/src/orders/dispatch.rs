//! Dispatch: the region's dispatch plugin chooses an outlet and engineer
//! for an order in intake. New orders are dispatched on intake (before they
//! are stored, so intake is one write), refused ones again at once, waiting
//! ones by `DispatchOrder`.

use xingji_api::v1::{DispatchOrderRequest, Order, OrderKind};
use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::Decision;

use crate::actor::Actor;
use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::orders::candidates;
use crate::orders::history::{self, plugin_text};
use crate::orders::lifecycle::Step;
use crate::orders::write::{Entry, Orders, present, target};
use crate::plugins::shadow::{Dispatched, ForOrder};
use xingji_store::RecordedDecision;

impl Orders<'_> {
    /// `DispatchOrder`: dispatches an order waiting in intake.
    pub async fn dispatch(&self, actor: &Actor, request: DispatchOrderRequest) -> Result<Order> {
        let (order, _, _admitted) = self
            .load(&request.id, request.version, Step::Dispatch, actor)
            .await?;
        self.dispatch_stored(order, actor)
            .await
            .map(|order| present(actor, order))
    }

    /// Whether the kernel dispatches `order` on intake (DOMAIN.md section 3:
    /// "take the demand, generate the dispatch"): not if the deployment
    /// turned that off, it already names an outlet, or something else places
    /// it: complaints go to the outlet complained about, tour visits wait for
    /// a tour plan.
    fn dispatches_on_intake(&self, order: &Order) -> bool {
        let planned_elsewhere = matches!(order.kind(), OrderKind::Complaint | OrderKind::TourVisit);
        self.kernel.auto_dispatch && order.outlet_id.is_empty() && !planned_elsewhere
    }

    /// Dispatches a new order that is not stored yet, in memory: the
    /// decision (or the plugin's failure, after which the order waits in
    /// intake) becomes its second history entry. The order is created
    /// whatever happens here.
    pub(crate) async fn dispatch_new(&self, order: &mut Order) -> Option<RecordedDecision> {
        if !self.dispatches_on_intake(order) {
            return None;
        }
        let entry = match self.decide(order).await {
            Ok(entry) => entry,
            Err(failure) => dispatch_failed(order, &failure),
        };
        let targets = self.kernel.regions.settings(&order.region).sla;
        history::append(
            order,
            now(),
            &Actor::Kernel,
            entry.action,
            entry.status,
            entry.reason,
            &targets,
        );
        entry.decision
    }

    /// Dispatches a stored order that has just been made (by a plugin's
    /// order-writer), as [`Self::dispatch_new`] does for `CreateOrder`.
    pub(crate) async fn dispatch_created(&self, order: Order) -> Result<Order> {
        if !self.dispatches_on_intake(&order) {
            return Ok(order);
        }
        self.dispatch_or_wait(order).await
    }

    /// Dispatches an order by the kernel; if the plugin fails, records the
    /// failure on the order, which waits in intake for `DispatchOrder`.
    pub(crate) async fn dispatch_or_wait(&self, order: Order) -> Result<Order> {
        match self.dispatch_stored(order.clone(), &Actor::Kernel).await {
            Ok(order) => Ok(order),
            Err(conflict @ KernelError::Conflict(_)) => Err(conflict),
            Err(failure) => {
                let entry = dispatch_failed(&order, &failure);
                self.write(order, &Actor::Kernel, entry).await
            }
        }
    }

    /// Dispatches a stored order in intake through its region's dispatch
    /// plugin. A plugin's refusal is recorded and leaves the order in
    /// intake; a plugin failure writes nothing.
    async fn dispatch_stored(&self, mut order: Order, actor: &Actor) -> Result<Order> {
        let entry = self.decide(&mut order).await?;
        self.write(order, actor, entry).await
    }

    /// What the region's dispatch plugin decides for `order`, as the
    /// history entry to append; an assignment also sets the order's outlet
    /// and engineer. The outlets and engineers that refused the order, and
    /// eliminated engineers, are not candidates. A plugin failure changes
    /// nothing.
    async fn decide(&self, order: &mut Order) -> Result<Entry> {
        let status = target(order, Step::Dispatch)?;
        let kernel = self.kernel;
        let (request, candidates) =
            candidates::request(kernel.store.as_ref(), &kernel.networks, order)
                .await
                .map_err(|error| KernelError::store(error, "order", &order.id))?;
        let for_order = ForOrder {
            id: &order.id,
            version: order.version,
        };
        let Dispatched {
            decision,
            plugin,
            recorded,
        } = kernel
            .plugins
            .dispatch(&order.region, request, for_order)
            .await?;
        Ok(match decision {
            Decision::Assign(assignment) => {
                // The plugin host checked that both indices are in range.
                let (Some(outlet), Some(engineer)) = (
                    candidates.outlet(assignment.outlet),
                    candidates.engineer(assignment.engineer),
                ) else {
                    return Err(KernelError::Internal(
                        "the plugin host let an index out of range".to_owned(),
                    ));
                };
                order.outlet_id.clone_from(&outlet.id);
                order.engineer_id.clone_from(&engineer.id);
                Entry {
                    action: Step::Dispatch.action(),
                    status,
                    reason: plugin_text(format!(
                        "{plugin} chose {} and {}: {}",
                        outlet.id, engineer.id, assignment.reason
                    )),
                    decision: recorded,
                }
            }
            Decision::Refuse(reason) => Entry {
                action: "dispatch-refused",
                status: order.status(),
                reason: plugin_text(format!("{plugin} refused: {reason}")),
                decision: recorded,
            },
        })
    }
}

/// The history entry of a dispatch that failed (the plugin, or reading the
/// network): the order waits in intake for `DispatchOrder`.
fn dispatch_failed(order: &Order, failure: &KernelError) -> Entry {
    tracing::warn!(order = %order.id, error = %failure, "dispatch failed; the order waits in intake");
    Entry {
        action: "dispatch-failed",
        status: order.status(),
        reason: plugin_text(format!("dispatch failed: {failure}")),
        decision: None,
    }
}
