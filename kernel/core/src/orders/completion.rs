//! `CompleteOrder`: the service report, and who pays. The maker's own
//! warranty covers `warranty_years` from purchase; out of it, a Jiujiu
//! contract (the region's warranty plugin) may cover a repair.

use std::sync::Arc;

use xingji_api::v1::{CompleteOrderRequest, Order, OrderKind, ServiceReport};
use xingji_plugin_host::{Plugin, Slot};

use crate::actor::Actor;
use crate::calendar::{date_from_days, today, years_later};
use crate::error::{KernelError, Result};
use crate::orders::lifecycle::Step;
use crate::orders::write::{Entry, Orders, present};
use crate::plugins::calls::Writes;
use crate::validate::{self, Violations};
use crate::wit;

impl Orders<'_> {
    /// `CompleteOrder`: the engineer's service report completes the order.
    /// A repair under the maker's warranty, or covered by a Jiujiu contract,
    /// charges the customer nothing.
    pub async fn complete(&self, actor: &Actor, request: CompleteOrderRequest) -> Result<Order> {
        let CompleteOrderRequest {
            id,
            version,
            report,
        } = request;
        let Some(report) = report else {
            return Err(KernelError::invalid("report", "is required"));
        };
        let mut violations = Violations::default();
        validate::service_report(&mut violations, "report", &report);
        violations.into_result()?;
        let today = today();
        let (mut order, status, _admitted) = self.load(&id, version, Step::Complete, actor).await?;
        let years = self
            .kernel
            .regions
            .settings(&order.region)
            .orders
            .warranty_years;
        let in_warranty = order
            .appliance
            .as_ref()
            .and_then(|a| a.purchase_date.as_ref())
            .and_then(|date| years_later(date, years))
            .is_some_and(|end| today < end);
        let refuse_charge = |why: String| {
            Err(KernelError::precondition(
                "WARRANTY",
                "report.charge_fen",
                format!("{why}: the customer is not charged"),
            ))
        };
        if in_warranty && report.charge_fen > 0 {
            return refuse_charge(format!(
                "the appliance is under the maker's {years}-year warranty"
            ));
        }
        let covered_by = if in_warranty {
            None
        } else {
            self.jiujiu_cover(actor, &order, report.charge_fen > 0)
                .await?
        };
        if let Some(contract) = &covered_by
            && report.charge_fen > 0
        {
            return refuse_charge(format!("Jiujiu contract {contract} covers the repair"));
        }
        order.service_report = Some(ServiceReport {
            in_warranty,
            warranty_covered: covered_by.is_some(),
            ..report
        });
        let reason = covered_by
            .map(|id| format!("covered by Jiujiu contract {id}"))
            .unwrap_or_default();
        let entry = Entry {
            action: Step::Complete.action(),
            status,
            reason,
            decision: None,
        };
        self.write(order, actor, entry)
            .await
            .map(|order| present(actor, order))
    }

    /// The Jiujiu contract that covers `order`'s repair, out of the maker's
    /// warranty, if the region sells Jiujiu and the machine has a serial.
    /// One plugin call: with a charge (`ask_only`), only ask — a covered
    /// repair is then refused, and nothing is counted; without one, claim,
    /// once per order, so a retry does not count twice.
    async fn jiujiu_cover(
        &self,
        actor: &Actor,
        order: &Order,
        ask_only: bool,
    ) -> Result<Option<String>> {
        let serial = order
            .appliance
            .as_ref()
            .map(|a| a.serial.clone())
            .unwrap_or_default();
        let plugins = &self.kernel.plugins;
        let sells_jiujiu = plugins.active(&order.region, Slot::Warranty).is_some();
        if !sells_jiujiu || order.kind() != OrderKind::Repair || serial.is_empty() {
            return Ok(None);
        }
        let order_id = order.id.clone();
        let claim = |plugin: Arc<Plugin>, limits, _, services| async move {
            let today = wit::date(&date_from_days(today()));
            plugin
                .warranty_claim(&serial, &order_id, today, limits, services)
                .await
        };
        let writes = if ask_only {
            Writes::Drop
        } else {
            Writes::Keep("warranty.claim")
        };
        let called = plugins
            .call_with(&order.region, Slot::Warranty, actor, writes, claim)
            .await?;
        Ok(called.answer.map(|c| c.id))
    }
}
