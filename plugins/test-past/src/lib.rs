//! Test only: a plugin built for a WIT version older than any this kernel runs
//! (`xingji:plugins@0.1.0`). The kernel must refuse it at install, saying
//! which versions it supports and that the plugin is the side to upgrade.

wit_bindgen::generate!({
    inline: "
        package xingji:plugins@0.1.0;

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
            choose: func(order: string) -> string;
        }

        world dispatch {
            export plugin;
            export dispatcher;
        }
    ",
    world: "xingji:plugins/dispatch@0.1.0",
});

use exports::xingji::plugins::dispatcher::Guest as Dispatcher;

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Dispatcher for Component {
    fn choose(order: String) -> String {
        order
    }
}
