//! Test only: one route per stop, in order.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/tour",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::tour_planner::{Guest, PlanRequest, Route, TourPlan};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Guest for Component {
    fn plan(request: PlanRequest) -> Result<TourPlan, String> {
        if request.stops.len() as u32 > request.fleet.vehicles {
            return Err(format!(
                "{} stops need more than {} vehicles",
                request.stops.len(),
                request.fleet.vehicles
            ));
        }
        Ok(TourPlan {
            routes: (0..request.stops.len() as u32)
                .map(|stop| Route {
                    stops: vec![stop],
                    distance: 0.0,
                })
                .collect(),
            unassigned: Vec::new(),
        })
    }
}
