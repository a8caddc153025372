//! Test only: a plugin that says it is built for `xingji:plugins@0.2.0`
//! but whose copy of the contract drifted: its `dispatch-request` has
//! other fields. The kernel must refuse it at install as a contract that
//! does not match, not as a failure of the plugin.

wit_bindgen::generate!({
    inline: "
        package xingji:plugins@0.2.0;

        interface plugin {
            record manifest {
                name: string,
                version: string,
                description: string,
                author: string,
            }
            describe: func() -> manifest;
        }

        interface dispatcher {
            record dispatch-request {
                order-id: string,
                outlets: list<string>,
            }
            variant decision {
                assign(u32),
                refuse(string),
            }
            choose: func(request: dispatch-request) -> decision;
        }

        world dispatch {
            export plugin;
            export dispatcher;
        }
    ",
    world: "xingji:plugins/dispatch@0.2.0",
});

use exports::xingji::plugins::dispatcher::{Decision, DispatchRequest, Guest as Dispatcher};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        match request.outlets.len() {
            0 => Decision::Refuse(request.order_id),
            _ => Decision::Assign(0),
        }
    }
}
