//! Why a component could not become a plugin.

use crate::call::PluginError;
use crate::slot::{SUPPORTED_WIT_VERSIONS, Slot, WIT_PACKAGE};

/// Why a component could not become a plugin. Each message tells the
/// author what to change.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a component this engine can compile.
    #[error(
        "not a WebAssembly component: {0}. Build the plugin for wasm32-wasip2 (cargo build --target wasm32-wasip2), which emits a component"
    )]
    NotAComponent(String),
    /// No slot interface is exported.
    #[error("the component exports no Xingji slot: build it for one of the worlds {worlds} of {WIT_PACKAGE}@{version}", worlds = worlds(), version = SUPPORTED_WIT_VERSIONS[0])]
    NoSlot,
    /// The component targets a WIT version this kernel cannot run.
    #[error("the component was built for {WIT_PACKAGE}@{found}, but this kernel supports {supported}: rebuild it against the wit/ of this kernel", supported = SUPPORTED_WIT_VERSIONS.join(", "))]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// An import outside the slot's grants.
    #[error(
        "the component imports {import}, which the {slot} world does not grant (it grants {grants}): remove the use of that capability"
    )]
    ForbiddenImport {
        /// The import.
        import: String,
        /// The slot.
        slot: Slot,
        /// What the slot grants.
        grants: String,
    },
    /// The component is beyond a bound checked before compiling.
    #[error(
        "the component is too large to compile: {0}. Split the work into smaller functions, or build with optimisations (--release)"
    )]
    TooBig(String),
    /// Compiling took longer than the deployment allows.
    #[error(
        "compiling the component took longer than the limit of {seconds} s ([plugins] compile_timeout_seconds): make it smaller, or raise the limit"
    )]
    CompileTimeout {
        /// The limit.
        seconds: f64,
    },
    /// The manifest is unusable.
    #[error("bad manifest from plugin.describe: {0}")]
    BadManifest(String),
    /// Instantiating or describing failed.
    #[error("{0}")]
    Plugin(#[from] PluginError),
    /// The host failed.
    #[error("runtime error: {0}")]
    Runtime(String),
}

fn worlds() -> String {
    Slot::ALL
        .iter()
        .map(|slot| slot.name())
        .collect::<Vec<_>>()
        .join(", ")
}
