//! Appliance-birthday campaigns (`kernel.campaigns()`), through the
//! region's campaign plugin. The plugin finds the birthdays and creates the
//! visit orders (through intake, idempotent on its request keys); the
//! kernel then dispatches the orders the call created, like any new order.

use std::sync::Arc;

use xingji_api::google::r#type::Date;
use xingji_api::v1::{BirthdayVisit, RunBirthdayCampaignRequest, RunBirthdayCampaignResponse};

use xingji_plugin_host::bindings::campaign::exports::xingji::plugins::birthday_campaign::Window;
use xingji_plugin_host::{Plugin, Slot};

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::calendar::days_from_date;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::permission::Permission::CampaignsRun;
use crate::plugins::calls::Writes;
use crate::validate::Violations;
use crate::wit::{date, date_from, product_line_from};

/// The longest window a run may cover.
const MAX_WINDOW_DAYS: i64 = 366;

/// The campaigns of a kernel's regions.
#[derive(Clone, Copy)]
pub struct Campaigns<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// Appliance-birthday campaigns.
    pub fn campaigns(&self) -> Campaigns<'_> {
        Campaigns { kernel: self }
    }
}

impl Campaigns<'_> {
    /// `RunBirthdayCampaign`: the birthday visits due in a window, and
    /// (unless a dry run) their orders, dispatched.
    pub async fn run_birthdays(
        &self,
        actor: &Actor,
        request: RunBirthdayCampaignRequest,
    ) -> Result<RunBirthdayCampaignResponse> {
        access::check(actor, CampaignsRun, Target::Region(&request.region))?;
        let mut violations = Violations::default();
        violations.region("region", &request.region);
        let mut day = |field: &str, d: Option<&Date>| {
            let days = d.and_then(days_from_date);
            if days.is_none() {
                violations.add(field, "is required: a real calendar date");
            }
            days
        };
        let from = day("from", request.from.as_ref());
        let to = day("to", request.to.as_ref());
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                violations.add("to", "must not be before `from`");
            } else if to - from >= MAX_WINDOW_DAYS {
                violations.add(
                    "to",
                    format!("the window may span at most {MAX_WINDOW_DAYS} days"),
                );
            }
        }
        violations.into_result()?;
        self.kernel.check_region(&request.region).await?;
        let window = Window {
            from: date(&request.from.unwrap_or_default()),
            to: date(&request.to.unwrap_or_default()),
        };
        let dry_run = request.dry_run;
        let run = |plugin: Arc<Plugin>, limits, params: Vec<_>, services| async move {
            plugin
                .campaign_run(window, dry_run, &params, limits, services)
                .await
        };
        let called = self
            .kernel
            .plugins
            .call_with(
                &request.region,
                Slot::Campaign,
                actor,
                Writes::Keep("campaigns.run"),
                run,
            )
            .await?;
        let (answer, plugin, created) = (called.answer, called.plugin, called.created);
        let visits = answer.map_err(|why| KernelError::precondition("CAMPAIGN", "from", why))?;
        // The orders this run made are new: dispatch them, as CreateOrder
        // does. Those of earlier runs are left as they are.
        let orders = self.kernel.orders();
        let count = created.len() as i32;
        for order in created {
            orders.dispatch_created(order).await?;
        }
        Ok(RunBirthdayCampaignResponse {
            visits: visits
                .into_iter()
                .map(|v| BirthdayVisit {
                    source_order_id: v.source_order,
                    serial: v.serial,
                    product_line: product_line_from(v.product_line) as i32,
                    vip: v.vip,
                    birthday: Some(date_from(v.birthday)),
                    years: v.years as i32,
                    order_id: v.order_id,
                })
                .collect(),
            created: count,
            plugin,
        })
    }
}
