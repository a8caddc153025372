//! `CampaignService` over the core (`kernel.campaigns()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::campaign_service_server::CampaignService;
use xingji_api::v1::{RunBirthdayCampaignRequest, RunBirthdayCampaignResponse};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::reply;

/// The `CampaignService` implementation.
pub struct CampaignApi {
    kernel: Arc<Kernel>,
}

impl CampaignApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl CampaignService for CampaignApi {
    async fn run_birthday_campaign(
        &self,
        request: Request<RunBirthdayCampaignRequest>,
    ) -> Result<Response<RunBirthdayCampaignResponse>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .campaigns()
                .run_birthdays(&actor, request.into_inner())
                .await,
        )
    }
}
