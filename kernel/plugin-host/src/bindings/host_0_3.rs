//! The host interfaces of WIT 0.3.0 (`wit/0.3.0/`), which only the
//! `dispatch` world of that version imports: `log` and `records`. Their
//! shapes are 0.2.0's, and `types` is mapped to 0.2.0's module, so a record
//! they pass is the same Rust type at both versions and `grant.rs`
//! implements them with the same services.

wasmtime::component::bindgen!({
    path: "../../wit/0.3.0",
    interfaces: "
        import xingji:plugins/log@0.3.0;
        import xingji:plugins/records@0.3.0;
    ",
    imports: { default: async | trappable },
    with: {
        "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
    },
});
