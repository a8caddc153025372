//! The kernel's capabilities as a plugin calls them: `log`, `records`,
//! `kv`, `budget` and `order-writer`. A plugin maps its world's imports
//! here with wit-bindgen's `with`:
//!
//! ```ignore
//! wit_bindgen::generate!({
//!     path: "wit",
//!     world: "xingji:plugins/warranty",
//!     with: {
//!         "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types,
//!         "xingji:plugins/log@0.2.0": xingji_plugin_sdk::host::log,
//!         "xingji:plugins/records@0.2.0": xingji_plugin_sdk::host::records,
//!         "xingji:plugins/kv@0.2.0": xingji_plugin_sdk::host::kv,
//!     },
//! });
//! ```
//!
//! Built for `wasm32`, these are the kernel's imports, and a plugin imports
//! only those it calls (the linker drops the rest). Built natively, for
//! `cargo test`, they are the [`test_host`](crate::test_host): records,
//! kv, log and budget in memory, which a test fills and reads back, so a
//! plugin's tests need no mock of their own.

mod generated {
    wit_bindgen::generate!({
        // Every capability in one world of the SDK's own; a plugin's world
        // imports its slot's subset, under the same names.
        inline: "
            package xingji:sdk;

            world host {
                import xingji:plugins/log@0.2.0;
                import xingji:plugins/records@0.2.0;
                import xingji:plugins/kv@0.2.0;
                import xingji:plugins/budget@0.2.0;
                import xingji:plugins/order-writer@0.2.0;
            }
        ",
        path: "../wit/0.2.0",
        world: "xingji:sdk/host",
        with: {
            "xingji:plugins/types@0.2.0": crate::wit::types,
            "xingji:plugins/log@0.2.0": generate,
            "xingji:plugins/records@0.2.0": generate,
            "xingji:plugins/kv@0.2.0": generate,
            "xingji:plugins/budget@0.2.0": generate,
            "xingji:plugins/order-writer@0.2.0": generate,
        },
    });
}

/// The capabilities of WIT 0.3.0 (`wit/0.3.0/`), which only its `dispatch`
/// world imports: map `"xingji:plugins/log@0.3.0"` to [`v0_3::log`] and
/// `"xingji:plugins/records@0.3.0"` to [`v0_3::records`]. Their records are
/// the same Rust types as 0.2.0's; natively, the same test host.
pub mod v0_3 {
    mod generated {
        wit_bindgen::generate!({
            inline: "
                package xingji:sdk;

                world host-0-3 {
                    import xingji:plugins/log@0.3.0;
                    import xingji:plugins/records@0.3.0;
                }
            ",
            path: "../wit/0.3.0",
            world: "xingji:sdk/host-0-3",
            with: {
                "xingji:plugins/types@0.3.0": crate::wit::types,
                "xingji:plugins/log@0.3.0": generate,
                "xingji:plugins/records@0.3.0": generate,
            },
        });
    }

    #[cfg(target_arch = "wasm32")]
    pub use generated::xingji::plugins::{log, records};

    #[cfg(not(target_arch = "wasm32"))]
    pub use crate::test_host::{log_0_3 as log, records};

    /// The generated interfaces, whose types the test host's functions
    /// take.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) use generated::xingji::plugins as interfaces;
}

#[cfg(target_arch = "wasm32")]
pub use generated::xingji::plugins::{budget, kv, log, order_writer, records};

#[cfg(not(target_arch = "wasm32"))]
pub use crate::test_host::{budget, kv, log, order_writer, records};

/// The generated interfaces, whose types the test host's functions take.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use generated::xingji::plugins as interfaces;
