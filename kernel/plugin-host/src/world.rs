//! What each slot's file provides, as the [`World`] trait, and the
//! [`Manifest`] every world's `plugin` export describes.

use std::future::Future;

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::grant::Grant;
use crate::sandbox::{HostState, Limits};

/// Who a plugin says it is (its `plugin.describe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Lower case, digits and `-`.
    pub name: String,
    /// A semantic version.
    pub version: String,
    /// What it does.
    pub description: String,
    /// Who made it.
    pub author: String,
}

/// A slot's world, implemented in the slot's file (`src/slots/<name>.rs`)
/// by the type named like its [`Slot`](crate::slot::Slot) variant: its
/// constants written out, and the items that depend only on its bindings
/// expanded by [`world_bindings!`]. Its typed calls are `impl Plugin`
/// blocks in the same file.
pub(crate) trait World {
    /// The version of the WIT package whose world this is (its directory
    /// in `wit/`).
    const VERSION: &'static str;

    /// The interface the world exports besides `plugin`; a component
    /// exporting it fills the slot.
    const EXPORT: &'static str;

    /// The host capabilities the world imports. They alone are linked, and
    /// a component importing anything else is refused at install.
    const GRANTS: &'static [Grant];

    /// The default bounds of a call; a region may override them.
    const LIMITS: Limits;

    /// A component of this world, pre-instantiated with its linker and
    /// typed by the world's bindings.
    type Pre: Send + Sync + 'static;

    /// Types a pre-instantiated component by the world's bindings (finding
    /// its exports).
    fn prepare(instance: InstancePre<HostState>) -> wasmtime::Result<Self::Pre>;

    /// Instantiates the component in `store` and calls `plugin.describe`.
    fn describe(
        pre: &Self::Pre,
        store: &mut Store<HostState>,
    ) -> impl Future<Output = wasmtime::Result<Manifest>> + Send;

    /// Links the world's imports as its own bindings do, from `wit/`: what
    /// the tests compare [`World::GRANTS`] with.
    #[cfg(test)]
    fn link_world_imports(
        linker: &mut wasmtime::component::Linker<HostState>,
    ) -> wasmtime::Result<()>;
}

/// The items of a [`World`] impl that depend on the world's bindings
/// (`Pre`, `prepare`, `describe`, `link_world_imports`), written once for
/// every slot: they differ only by the two types bindgen generates for the
/// world, named here: `pre`, its `…Pre` (generic over the store data), and
/// `world`, the world itself. It goes inside the impl, after the
/// constants: `world_bindings!(pre: bindings::TourPre, world: bindings::Tour);`.
macro_rules! world_bindings {
    (pre: $($pre:ident)::+, world: $($world:ident)::+ $(,)?) => {
        type Pre = $($pre)::+<$crate::sandbox::HostState>;

        fn prepare(
            instance: wasmtime::component::InstancePre<$crate::sandbox::HostState>,
        ) -> wasmtime::Result<Self::Pre> {
            $($pre)::+::new(instance)
        }

        async fn describe(
            pre: &Self::Pre,
            store: &mut wasmtime::Store<$crate::sandbox::HostState>,
        ) -> wasmtime::Result<$crate::world::Manifest> {
            let instance = pre.instantiate_async(&mut *store).await?;
            let info = instance
                .xingji_plugins_plugin()
                .call_describe(store)
                .await?;
            Ok($crate::world::Manifest {
                name: info.name,
                version: info.version,
                description: info.description,
                author: info.author,
            })
        }

        #[cfg(test)]
        fn link_world_imports(
            linker: &mut wasmtime::component::Linker<$crate::sandbox::HostState>,
        ) -> wasmtime::Result<()> {
            $($world)::+::add_to_linker::<_, wasmtime::component::HasSelf<_>>(linker, |state| {
                state
            })
        }
    };
}
pub(crate) use world_bindings;

/// A slot world's bindings, generated from `wit/<version>/` with the
/// options every world shares: async calls, trappable imports, and its
/// imports mapped (`with`) to the host interfaces of that version's module
/// in `bindings/` (`host` for 0.2.0, `host_0_3` for 0.3.0), so that each
/// has one Rust type. `types` is mapped for every world, to 0.2.0's (the
/// same at every version); the rest are listed by WIT name and module:
/// `"xingji:plugins/log": log`. It goes inside the slot's `pub mod
/// bindings`: `world_bindgen!("../../wit/0.2.0" in host,
/// "xingji:plugins/tour", {…})`.
macro_rules! world_bindgen {
    ($path:literal in $host:ident, $world:literal, { $($interface:literal: $module:ident),* $(,)? }) => {
        wasmtime::component::bindgen!({
            path: $path,
            world: $world,
            imports: { default: async | trappable },
            exports: { default: async },
            with: {
                "xingji:plugins/types": crate::bindings::host::xingji::plugins::types,
                $($interface: crate::bindings::$host::xingji::plugins::$module,)*
            },
        });
    };
}
pub(crate) use world_bindgen;
