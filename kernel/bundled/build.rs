//! Builds the plugins workspace (`plugins/`) for `wasm32-wasip2`, so that
//! the default plugins can be embedded in the `xingji` binary and the tests
//! can load the test-only ones. A fresh machine needs no extra step: the
//! target is listed in `rust-toolchain.toml`, which rustup honours when it
//! installs the toolchain; a toolchain already installed without it gets
//! it here (`ensure_wasm_target`).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../..");
    let plugins = root.join("plugins");
    for watched in ["plugins", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = out.join("plugins-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    ensure_wasm_target();

    // wit-bindgen reads wit/ inside a macro, which cargo does not track:
    // when the contract changes, the plugin crates must be rebuilt by hand.
    let stamp = target_dir.join("wit.stamp");
    let contract = wit_contents(&root.join("wit"));
    if std::fs::read(&stamp).ok().as_deref() != Some(contract.as_slice()) {
        let mut clean = Command::new(&cargo);
        clean
            .args([
                "clean",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(plugins.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir);
        for name in plugin_crates(&plugins) {
            clean.arg("-p").arg(name);
        }
        clean_env(&mut clean);
        // A failed clean (a crate not yet a workspace member, say) only
        // costs a stale plugin, which the tests would catch: warn, go on.
        if !clean.status().is_ok_and(|status| status.success()) {
            println!("cargo:warning=could not clean the plugins after a change of wit/");
        }
    }

    let mut build = Command::new(&cargo);
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
    clean_env(&mut build);
    let status = build.status().expect("run cargo to build the plugins");
    assert!(
        status.success(),
        "building the plugins in {} failed",
        plugins.display()
    );

    std::fs::create_dir_all(&target_dir).expect("create the plugins' target dir");
    std::fs::write(&stamp, contract).expect("write the wit stamp");

    let built = target_dir.join("wasm32-wasip2").join("release");
    println!("cargo:rustc-env=XINGJI_BUILT_PLUGINS={}", built.display());
}

/// Adds the `wasm32-wasip2` target when the active toolchain lacks it.
/// rustup installs `rust-toolchain.toml`'s targets only with the toolchain
/// itself: a machine that already had 1.95.0 (the README's fresh machine
/// with rustup, say) has the compiler but not the target.
fn ensure_wasm_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let Some(sysroot) = sysroot else { return };
    if sysroot.join("lib/rustlib/wasm32-wasip2").is_dir() {
        return;
    }
    // RUSTUP_TOOLCHAIN, set by rustup's cargo, names the toolchain to add to.
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        added,
        "the plugins need the wasm32-wasip2 target, which the toolchain at {} lacks \
         and rustup could not add: run `rustup target add wasm32-wasip2`",
        sysroot.display()
    );
    println!("cargo:warning=added the wasm32-wasip2 target to the toolchain (rust-toolchain.toml)");
}

/// What the outer build sets for the kernel must not leak into the
/// plugins' build: wrappers (clippy), flags and the target directory.
fn clean_env(command: &mut Command) {
    for var in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    for (var, _) in std::env::vars() {
        if var.starts_with("CARGO_PROFILE_")
            || var.starts_with("CARGO_CFG_")
            || var.starts_with("CARGO_FEATURE_")
        {
            command.env_remove(var);
        }
    }
}

/// Every `.wit` file's name and bytes, in name order, each version's
/// directory (`wit/0.2.0/`) in turn.
fn wit_contents(dir: &std::path::Path) -> Vec<u8> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read wit/")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .flat_map(|version| std::fs::read_dir(version).expect("read a version of wit/"))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wit"))
        .collect();
    files.sort();
    let mut contents = Vec::new();
    for file in files {
        // The version and name, not the path: two checkouts sharing a
        // target agree.
        let version = file
            .parent()
            .and_then(|p| p.file_name())
            .unwrap_or_default();
        contents.extend(version.as_encoded_bytes());
        contents.extend(file.file_name().unwrap_or_default().as_encoded_bytes());
        contents.extend(std::fs::read(&file).expect("read a wit file"));
    }
    contents
}

/// The package names of the plugin crates (every member with a `src/lib.rs`
/// that generates bindings: all but the plain helper crate).
fn plugin_crates(plugins: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(plugins).expect("read plugins/").flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if !text.contains("wit-bindgen") {
            continue;
        }
        let name = text
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|name| name.trim_matches('"').to_owned());
        names.extend(name);
    }
    names
}
