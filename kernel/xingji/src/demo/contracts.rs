//! The demo's Jiujiu contracts, sold once the plugins run.

use xingji_api::v1::{OrderKind, PurchaseRequest};
use xingji_store::{OrderFilter, Page};

use xingji_core::actor::Actor;
use xingji_core::calendar::{days_from_date, today};
use xingji_core::{Kernel, KernelError};

use super::data::REGIONS;

/// Jiujiu contracts for the demo's younger installed appliances, sold
/// through each region's warranty plugin as `WarrantyService.Purchase`
/// would (run once, after the plugins start, on a freshly seeded store).
pub async fn sell_contracts(kernel: &Kernel) -> Result<(), KernelError> {
    let today = today();
    for region in &REGIONS {
        let filter = OrderFilter {
            regions: Some(vec![region.id.to_owned()]),
            kind: Some(OrderKind::Installation as i32),
            ..Default::default()
        };
        let page = Page {
            after: None,
            limit: 1000,
        };
        let orders = kernel
            .store
            .list_orders(&filter, &page)
            .await
            .map_err(|error| KernelError::store(error, "order", ""))?;
        let young = orders.iter().filter(|o| {
            o.appliance
                .as_ref()
                .and_then(|a| a.purchase_date.as_ref())
                .and_then(days_from_date)
                .is_some_and(|bought| today - bought < 2 * 365)
        });
        for (n, order) in young.take(3).enumerate() {
            let Some(appliance) = order.appliance.clone() else {
                continue;
            };
            let customer_phone = order
                .customer
                .as_ref()
                .map(|c| c.phone.clone())
                .unwrap_or_default();
            let request = PurchaseRequest {
                region: region.id.to_owned(),
                request_id: format!("demo-{}", appliance.serial),
                appliance: Some(appliance),
                years: 1 + n as i32 % 3,
                customer_phone,
                sold_date: None,
            };
            kernel.warranty().purchase(&Actor::Kernel, request).await?;
        }
    }
    Ok(())
}
