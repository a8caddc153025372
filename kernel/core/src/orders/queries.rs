//! Reading orders: `GetOrder` and `ListOrders`.

use xingji_api::v1::{
    GetOrderRequest, ListOrdersRequest, ListOrdersResponse, Order, OrderKind, OrderStatus,
    ProductLine,
};
use xingji_store::OrderFilter;

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::calendar::now;
use crate::error::Result;
use crate::orders::write::{Orders, present};
use crate::paging::{enum_filter, text_filter};
use crate::permission::Permission::OrdersRead;
use crate::records::get;
use crate::regions::record_region;
use crate::validate::Violations;

impl Orders<'_> {
    /// `GetOrder`.
    pub async fn get(&self, actor: &Actor, request: GetOrderRequest) -> Result<Order> {
        access::check(actor, OrdersRead, Target::Unread("orders", &request.id))?;
        let store = &self.kernel.store;
        let id = &request.id;
        let order: Order = get("id", "order", id, || store.get_order(id)).await?;
        record_region(&order.region);
        access::check(actor, OrdersRead, Target::Order(&order))?;
        Ok(present(actor, order))
    }

    /// `ListOrders`: one page, oldest first.
    pub async fn list(
        &self,
        actor: &Actor,
        request: ListOrdersRequest,
    ) -> Result<ListOrdersResponse> {
        let regions = self
            .kernel
            .list_regions(actor, OrdersRead, &request.region)
            .await?;
        let outlet_id =
            access::own_filter(actor, actor.own_outlet(), OrdersRead, &request.outlet_id)?;
        let engineer_id =
            access::own_filter(actor, actor.own_person(), OrdersRead, &request.engineer_id)?;
        let mut violations = Violations::default();
        let status = enum_filter::<OrderStatus>(&mut violations, "status", request.status);
        let kind = enum_filter::<OrderKind>(&mut violations, "kind", request.kind);
        let product_line =
            enum_filter::<ProductLine>(&mut violations, "product_line", request.product_line);
        violations.into_result()?;
        let filter = OrderFilter {
            regions,
            status,
            outlet_id,
            engineer_id,
            kind,
            product_line,
            original_order_id: text_filter(&request.original_order_id),
            due_before: request.overdue_only.then(|| now().seconds),
        };
        let (orders, next_page_token) = self.kernel.list(&request, &filter).await?;
        Ok(ListOrdersResponse {
            orders: orders
                .into_iter()
                .map(|order| present(actor, order))
                .collect(),
            next_page_token,
        })
    }
}
