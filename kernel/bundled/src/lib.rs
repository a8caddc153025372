//! The plugins built from `plugins/` with the kernel. The default set is
//! embedded in the binary, so `xingji serve` needs nothing else on disk.

use xingji_plugin_host::Slot;

/// Where the build put every plugin it built (the test-only ones too), as
/// `<crate_name>.wasm`.
pub const BUILT_PLUGINS_DIR: &str = env!("XINGJI_BUILT_PLUGINS");

/// The embedded plugins: `(name, bytes)`.
pub const EMBEDDED: &[(&str, &[u8])] = &[
    (
        "dispatch-nearest",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/dispatch_nearest.wasm"
        )),
    ),
    (
        "dispatch-balanced",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/dispatch_balanced.wasm"
        )),
    ),
    (
        "evaluation-standard",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/evaluation_standard.wasm"
        )),
    ),
    (
        "settlement-standard",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/settlement_standard.wasm"
        )),
    ),
    (
        "warranty-jiujiu",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/warranty_jiujiu.wasm"
        )),
    ),
    (
        "campaign-birthday",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/campaign_birthday.wasm"
        )),
    ),
    (
        "tour-vrptw",
        include_bytes!(concat!(env!("XINGJI_BUILT_PLUGINS"), "/tour_vrptw.wasm")),
    ),
    (
        "settlement-flat",
        include_bytes!(concat!(
            env!("XINGJI_BUILT_PLUGINS"),
            "/settlement_flat.wasm"
        )),
    ),
];

/// The plugin a region runs in each slot unless its config or an activation
/// says otherwise: `(slot, name@version)`.
pub const DEFAULT_SET: &[(Slot, &str)] = &[
    (Slot::Dispatch, "dispatch-nearest@1.0.0"),
    (Slot::Warranty, "warranty-jiujiu@1.0.0"),
    (Slot::Campaign, "campaign-birthday@1.0.0"),
    (Slot::Tour, "tour-vrptw@1.0.0"),
    (Slot::Evaluation, "evaluation-standard@1.0.0"),
    (Slot::Settlement, "settlement-standard@1.0.0"),
];
