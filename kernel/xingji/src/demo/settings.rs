//! The region settings the demo declares on top of the configuration.

use std::collections::BTreeMap;

use xingji_core::settings::RegionConfig;

/// The demo's plugin choices, under what the configuration says: Qingdao
/// runs the other variants of dispatch (balanced by grade and load) and of
/// settlement (flat rates), so that the demo shows two regions differing.
pub fn regions(mut configured: BTreeMap<String, RegionConfig>) -> BTreeMap<String, RegionConfig> {
    let qingdao = configured.entry("qingdao".to_owned()).or_default();
    for (slot, plugin) in [
        ("dispatch", "dispatch-balanced@1.0.0"),
        ("settlement", "settlement-flat@1.0.0"),
    ] {
        qingdao
            .plugins
            .entry(slot.to_owned())
            .or_insert_with(|| plugin.to_owned());
    }
    configured
}
