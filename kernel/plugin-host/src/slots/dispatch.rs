//! The `dispatch` slot: chooses an outlet and an engineer for each new
//! order (world `dispatch` in `wit/worlds.wit`, exporting `dispatcher`).
//! Called once per order, so its limits are tight and it is granted only
//! `log`: it decides from the request alone.

use std::time::Duration;

use crate::call::{CallCost, PluginError, call_export};
use crate::grant::Grant;
use crate::plugin::Plugin;
use crate::sandbox::Limits;
use crate::world::{World, world_bindings};
use bindings::exports::xingji::plugins::dispatcher::{Decision, DispatchRequest};

/// The `dispatch` world's bindings.
pub mod bindings {
    crate::world::world_bindgen!("xingji:plugins/dispatch", {
        "xingji:plugins/log": log,
    });
}

/// The `dispatch` world.
pub struct Dispatch;

impl World for Dispatch {
    const EXPORT: &'static str = "dispatcher";
    const GRANTS: &'static [Grant] = &[Grant::Log];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(200), 64 << 20, 1 << 20);
    world_bindings!(pre: bindings::DispatchPre, world: bindings::Dispatch);
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
        // No services: dispatch is granted only `log`.
        let (decision, cost) = call_export!(
            self,
            Dispatch,
            limits,
            None,
            xingji_plugins_dispatcher.call_choose(request)
        )?;
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
