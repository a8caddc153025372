//! The `settlement` slot: the monthly settlement (world `settlement` in
//! `wit/worlds.wit`, exporting `settler`): a month's statements,
//! R = L × T + Q, and engineer pay.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::host::xingji::plugins::month::MonthFacts;
use crate::call::{CallCost, PluginError};
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::{HostServices, HostState, Limits};
use crate::world::{Manifest, World};
use bindings::exports::xingji::plugins::settler::{OutletAccount, Settlement as MonthSettlement};

/// The `settlement` world's bindings.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "xingji:plugins/settlement",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
            "xingji:plugins/log": crate::bindings::host::xingji::plugins::log,
            "xingji:plugins/records": crate::bindings::host::xingji::plugins::records,
            "xingji:plugins/month": crate::bindings::host::xingji::plugins::month,
        },
    });
}

/// The `settlement` world.
pub struct Settlement;

impl World for Settlement {
    const EXPORT: &'static str = "settler";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records];
    // A month close of a big region hands over a million orders and gets
    // back a statement per outlet and engineer.
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(30_000), 512 << 20, 64 << 20);
    type Pre = bindings::SettlementPre<HostState>;

    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre> {
        bindings::SettlementPre::new(instance)
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
        bindings::Settlement::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| {
            state
        })
    }
}

/// The call of `settler`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    /// `settler.settle`: a month's statements, R = L × T + Q, and engineer pay.
    #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
    pub async fn settlement_settle(
        &self,
        month: &MonthFacts,
        accounts: &Vec<OutletAccount>,
        params: &Vec<(String, String)>,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Result<MonthSettlement, String>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Settlement>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_settler()
                .call_settle(call.store(), month, accounts, params)
                .await
        }
        .await;
        call.finish(result)
    }
}
