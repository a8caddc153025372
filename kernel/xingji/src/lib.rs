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

/// mimalloc, not glibc's malloc: allocation was over a third of a big
/// month close's gather in glibc (orders decoded on one thread and freed
/// on another, arenas consolidated), see BENCHMARKS.md section 3. Here, in
/// the library, so that the tests and benches run what the binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
