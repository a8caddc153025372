//! The `tour` slot: rural tour scheduling (world `tour` in
//! `wit/worlds.wit`, exporting `tour-planner`). Given the stops and the
//! fleet it plans routes, searching until its `budget` of time runs out;
//! the kernel reads the orders and assigns them.

use std::time::Duration;

use crate::call::export_call;
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::Limits;
use crate::world::{World, world_bindings};
use bindings::exports::xingji::plugins::tour_planner::{PlanRequest, TourPlan};

/// The `tour` world's bindings.
pub mod bindings {
    crate::world::world_bindgen!("../../wit/0.2.0" in host, "xingji:plugins/tour", {
        "xingji:plugins/log": log,
        "xingji:plugins/budget": budget,
    });
}

/// The `tour` world.
pub struct Tour;

impl World for Tour {
    const VERSION: &'static str = "0.2.0";
    const EXPORT: &'static str = "tour-planner";
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Budget];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(30_000), 256 << 20, 16 << 20);
    world_bindings!(pre: bindings::TourPre, world: bindings::Tour);
}

/// The call of `tour-planner`. Its result is bounded by the call's memory
/// limit, which bounds what can be lifted out of it.
impl Plugin {
    export_call! {
        /// `tour-planner.plan`: one day's routes.
        pub async fn tour_plan(request: &PlanRequest) -> Result<TourPlan, String>
        = Tour, xingji_plugins_tour_planner.call_plan;
    }
}
