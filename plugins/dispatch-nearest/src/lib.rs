//! `dispatch-nearest`: the nearest outlet that can take the order wins; a
//! tie in distance goes to the better grade, then to the outlet listed
//! first. The rules are in [`rules`] and the kit's `dispatch` module; see
//! `plugins/README.md` for the rules, parameters and decisions.

wit_bindgen::generate!({
    path: "../../wit/0.3.0",
    world: "xingji:plugins/dispatch",
    with: {
        "xingji:plugins/types@0.3.0": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@0.3.0": xingji_plugin_sdk::host::v0_3::log,
        "xingji:plugins/records@0.3.0": xingji_plugin_sdk::host::v0_3::records,
    },
});

mod rules;

use exports::xingji::plugins::dispatcher::{Decision, DispatchRequest, Guest as Dispatcher};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji", check_params = rules::rules);

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        rules::choose(&request)
    }
}
