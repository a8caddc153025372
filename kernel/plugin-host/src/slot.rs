//! The list of plugin slots: the six kinds of business policy, each a world
//! of the `xingji:plugins` WIT package and each with one file in `slots/`.
//!
//! The list is written once, in [`for_each_slot!`]. It defines [`Slot`]
//! here, and `registry.rs` expands it again to reach each slot's file. This
//! file names no slot file, so everything a slot file uses may name [`Slot`].

use std::fmt;

/// The WIT package every plugin targets.
pub const WIT_PACKAGE: &str = "xingji:plugins";

/// The versions of the WIT package this kernel can run, newest first. Not
/// every slot is at every version: [`Slot::wit_versions`] says which a
/// slot's world is at (a version brings the worlds whose contract changed).
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.3.0", "0.2.0"];

/// Calls `$callback!` with the list of slots: for each, its doc, its
/// [`Slot`] variant, its name (which is its world's name in
/// `wit/<version>/worlds.wit`), its file in `slots/`, and the types there
/// that implement `World` for it, one per WIT version, newest first.
///
/// To add a slot: write its file (copy the closest one), declare it in
/// `slots/mod.rs`, re-export its bindings in `bindings/mod.rs`, and add its
/// line here. To bring a slot to a new WIT version: add that version's
/// bindings and `World` type to its file, and list the type here first.
macro_rules! for_each_slot {
    ($callback:ident) => {
        $callback! {
            /// Chooses an outlet and engineer for an order.
            Dispatch = "dispatch" in dispatch: [Dispatch03, Dispatch],
            /// The Jiujiu extended warranty.
            Warranty = "warranty" in warranty: [Warranty],
            /// Appliance-birthday visit campaigns.
            Campaign = "campaign" in campaign: [Campaign],
            /// Rural tour scheduling.
            Tour = "tour" in tour: [Tour],
            /// Monthly outlet evaluation.
            Evaluation = "evaluation" in evaluation: [Evaluation],
            /// Monthly settlement.
            Settlement = "settlement" in settlement: [Settlement],
        }
    };
}
pub(crate) use for_each_slot;

macro_rules! define_slot {
    ($($(#[$doc:meta])* $variant:ident = $name:literal in $file:ident: [$($world:ident),+],)*) => {
        /// A kind of plugin: one world of the WIT package. Each has its file,
        /// `src/slots/<name>.rs`, with its bindings, grants, default limits
        /// and calls.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Slot {
            $($(#[$doc])* $variant,)*
        }

        impl Slot {
            /// Every slot.
            pub const ALL: [Slot; [$($name),*].len()] = [$(Slot::$variant),*];

            /// The slot's name, which is also its world's name: `dispatch`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Slot::$variant => $name,)*
                }
            }
        }
    };
}
for_each_slot!(define_slot);

impl Slot {
    /// The slot named `name`.
    pub fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|slot| slot.name() == name)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for slot in Slot::ALL {
            assert_eq!(Slot::from_name(slot.name()), Some(slot));
            assert_eq!(slot.to_string(), slot.name());
        }
        let mut names: Vec<_> = Slot::ALL.iter().map(|slot| slot.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Slot::ALL.len());
        assert_eq!(Slot::from_name("Dispatch"), None);
        assert_eq!(Slot::from_name(""), None);
    }
}
