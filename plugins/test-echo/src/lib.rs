//! Test only: a dispatch plugin that refuses every order with every field
//! of the request as it lifted it, numbers as their bits, so that the
//! kernel's test (kernel/xingji/tests/dispatch_lowering.rs) can check the
//! host's lowering field by field. Keep `echo` in step with the test's.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/dispatch",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use std::fmt::Write as _;

use exports::xingji::plugins::dispatcher::{Decision, DispatchRequest, Guest as Dispatcher};
use xingji_plugin_sdk::wit::types::Geo;

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        Decision::Refuse(echo(&request))
    }
}

fn geo(geo: &Geo) -> String {
    format!("{:x},{:x}", geo.lat.to_bits(), geo.lon.to_bits())
}

fn echo(request: &DispatchRequest) -> String {
    let order = &request.order;
    let mut text = format!(
        "order {} {} {} {}\n",
        order.kind as u8,
        order.product_line as u8,
        geo(&order.location),
        order.vip
    );
    for o in &request.outlets {
        let _ = writeln!(
            text,
            "outlet {} {} {} {} {} {} {}",
            geo(&o.location),
            o.service_radius_minutes,
            o.product_lines.bits(),
            o.status as u8,
            o.grade as u8,
            o.daily_capacity,
            o.open_orders
        );
    }
    for e in &request.engineers {
        let _ = writeln!(
            text,
            "engineer {} {} {} {} {} {}",
            e.outlet,
            e.skills.bits(),
            e.licence_state as u8,
            e.on_duty,
            e.open_orders,
            e.location.as_ref().map_or("none".into(), geo)
        );
    }
    let _ = writeln!(text, "now {}", request.now);
    for (name, value) in &request.params {
        let _ = writeln!(text, "param {name}={value}");
    }
    text
}
