//! The type-only interfaces of `xingji:plugins`, `types` and `month`,
//! generated once here. Every plugin's `wit_bindgen::generate!` maps them
//! to these modules with `with`, so a `MonthOrder` or a `Grade` is one Rust
//! type in the kit and in every plugin, and the kit's rules take them as
//! they come from the kernel:
//!
//! ```ignore
//! wit_bindgen::generate!({
//!     path: "../wit/0.2.0",
//!     world: "xingji:plugins/settlement",
//!     with: {
//!         "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types,
//!         "xingji:plugins/month@0.2.0": xingji_plugin_sdk::wit::month,
//!     },
//! });
//! ```
//!
//! A world that does not use `month` (all but evaluation and settlement)
//! maps `types` only: wit-bindgen rejects a key the world does not use.
//! Exported interfaces cannot be mapped (wit-bindgen always generates
//! them), so a slot's own types stay each plugin's.
//!
//! Beside the bindings: the enums' values and names in the WIT's order,
//! which tables per product line or order kind are indexed by.

mod bindings {
    wit_bindgen::generate!({
        // A world of its own that only imports the two interfaces: they
        // hold no functions, so this adds no import to any plugin.
        inline: "
            package xingji:kit;

            world shared-types {
                import xingji:plugins/types@0.2.0;
                import xingji:plugins/month@0.2.0;
            }
        ",
        path: "../wit/0.2.0",
        world: "xingji:kit/shared-types",
        with: {
            "xingji:plugins/types@0.2.0": generate,
            "xingji:plugins/month@0.2.0": generate,
        },
        // No function uses the types here, and wit-bindgen leaves unused
        // types out by default.
        generate_unused_types: true,
        // Records compare in tests and in warranty-jiujiu's contracts.
        additional_derives: [PartialEq],
    });
}

pub use bindings::xingji::plugins::{month, types};

use types::{OrderKind, ProductLine, ProductLines};

/// The product lines, as the WIT spells them, in the WIT's order (so
/// `ProductLine as usize` indexes it).
pub const PRODUCT_LINES: [&str; 7] = [
    "tv",
    "flat-panel-tv",
    "computer",
    "refrigerator",
    "washing-machine",
    "air-conditioner",
    "water-heater",
];

/// The order kinds, as the WIT spells them, in the WIT's order.
pub const ORDER_KINDS: [&str; 7] = [
    "installation",
    "repair",
    "maintenance",
    "consultation",
    "birthday-visit",
    "tour-visit",
    "complaint",
];

/// Every product line, in the WIT's order (as [`PRODUCT_LINES`]).
pub const LINES: [ProductLine; 7] = [
    ProductLine::Tv,
    ProductLine::FlatPanelTv,
    ProductLine::Computer,
    ProductLine::Refrigerator,
    ProductLine::WashingMachine,
    ProductLine::AirConditioner,
    ProductLine::WaterHeater,
];

/// Every order kind, in the WIT's order (as [`ORDER_KINDS`]).
pub const KINDS: [OrderKind; 7] = [
    OrderKind::Installation,
    OrderKind::Repair,
    OrderKind::Maintenance,
    OrderKind::Consultation,
    OrderKind::BirthdayVisit,
    OrderKind::TourVisit,
    OrderKind::Complaint,
];

/// The position of `line` in the WIT's order: its index in
/// [`PRODUCT_LINES`], [`LINES`] and any table per product line.
pub fn line_index(line: ProductLine) -> usize {
    line as usize
}

/// `line` as the WIT spells it (`air-conditioner`).
pub fn line_name(line: ProductLine) -> &'static str {
    PRODUCT_LINES[line_index(line)]
}

/// The flag of `line` in a `product-lines` set.
pub fn line_flag(line: ProductLine) -> ProductLines {
    match line {
        ProductLine::Tv => ProductLines::TV,
        ProductLine::FlatPanelTv => ProductLines::FLAT_PANEL_TV,
        ProductLine::Computer => ProductLines::COMPUTER,
        ProductLine::Refrigerator => ProductLines::REFRIGERATOR,
        ProductLine::WashingMachine => ProductLines::WASHING_MACHINE,
        ProductLine::AirConditioner => ProductLines::AIR_CONDITIONER,
        ProductLine::WaterHeater => ProductLines::WATER_HEATER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_wit_order() {
        for (index, line) in LINES.into_iter().enumerate() {
            assert_eq!(line_index(line), index);
            assert_eq!(line_name(line), PRODUCT_LINES[index]);
            assert_eq!(
                line_flag(line).bits(),
                1 << index,
                "{}",
                PRODUCT_LINES[index]
            );
        }
        for (index, kind) in KINDS.into_iter().enumerate() {
            assert_eq!(kind as usize, index);
        }
    }
}
