//! The Xingji kernel's core: outlets, people and orders, and the workflow
//! of an order's whole life, with each region's business plugins.
//!
//! The core takes who acts ([`actor::Actor`]) and the API's request
//! messages, and returns records or a [`KernelError`]. Everything a request
//! can go wrong with is decided here, once; the gRPC services in the
//! `xingji` crate only decode, call and map errors to statuses.
//!
//! **What it does not know:** gRPC, tonic, HTTP or statuses (it compiles
//! without them); the config file and its layers (it takes each region's
//! [`settings::RegionConfig`]); SQL (it talks to `xingji_store::Store`);
//! wasmtime (it calls plugins through `xingji_plugin_host`); which plugins
//! ship with the binary (it is given a [`plugins::Bundled`] set).
//!
//! **Entry points:** [`Kernel`] and its parts — `kernel.orders()`,
//! `kernel.outlets()`, `kernel.people()`, `kernel.month_closes()`,
//! `kernel.warranty()`, `kernel.campaigns()`, `kernel.tours()`,
//! `kernel.plugin_admin()`, and `kernel.plugins` ([`plugins::PluginSets`]).

pub mod access;
pub mod actor;
pub mod admission;
pub mod audit;
pub mod audit_trail;
pub mod calendar;
pub mod campaign;
pub mod error;
pub mod ids;
pub mod kernel;
pub mod licence;
pub mod month_close;
pub mod orders;
pub mod outlets;
pub mod paging;
pub mod people;
pub mod permission;
pub mod plugins;
pub mod principals;
pub mod privacy;
pub mod records;
pub mod regions;
pub mod settings;
pub mod tours;
pub mod updates;
pub mod validate;
pub mod warranty;
pub mod wit;

pub use error::KernelError;
pub use kernel::{Kernel, Options};
