//! Each slot's file, looked up by its [`Slot`]: the list of `slot.rs`
//! expanded over the slot files, to give [`Slot::export`],
//! [`Slot::grants`], [`Limits::for_slot`] and the typing and describing of
//! a newly loaded component.

use std::any::Any;

use wasmtime::component::InstancePre;

use crate::call::{Call, bounded};
use crate::grant::Grant;
use crate::load_error::LoadError;
use crate::sandbox::{HostState, Limits};
use crate::slot::{Slot, for_each_slot};
use crate::slots;
use crate::ticker::Ticker;
use crate::world::{Manifest, World};

macro_rules! registry {
    ($($(#[$doc:meta])* $variant:ident = $name:literal in $file:ident: [$newest:ident $(, $world:ident)*],)*) => {
        impl Slot {
            /// The interface the slot's world exports besides `plugin`: a
            /// component exporting it fills the slot. (The same at every
            /// version.)
            pub fn export(self) -> &'static str {
                match self {
                    $(Slot::$variant => <slots::$file::$newest as World>::EXPORT,)*
                }
            }

            /// The WIT versions the slot's world is at, newest first.
            pub fn wit_versions(self) -> &'static [&'static str] {
                match self {
                    $(Slot::$variant => &[
                        <slots::$file::$newest as World>::VERSION,
                        $(<slots::$file::$world as World>::VERSION,)*
                    ],)*
                }
            }

            /// The host capabilities the slot's world imports at `version`
            /// (none at a version it is not at). They alone are linked for
            /// its plugins, and a component importing anything else is
            /// refused at load.
            pub fn grants(self, version: &str) -> &'static [Grant] {
                match self {
                    $(Slot::$variant => {
                        if version == <slots::$file::$newest as World>::VERSION {
                            return <slots::$file::$newest as World>::GRANTS;
                        }
                        $(if version == <slots::$file::$world as World>::VERSION {
                            return <slots::$file::$world as World>::GRANTS;
                        })*
                        &[]
                    })*
                }
            }
        }

        impl Limits {
            /// The defaults for a slot, set in its file: tight for the
            /// per-order dispatch, generous for the batch slots (tours,
            /// month close).
            pub fn for_slot(slot: Slot) -> Self {
                match slot {
                    $(Slot::$variant => <slots::$file::$newest as World>::LIMITS,)*
                }
            }
        }

        /// A component pre-instantiated for `slot` at WIT `version` (one of
        /// the slot's [`Slot::wit_versions`]), typed by that world (its
        /// `World::Pre`), and its manifest (`cached`, or described).
        pub(crate) async fn prepare(
            slot: Slot,
            version: &str,
            instance: InstancePre<HostState>,
            ticker: &Ticker,
            cached: Option<Manifest>,
        ) -> Result<(Box<dyn Any + Send + Sync>, Manifest), LoadError> {
            match slot {
                $(Slot::$variant => {
                    $(if version == <slots::$file::$world as World>::VERSION {
                        return prepare_world::<slots::$file::$world>(instance, ticker, cached).await;
                    })*
                    prepare_world::<slots::$file::$newest>(instance, ticker, cached).await
                })*
            }
        }

        /// Links what the slot's world at `version` imports, as its own
        /// bindings do.
        #[cfg(test)]
        fn link_world_imports(
            slot: Slot,
            version: &str,
            linker: &mut wasmtime::component::Linker<HostState>,
        ) -> wasmtime::Result<()> {
            match slot {
                $(Slot::$variant => {
                    $(if version == <slots::$file::$world as World>::VERSION {
                        return <slots::$file::$world as World>::link_world_imports(linker);
                    })*
                    <slots::$file::$newest as World>::link_world_imports(linker)
                })*
            }
        }
    };
}
for_each_slot!(registry);

/// [`prepare`] for world `W`: its typed component, and the manifest
/// `cached` with its artifact, else from a call of `plugin.describe` within
/// the world's default limits.
async fn prepare_world<W: World>(
    instance: InstancePre<HostState>,
    ticker: &Ticker,
    cached: Option<Manifest>,
) -> Result<(Box<dyn Any + Send + Sync>, Manifest), LoadError> {
    let engine = instance.engine().clone();
    // Typing the component by the world's bindings checks each export's
    // types: a failure is a contract that does not match (the version is
    // the caller's to fill in).
    let pre = W::prepare(instance).map_err(|error| LoadError::ShapeMismatch {
        version: String::new(),
        detail: format!("{error:#}"),
    })?;
    if let Some(manifest) = cached {
        return Ok((Box::new(pre), manifest));
    }
    let (manifest, _) = bounded(W::LIMITS, async {
        let mut call = Call::new(&engine, ticker, W::LIMITS, None);
        let result = W::describe(&pre, call.store()).await;
        // Instantiating types the exports of interfaces: a failure there is
        // a contract that does not match, not the plugin's. (The texts are
        // wasmtime's; `test-drifted` keeps this honest.)
        if let Err(error) = &result {
            let detail = format!("{error:#}");
            if detail.contains("type-checking export")
                || detail.contains("failed to convert function to given type")
            {
                return Err(LoadError::ShapeMismatch {
                    version: String::new(),
                    detail: detail.split_whitespace().collect::<Vec<_>>().join(" "),
                });
            }
        }
        call.finish(result).map_err(LoadError::from)
    })
    .await?;
    Ok((Box::new(pre), manifest))
}

#[cfg(test)]
mod tests {
    use wasmtime::component::Linker;
    use wasmtime::{Config, Engine};

    use super::*;
    use crate::grant::{TYPE_INTERFACES, linker};
    use crate::slot::{SUPPORTED_WIT_VERSIONS, WIT_PACKAGE};

    fn engine() -> Engine {
        let mut config = Config::new();
        config.wasm_component_model(true);
        Engine::new(&config).expect("an engine")
    }

    /// `xingji:plugins/<interface>@<version>`, as components import it.
    fn import(interface: &str, version: &str) -> String {
        format!("{WIT_PACKAGE}/{interface}@{version}")
    }

    /// Whether `linker` defines `name` at its root: defining it again fails
    /// only if it is there (shadowing is off by default).
    fn defines(linker: &mut Linker<HostState>, name: &str) -> bool {
        linker.root().func_wrap(name, |_, (): ()| Ok(())).is_err()
    }

    #[test]
    fn the_probe_tells_defined_from_undefined() {
        let mut linker = linker(&engine(), "0.2.0", &[Grant::Kv]).expect("a linker");
        assert!(defines(&mut linker, &import("kv", "0.2.0")));
        assert!(!defines(&mut linker, &import("no-such-interface", "0.2.0")));
    }

    #[test]
    fn each_slot_links_exactly_its_grants_and_the_type_interfaces() {
        let engine = engine();
        for slot in Slot::ALL {
            for &version in slot.wit_versions() {
                let grants = slot.grants(version);
                let mut linker = linker(&engine, version, grants).expect("a linker");
                for grant in Grant::ALL {
                    assert_eq!(
                        defines(&mut linker, &import(grant.interface(), version)),
                        grants.contains(&grant),
                        "{slot}@{version} linker and {grant}"
                    );
                }
                assert!(
                    defines(&mut linker, &import("types", version)),
                    "{slot}@{version} linker and types"
                );
            }
        }
        let mut old = linker(&engine, "0.2.0", &[]).expect("a linker");
        for interface in TYPE_INTERFACES {
            assert!(
                defines(&mut old, &import(interface, "0.2.0")),
                "{interface}"
            );
        }
        assert!(SUPPORTED_WIT_VERSIONS.contains(&"0.2.0"));
    }

    /// Each world's own bindings (generated from `wit/<version>/`) import
    /// exactly the slot's grants at that version. A 0.3.0 world's `types`
    /// is 0.2.0's Rust module, so only its grants are compared by version.
    #[test]
    fn each_slot_grants_exactly_what_its_wit_world_imports() {
        let engine = engine();
        for slot in Slot::ALL {
            for &version in slot.wit_versions() {
                let mut world = Linker::new(&engine);
                link_world_imports(slot, version, &mut world).expect("the world's imports link");
                for grant in Grant::ALL {
                    assert_eq!(
                        defines(&mut world, &import(grant.interface(), version)),
                        slot.grants(version).contains(&grant),
                        "{slot}@{version} world and {grant}"
                    );
                }
            }
        }
    }

    #[test]
    fn slots_export_distinct_interfaces_none_a_capability() {
        for slot in Slot::ALL {
            for other in Slot::ALL {
                assert_eq!(
                    slot.export() == other.export(),
                    slot == other,
                    "{slot} and {other}"
                );
            }
            assert!(
                Grant::ALL
                    .iter()
                    .all(|grant| grant.interface() != slot.export())
                    && !TYPE_INTERFACES.contains(&slot.export()),
                "{slot} exports {}",
                slot.export()
            );
        }
    }
}
