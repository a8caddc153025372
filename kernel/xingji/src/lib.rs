//! The `xingji` binary's crate: the gRPC server over the kernel's core
//! (`xingji_core`), and the command-line client. See ARCHITECTURE.md for
//! the map.

pub mod cli;
pub mod config;
pub mod demo;
pub mod grpc;
pub mod server;
pub mod signing;
pub mod telemetry;
pub mod tls;
pub mod tokens;
