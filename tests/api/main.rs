//! End-to-end tests of the `xingji.v1` API: each starts a real kernel on a
//! loopback port over a fresh data directory and calls it over gRPC.

mod activation_params;
mod admission;
mod audit_trail;
mod business;
mod credentials;
mod decisions;
mod edges;
mod fixtures;
mod lifecycle;
mod masking;
mod month;
mod orders;
mod outlets;
mod people;
mod permissions;
mod plugins;
mod principals;
mod sandbox_identity;
mod sandbox_install;
mod sandbox_kv;
mod sandbox_records;
mod sandbox_time;
mod server;
mod wit_versions;
