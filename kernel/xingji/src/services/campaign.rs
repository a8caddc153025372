//! `CampaignService`: appliance-birthday campaigns, through the region's
//! campaign plugin. The plugin finds the birthdays and creates the visit
//! orders (through intake, idempotent on its request keys); the kernel then
//! dispatches the new ones like any new order.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::campaign_service_server::CampaignService;
use xingji_api::v1::{
    BirthdayVisit, OrderStatus, RunBirthdayCampaignRequest, RunBirthdayCampaignResponse,
};
use xingji_plugin_host::Slot;
use xingji_plugin_host::bindings::campaign::exports::xingji::plugins::birthday_campaign::Window;

use super::{Kernel, OrderApi, actor, now};
use crate::lifecycle::Actor;
use crate::status::{failed_precondition, from_store, permission_denied};
use crate::telemetry::record_region;
use crate::validate::{Violations, days_from_date};
use crate::wit_records::{date, date_from, product_line_from};

/// The longest window a run may cover.
const MAX_WINDOW_DAYS: i64 = 366;

/// The `CampaignService` implementation.
pub struct CampaignApi {
    kernel: Arc<Kernel>,
}

impl CampaignApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl CampaignService for CampaignApi {
    async fn run_birthday_campaign(
        &self,
        request: Request<RunBirthdayCampaignRequest>,
    ) -> Result<Response<RunBirthdayCampaignResponse>, Status> {
        let actor = actor(&request);
        let request = request.into_inner();
        record_region(&request.region);
        let mut violations = Violations::default();
        violations.region("region", &request.region);
        let day =
            |field: &str, d: Option<&xingji_api::google::r#type::Date>, v: &mut Violations| {
                let days = d.and_then(days_from_date);
                if days.is_none() {
                    v.add(field, "is required: a real calendar date");
                }
                days
            };
        let from = day("from", request.from.as_ref(), &mut violations);
        let to = day("to", request.to.as_ref(), &mut violations);
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
        if !matches!(
            actor,
            Actor::Hq(_) | Actor::CallCentre(_) | Actor::System(_)
        ) {
            return Err(permission_denied(
                &actor.to_string(),
                "run a campaign",
                "hq:, call-centre: or system:",
            ));
        }
        let window = Window {
            from: date(&request.from.unwrap_or_default()),
            to: date(&request.to.unwrap_or_default()),
        };
        let dry_run = request.dry_run;
        let started = now();
        let (answer, plugin) = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Campaign,
                |plugin, limits, params, services| async move {
                    let (answer, cost) = plugin
                        .campaign_run(window, dry_run, &params, limits, services)
                        .await?;
                    Ok(((answer, plugin.id()), cost))
                },
            )
            .await?;
        let visits = answer.map_err(|why| failed_precondition("CAMPAIGN", "from", why))?;

        // The orders this run made are new: dispatch them, as CreateOrder
        // does. Those of earlier runs are left as they are.
        let orders = OrderApi::new(self.kernel.clone());
        let mut created = 0;
        for visit in visits.iter().filter(|v| !v.order_id.is_empty()) {
            let order = self
                .kernel
                .store
                .get_order(&visit.order_id)
                .await
                .map_err(|error| from_store(error, "order", &visit.order_id))?;
            let new = order
                .create_time
                .is_some_and(|t| (t.seconds, t.nanos) >= (started.seconds, started.nanos))
                && order.history.len() == 1
                && order.status == OrderStatus::Intake as i32;
            if new {
                created += 1;
                orders.dispatch_on_intake(order).await?;
            }
        }
        Ok(Response::new(RunBirthdayCampaignResponse {
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
            created,
            plugin,
        }))
    }
}
