//! Each region's plugins: which installed plugin runs in each slot of each
//! region, how that changes, and the calls.
//!
//! - `registry`: installed plugins (the bundled set and every install);
//! - `activations`: each region's last activation per slot, persisted;
//! - `sets`: [`PluginSets`] — what a region runs (activation > config >
//!   default), activate and roll back;
//! - `calls`: calling a region's plugin, with its limits, parameters and
//!   capabilities, in its span, counted (`stats`), failures named
//!   (`failure`);
//! - `concurrency`: the caps on calls running at once, per region and slot
//!   and for the whole kernel;
//! - `capabilities`: what a call gets behind `records`, `kv` and
//!   `order-writer`, for one region; `kv_writes`: the kv limits, and a
//!   call's pending kv writes, bounded as they come in;
//! - `publishers`: who published a component (its signature, checked
//!   against the publishers the deployment trusts) and who owns a name;
//! - `vet`: the checks of an install that need no store, which
//!   `xingji plugins check` runs offline;
//! - `shadow`: a slot's shadow plugin, run beside the active one and
//!   never applied, and the decisions recorded for replay and its report;
//! - `admin`: the requests of regional IT ([`PluginAdmin`]);
//! - `uninstall`: removing a version nothing runs;
//! - `slots`: slots as the API numbers them.

pub mod activations;
mod admin;
pub mod calls;
pub mod capabilities;
pub mod concurrency;
pub mod failure;
pub mod kv_writes;
pub mod publishers;
pub mod registry;
pub mod sets;
pub mod shadow;
pub mod slots;
pub mod stats;
mod uninstall;
pub mod vet;

pub use admin::PluginAdmin;
pub use calls::{Called, PluginCall, Writes};
pub use registry::Bundled;
pub use sets::PluginSets;
