//! `PluginService`: the plugin registry and each region's plugin set.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::plugin_service_server::PluginService;
use xingji_api::v1::*;

use super::{actor, region_filter};
use crate::pagination::page_size;
use crate::plugins::{PluginSets, region_and_slot, slot_from_proto};
use crate::status::invalid_field;
use crate::telemetry::record_region;

/// The largest component `InstallPlugin` takes.
pub const MAX_COMPONENT_BYTES: usize = 64 << 20;

/// The `PluginService` implementation.
pub struct PluginApi {
    plugins: Arc<PluginSets>,
    tokens: crate::pagination::PageTokens,
}

impl PluginApi {
    /// The service over `plugins`.
    pub fn new(plugins: Arc<PluginSets>, tokens: crate::pagination::PageTokens) -> Self {
        Self { plugins, tokens }
    }

    /// One page of `items`, which are in a fixed order; the token holds the
    /// index of the next item.
    fn page<T>(
        &self,
        scope: &[u8],
        items: Vec<T>,
        size: i32,
        token: &str,
    ) -> Result<(Vec<T>, String), Status> {
        let limit = page_size(size)? as usize;
        let start = match self.tokens.open(scope, token)? {
            Some(index) => index
                .parse::<usize>()
                .map_err(|_| invalid_field("page_token", "is not valid"))?,
            None => 0,
        };
        let page: Vec<T> = items.into_iter().skip(start).take(limit + 1).collect();
        if page.len() > limit {
            let mut page = page;
            page.truncate(limit);
            Ok((page, self.tokens.issue(scope, &(start + limit).to_string())))
        } else {
            Ok((page, String::new()))
        }
    }
}

#[tonic::async_trait]
impl PluginService for PluginApi {
    async fn install_plugin(
        &self,
        request: Request<InstallPluginRequest>,
    ) -> Result<Response<Plugin>, Status> {
        let actor = actor(&request).to_string();
        let component = request.into_inner().component;
        if component.is_empty() {
            return Err(invalid_field(
                "component",
                "is required: the .wasm file's bytes",
            ));
        }
        if component.len() > MAX_COMPONENT_BYTES {
            return Err(invalid_field(
                "component",
                format!("is larger than {MAX_COMPONENT_BYTES} bytes"),
            ));
        }
        Ok(Response::new(
            self.plugins.install(&component, &actor, false).await?,
        ))
    }

    async fn list_plugins(
        &self,
        request: Request<ListPluginsRequest>,
    ) -> Result<Response<ListPluginsResponse>, Status> {
        let request = request.into_inner();
        let mut plugins = self.plugins.list();
        if request.slot != 0 {
            if slot_from_proto(request.slot).is_none() {
                return Err(invalid_field("slot", "is not a PLUGIN_SLOT_* value"));
            }
            plugins.retain(|p| p.slot == request.slot);
        }
        let scope = format!("plugins/{}", request.slot).into_bytes();
        let (plugins, next_page_token) =
            self.page(&scope, plugins, request.page_size, &request.page_token)?;
        Ok(Response::new(ListPluginsResponse {
            plugins,
            next_page_token,
        }))
    }

    async fn get_region_plugins(
        &self,
        request: Request<GetRegionPluginsRequest>,
    ) -> Result<Response<RegionPlugins>, Status> {
        let region = request.into_inner().region;
        record_region(&region);
        if region_filter(&region)?.is_none() {
            return Err(invalid_field("region", "is required"));
        }
        let plugins = self.plugins.region_plugins(&region);
        Ok(Response::new(RegionPlugins { region, plugins }))
    }

    async fn activate_plugin(
        &self,
        request: Request<ActivatePluginRequest>,
    ) -> Result<Response<Activation>, Status> {
        let actor = actor(&request).to_string();
        let request = request.into_inner();
        record_region(&request.region);
        let slot = region_and_slot(&request.region, request.slot)?;
        if request.name.is_empty() || request.version.is_empty() {
            return Err(invalid_field(
                if request.name.is_empty() {
                    "name"
                } else {
                    "version"
                },
                "is required",
            ));
        }
        let id = format!("{}@{}", request.name, request.version);
        let activation = self
            .plugins
            .activate(&request.region, slot, &id, &actor, &request.reason)
            .await?;
        Ok(Response::new(activation))
    }

    async fn rollback_plugin(
        &self,
        request: Request<RollbackPluginRequest>,
    ) -> Result<Response<Activation>, Status> {
        let actor = actor(&request).to_string();
        let request = request.into_inner();
        record_region(&request.region);
        let slot = region_and_slot(&request.region, request.slot)?;
        let activation = self
            .plugins
            .rollback(&request.region, slot, &actor, &request.reason)
            .await?;
        Ok(Response::new(activation))
    }

    async fn list_activations(
        &self,
        request: Request<ListActivationsRequest>,
    ) -> Result<Response<ListActivationsResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let region = region_filter(&request.region)?;
        let history = self.plugins.history(region.as_deref()).await?;
        let scope = format!("activations/{}", request.region).into_bytes();
        let (activations, next_page_token) =
            self.page(&scope, history, request.page_size, &request.page_token)?;
        Ok(Response::new(ListActivationsResponse {
            activations,
            next_page_token,
        }))
    }

    async fn get_plugin_stats(
        &self,
        request: Request<GetPluginStatsRequest>,
    ) -> Result<Response<PluginStats>, Status> {
        let region = region_filter(&request.into_inner().region)?;
        Ok(Response::new(PluginStats {
            stats: self.plugins.stats(region.as_deref()),
        }))
    }
}
