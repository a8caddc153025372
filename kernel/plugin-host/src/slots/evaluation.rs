//! The `evaluation` slot: the monthly outlet evaluation (world
//! `evaluation` in `wit/worlds.wit`, exporting `evaluator`): a month's KPIs,
//! scores, grades and licence charges from the month's facts.

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
use bindings::exports::xingji::plugins::evaluator::Evaluation as MonthEvaluation;

/// The `evaluation` world's bindings.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "xingji:plugins/evaluation",
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

/// The `evaluation` world.
pub struct Evaluation;

impl World for Evaluation {
    const EXPORT: &'static str = "evaluator";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records];
    // A month close of a big region hands over a million orders and gets
    // back a statement per outlet and engineer.
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(30_000), 512 << 20, 64 << 20);
    type Pre = bindings::EvaluationPre<HostState>;

    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre> {
        bindings::EvaluationPre::new(instance)
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
        bindings::Evaluation::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| {
            state
        })
    }
}

/// The call of `evaluator`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    /// `evaluator.evaluate`: a month's KPIs, scores, grades and licence charges.
    #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
    pub async fn evaluation_evaluate(
        &self,
        month: &MonthFacts,
        params: &Vec<(String, String)>,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Result<(Result<MonthEvaluation, String>, CallCost), PluginError> {
        let (pre, mut call) = self.call::<Evaluation>(limits, Some(services))?;
        let result = async {
            let instance = pre.instantiate_async(call.store()).await?;
            instance
                .xingji_plugins_evaluator()
                .call_evaluate(call.store(), month, params)
                .await
        }
        .await;
        call.finish(result)
    }
}
