//! Test only: a dispatch plugin that logs one message carrying what would
//! read as a second line of the kernel's own log, with a terminal escape,
//! then assigns the first outlet and engineer. The kernel must keep the
//! message on its one line.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/dispatch",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::dispatcher::{
    Assignment, Decision, DispatchRequest, Guest as Dispatcher,
};
use xingji::plugins::log::{Level, log};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

/// The message: a harmless line, then a forged kernel line.
pub const FORGED: &str =
    "choosing\n2026-01-01T00:00:00.000000Z  INFO xingji: forged by a plugin\r\x1b[2K";

impl Dispatcher for Component {
    fn choose(_request: DispatchRequest) -> Decision {
        log(Level::Info, FORGED);
        Decision::Assign(Assignment {
            outlet: 0,
            engineer: 0,
            reason: "logged".into(),
        })
    }
}
