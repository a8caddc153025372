//! `WarrantyService`: the Jiujiu extended warranty, through the region's
//! warranty plugin (which keeps the contracts in its key-value store).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::warranty_service_server::WarrantyService;
use xingji_api::v1::{
    Appliance, GetContractRequest, ListContractsRequest, ListContractsResponse, PurchaseRequest,
    QuoteRequest, QuoteResponse, WarrantyContract, WarrantyPlan,
};
use xingji_plugin_host::Slot;
use xingji_plugin_host::bindings::warranty::exports::xingji::plugins::warranty_plans as wit;

use super::{Kernel, list_scope, require_id};
use crate::pagination::page_size;
use crate::status::{failed_precondition, not_found};
use crate::telemetry::record_region;
use crate::validate::{self, Violations};
use crate::wit_records::{date, date_from, product_line, product_line_from};

/// The `WarrantyService` implementation.
pub struct WarrantyApi {
    kernel: Arc<Kernel>,
}

impl WarrantyApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

/// Checks an appliance to quote or insure, and makes it the plugin's.
fn appliance(v: &mut Violations, appliance: Option<&Appliance>) -> wit::Appliance {
    let Some(a) = appliance else {
        v.add("appliance", "is required");
        return wit::Appliance {
            product_line: product_line(0),
            price: 0,
            purchase_date: date(&Default::default()),
            serial: String::new(),
        };
    };
    v.enumeration::<xingji_api::v1::ProductLine>("appliance.product_line", a.product_line, false);
    if a.price_fen <= 0 {
        v.add("appliance.price_fen", "must be more than 0");
    }
    match &a.purchase_date {
        None => v.add("appliance.purchase_date", "is required"),
        Some(day) => v.past_date("appliance.purchase_date", day, validate::today()),
    }
    v.text("appliance.serial", &a.serial, 1, 64);
    wit::Appliance {
        product_line: product_line(a.product_line),
        price: a.price_fen,
        purchase_date: date(&a.purchase_date.unwrap_or_default()),
        serial: a.serial.clone(),
    }
}

/// A plugin's contract as the API shows it.
pub fn contract(region: &str, c: wit::Contract) -> WarrantyContract {
    WarrantyContract {
        id: c.id,
        region: region.to_owned(),
        appliance: Some(Appliance {
            product_line: product_line_from(c.appliance.product_line) as i32,
            serial: c.appliance.serial,
            purchase_date: Some(date_from(c.appliance.purchase_date)),
            price_fen: c.appliance.price,
            model: String::new(),
        }),
        years: c.years as i32,
        price_fen: c.price,
        customer_phone: c.customer_phone,
        sold_date: Some(date_from(c.sold)),
        start_date: Some(date_from(c.start)),
        end_date: Some(date_from(c.end)),
        claims: c.claims as i32,
    }
}

/// Today in China Standard Time, as WIT has it.
pub fn today() -> xingji_plugin_host::bindings::host::xingji::plugins::types::Date {
    date(&validate::date_from_days(validate::today()))
}

fn region(region: &str) -> Result<(), Status> {
    let mut violations = Violations::default();
    violations.region("region", region);
    violations.into_result()
}

#[tonic::async_trait]
impl WarrantyService for WarrantyApi {
    async fn quote(
        &self,
        request: Request<QuoteRequest>,
    ) -> Result<Response<QuoteResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let mut violations = Violations::default();
        violations.region("region", &request.region);
        let appliance = appliance(&mut violations, request.appliance.as_ref());
        violations.into_result()?;
        let today = today();
        let (answer, plugin) = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                |plugin, limits, params, services| async move {
                    let (answer, cost) = plugin
                        .warranty_quote(&appliance, today, &params, limits, services)
                        .await?;
                    Ok(((answer, plugin.id()), cost))
                },
            )
            .await?;
        let plans = answer.map_err(|why| failed_precondition("NOT_OFFERED", "appliance", why))?;
        Ok(Response::new(QuoteResponse {
            plans: plans
                .into_iter()
                .map(|p| WarrantyPlan {
                    years: p.years as i32,
                    price_fen: p.price,
                })
                .collect(),
            plugin,
        }))
    }

    async fn purchase(
        &self,
        request: Request<PurchaseRequest>,
    ) -> Result<Response<WarrantyContract>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        super::orders::check_request_id(&request.request_id)?;
        let mut violations = Violations::default();
        violations.region("region", &request.region);
        let appliance = appliance(&mut violations, request.appliance.as_ref());
        if request.years <= 0 {
            violations.add("years", "must be one of the quoted plans' years");
        }
        violations.phone("customer_phone", &request.customer_phone);
        let today = match &request.sold_date {
            Some(sold) => {
                violations.past_date("sold_date", sold, validate::today());
                date(sold)
            }
            None => today(),
        };
        violations.into_result()?;
        let key = request.request_id.clone();
        let phone = request.customer_phone.clone();
        let years = request.years as u32;
        let answer = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                |plugin, limits, params, services| async move {
                    plugin
                        .warranty_purchase(
                            &key, &appliance, years, &phone, today, &params, limits, services,
                        )
                        .await
                },
            )
            .await?;
        let sold = answer.map_err(|why| failed_precondition("NOT_OFFERED", "appliance", why))?;
        Ok(Response::new(contract(&request.region, sold)))
    }

    async fn get_contract(
        &self,
        request: Request<GetContractRequest>,
    ) -> Result<Response<WarrantyContract>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        region(&request.region)?;
        require_id("id", &request.id)?;
        let id = request.id.clone();
        let found = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                |plugin, limits, _, services| async move {
                    plugin.warranty_get_contract(&id, limits, services).await
                },
            )
            .await?;
        let found = found.ok_or_else(|| not_found("contract", &request.id))?;
        Ok(Response::new(contract(&request.region, found)))
    }

    async fn list_contracts(
        &self,
        request: Request<ListContractsRequest>,
    ) -> Result<Response<ListContractsResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        region(&request.region)?;
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let limit = page_size(request.page_size)?;
        let after = self
            .kernel
            .tokens
            .open(&scope, &request.page_token)?
            .unwrap_or_default();
        let mut found = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                |plugin, limits, _, services| async move {
                    plugin
                        .warranty_list_contracts(&after, limit + 1, limits, services)
                        .await
                },
            )
            .await?;
        let next_page_token = if found.len() > limit as usize {
            found.truncate(limit as usize);
            found
                .last()
                .map(|c| self.kernel.tokens.issue(&scope, &c.id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(ListContractsResponse {
            contracts: found
                .into_iter()
                .map(|c| contract(&request.region, c))
                .collect(),
            next_page_token,
        }))
    }
}
