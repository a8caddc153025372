//! Test only: a plugin built for a WIT version this kernel does not know
//! (`xingji:plugins@9.0.0`). The kernel must refuse it at install, saying
//! which versions it supports.

wit_bindgen::generate!({
    inline: "
        package xingji:plugins@9.0.0;

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
    world: "xingji:plugins/dispatch@9.0.0",
});

use exports::xingji::plugins::dispatcher::Guest as Dispatcher;
use exports::xingji::plugins::plugin::{Guest as Plugin, Manifest};

struct Component;

export!(Component);

impl Plugin for Component {
    fn describe() -> Manifest {
        Manifest {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: env!("CARGO_PKG_DESCRIPTION").into(),
            author: "Xingji tests".into(),
        }
    }
}

impl Dispatcher for Component {
    fn choose(order: String) -> String {
        order
    }
}
