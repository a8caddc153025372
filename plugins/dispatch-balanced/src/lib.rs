//! `dispatch-balanced`: among the outlets in reach, the best score wins.
//!
//! The same eligibility rules as `dispatch-nearest` (DOMAIN.md §1–2): within
//! the service radius at `speed_kmh` (default 30), active, serving the
//! product line, below daily capacity, with an on-duty engineer skilled in
//! the product line whose licence is not eliminated. Each eligible outlet
//! scores its grade bonus (A 30, B 15, C 0, ungraded 10) minus
//! `load_weight` (default 40) times its load ratio (load today / capacity)
//! minus the travel minutes; the highest score wins. Within the outlet the
//! engineer with the least load wins, warning-state engineers counting
//! double so that they get fewer dispatches.

wit_bindgen::generate!({
    path: "../../wit",
    world: "xingji:plugins/dispatch",
});

use exports::xingji::plugins::dispatcher::{
    Assignment, Decision, DispatchRequest, Guest as Dispatcher,
};
use xingji::plugins::types::{Grade, LicenceState, OutletStatus, ProductLine, ProductLines};

use xingji_plugin_kit::{Engineer, Origin, least_loaded, param};

struct Component;

export!(Component);

xingji_plugin_kit::describe_from_cargo!(Component, "Xingji");

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        let speed = param(&request.params, "speed_kmh")
            .filter(|s| *s > 0.0)
            .unwrap_or(30.0);
        let load_weight = param(&request.params, "load_weight").unwrap_or(40.0);
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
            if outlet.daily_capacity == 0 || outlet.open_orders >= outlet.daily_capacity {
                continue;
            }
            let minutes = customer.km_to(outlet.location.lat, outlet.location.lon) / speed * 60.0;
            if minutes > f64::from(outlet.service_radius_minutes) {
                continue;
            }
            let grade_bonus = match outlet.grade {
                Grade::A => 30.0,
                Grade::B => 15.0,
                Grade::C => 0.0,
                Grade::Ungraded => 10.0,
            };
            let load = f64::from(outlet.open_orders) / f64::from(outlet.daily_capacity);
            let score = grade_bonus - load_weight * load - minutes;
            if best.is_some_and(|(s, _, _)| s >= score) {
                continue;
            }
            let engineer = engineers[o];
            if let Some(e) = engineer {
                best = Some((score, o as u32, e));
            }
        }
        match best {
            Some((score, outlet, engineer)) => Decision::Assign(Assignment {
                outlet,
                engineer,
                reason: format!("best balance of grade, load and distance (score {score:.1})"),
            }),
            None => Decision::Refuse("no active outlet with capacity and a skilled engineer on duty within its service radius".into()),
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
