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
/// by the type named like its [`Slot`](crate::slot::Slot) variant. Its
/// typed calls are `impl Plugin` blocks in the same file.
pub(crate) trait World {
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
