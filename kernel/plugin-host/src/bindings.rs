//! Host bindings generated from `wit/`, one module per world. The host
//! interfaces are generated once, in `host`, and shared by every world.

/// The interfaces the kernel offers to plugins, and the type-only
/// interfaces shared by several worlds (so that each has one Rust type).
pub mod host {
    wasmtime::component::bindgen!({
        path: "../../wit",
        interfaces: "
            import xingji:plugins/log@0.2.0;
            import xingji:plugins/records@0.2.0;
            import xingji:plugins/kv@0.2.0;
            import xingji:plugins/order-writer@0.2.0;
            import xingji:plugins/month@0.2.0;
            import xingji:plugins/budget@0.2.0;
        ",
        imports: { default: async | trappable },
    });
}

macro_rules! world {
    ($module:ident, $world:literal, { $($interface:literal: $path:ident),* }) => {
        #[doc = concat!("The `", $world, "` world.")]
        pub mod $module {
            wasmtime::component::bindgen!({
                path: "../../wit",
                world: $world,
                imports: { default: async | trappable },
                exports: { default: async },
                with: {
                    "xingji:plugins/types": super::host::xingji::plugins::types,
                    "xingji:plugins/log": super::host::xingji::plugins::log,
                    $($interface: super::host::xingji::plugins::$path,)*
                },
            });
        }
    };
}

world!(dispatch, "xingji:plugins/dispatch", {});
world!(warranty, "xingji:plugins/warranty", { "xingji:plugins/records": records, "xingji:plugins/kv": kv });
world!(campaign, "xingji:plugins/campaign", { "xingji:plugins/records": records, "xingji:plugins/order-writer": order_writer });
world!(tour, "xingji:plugins/tour", { "xingji:plugins/budget": budget });
world!(evaluation, "xingji:plugins/evaluation", { "xingji:plugins/records": records, "xingji:plugins/month": month });
world!(settlement, "xingji:plugins/settlement", { "xingji:plugins/records": records, "xingji:plugins/month": month });
