//! `MonthCloseService` over the core's month close
//! (`kernel.month_closes()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::month_close_service_server::MonthCloseService;
use xingji_api::v1::{
    CloseMonthRequest, GetMonthCloseRequest, ListMonthClosesRequest, ListMonthClosesResponse,
    MonthClose,
};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::reply;

/// The `MonthCloseService` implementation.
pub struct MonthCloseApi {
    kernel: Arc<Kernel>,
}

impl MonthCloseApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl MonthCloseService for MonthCloseApi {
    async fn close_month(
        &self,
        request: Request<CloseMonthRequest>,
    ) -> Result<Response<MonthClose>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .month_closes()
                .close(&actor, request.into_inner())
                .await,
        )
    }

    async fn get_month_close(
        &self,
        request: Request<GetMonthCloseRequest>,
    ) -> Result<Response<MonthClose>, Status> {
        reply(self.kernel.month_closes().get(request.into_inner()).await)
    }

    async fn list_month_closes(
        &self,
        request: Request<ListMonthClosesRequest>,
    ) -> Result<Response<ListMonthClosesResponse>, Status> {
        reply(self.kernel.month_closes().list(request.into_inner()).await)
    }
}
