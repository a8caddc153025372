//! Calling a region's plugin: resolve what the region runs, take a place
//! under the caps on calls at once (`concurrency`), run the call inside its
//! `plugin_call` span, count it, keep its key-value writes only
//! if it succeeded, and name the plugin in any failure.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use xingji_api::v1::{AuditEvent, Order};
use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::{
    Decision, DispatchRequest,
};
use xingji_plugin_host::{CallCost, Grant, HostServices, Limits, Plugin, PluginError, Slot};

use crate::actor::Actor;
use crate::audit;
use crate::error::{KernelError, Result};
use crate::plugins::capabilities::{Capabilities, Commit};
use crate::plugins::failure::plugin_failed;
use crate::plugins::sets::{PluginSets, Resolved};

/// Whether a call's key-value writes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// Applied if the call succeeds, recorded in the audit trail as this
    /// operation (`warranty.purchase`) of whoever the call is for.
    Keep(&'static str),
    /// Dropped whatever happens: to ask a plugin what it would do (a
    /// warranty's cover) before the kernel commits to it.
    Drop,
}

/// A call of a capability-using slot: given the plugin, its limits, the
/// region's parameters and the call's host capabilities, it runs one of
/// the plugin's typed calls.
pub trait PluginCall<T, Fut>:
    FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut
where
    Fut: Future<Output = Result<(T, CallCost), PluginError>>,
{
}

impl<T, Fut, F> PluginCall<T, Fut> for F
where
    F: FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    Fut: Future<Output = Result<(T, CallCost), PluginError>>,
{
}

/// What a plugin call gave back.
pub struct Called<T> {
    /// The plugin's answer.
    pub answer: T,
    /// The plugin that answered, `name@version`.
    pub plugin: String,
    /// The orders its `order-writer` created (not those it found made).
    pub created: Vec<Order>,
}

impl PluginSets {
    /// Asks `region`'s dispatch plugin to choose; `request.params` is filled
    /// in from the region's config. Returns the decision, the plugin and
    /// the request as it was sent. (`shadow.rs`'s `dispatch` records it.)
    pub(crate) async fn dispatch_call(
        &self,
        region: &str,
        mut request: DispatchRequest,
    ) -> Result<(Decision, Arc<Plugin>, DispatchRequest)> {
        let resolved = self.resolve(region, Slot::Dispatch)?;
        request.params = resolved.params.clone();
        let _permit = self
            .permits
            .admit(
                region,
                Slot::Dispatch,
                || resolved.plugin.id(),
                resolved.concurrency,
            )
            .await?;
        let services = self.dispatch_services(region, &resolved.plugin);
        let call = resolved
            .plugin
            .dispatch(&request, resolved.limits, services);
        let decision = self
            .observe(region, Slot::Dispatch, &resolved.plugin, call)
            .await?;
        Ok((decision, resolved.plugin, request))
    }

    /// What a dispatch `plugin` reads behind `records` in `region`, if its
    /// world grants it (from WIT 0.3.0): the region's records, read for the
    /// kernel. Dispatch is granted nothing that writes.
    pub(crate) fn dispatch_services(
        &self,
        region: &str,
        plugin: &Plugin,
    ) -> Option<Arc<dyn HostServices>> {
        let grants = plugin.slot.grants(&plugin.wit_version);
        grants.contains(&Grant::Records).then(|| {
            let sla = self.regions.settings(region).sla;
            let capabilities: Arc<dyn HostServices> = Capabilities::new(
                self.store.clone(),
                region,
                &plugin.manifest.name,
                sla,
                &Actor::Kernel,
            );
            capabilities
        })
    }

    /// Calls `region`'s plugin in `slot` with the host capabilities; keeps
    /// the call's kv writes only if it succeeded.
    pub async fn call<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        (by, operation): (&Actor, &'static str),
        call: impl PluginCall<T, Fut>,
    ) -> Result<T>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        let writes = Writes::Keep(operation);
        let called = self.call_with(region, slot, by, writes, call).await?;
        Ok(called.answer)
    }

    /// Calls `region`'s plugin in `slot` for `by` with the host
    /// capabilities; keeps the call's kv writes if `writes` says so and the
    /// call succeeded. What it writes is audited as `by`'s.
    pub async fn call_with<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        by: &Actor,
        writes: Writes,
        call: impl PluginCall<T, Fut>,
    ) -> Result<Called<T>>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        let Resolved {
            plugin,
            publisher,
            limits,
            params,
            concurrency,
        } = self.resolve(region, slot)?;
        // Held until the answer is in: the instance lives that long.
        let permit = self
            .permits
            .admit(region, slot, || plugin.id(), concurrency)
            .await?;
        let sla = self.regions.settings(region).sla;
        // The publisher and name own the data, not whatever name a
        // component declares: `xingji/warranty-jiujiu`.
        let namespace = format!("{publisher}/{}", plugin.manifest.name);
        let capabilities = Capabilities::new(self.store.clone(), region, &namespace, sla, by);
        let running = call(plugin.clone(), limits, params, capabilities.clone());
        let answer = self.observe(region, slot, &plugin, running).await?;
        drop(permit);
        if let Writes::Keep(operation) = writes {
            let audit = AuditEvent {
                detail: plugin.id(),
                ..audit::event(
                    by,
                    operation,
                    format!("regions/{region}/slots/{slot}"),
                    region,
                )
            };
            capabilities
                .commit(audit)
                .await
                .map_err(|error| match error {
                    Commit::Refused(why) => {
                        plugin_failed(&plugin, region, slot, &PluginError::Trap(why))
                    }
                    Commit::Store(error) => KernelError::store(error, "plugin kv", region),
                })?;
        }
        Ok(Called {
            answer,
            plugin: plugin.id(),
            created: capabilities.created(),
        })
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
    ) -> Result<T> {
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
