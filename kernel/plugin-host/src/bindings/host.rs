//! The interfaces the kernel offers to plugins, and the type-only
//! interfaces shared by several worlds, generated once so that each has one
//! Rust type. Every slot's world maps its imports to these (`with:` in its
//! bindings' `world_bindgen!`, in `world.rs`), and `grant.rs` implements
//! them.

wasmtime::component::bindgen!({
    path: "../../wit/0.2.0",
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
