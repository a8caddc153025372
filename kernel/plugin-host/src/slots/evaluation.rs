//! The `evaluation` slot: the monthly outlet evaluation (world
//! `evaluation` in `wit/worlds.wit`, exporting `evaluator`): a month's KPIs,
//! scores, grades and licence charges from the month's facts.

use std::time::Duration;

use crate::bindings::host::xingji::plugins::month::MonthFacts;
use crate::call::export_call;
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::Limits;
use crate::world::{World, world_bindings};
use bindings::exports::xingji::plugins::evaluator::Evaluation as MonthEvaluation;

/// The `evaluation` world's bindings.
pub mod bindings {
    crate::world::world_bindgen!("../../wit/0.2.0" in host, "xingji:plugins/evaluation", {
        "xingji:plugins/log": log,
        "xingji:plugins/records": records,
        "xingji:plugins/month": month,
    });
}

/// The `evaluation` world.
pub struct Evaluation;

impl World for Evaluation {
    const VERSION: &'static str = "0.2.0";
    const EXPORT: &'static str = "evaluator";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records];
    // A month close of a big region hands over a million orders and gets
    // back a statement per outlet and engineer.
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(30_000), 512 << 20, 64 << 20);
    world_bindings!(pre: bindings::EvaluationPre, world: bindings::Evaluation);
}

/// The call of `evaluator`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    export_call! {
        /// `evaluator.evaluate`: a month's KPIs, scores, grades and licence charges.
        #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
        pub async fn evaluation_evaluate(
            month: &MonthFacts,
            params: &Vec<(String, String)>,
        ) -> Result<MonthEvaluation, String>
        = Evaluation, xingji_plugins_evaluator.call_evaluate;
    }
}
