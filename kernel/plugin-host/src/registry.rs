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
    ($($(#[$doc:meta])* $variant:ident = $name:literal in $file:ident,)*) => {
        impl Slot {
            /// The interface the slot's world exports besides `plugin`: a
            /// component exporting it fills the slot.
            pub fn export(self) -> &'static str {
                match self {
                    $(Slot::$variant => <slots::$file::$variant as World>::EXPORT,)*
                }
            }

            /// The host capabilities the slot's world imports. They alone
            /// are linked for its plugins, and a component importing
            /// anything else is refused at load.
            pub fn grants(self) -> &'static [Grant] {
                match self {
                    $(Slot::$variant => <slots::$file::$variant as World>::GRANTS,)*
                }
            }
        }

        impl Limits {
            /// The defaults for a slot, set in its file: tight for the
            /// per-order dispatch, generous for the batch slots (tours,
            /// month close).
            pub fn for_slot(slot: Slot) -> Self {
                match slot {
                    $(Slot::$variant => <slots::$file::$variant as World>::LIMITS,)*
                }
            }
        }

        /// A component pre-instantiated for `slot`, typed by the slot's
        /// world (its `World::Pre`), and its manifest (`cached`, or
        /// described).
        pub(crate) async fn prepare(
            slot: Slot,
            instance: InstancePre<HostState>,
            ticker: &Ticker,
            cached: Option<Manifest>,
        ) -> Result<(Box<dyn Any + Send + Sync>, Manifest), LoadError> {
            match slot {
                $(Slot::$variant => prepare_world::<slots::$file::$variant>(instance, ticker, cached).await,)*
            }
        }

        /// Links what the slot's world imports, as its own bindings do.
        #[cfg(test)]
        fn link_world_imports(
            slot: Slot,
            linker: &mut wasmtime::component::Linker<HostState>,
        ) -> wasmtime::Result<()> {
            match slot {
                $(Slot::$variant => <slots::$file::$variant as World>::link_world_imports(linker),)*
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
    fn import(interface: &str) -> String {
        format!("{WIT_PACKAGE}/{interface}@{}", SUPPORTED_WIT_VERSIONS[0])
    }

    /// Whether `linker` defines `name` at its root: defining it again fails
    /// only if it is there (shadowing is off by default).
    fn defines(linker: &mut Linker<HostState>, name: &str) -> bool {
        linker.root().func_wrap(name, |_, (): ()| Ok(())).is_err()
    }

    #[test]
    fn the_probe_tells_defined_from_undefined() {
        let mut linker = linker(&engine(), &[Grant::Kv]).expect("a linker");
        assert!(defines(&mut linker, &import("kv")));
        assert!(!defines(&mut linker, &import("no-such-interface")));
    }

    #[test]
    fn each_slot_links_exactly_its_grants_and_the_type_interfaces() {
        let engine = engine();
        for slot in Slot::ALL {
            let mut linker = linker(&engine, slot.grants()).expect("a linker");
            for grant in Grant::ALL {
                assert_eq!(
                    defines(&mut linker, &import(grant.interface())),
                    slot.grants().contains(&grant),
                    "{slot} linker and {grant}"
                );
            }
            for interface in TYPE_INTERFACES {
                assert!(
                    defines(&mut linker, &import(interface)),
                    "{slot} linker and {interface}"
                );
            }
        }
    }

    #[test]
    fn each_slot_grants_exactly_what_its_wit_world_imports() {
        let engine = engine();
        for slot in Slot::ALL {
            let mut world = Linker::new(&engine);
            link_world_imports(slot, &mut world).expect("the world's imports link");
            for grant in Grant::ALL {
                assert_eq!(
                    defines(&mut world, &import(grant.interface())),
                    slot.grants().contains(&grant),
                    "{slot} world and {grant}"
                );
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
