//! The `xingji.v1` partner API, generated from `proto/` at build time.
//!
//! Messages are prost structs, the records the kernel keeps. With the `grpc`
//! feature each service also has a tonic server trait
//! (`outlet_service_server::OutletService`) and client
//! (`outlet_service_client::OutletServiceClient`), which decode with
//! [`codec::ApiCodec`].

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/xingji_api.rs"));

#[cfg(feature = "grpc")]
pub mod codec;
pub mod statuses;

pub use xingji::v1;

/// The encoded `google.protobuf.FileDescriptorSet` of the whole API, with its
/// imports: what server reflection serves, and how the CLI prints messages.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xingji_descriptor.bin"));
