//! `WarrantyService` over the core (`kernel.warranty()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::warranty_service_server::WarrantyService;
use xingji_api::v1::{
    GetContractRequest, ListContractsRequest, ListContractsResponse, PurchaseRequest, QuoteRequest,
    QuoteResponse, WarrantyContract,
};
use xingji_core::Kernel;

use crate::grpc::status::reply;

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

#[tonic::async_trait]
impl WarrantyService for WarrantyApi {
    async fn quote(
        &self,
        request: Request<QuoteRequest>,
    ) -> Result<Response<QuoteResponse>, Status> {
        reply(self.kernel.warranty().quote(request.into_inner()).await)
    }

    async fn purchase(
        &self,
        request: Request<PurchaseRequest>,
    ) -> Result<Response<WarrantyContract>, Status> {
        reply(self.kernel.warranty().purchase(request.into_inner()).await)
    }

    async fn get_contract(
        &self,
        request: Request<GetContractRequest>,
    ) -> Result<Response<WarrantyContract>, Status> {
        reply(
            self.kernel
                .warranty()
                .get_contract(request.into_inner())
                .await,
        )
    }

    async fn list_contracts(
        &self,
        request: Request<ListContractsRequest>,
    ) -> Result<Response<ListContractsResponse>, Status> {
        reply(
            self.kernel
                .warranty()
                .list_contracts(request.into_inner())
                .await,
        )
    }
}
