//! `OrderService` over the core's order workflow (`kernel.orders()`).

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use xingji_api::v1::order_service_server::OrderService;
use xingji_api::v1::{
    AcceptOrderRequest, AdvanceComplaintRequest, ArriveOnSiteRequest, CancelOrderRequest,
    CheckQualityRequest, CompleteOrderRequest, ContactCustomerRequest, CreateOrderRequest,
    DispatchOrderRequest, GetOrderRequest, InvalidateOrderRequest, ListOrdersRequest,
    ListOrdersResponse, Order, OrderEvent, RecordCallbackRequest, RefuseOrderRequest,
    WatchOrdersRequest,
};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::{reply, status};

/// The `OrderService` implementation.
pub struct OrderApi {
    kernel: Arc<Kernel>,
}

impl OrderApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .create(&actor, request.into_inner())
                .await,
        )
    }

    async fn get_order(
        &self,
        request: Request<GetOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        reply(self.kernel.orders().get(request.into_inner()).await)
    }

    async fn list_orders(
        &self,
        request: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        reply(self.kernel.orders().list(request.into_inner()).await)
    }

    async fn dispatch_order(
        &self,
        request: Request<DispatchOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .dispatch(&actor, request.into_inner())
                .await,
        )
    }

    async fn accept_order(
        &self,
        request: Request<AcceptOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .accept(&actor, request.into_inner())
                .await,
        )
    }

    async fn refuse_order(
        &self,
        request: Request<RefuseOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .refuse(&actor, request.into_inner())
                .await,
        )
    }

    async fn contact_customer(
        &self,
        request: Request<ContactCustomerRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .contact(&actor, request.into_inner())
                .await,
        )
    }

    async fn arrive_on_site(
        &self,
        request: Request<ArriveOnSiteRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .arrive(&actor, request.into_inner())
                .await,
        )
    }

    async fn complete_order(
        &self,
        request: Request<CompleteOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .complete(&actor, request.into_inner())
                .await,
        )
    }

    async fn record_callback(
        &self,
        request: Request<RecordCallbackRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .record_callback(&actor, request.into_inner())
                .await,
        )
    }

    async fn check_quality(
        &self,
        request: Request<CheckQualityRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .check_quality(&actor, request.into_inner())
                .await,
        )
    }

    async fn cancel_order(
        &self,
        request: Request<CancelOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .cancel(&actor, request.into_inner())
                .await,
        )
    }

    async fn invalidate_order(
        &self,
        request: Request<InvalidateOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .invalidate(&actor, request.into_inner())
                .await,
        )
    }

    async fn advance_complaint(
        &self,
        request: Request<AdvanceComplaintRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .orders()
                .advance_complaint(&actor, request.into_inner())
                .await,
        )
    }

    type WatchOrdersStream = Pin<Box<dyn Stream<Item = Result<OrderEvent, Status>> + Send>>;

    async fn watch_orders(
        &self,
        request: Request<WatchOrdersRequest>,
    ) -> Result<Response<Self::WatchOrdersStream>, Status> {
        let events = self
            .kernel
            .orders()
            .watch(request.into_inner())
            .await
            .map_err(status)?;
        let events =
            tokio_stream::wrappers::ReceiverStream::new(events).map(|event| event.map_err(status));
        Ok(Response::new(Box::pin(events)))
    }
}
