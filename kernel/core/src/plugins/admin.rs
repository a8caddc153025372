//! The plugin registry and region plugin sets as regional IT manages them
//! (`kernel.plugin_admin()`): install, list, activate, roll back, shadow,
//! and the history, call counts, shadow reports and recorded decisions.

use xingji_api::v1::{
    ActivatePluginRequest, Activation, ActivationAction, GetPluginStatsRequest,
    GetRegionPluginsRequest, GetShadowReportRequest, InstallPluginRequest, ListActivationsRequest,
    ListActivationsResponse, ListOrderDecisionsRequest, ListOrderDecisionsResponse,
    ListPluginsRequest, ListPluginsResponse, Plugin as PluginRecord, PluginParam, PluginStats,
    RegionPlugins, ResetPluginRequest, RollbackPluginRequest, ShadowPluginRequest, ShadowReport,
    UninstallPluginRequest,
};
use xingji_plugin_host::{SUPPORTED_WIT_VERSIONS, Slot};

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::paging::{ListRequest, page_size};
use crate::permission::Permission::{PluginsActivate, PluginsInstall, PluginsRead};
use crate::plugins::shadow::with_request;
use crate::plugins::slots::slot_from_proto;
use crate::plugins::vet;
use crate::regions::record_region;
use crate::validate::{MAX_REASON, Violations};

/// The plugin administration of a kernel.
#[derive(Clone, Copy)]
pub struct PluginAdmin<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// Plugin administration.
    pub fn plugin_admin(&self) -> PluginAdmin<'_> {
        PluginAdmin { kernel: self }
    }
}

impl PluginAdmin<'_> {
    /// `InstallPlugin`: validates and installs a component.
    pub async fn install(
        &self,
        actor: &Actor,
        request: InstallPluginRequest,
    ) -> Result<PluginRecord> {
        access::check(actor, PluginsInstall, Target::Registry)?;
        let component = request.component;
        vet::check_size(&self.kernel.plugins.config, &component)?;
        let actor = actor.to_string();
        let publisher =
            self.kernel
                .plugins
                .publishers
                .identify(&actor, &component, &request.signature)?;
        self.kernel
            .plugins
            .install(&component, &actor, &publisher)
            .await
    }

    /// `UninstallPlugin`: removes a version nothing runs, with its
    /// component and compiled artifacts.
    pub async fn uninstall(
        &self,
        actor: &Actor,
        request: UninstallPluginRequest,
    ) -> Result<PluginRecord> {
        access::check(actor, PluginsInstall, Target::Registry)?;
        let mut violations = Violations::default();
        for (field, value) in [("name", &request.name), ("version", &request.version)] {
            if value.is_empty() {
                violations.add(field, "is required");
            } else {
                violations.text(field, value, 1, 64);
            }
        }
        violations.into_result()?;
        let id = format!("{}@{}", request.name, request.version);
        self.kernel.plugins.uninstall(&id, &actor.to_string()).await
    }

    /// `ListPlugins`: installed plugins by name and version.
    pub async fn list(
        &self,
        actor: &Actor,
        request: ListPluginsRequest,
    ) -> Result<ListPluginsResponse> {
        access::check(actor, PluginsRead, Target::Registry)?;
        let mut plugins = self.kernel.plugins.list();
        if request.slot != 0 {
            if slot_from_proto(request.slot).is_none() {
                return Err(KernelError::invalid("slot", "is not a PLUGIN_SLOT_* value"));
            }
            plugins.retain(|p| p.slot == request.slot);
        }
        let (plugins, next_page_token) = self.page(&request, plugins)?;
        Ok(ListPluginsResponse {
            plugins,
            next_page_token,
            supported_wit_versions: SUPPORTED_WIT_VERSIONS
                .iter()
                .map(|v| v.to_string())
                .collect(),
        })
    }

    /// `GetRegionPlugins`: what a region runs in each slot, and why.
    pub async fn region_plugins(
        &self,
        actor: &Actor,
        request: GetRegionPluginsRequest,
    ) -> Result<RegionPlugins> {
        let region = request.region;
        record_region(&region);
        access::check(actor, PluginsRead, Target::Region(&region))?;
        if region.is_empty() {
            return Err(KernelError::invalid("region", "is required"));
        }
        self.kernel.check_region(&region).await?;
        let plugins = self.kernel.plugins.region_plugins(&region);
        Ok(RegionPlugins { region, plugins })
    }

    /// `ActivatePlugin`: makes a region run a plugin in a slot.
    pub async fn activate(
        &self,
        actor: &Actor,
        request: ActivatePluginRequest,
    ) -> Result<Activation> {
        access::check(actor, PluginsActivate, Target::Region(&request.region))?;
        let mut violations = Violations::default();
        let slot = region_and_slot(&mut violations, &request.region, request.slot);
        plugin_fields(
            &mut violations,
            &request.name,
            &request.version,
            "is required",
        );
        violations.text("reason", &request.reason, 0, MAX_REASON);
        params_fields(&mut violations, &request.params);
        violations.into_result()?;
        self.kernel.check_region(&request.region).await?;
        let id = format!("{}@{}", request.name, request.version);
        let params = request
            .params
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect();
        self.kernel
            .plugins
            .activate(
                &request.region,
                slot,
                &id,
                (&actor.to_string(), &request.reason),
                params,
            )
            .await
    }

    /// `RollbackPlugin`: returns a region's slot to what it ran before.
    pub async fn rollback(
        &self,
        actor: &Actor,
        request: RollbackPluginRequest,
    ) -> Result<Activation> {
        let RollbackPluginRequest {
            region,
            slot,
            reason,
        } = request;
        self.undo(actor, &region, slot, &reason, ActivationAction::Rollback)
            .await
    }

    /// `ResetPlugin`: returns a region's slot to its config's or the
    /// default plugin.
    pub async fn reset(&self, actor: &Actor, request: ResetPluginRequest) -> Result<Activation> {
        let ResetPluginRequest {
            region,
            slot,
            reason,
        } = request;
        self.undo(actor, &region, slot, &reason, ActivationAction::Reset)
            .await
    }

    /// A rollback or reset: permission, fields, the region, then the undo.
    async fn undo(
        &self,
        actor: &Actor,
        region: &str,
        slot: i32,
        reason: &str,
        how: ActivationAction,
    ) -> Result<Activation> {
        access::check(actor, PluginsActivate, Target::Region(region))?;
        let mut violations = Violations::default();
        let slot = region_and_slot(&mut violations, region, slot);
        violations.text("reason", reason, 0, MAX_REASON);
        violations.into_result()?;
        self.kernel.check_region(region).await?;
        self.kernel
            .plugins
            .undo(region, slot, how, &actor.to_string(), reason)
            .await
    }

    /// `ShadowPlugin`: sets or ends the shadow of a region's slot.
    pub async fn shadow(&self, actor: &Actor, request: ShadowPluginRequest) -> Result<Activation> {
        access::check(actor, PluginsActivate, Target::Region(&request.region))?;
        let mut violations = Violations::default();
        let slot = region_and_slot(&mut violations, &request.region, request.slot);
        let ending = request.name.is_empty() && request.version.is_empty();
        if !ending {
            let missing = "is required with the other (both empty end the shadow)";
            plugin_fields(&mut violations, &request.name, &request.version, missing);
        }
        violations.text("reason", &request.reason, 0, MAX_REASON);
        violations.into_result()?;
        self.kernel.check_region(&request.region).await?;
        let id = format!("{}@{}", request.name, request.version);
        let id = (!ending).then_some(id.as_str());
        self.kernel
            .plugins
            .shadow(
                &request.region,
                slot,
                id,
                &actor.to_string(),
                &request.reason,
            )
            .await
    }

    /// `GetShadowReport`: how a region's shadow agreed with the active
    /// plugin.
    pub async fn shadow_report(
        &self,
        actor: &Actor,
        request: GetShadowReportRequest,
    ) -> Result<ShadowReport> {
        access::check(actor, PluginsRead, Target::Region(&request.region))?;
        let mut violations = Violations::default();
        let slot = region_and_slot(&mut violations, &request.region, request.slot);
        if !(0..=100).contains(&request.max_differing) {
            violations.add("max_differing", "is 0 to 100");
        }
        violations.into_result()?;
        self.kernel.check_region(&request.region).await?;
        let max = match request.max_differing {
            0 => 20,
            n => n as u32,
        };
        self.kernel
            .plugins
            .shadow_report(&request.region, slot, max)
            .await
    }

    /// `ListOrderDecisions`: the decisions recorded for an order, with
    /// their requests. They hold the customer's location, so they are for
    /// who may read the region's plugins, not everyone who sees the order.
    pub async fn decisions(
        &self,
        actor: &Actor,
        request: ListOrderDecisionsRequest,
    ) -> Result<ListOrderDecisionsResponse> {
        if request.order_id.is_empty() {
            return Err(KernelError::invalid("order_id", "is required"));
        }
        let store = self.kernel.store.as_ref();
        let order = store
            .get_order(&request.order_id)
            .await
            .map_err(|error| KernelError::store(error, "order", &request.order_id))?;
        access::check(actor, PluginsRead, Target::Region(&order.region))?;
        let decisions = store
            .list_decisions(&order.id)
            .await
            .map_err(|error| KernelError::store(error, "order", &order.id))?;
        Ok(ListOrderDecisionsResponse {
            decisions: decisions.into_iter().map(with_request).collect(),
        })
    }

    /// `ListActivations`: the history, newest first.
    pub async fn history(
        &self,
        actor: &Actor,
        request: ListActivationsRequest,
    ) -> Result<ListActivationsResponse> {
        let regions = self
            .kernel
            .list_regions(actor, PluginsRead, &request.region)
            .await?;
        let history = self.kernel.plugins.history(regions.as_deref()).await?;
        let (activations, next_page_token) = self.page(&request, history)?;
        Ok(ListActivationsResponse {
            activations,
            next_page_token,
        })
    }

    /// `GetPluginStats`: call counts since the kernel started.
    pub async fn stats(
        &self,
        actor: &Actor,
        request: GetPluginStatsRequest,
    ) -> Result<PluginStats> {
        let regions = self
            .kernel
            .list_regions(actor, PluginsRead, &request.region)
            .await?;
        Ok(PluginStats {
            stats: self.kernel.plugins.stats(regions.as_deref()),
        })
    }

    /// One page of `items`, which are in a fixed order; the token holds the
    /// index of the next item.
    fn page<T>(&self, request: &impl ListRequest, items: Vec<T>) -> Result<(Vec<T>, String)> {
        let (tokens, scope) = (&self.kernel.tokens, &request.filters());
        let limit = page_size(request.page_size())? as usize;
        let start = match tokens.open(scope, request.page_token())? {
            Some(index) => index
                .parse::<usize>()
                .map_err(|_| KernelError::invalid("page_token", "is not valid"))?,
            None => 0,
        };
        let mut page: Vec<T> = items.into_iter().skip(start).take(limit + 1).collect();
        if page.len() > limit {
            page.truncate(limit);
            Ok((page, tokens.issue(scope, &(start + limit).to_string())))
        } else {
            Ok((page, String::new()))
        }
    }
}

/// Checks a request's plugin name and version, each `missing` when empty.
fn plugin_fields(violations: &mut Violations, name: &str, version: &str, missing: &str) {
    for (field, value) in [("name", name), ("version", version)] {
        if value.is_empty() {
            violations.add(field, missing);
        } else {
            violations.text(field, value, 1, 64);
        }
    }
}

/// Checks a request's region id and slot.
fn region_and_slot(violations: &mut Violations, region: &str, slot: i32) -> Slot {
    violations.region("region", region);
    slot_from_proto(slot).unwrap_or_else(|| {
        violations.add("slot", "is required: one of the PLUGIN_SLOT_* values");
        Slot::Dispatch
    })
}

/// The most parameters an activation carries, and their sizes.
const MAX_PARAMS: usize = 64;
const MAX_PARAM_NAME: usize = 64;
const MAX_PARAM_VALUE: usize = 1024;

/// An activation's parameters: at most [`MAX_PARAMS`], each named (once)
/// and both parts bounded.
fn params_fields(violations: &mut Violations, params: &[PluginParam]) {
    if params.len() > MAX_PARAMS {
        violations.add(
            "params",
            format!("has {} entries; at most {MAX_PARAMS}", params.len()),
        );
        return;
    }
    for (i, param) in params.iter().enumerate() {
        violations.text(&format!("params[{i}].name"), &param.name, 1, MAX_PARAM_NAME);
        violations.text(
            &format!("params[{i}].value"),
            &param.value,
            0,
            MAX_PARAM_VALUE,
        );
        if params[..i].iter().any(|earlier| earlier.name == param.name) {
            violations.add(
                format!("params[{i}].name"),
                format!("{:?} is set more than once", param.name),
            );
        }
    }
}
