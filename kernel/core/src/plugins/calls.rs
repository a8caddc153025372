//! Calling a region's plugin: resolve what the region runs, run the call
//! inside its `plugin_call` span, count it, keep its key-value writes only
//! if it succeeded, and name the plugin in any failure.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use xingji_api::v1::Order;
use xingji_plugin_host::bindings::dispatch::exports::xingji::plugins::dispatcher::{
    Decision, DispatchRequest,
};
use xingji_plugin_host::bindings::host::xingji::plugins::types::Date;
use xingji_plugin_host::bindings::warranty::exports::xingji::plugins::warranty_plans::{
    Appliance as WarrantyAppliance, Plan as WarrantyPlan,
};
use xingji_plugin_host::{CallCost, HostServices, Limits, Plugin, PluginError, Slot};
use xingji_store::StoreError;

use crate::error::KernelError;
use crate::plugins::capabilities::Capabilities;
use crate::plugins::failure::plugin_failed;
use crate::plugins::sets::{PluginSets, Resolved};

/// Whether a call's key-value writes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// Applied if the call succeeds.
    Keep,
    /// Dropped whatever happens: to ask a plugin what it would do.
    Drop,
}

impl PluginSets {
    /// Asks `region`'s dispatch plugin to choose; `request.params` is filled
    /// in from the region's config. Returns the decision and `name@version`.
    pub async fn dispatch(
        &self,
        region: &str,
        mut request: DispatchRequest,
    ) -> Result<(Decision, String), KernelError> {
        let resolved = self.resolve(region, Slot::Dispatch)?;
        request.params = resolved.params.clone();
        let call = resolved.plugin.dispatch(&request, resolved.limits);
        let decision = self
            .observe(region, Slot::Dispatch, &resolved.plugin, call)
            .await?;
        Ok((decision, resolved.plugin.id()))
    }

    /// Calls `region`'s plugin in `slot` with the host capabilities; keeps
    /// the call's kv writes only if it succeeded.
    pub async fn call<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<T, KernelError>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        let (answer, _) = self.run(region, slot, Writes::Keep, call).await?;
        Ok(answer)
    }

    /// Like [`Self::call`], but drops the call's kv writes whatever happens:
    /// to ask a plugin what it would do (a warranty's cover) before the
    /// kernel commits to it.
    pub async fn call_dry<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<T, KernelError>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        let (answer, _) = self.run(region, slot, Writes::Drop, call).await?;
        Ok(answer)
    }

    /// Like [`Self::call`], and also returns the orders the call's
    /// `order-writer` created (not those it found made already).
    pub async fn call_creating<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<(T, Vec<Order>), KernelError>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        self.run(region, slot, Writes::Keep, call).await
    }

    async fn run<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        writes: Writes,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<(T, Vec<Order>), KernelError>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        let Resolved {
            plugin,
            limits,
            params,
        } = self.resolve(region, slot)?;
        let sla = self.regions.settings(region).sla;
        let capabilities =
            Capabilities::new(self.store.clone(), region, &plugin.manifest.name, sla);
        let running = call(plugin.clone(), limits, params, capabilities.clone());
        let answer = self.observe(region, slot, &plugin, running).await?;
        if writes == Writes::Keep {
            capabilities.commit().await.map_err(|error| match error {
                StoreError::Quota { used, limit } => plugin_failed(
                    &plugin,
                    region,
                    slot,
                    &PluginError::Trap(format!(
                        "key-value quota exceeded: {used} bytes, the limit is {limit}"
                    )),
                ),
                error => KernelError::store(error, "plugin kv", region),
            })?;
        }
        Ok((answer, capabilities.created()))
    }

    /// Asks `region`'s warranty plugin for the plans on offer for
    /// `appliance` on `today`. `Err(String)` inside is the plugin's refusal.
    pub async fn warranty_quote(
        &self,
        region: &str,
        appliance: WarrantyAppliance,
        today: Date,
    ) -> Result<Result<Vec<WarrantyPlan>, String>, KernelError> {
        self.call(
            region,
            Slot::Warranty,
            |plugin, limits, params, services| async move {
                plugin
                    .warranty_quote(&appliance, today, &params, limits, services)
                    .await
            },
        )
        .await
    }

    /// Runs a plugin call inside its `plugin_call` span (plugin, version,
    /// region, slot, outcome, fuel, duration), counts it, and turns a
    /// failure into the kernel's error.
    async fn observe<T>(
        &self,
        region: &str,
        slot: Slot,
        plugin: &Plugin,
        call: impl Future<Output = Result<(T, CallCost), PluginError>>,
    ) -> Result<T, KernelError> {
        let span = tracing::info_span!(
            "plugin_call",
            plugin = %plugin.manifest.name,
            version = %plugin.manifest.version,
            region,
            slot = slot.name(),
            outcome = tracing::field::Empty,
            fuel = tracing::field::Empty,
            duration_us = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = tracing::Instrument::instrument(call, span.clone()).await;
        let elapsed = started.elapsed();
        let fuel = result.as_ref().ok().map(|(_, cost)| cost.fuel);
        self.stats.record(region, slot, plugin.id(), elapsed, fuel);
        span.record("duration_us", elapsed.as_micros() as u64);
        match result {
            Ok((answer, cost)) => {
                span.record("outcome", "ok");
                span.record("fuel", cost.fuel);
                span.in_scope(|| tracing::debug!("plugin call done"));
                Ok(answer)
            }
            Err(error) => {
                span.record("outcome", error.code());
                span.in_scope(|| tracing::warn!(%error, "plugin call failed"));
                Err(plugin_failed(plugin, region, slot, &error))
            }
        }
    }
}
