//! The plugin runtime: business policy as sandboxed WebAssembly components
//! behind the `xingji:plugins` WIT contracts (`wit/`).
//!
//! - [`Runtime`] owns the wasmtime engine. [`Runtime::load`] compiles a
//!   component once (or loads its cached artifact), checks that it targets a
//!   supported WIT version and imports only what its [`Slot`] grants, and
//!   reads its manifest.
//! - A [`Plugin`] is one loaded version. Each call instantiates it afresh
//!   in a new store, bounded by [`Limits`], and a failure is a
//!   [`PluginError`] that names the cause.
//! - Which plugin a region runs is the kernel's business, not this crate's.

pub mod bindings;
mod plugin;
mod runtime;
mod sandbox;
mod slot;

pub use plugin::{CallCost, Manifest, Plugin, PluginError};
pub use runtime::{EPOCH_TICK, LoadError, Runtime, hex};
pub use sandbox::{HostServices, Limits};
pub use slot::{LINK_ONLY_WASI, SUPPORTED_WIT_VERSIONS, Slot, TYPE_INTERFACES, WIT_PACKAGE};
