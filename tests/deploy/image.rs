//! The container image (deploy/Containerfile, deploy/build-image.sh):
//! built with podman, then taken apart. Opt-in, since it builds the whole
//! kernel again, statically and optimised (XINGJI_TEST_IMAGE=1); these
//! machines build images but cannot run containers, so the binary is taken
//! out of the saved image and run on the host.

use std::path::Path;
use std::process::Command;

use xingji_test_deploy::tools::{self, deploy_file};

const TAG: &str = "localhost/xingji:deploy-test";

fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_image_holds_the_static_kernel_its_entrypoint_and_port() {
    if std::env::var("XINGJI_TEST_IMAGE").as_deref() != Ok("1") {
        tools::skip(
            "the image test builds a static release kernel (tens of minutes on two cores): XINGJI_TEST_IMAGE=1 cargo test -p xingji-test-deploy image (needs podman, musl-tools)",
        );
        return;
    }
    let Some(podman) = tools::find_tool("podman") else {
        panic!("XINGJI_TEST_IMAGE=1 but podman is missing (apt-get install podman)");
    };
    run(Command::new(deploy_file("build-image.sh")).arg(TAG));

    let config = run(Command::new(&podman).args([
        "image",
        "inspect",
        TAG,
        "--format",
        "{{json .Config.Entrypoint}}|{{json .Config.ExposedPorts}}|{{.Config.User}}|{{json .Config.Env}}",
    ]));
    let fields: Vec<&str> = config.trim().split('|').collect();
    assert_eq!(
        fields.first(),
        Some(&r#"["/usr/local/bin/xingji"]"#),
        "{config}"
    );
    assert!(
        fields.get(1).is_some_and(|p| p.contains("50051/tcp")),
        "{config}"
    );
    assert_eq!(fields.get(2), Some(&"65532:65532"), "{config}");
    assert!(
        fields
            .get(3)
            .is_some_and(|e| e.contains("XINGJI_LISTEN=0.0.0.0:50051")),
        "{config}"
    );

    // The saved image's layers hold the binary; taken out, it runs here.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let saved = dir.path().join("image.tar");
    run(Command::new(&podman)
        .args(["save", "--format", "docker-archive", "-o"])
        .arg(&saved)
        .arg(TAG));
    let unpacked = dir.path().join("image");
    std::fs::create_dir(&unpacked).expect("a directory");
    run(Command::new("tar")
        .arg("-xf")
        .arg(&saved)
        .arg("-C")
        .arg(&unpacked));
    let layers = layers(&unpacked);
    let mut listing = String::new();
    for layer in &layers {
        listing.push_str(&run(Command::new("tar").arg("-tf").arg(layer)));
    }
    for path in [
        "usr/local/bin/xingji",
        "etc/ssl/certs/ca-certificates.crt",
        "var/lib/xingji/",
    ] {
        assert!(
            listing.lines().any(|l| l == path),
            "{path} is not in the image:\n{listing}"
        );
    }
    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("a directory");
    for layer in &layers {
        run(Command::new("tar")
            .arg("-xf")
            .arg(layer)
            .arg("-C")
            .arg(&root));
    }
    let binary = root.join("usr/local/bin/xingji");
    let bytes = std::fs::read(&binary).expect("the image's binary");
    assert!(
        !bytes.windows(8).any(|w| w == b"ld-linux"),
        "the image's binary is dynamically linked"
    );
    let help = run(Command::new(&binary).arg("--help"));
    assert!(help.contains("serve"), "{help}");
}

/// The layer tarballs of an unpacked docker-archive.
fn layers(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("the unpacked image") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "tar") {
                found.push(path);
            }
        }
    }
    found
}
