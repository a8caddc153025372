//! `PluginService` over the core's plugin administration
//! (`kernel.plugin_admin()`).

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::plugin_service_server::PluginService;
use xingji_api::v1::{
    ActivatePluginRequest, Activation, GetPluginStatsRequest, GetRegionPluginsRequest,
    InstallPluginRequest, ListActivationsRequest, ListActivationsResponse, ListPluginsRequest,
    ListPluginsResponse, Plugin, PluginStats, RegionPlugins, RollbackPluginRequest,
};
use xingji_core::Kernel;

use crate::grpc::actor::actor;
use crate::grpc::status::reply;

/// The `PluginService` implementation.
pub struct PluginApi {
    kernel: Arc<Kernel>,
}

impl PluginApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

#[tonic::async_trait]
impl PluginService for PluginApi {
    async fn install_plugin(
        &self,
        request: Request<InstallPluginRequest>,
    ) -> Result<Response<Plugin>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .plugin_admin()
                .install(&actor, request.into_inner())
                .await,
        )
    }

    async fn list_plugins(
        &self,
        request: Request<ListPluginsRequest>,
    ) -> Result<Response<ListPluginsResponse>, Status> {
        reply(self.kernel.plugin_admin().list(request.into_inner()).await)
    }

    async fn get_region_plugins(
        &self,
        request: Request<GetRegionPluginsRequest>,
    ) -> Result<Response<RegionPlugins>, Status> {
        reply(
            self.kernel
                .plugin_admin()
                .region_plugins(request.into_inner())
                .await,
        )
    }

    async fn activate_plugin(
        &self,
        request: Request<ActivatePluginRequest>,
    ) -> Result<Response<Activation>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .plugin_admin()
                .activate(&actor, request.into_inner())
                .await,
        )
    }

    async fn rollback_plugin(
        &self,
        request: Request<RollbackPluginRequest>,
    ) -> Result<Response<Activation>, Status> {
        let actor = actor(&request);
        reply(
            self.kernel
                .plugin_admin()
                .rollback(&actor, request.into_inner())
                .await,
        )
    }

    async fn list_activations(
        &self,
        request: Request<ListActivationsRequest>,
    ) -> Result<Response<ListActivationsResponse>, Status> {
        reply(
            self.kernel
                .plugin_admin()
                .history(request.into_inner())
                .await,
        )
    }

    async fn get_plugin_stats(
        &self,
        request: Request<GetPluginStatsRequest>,
    ) -> Result<Response<PluginStats>, Status> {
        reply(self.kernel.plugin_admin().stats(request.into_inner()).await)
    }
}
