//! `TourService` over the core (`kernel.tours()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::tour_service_server::TourService;
use xingji_api::v1::{PlanToursRequest, PlanToursResponse};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::reply;

/// The `TourService` implementation.
pub struct TourApi {
    kernel: Arc<Kernel>,
}

impl TourApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl TourService for TourApi {
    async fn plan_tours(
        &self,
        request: Request<PlanToursRequest>,
    ) -> Result<Response<PlanToursResponse>, Status> {
        let actor = actor(&request);
        reply(self.kernel.tours().plan(&actor, request.into_inner()).await)
    }
}
