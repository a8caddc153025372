//! Test only: a dispatch plugin that holds its call without running, or
//! runs without end. The order's product line picks which:
//!
//! | product line | behaviour |
//! |---|---|
//! | tv | sleeps 5 s (`std::thread::sleep`: WASI's `subscribe-duration`, then `block`) |
//! | flat-panel-tv | sleeps for ever, an hour at a time |
//! | computer | spins for ever without sleeping |
//! | anything else | assigns the first outlet and engineer |
//!
//! The sandbox's clock is frozen, so a sleep must trap at once and a spin
//! end at the deadline; either way the call ends and gives back its slot.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/dispatch",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use std::time::Duration;

use exports::xingji::plugins::dispatcher::{
    Assignment, Decision, DispatchRequest, Guest as Dispatcher,
};
use xingji_plugin_sdk::wit::types::ProductLine;

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        match request.order.product_line {
            ProductLine::Tv => {
                std::thread::sleep(Duration::from_secs(5));
                Decision::Refuse("slept 5 s".into())
            }
            ProductLine::FlatPanelTv => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            ProductLine::Computer => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            _ => Decision::Assign(Assignment {
                outlet: 0,
                engineer: 0,
                reason: "awake".into(),
            }),
        }
    }
}
