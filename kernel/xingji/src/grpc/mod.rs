//! The gRPC services of the `xingji.v1` API: thin adapters, one per
//! service, over the core (`xingji_core`). `services.rs` holds each
//! service as a table of its RPCs (`adapter!`): decode, read who acts
//! (`actor`), call the core, map its error to a status with rich details
//! (`status`). No rule lives here.

pub mod actor;
mod adapter;
pub mod auth;
pub mod peer;
mod services;
pub mod status;

pub use services::{
    AuditApi, CampaignApi, MonthCloseApi, OrderApi, OutletApi, PersonApi, PluginApi, TourApi,
    WarrantyApi,
};
