//! The `campaign` slot: appliance-birthday visit campaigns (world
//! `campaign` in `wit/worlds.wit`, exporting `birthday-campaign`). It reads
//! the region's records and creates the visit orders.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::call::{CallCost, PluginError};
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::{HostServices, HostState, Limits};
use crate::world::{Manifest, World};
use bindings::exports::xingji::plugins::birthday_campaign::{Visit, Window};

/// The `campaign` world's bindings.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "xingji:plugins/campaign",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
            "xingji:plugins/log": crate::bindings::host::xingji::plugins::log,
            "xingji:plugins/records": crate::bindings::host::xingji::plugins::records,
            "xingji:plugins/order-writer": crate::bindings::host::xingji::plugins::order_writer,
        },
    });
}

/// The `campaign` world.
pub struct Campaign;

impl World for Campaign {
    const EXPORT: &'static str = "birthday-campaign";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records, Grant::OrderWriter];
    // A campaign lists every birthday of its window.
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(10_000), 128 << 20, 16 << 20);
    type Pre = bindings::CampaignPre<HostState>;

    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre> {
        bindings::CampaignPre::new(instance)
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
        bindings::Campaign::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| {
            state
        })
    }
}

/// The call of `birthday-campaign`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    /// `birthday-campaign.run`: the birthday visits due in a window.
    #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
    pub async fn campaign_run(
        &self,
        window: Window,
        dry_run: bool,
        params: &Vec<(String, String)>,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Result<Vec<Visit>, String>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Campaign>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_birthday_campaign()
                .call_run(call.store(), window, dry_run, params)
                .await
        }
        .await;
        call.finish(result)
    }
}
