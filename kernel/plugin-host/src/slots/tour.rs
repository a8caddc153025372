//! The `tour` slot: rural tour scheduling (world `tour` in
//! `wit/worlds.wit`, exporting `tour-planner`). Given the stops and the
//! fleet it plans routes, searching until its `budget` of time runs out;
//! the kernel reads the orders and assigns them.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::call::{CallCost, PluginError};
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::{HostServices, HostState, Limits};
use crate::world::{Manifest, World};
use bindings::exports::xingji::plugins::tour_planner::{PlanRequest, TourPlan};

/// The `tour` world's bindings.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "xingji:plugins/tour",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
            "xingji:plugins/log": crate::bindings::host::xingji::plugins::log,
            "xingji:plugins/budget": crate::bindings::host::xingji::plugins::budget,
        },
    });
}

/// The `tour` world.
pub struct Tour;

impl World for Tour {
    const EXPORT: &'static str = "tour-planner";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Budget];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(30_000), 256 << 20, 16 << 20);
    type Pre = bindings::TourPre<HostState>;

    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre> {
        bindings::TourPre::new(instance)
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
        bindings::Tour::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| state)
    }
}

/// The call of `tour-planner`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    /// `tour-planner.plan`: one day's routes.
    pub async fn tour_plan(
        &self,
        request: &PlanRequest,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Result<TourPlan, String>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Tour>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_tour_planner()
                .call_plan(call.store(), request)
                .await
        }
        .await;
        call.finish(result)
    }
}
