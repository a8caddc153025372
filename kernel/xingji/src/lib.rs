//! The Xingji kernel: holds outlets, people and orders, and serves them over
//! the `xingji.v1` gRPC API. See ARCHITECTURE.md for the map.

pub mod bundled;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod licence;
pub mod lifecycle;
pub mod month_close;
pub mod pagination;
pub mod plugins;
pub mod server;
pub mod services;
pub mod sla;
pub mod status;
pub mod telemetry;
pub mod validate;
pub mod wit_records;
