//! Test only: a dispatch plugin that also imports `records`, which the
//! dispatch world does not grant. The kernel must refuse it at install.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    inline: "
        package test:greedy;
        world greedy {
            import xingji:plugins/records@0.2.0;
            export xingji:plugins/plugin@0.2.0;
            export xingji:plugins/dispatcher@0.2.0;
        }
    ",
    world: "test:greedy/greedy",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
    generate_all,
});

use exports::xingji::plugins::dispatcher::{Decision, DispatchRequest, Guest as Dispatcher};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Dispatcher for Component {
    fn choose(_request: DispatchRequest) -> Decision {
        let outlets = xingji::plugins::records::list_outlets("", 10);
        Decision::Refuse(format!("peeked at {} outlets", outlets.len()))
    }
}
