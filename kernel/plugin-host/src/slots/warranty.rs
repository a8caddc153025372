//! The `warranty` slot: the Jiujiu extended warranty (world `warranty` in
//! `wit/worlds.wit`, exporting `warranty-plans`). It quotes and sells
//! contracts and answers claims, keeping its contracts in its `kv` store.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::host::xingji::plugins::types::Date;
use crate::call::{CallCost, PluginError};
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::{HostServices, HostState, Limits};
use crate::world::{Manifest, World};
use bindings::exports::xingji::plugins::warranty_plans::{Appliance, Contract, Plan};

/// The `warranty` world's bindings.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "xingji:plugins/warranty",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
            "xingji:plugins/log": crate::bindings::host::xingji::plugins::log,
            "xingji:plugins/records": crate::bindings::host::xingji::plugins::records,
            "xingji:plugins/kv": crate::bindings::host::xingji::plugins::kv,
        },
    });
}

/// The `warranty` world.
pub struct Warranty;

impl World for Warranty {
    const EXPORT: &'static str = "warranty-plans";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records, Grant::Kv];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(2_000), 64 << 20, 1 << 20);
    type Pre = bindings::WarrantyPre<HostState>;

    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre> {
        bindings::WarrantyPre::new(instance)
    }

    async fn describe(pre: &Self::Pre, store: &mut Store<HostState>) -> wasmtime::Result<Manifest> {
        let instance = pre.instantiate_async(&mut *store).await?;
        let info = instance
            .xingji_plugins_plugin()
            .call_describe(store)
            .await?;
        Ok(Manifest {
            name: info.name,
            version: info.version,
            description: info.description,
            author: info.author,
        })
    }

    #[cfg(test)]
    fn link_world_imports(
        linker: &mut wasmtime::component::Linker<HostState>,
    ) -> wasmtime::Result<()> {
        bindings::Warranty::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| {
            state
        })
    }
}

/// The calls of `warranty-plans`. Their results are bounded by the call's
/// memory limit, which bounds what can be lifted out of it.
impl Plugin {
    /// `warranty-plans.quote`: the plans on offer for an appliance.
    #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
    pub async fn warranty_quote(
        &self,
        appliance: &Appliance,
        today: Date,
        params: &Vec<(String, String)>,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Result<Vec<Plan>, String>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Warranty>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_warranty_plans()
                .call_quote(call.store(), appliance, today, params)
                .await
        }
        .await;
        call.finish(result)
    }

    /// `warranty-plans.purchase`: sells a contract.
    #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
    #[allow(clippy::too_many_arguments)] // the WIT function's, and the call's limits
    pub async fn warranty_purchase(
        &self,
        request_key: &str,
        appliance: &Appliance,
        years: u32,
        customer_phone: &str,
        today: Date,
        params: &Vec<(String, String)>,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Result<Contract, String>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Warranty>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_warranty_plans()
                .call_purchase(
                    call.store(),
                    request_key,
                    appliance,
                    years,
                    customer_phone,
                    today,
                    params,
                )
                .await
        }
        .await;
        call.finish(result)
    }

    /// `warranty-plans.get-contract`.
    pub async fn warranty_get_contract(
        &self,
        id: &str,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Option<Contract>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Warranty>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_warranty_plans()
                .call_get_contract(call.store(), id)
                .await
        }
        .await;
        call.finish(result)
    }

    /// `warranty-plans.list-contracts`.
    pub async fn warranty_list_contracts(
        &self,
        after: &str,
        limit: u32,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Vec<Contract>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Warranty>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_warranty_plans()
                .call_list_contracts(call.store(), after, limit)
                .await
        }
        .await;
        call.finish(result)
    }

    /// `warranty-plans.claim`: whether a contract covers a repair; counts it.
    pub async fn warranty_claim(
        &self,
        serial: &str,
        order_id: &str,
        today: Date,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Option<Contract>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Warranty>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_warranty_plans()
                .call_claim(call.store(), serial, order_id, today)
                .await
        }
        .await;
        call.finish(result)
    }
}
