//! The API's descriptor set, which the CLI reads enum names and message
//! fields from (so that it prints and parses what the .proto files say).

use std::sync::LazyLock;

use prost_reflect::DescriptorPool;

/// The `xingji.v1` messages and enums, from the set built into the binary.
pub static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(xingji_api::FILE_DESCRIPTOR_SET)
        .expect("the built-in descriptor set decodes")
});
