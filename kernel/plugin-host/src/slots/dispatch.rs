//! The `dispatch` slot: chooses an outlet and an engineer for each new
//! order (world `dispatch` in `wit/worlds.wit`, exporting `dispatcher`).
//! Called once per order, so its limits are tight and it is granted only
//! `log`: it decides from the request alone.

use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::call::{CallCost, PluginError};
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::{HostState, Limits};
use crate::world::{Manifest, World};
use bindings::exports::xingji::plugins::dispatcher::{Decision, DispatchRequest};

/// The `dispatch` world's bindings.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "xingji:plugins/dispatch",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
            "xingji:plugins/log": crate::bindings::host::xingji::plugins::log,
        },
    });
}

/// The `dispatch` world.
pub struct Dispatch;

impl World for Dispatch {
    const EXPORT: &'static str = "dispatcher";
    const GRANTS: &'static [Grant] = &[Grant::Log];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(200), 64 << 20, 1 << 20);
    type Pre = bindings::DispatchPre<HostState>;

    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre> {
        bindings::DispatchPre::new(instance)
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
        bindings::Dispatch::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| {
            state
        })
    }
}

impl Plugin {
    /// `dispatcher.choose`: asks a dispatch plugin to choose for `request`.
    /// An assignment must name a candidate outlet and one of its engineers,
    /// and its reason fit in the output limit.
    pub async fn dispatch(
        &self,
        request: &DispatchRequest,
        limits: Limits,
    ) -> Result<(Decision, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Dispatch>(limits, None)?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_dispatcher()
                .call_choose(call.store(), request)
                .await
        }
        .await;
        let (decision, cost) = call.finish(result)?;
        let text = match &decision {
            Decision::Assign(assignment) => {
                let in_range = (assignment.outlet as usize) < request.outlets.len()
                    && request
                        .engineers
                        .get(assignment.engineer as usize)
                        .is_some_and(|e| e.outlet == assignment.outlet);
                if !in_range {
                    return Err(PluginError::InvalidResult(format!(
                        "assigned outlet {} and engineer {}, which are not a candidate outlet and one of its engineers",
                        assignment.outlet, assignment.engineer
                    )));
                }
                &assignment.reason
            }
            Decision::Refuse(reason) => reason,
        };
        if text.len() > limits.output_bytes {
            return Err(PluginError::OutputTooLarge {
                bytes: text.len(),
                limit: limits.output_bytes,
            });
        }
        Ok((decision, cost))
    }
}
