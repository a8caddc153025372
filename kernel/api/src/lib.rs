//! The `xingji.v1` partner API, generated from `proto/` at build time.
//!
//! Messages are prost structs; each service has a tonic server trait
//! (`outlet_service_server::OutletService`) and client
//! (`outlet_service_client::OutletServiceClient`).

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/xingji_api.rs"));

pub use xingji::v1;

/// The encoded `google.protobuf.FileDescriptorSet` of the whole API, with its
/// imports: what server reflection serves, and how the CLI prints messages.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xingji_descriptor.bin"));
