//! Builds the plugins workspace (`plugins/`) for `wasm32-wasip2`, so that
//! the default plugins can be embedded in the `xingji` binary and the tests
//! can load the test-only ones. A fresh machine needs no extra step: the
//! target is listed in `rust-toolchain.toml` and rustup installs it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let plugins = root.join("plugins");
    for watched in ["plugins", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = out.join("plugins-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // What the outer build sets for the kernel must not leak into the
    // plugins' build: wrappers (clippy), flags and the target directory.
    for var in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        build.env_remove(var);
    }
    for (var, _) in std::env::vars() {
        if var.starts_with("CARGO_PROFILE_")
            || var.starts_with("CARGO_CFG_")
            || var.starts_with("CARGO_FEATURE_")
        {
            build.env_remove(var);
        }
    }
    let status = build.status().expect("run cargo to build the plugins");
    assert!(
        status.success(),
        "building the plugins in {} failed",
        plugins.display()
    );

    let built = target_dir.join("wasm32-wasip2").join("release");
    println!("cargo:rustc-env=XINGJI_BUILT_PLUGINS={}", built.display());
}
