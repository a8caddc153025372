//! The `dispatch` slot: chooses an outlet and an engineer for each new
//! order (world `dispatch`, exporting `dispatcher`), at two WIT versions:
//! 0.3.0 (`wit/0.3.0/`), whose request carries ids, levels and
//! certifications and whose world may read `records`, and 0.2.0, granted
//! only `log`. The kernel builds a 0.3.0 request; a 0.2.0 plugin gets it
//! without what 0.2.0 lacks. Called once per order, so its limits are
//! tight.

use std::sync::Arc;
use std::time::Duration;

use crate::call::{CallCost, PluginError, call_export};
use crate::grant::Grant;
use crate::plugin::{ParamsCheck, Plugin};
use crate::sandbox::{HostServices, Limits};
use crate::world::{World, world_bindings};
use bindings_0_3::exports::xingji::plugins::dispatcher::{Decision, DispatchRequest};

/// The `dispatch` world's bindings at 0.2.0.
pub mod bindings {
    crate::world::world_bindgen!("../../wit/0.2.0" in host, "xingji:plugins/dispatch", {
        "xingji:plugins/log": log,
    });
}

/// The `dispatch` world's bindings at 0.3.0.
pub mod bindings_0_3 {
    crate::world::world_bindgen!("../../wit/0.3.0" in host_0_3, "xingji:plugins/dispatch", {
        "xingji:plugins/log": log,
        "xingji:plugins/records": records,
    });
}

/// The `dispatch` world at 0.2.0.
pub struct Dispatch;

impl World for Dispatch {
    const VERSION: &'static str = "0.2.0";
    const EXPORT: &'static str = "dispatcher";
    const GRANTS: &'static [Grant] = &[Grant::Log];
    const LIMITS: Limits = Limits::with_bounds(Duration::from_millis(200), 64 << 20, 1 << 20);
    world_bindings!(pre: bindings::DispatchPre, world: bindings::Dispatch);
}

/// The `dispatch` world at 0.3.0.
pub struct Dispatch03;

impl World for Dispatch03 {
    const VERSION: &'static str = "0.3.0";
    const EXPORT: &'static str = Dispatch::EXPORT;
    const GRANTS: &'static [Grant] = &[Grant::Log, Grant::Records];
    const LIMITS: Limits = Dispatch::LIMITS;
    world_bindings!(pre: bindings_0_3::DispatchPre, world: bindings_0_3::Dispatch);
}

impl Plugin {
    /// `dispatcher.choose`: asks a dispatch plugin to choose for `request`,
    /// with `services` behind `records` for a 0.3.0 plugin. An assignment
    /// must name a candidate outlet and one of its engineers, and its
    /// reason fit in the output limit.
    pub async fn dispatch(
        &self,
        request: &DispatchRequest,
        limits: Limits,
        services: Option<Arc<dyn HostServices>>,
    ) -> Result<(Decision, CallCost), PluginError> {
        let (decision, cost) = if self.wit_version == Dispatch::VERSION {
            let request = older::request(request);
            let (decision, cost) = call_export!(
                self,
                Dispatch,
                limits,
                None,
                xingji_plugins_dispatcher.call_choose(&request)
            )?;
            (older::decision(decision), cost)
        } else {
            call_export!(
                self,
                Dispatch03,
                limits,
                services,
                xingji_plugins_dispatcher.call_choose(request)
            )?
        };
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

impl Plugin {
    /// `plugin.check-params` of a 0.3.0 dispatch plugin, within the slot's
    /// limits and with no capabilities; a 0.2.0 one has no such export.
    pub(crate) async fn dispatch_check_params(
        &self,
        params: &[(String, String)],
    ) -> Result<ParamsCheck, PluginError> {
        if self.wit_version == Dispatch::VERSION {
            return Ok(ParamsCheck::NotChecked);
        }
        let params = params.to_vec();
        let (answer, _) = call_export!(
            self,
            Dispatch03,
            Dispatch::LIMITS,
            None,
            xingji_plugins_plugin.call_check_params(&params)
        )?;
        Ok(match answer {
            Ok(()) => ParamsCheck::Accepted,
            Err(why) => ParamsCheck::Refused(why),
        })
    }
}

/// A 0.3.0 request as 0.2.0 has it (without ids, levels and
/// certifications), and a 0.2.0 decision as 0.3.0 has it (the same).
pub mod older {
    use super::bindings::exports::xingji::plugins::dispatcher as v0_2;
    use super::bindings_0_3::exports::xingji::plugins::dispatcher as v0_3;

    /// The request without what 0.2.0 lacks.
    pub fn request(request: &v0_3::DispatchRequest) -> v0_2::DispatchRequest {
        let order = &request.order;
        v0_2::DispatchRequest {
            order: v0_2::DispatchOrder {
                kind: order.kind,
                product_line: order.product_line,
                location: order.location,
                vip: order.vip,
            },
            outlets: request
                .outlets
                .iter()
                .map(|o| v0_2::CandidateOutlet {
                    location: o.location,
                    service_radius_minutes: o.service_radius_minutes,
                    product_lines: o.product_lines,
                    status: o.status,
                    grade: o.grade,
                    daily_capacity: o.daily_capacity,
                    open_orders: o.open_orders,
                })
                .collect(),
            engineers: request
                .engineers
                .iter()
                .map(|e| v0_2::CandidateEngineer {
                    outlet: e.outlet,
                    skills: e.skills,
                    licence_state: e.licence_state,
                    on_duty: e.on_duty,
                    open_orders: e.open_orders,
                    location: e.location,
                })
                .collect(),
            now: request.now,
            params: request.params.clone(),
        }
    }

    /// A 0.2.0 decision at 0.3.0.
    pub fn decision(decision: v0_2::Decision) -> v0_3::Decision {
        match decision {
            v0_2::Decision::Assign(a) => v0_3::Decision::Assign(v0_3::Assignment {
                outlet: a.outlet,
                engineer: a.engineer,
                reason: a.reason,
            }),
            v0_2::Decision::Refuse(reason) => v0_3::Decision::Refuse(reason),
        }
    }
}
