//! Plugin slots: the six kinds of business policy, each a world of the
//! `xingji:plugins` WIT package, and what each world is granted.

use std::fmt;

/// The WIT package every plugin targets.
pub const WIT_PACKAGE: &str = "xingji:plugins";

/// The versions of the WIT package this kernel can run, newest first.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.2.0"];

/// The interfaces of the package that hold only types: every world may
/// import them, as they grant nothing.
pub const TYPE_INTERFACES: &[&str] = &["types", "month"];

/// A kind of plugin: one world of the WIT package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// Chooses an outlet and engineer for an order.
    Dispatch,
    /// The Jiujiu extended warranty.
    Warranty,
    /// Appliance-birthday visit campaigns.
    Campaign,
    /// Rural tour scheduling.
    Tour,
    /// Monthly outlet evaluation.
    Evaluation,
    /// Monthly settlement.
    Settlement,
}

impl Slot {
    /// Every slot.
    pub const ALL: [Slot; 6] = [
        Slot::Dispatch,
        Slot::Warranty,
        Slot::Campaign,
        Slot::Tour,
        Slot::Evaluation,
        Slot::Settlement,
    ];

    /// The slot's name, which is also its world's name: `dispatch`.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Dispatch => "dispatch",
            Slot::Warranty => "warranty",
            Slot::Campaign => "campaign",
            Slot::Tour => "tour",
            Slot::Evaluation => "evaluation",
            Slot::Settlement => "settlement",
        }
    }

    /// The slot named `name`.
    pub fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|slot| slot.name() == name)
    }

    /// The interface the slot's world exports, besides `plugin`.
    pub fn export(self) -> &'static str {
        match self {
            Slot::Dispatch => "dispatcher",
            Slot::Warranty => "warranty-plans",
            Slot::Campaign => "birthday-campaign",
            Slot::Tour => "tour-planner",
            Slot::Evaluation => "evaluator",
            Slot::Settlement => "settler",
        }
    }

    /// The host interfaces the slot's world imports: its capabilities.
    pub fn grants(self) -> &'static [&'static str] {
        match self {
            Slot::Dispatch => &["log"],
            Slot::Warranty => &["log", "records", "kv"],
            Slot::Campaign => &["log", "records", "order-writer"],
            Slot::Tour => &["log", "budget"],
            Slot::Evaluation | Slot::Settlement => &["log", "records"],
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// WASI interfaces a component built for `wasm32-wasip2` imports just to
/// link its standard library. They are satisfied, but give nothing: no
/// preopened directories, no environment or arguments, discarded output,
/// clocks frozen at the epoch and a fixed random sequence.
pub const LINK_ONLY_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];
