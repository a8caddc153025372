//! Reading orders: `GetOrder` and `ListOrders`.

use xingji_api::v1::{
    GetOrderRequest, ListOrdersRequest, ListOrdersResponse, Order, OrderKind, OrderStatus,
    ProductLine,
};
use xingji_store::OrderFilter;

use crate::calendar::now;
use crate::error::KernelError;
use crate::orders::write::{Orders, present};
use crate::paging::{enum_filter, scope, text_filter};
use crate::records::get;
use crate::regions::record_region;
use crate::validate::Violations;

impl Orders<'_> {
    /// `GetOrder`.
    pub async fn get(&self, request: GetOrderRequest) -> Result<Order, KernelError> {
        let store = &self.kernel.store;
        let id = &request.id;
        let order: Order = get("id", "order", id, || store.get_order(id)).await?;
        record_region(&order.region);
        Ok(present(order))
    }

    /// `ListOrders`: one page, oldest first.
    pub async fn list(
        &self,
        request: ListOrdersRequest,
    ) -> Result<ListOrdersResponse, KernelError> {
        record_region(&request.region);
        let mut violations = Violations::default();
        let status = enum_filter::<OrderStatus>(&mut violations, "status", request.status);
        let kind = enum_filter::<OrderKind>(&mut violations, "kind", request.kind);
        let product_line =
            enum_filter::<ProductLine>(&mut violations, "product_line", request.product_line);
        violations.into_result()?;
        let filter = OrderFilter {
            region: self
                .kernel
                .regions
                .check_filter("region", &request.region)
                .await?,
            status,
            outlet_id: text_filter(&request.outlet_id),
            engineer_id: text_filter(&request.engineer_id),
            kind,
            product_line,
            original_order_id: text_filter(&request.original_order_id),
            due_before: request.overdue_only.then(|| now().seconds),
        };
        let scope = scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let (orders, next_page_token) = self
            .kernel
            .tokens
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |o: &Order| &o.id,
                |page| async move { store.list_orders(&filter, &page).await },
            )
            .await?;
        Ok(ListOrdersResponse {
            orders: orders.into_iter().map(present).collect(),
            next_page_token,
        })
    }
}
