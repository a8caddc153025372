//! Test only: a dispatch plugin that refuses every order with a reason just
//! under the dispatch slot's 1 MiB output limit, in three-byte characters
//! and with line breaks, as a plugin trying to bloat an order's history
//! would.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/dispatch",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::dispatcher::{Decision, DispatchRequest, Guest as Dispatcher};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

/// Just under the dispatch slot's output limit (1 MiB), leaving room for
/// the rest of the decision.
const REASON_BYTES: usize = (1 << 20) - 4096;

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        let line = format!("拒绝 {:?}\n", request.order.product_line);
        let reason = line.repeat(REASON_BYTES / line.len());
        Decision::Refuse(reason)
    }
}
