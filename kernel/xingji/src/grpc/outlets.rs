//! `OutletService` over the core's network (`kernel.outlets()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::outlet_service_server::OutletService;
use xingji_api::v1::{
    Audit, CreateOutletRequest, GetOutletRequest, ListAuditsRequest, ListAuditsResponse,
    ListOutletsRequest, ListOutletsResponse, Outlet, RecordAuditRequest, UpdateOutletRequest,
};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::reply;

/// The `OutletService` implementation.
pub struct OutletApi {
    kernel: Arc<Kernel>,
}

impl OutletApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl OutletService for OutletApi {
    async fn create_outlet(
        &self,
        request: Request<CreateOutletRequest>,
    ) -> Result<Response<Outlet>, Status> {
        reply(self.kernel.outlets().create(request.into_inner()).await)
    }

    async fn get_outlet(
        &self,
        request: Request<GetOutletRequest>,
    ) -> Result<Response<Outlet>, Status> {
        reply(self.kernel.outlets().get(request.into_inner()).await)
    }

    async fn list_outlets(
        &self,
        request: Request<ListOutletsRequest>,
    ) -> Result<Response<ListOutletsResponse>, Status> {
        reply(self.kernel.outlets().list(request.into_inner()).await)
    }

    async fn update_outlet(
        &self,
        request: Request<UpdateOutletRequest>,
    ) -> Result<Response<Outlet>, Status> {
        reply(self.kernel.outlets().update(request.into_inner()).await)
    }

    async fn record_audit(
        &self,
        request: Request<RecordAuditRequest>,
    ) -> Result<Response<Audit>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .outlets()
                .record_audit(&actor, request.into_inner())
                .await,
        )
    }

    async fn list_audits(
        &self,
        request: Request<ListAuditsRequest>,
    ) -> Result<Response<ListAuditsResponse>, Status> {
        reply(
            self.kernel
                .outlets()
                .list_audits(request.into_inner())
                .await,
        )
    }
}
