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
//!
//! # Slots
//!
//! Each slot is one world of `wit/worlds.wit` and has one file,
//! `src/slots/<name>.rs`, with everything about it: its world's bindings
//! (re-exported as `bindings::<name>`), its grants, its default limits, the
//! interface it exports and its typed calls on [`Plugin`].
//!
//! | Slot | Exports | Grants | Calls |
//! |---|---|---|---|
//! | `dispatch` | `dispatcher` | log | [`Plugin::dispatch`] |
//! | `warranty` | `warranty-plans` | log, records, kv | [`Plugin::warranty_quote`], [`Plugin::warranty_purchase`], [`Plugin::warranty_get_contract`], [`Plugin::warranty_list_contracts`], [`Plugin::warranty_claim`] |
//! | `campaign` | `birthday-campaign` | log, records, order-writer | [`Plugin::campaign_run`] |
//! | `tour` | `tour-planner` | log, budget | [`Plugin::tour_plan`] |
//! | `evaluation` | `evaluator` | log, records | [`Plugin::evaluation_evaluate`] |
//! | `settlement` | `settler` | log, records | [`Plugin::settlement_settle`] |
//!
//! A slot's [grants](Slot::grants) are the only host capabilities
//! ([`Grant`]) linked for its plugins, and a component importing anything
//! else is refused at load; a test checks them against the world's imports.
//! To add a slot, write its file after the closest one, declare it in
//! `slots/mod.rs`, re-export its bindings in `bindings/mod.rs` and add its
//! line to the list in `slot.rs`.
//!
//! # Files
//!
//! With each file depending only on those above it:
//!
//! - `slot.rs`: the list of slots, and [`Slot`];
//! - `bindings/host.rs`: the host interfaces' bindings, shared by every world;
//! - `sandbox.rs`: [`Limits`], [`HostServices`] and a call's store data;
//! - `grant.rs`: the capabilities ([`Grant`]), their implementation and a
//!   slot's linker;
//! - `call.rs`: a call's fresh store, its deadline and fuel,
//!   [`PluginError`], and the macros that write a typed call of an export;
//! - `load_error.rs`: [`LoadError`];
//! - `world.rs`: what a slot's file provides, [`Manifest`], and the macros
//!   that generate a world's bindings and write the parts of its `World`
//!   impl that depend on them;
//! - `plugin.rs`: [`Plugin`];
//! - `slots/<name>.rs`: one slot each;
//! - `registry.rs`: the list expanded over the slot files;
//! - `record/`: a dispatch request and decision as plain data, to
//!   record (postcard) and show or replay (JSON in the WIT mapping);
//! - `dynamic.rs`: a call of any function of a plugin's export by name,
//!   with JSON arguments and result ([`Plugin::call_by_name`], for
//!   `xingji plugins run`);
//! - `shape.rs`: [`Shape`], the bounds checked before compiling;
//! - `cache.rs`: the artifact cache (compiled component and describe);
//! - `runtime.rs`: [`Runtime`]: the engine, loading (compiled on the
//!   blocking pool, bounded) and checking;
//! - `signature.rs`: a component's detached signature (a Sigstore bundle)
//!   and publisher keys, apart from the rest.

pub mod bindings;
mod cache;
mod call;
mod contract;
mod dynamic;
mod grant;
mod load_error;
mod plugin;
pub mod record;
mod registry;
mod runtime;
mod sandbox;
mod shape;
pub mod signature;
mod slot;
mod slots;
mod ticker;
mod world;

pub use cache::hex;
pub use call::{CallCost, PluginError};
pub use contract::{WIT_PACKAGES, WitPackage};
pub use dynamic::{CallByNameError, Transcript, to_json};
pub use grant::{Grant, LINK_ONLY_WASI, TYPE_INTERFACES};
pub use load_error::LoadError;
pub use plugin::{ParamsCheck, Plugin};
pub use runtime::{POOL_DESCRIBE_HEADROOM, POOL_INSTANCES, Runtime, check_plugin_name};
pub use sandbox::{HostServices, Limits, LogLine};
pub use shape::Shape;
pub use slot::{SUPPORTED_WIT_VERSIONS, Slot, WIT_PACKAGE};
pub use ticker::EPOCH_TICK;
pub use world::Manifest;
