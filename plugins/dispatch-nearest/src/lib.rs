//! `dispatch-nearest`: the nearest outlet in reach wins.
//!
//! Rules (DOMAIN.md §1–2): the customer must be within the outlet's service
//! radius, estimated from the straight-line distance at `speed_kmh` (default 30
//! km/h); the outlet must be active and serve the product line; the engineer
//! must be on duty, skilled in the product line and not eliminated. Among
//! the outlets in reach the nearest wins; its engineer with the fewest
//! orders today (warning-state engineers count double) is chosen.

wit_bindgen::generate!({
    path: "../../wit",
    world: "xingji:plugins/dispatch",
});

use exports::xingji::plugins::dispatcher::{
    Assignment, Decision, DispatchRequest, Guest as Dispatcher,
};
use xingji::plugins::types::{LicenceState, OutletStatus, ProductLine, ProductLines};

use xingji_plugin_kit::{Engineer, Origin, least_loaded, param};

struct Component;

export!(Component);

xingji_plugin_kit::describe_from_cargo!(Component, "Xingji");

/// The default travel speed, km/h, for estimating minutes from distance.
const DEFAULT_SPEED_KMH: f64 = 30.0;

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        let speed = param(&request.params, "speed_kmh")
            .filter(|s| *s > 0.0)
            .unwrap_or(DEFAULT_SPEED_KMH);
        let line = flag(request.order.product_line);
        let engineers = least_loaded(
            request.outlets.len(),
            request.engineers.iter().map(|e| Engineer {
                outlet: e.outlet as usize,
                eligible: e.on_duty
                    && e.skills.contains(line)
                    && e.licence_state != LicenceState::Eliminated,
                load: e.open_orders,
                warned: e.licence_state == LicenceState::Warning,
            }),
        );
        let customer = Origin::new(request.order.location.lat, request.order.location.lon);
        let mut best: Option<(f64, u32, u32)> = None;
        for (o, outlet) in request.outlets.iter().enumerate() {
            if outlet.status != OutletStatus::Active || !outlet.product_lines.contains(line) {
                continue;
            }
            if outlet.daily_capacity > 0 && outlet.open_orders >= outlet.daily_capacity {
                continue;
            }
            let minutes = customer.km_to(outlet.location.lat, outlet.location.lon) / speed * 60.0;
            if minutes > f64::from(outlet.service_radius_minutes) {
                continue;
            }
            if best.is_some_and(|(m, _, _)| m <= minutes) {
                continue;
            }
            let engineer = engineers[o];
            if let Some(e) = engineer {
                best = Some((minutes, o as u32, e));
            }
        }
        match best {
            Some((minutes, outlet, engineer)) => Decision::Assign(Assignment {
                outlet,
                engineer,
                reason: format!("nearest outlet in reach: about {minutes:.0} minutes away"),
            }),
            None => Decision::Refuse(
                "no active outlet with a skilled engineer on duty within its service radius".into(),
            ),
        }
    }
}

fn flag(line: ProductLine) -> ProductLines {
    match line {
        ProductLine::Tv => ProductLines::TV,
        ProductLine::FlatPanelTv => ProductLines::FLAT_PANEL_TV,
        ProductLine::Computer => ProductLines::COMPUTER,
        ProductLine::Refrigerator => ProductLines::REFRIGERATOR,
        ProductLine::WashingMachine => ProductLines::WASHING_MACHINE,
        ProductLine::AirConditioner => ProductLines::AIR_CONDITIONER,
        ProductLine::WaterHeater => ProductLines::WATER_HEATER,
    }
}
