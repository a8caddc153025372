//! The Jiujiu extended warranty (`kernel.warranty()`), through the region's
//! warranty plugin, which keeps the contracts in its key-value store. (Cover
//! at completion is the order workflow's: `orders::completion`.)

use std::sync::Arc;
use xingji_api::v1::{
    Appliance, GetContractRequest, ListContractsRequest, ListContractsResponse, PurchaseRequest,
    QuoteRequest, QuoteResponse, WarrantyContract, WarrantyPlan,
};

use xingji_plugin_host::{Plugin, Slot};

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::calendar::{date_from_days, today};
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::orders::intake::check_request_id;
use crate::paging::{ListRequest, page_size};
use crate::permission::Permission::{WarrantyRead, WarrantySell};
use crate::plugins::calls::Writes;
use crate::privacy;
use crate::validate::{MAX_CODE, MAX_ID, Violations};
use crate::wit::{contract_from, date, warranty_appliance};

/// The warranty of a kernel's regions.
#[derive(Clone, Copy)]
pub struct Warranty<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// The Jiujiu extended warranty.
    pub fn warranty(&self) -> Warranty<'_> {
        Warranty { kernel: self }
    }
}

/// Checks an appliance to quote or insure.
fn check_appliance(v: &mut Violations, appliance: Option<&Appliance>) -> Appliance {
    let Some(a) = appliance else {
        v.add("appliance", "is required");
        return Appliance::default();
    };
    v.enumeration::<xingji_api::v1::ProductLine>("appliance.product_line", a.product_line, false);
    if a.price_fen <= 0 {
        v.add("appliance.price_fen", "must be more than 0");
    }
    match &a.purchase_date {
        None => v.add("appliance.purchase_date", "is required"),
        Some(day) => v.past_date("appliance.purchase_date", day, today()),
    }
    v.text("appliance.serial", &a.serial, 1, MAX_CODE);
    a.clone()
}

impl Warranty<'_> {
    /// `Quote`: the plans the region's plugin offers for an appliance.
    pub async fn quote(&self, actor: &Actor, request: QuoteRequest) -> Result<QuoteResponse> {
        access::check(actor, WarrantySell, Target::Region(&request.region))?;
        let mut violations = Violations::default();
        violations.region("region", &request.region);
        let appliance = check_appliance(&mut violations, request.appliance.as_ref());
        violations.into_result()?;
        self.kernel.check_region(&request.region).await?;
        let today = date(&date_from_days(today()));
        let appliance = warranty_appliance(&appliance);
        let quote = |plugin: Arc<Plugin>, limits, params: Vec<_>, services| async move {
            plugin
                .warranty_quote(&appliance, today, &params, limits, services)
                .await
        };
        let called = self
            .kernel
            .plugins
            .call_with(
                &request.region,
                Slot::Warranty,
                actor,
                Writes::Keep("warranty.quote"),
                quote,
            )
            .await?;
        let (answer, plugin) = (called.answer, called.plugin);
        let plans =
            answer.map_err(|why| KernelError::precondition("NOT_OFFERED", "appliance", why))?;
        Ok(QuoteResponse {
            plans: plans
                .into_iter()
                .map(|p| WarrantyPlan {
                    years: p.years as i32,
                    price_fen: p.price,
                })
                .collect(),
            plugin,
        })
    }

    /// `Purchase`: sells a contract, once per request id.
    pub async fn purchase(
        &self,
        actor: &Actor,
        request: PurchaseRequest,
    ) -> Result<WarrantyContract> {
        access::check(actor, WarrantySell, Target::Region(&request.region))?;
        check_request_id(&request.request_id)?;
        let mut violations = Violations::default();
        violations.region("region", &request.region);
        let appliance = check_appliance(&mut violations, request.appliance.as_ref());
        if request.years <= 0 {
            violations.add("years", "must be one of the quoted plans' years");
        }
        violations.phone("customer_phone", &request.customer_phone);
        let sold = match &request.sold_date {
            Some(sold) => {
                violations.past_date("sold_date", sold, today());
                date(sold)
            }
            None => date(&date_from_days(today())),
        };
        violations.into_result()?;
        self.kernel.check_region(&request.region).await?;
        let appliance = warranty_appliance(&appliance);
        let key = request.request_id.clone();
        let phone = request.customer_phone.clone();
        let years = request.years as u32;
        let answer = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                (actor, "warranty.purchase"),
                |plugin, limits, params, services| async move {
                    plugin
                        .warranty_purchase(
                            &key, &appliance, years, &phone, sold, &params, limits, services,
                        )
                        .await
                },
            )
            .await?;
        let contract =
            answer.map_err(|why| KernelError::precondition("NOT_OFFERED", "appliance", why))?;
        Ok(privacy::contract_for(
            actor,
            contract_from(&request.region, contract),
        ))
    }

    /// `GetContract`.
    pub async fn get_contract(
        &self,
        actor: &Actor,
        request: GetContractRequest,
    ) -> Result<WarrantyContract> {
        access::check(actor, WarrantyRead, Target::Region(&request.region))?;
        self.kernel.check_region(&request.region).await?;
        if request.id.is_empty() {
            return Err(KernelError::invalid("id", "is required"));
        }
        if request.id.len() > MAX_ID {
            return Err(KernelError::not_found("contract", &request.id));
        }
        let id = request.id.clone();
        let found = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                (actor, "warranty.read"),
                |plugin, limits, _, services| async move {
                    plugin.warranty_get_contract(&id, limits, services).await
                },
            )
            .await?;
        let found = found.ok_or_else(|| KernelError::not_found("contract", &request.id))?;
        Ok(privacy::contract_for(
            actor,
            contract_from(&request.region, found),
        ))
    }

    /// `ListContracts`: one page, in the plugin's order.
    pub async fn list_contracts(
        &self,
        actor: &Actor,
        request: ListContractsRequest,
    ) -> Result<ListContractsResponse> {
        access::check(actor, WarrantyRead, Target::Region(&request.region))?;
        self.kernel.check_region(&request.region).await?;
        let scope = request.filters();
        let limit = page_size(request.page_size)?;
        let tokens = &self.kernel.tokens;
        let after = tokens
            .open(&scope, &request.page_token)?
            .unwrap_or_default();
        let mut found = self
            .kernel
            .plugins
            .call(
                &request.region,
                Slot::Warranty,
                (actor, "warranty.read"),
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
                .map(|c| tokens.issue(&scope, &c.id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListContractsResponse {
            contracts: found
                .into_iter()
                .map(|c| privacy::contract_for(actor, contract_from(&request.region, c)))
                .collect(),
            next_page_token,
        })
    }
}
