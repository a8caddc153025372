//! Compiles `proto/` with protox (pure Rust, so no `protoc` is needed) and
//! generates the prost messages and tonic services from the result. The
//! encoded descriptor set is kept too: the server serves it by reflection and
//! the CLI prints messages as proto JSON with it.

use std::path::PathBuf;

use prost::Message;

const PROTOS: &[&str] = &[
    "xingji/v1/common.proto",
    "xingji/v1/outlet.proto",
    "xingji/v1/person.proto",
    "xingji/v1/order.proto",
    "xingji/v1/plugin.proto",
    "xingji/v1/month.proto",
    "xingji/v1/warranty.proto",
    "xingji/v1/campaign.proto",
    "xingji/v1/tour.proto",
    "xingji/v1/audit.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());

    let fds = protox::compile(PROTOS, [&root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("xingji_descriptor.bin"), fds.encode_to_vec())?;

    // The services exist only with the `grpc` feature, and decode requests
    // with our codec: a client's undecodable bytes are its own fault
    // (INVALID_ARGUMENT), where tonic-prost's codec says INTERNAL.
    tonic_prost_build::configure()
        .include_file("xingji_api.rs")
        .server_mod_attribute(".", "#[cfg(feature = \"grpc\")]")
        .client_mod_attribute(".", "#[cfg(feature = \"grpc\")]")
        .codec_path("crate::codec::ApiCodec")
        .compile_fds(fds)?;
    Ok(())
}
