//! The systemd units of deploy/, through `systemd-analyze verify`.

use std::path::Path;
use std::process::Command;

use xingji_test_deploy::tools::{self, deploy_file};

/// Where the units start the kernel; rewritten to the built binary, since
/// verify refuses a unit whose program does not exist.
const INSTALLED_BINARY: &str = "/usr/local/bin/xingji";

/// `systemd-analyze verify` on `unit` (a file of `dir`, or an instance of a
/// template there): its exit status and everything it printed.
fn verify(systemd_analyze: &Path, dir: &Path, unit: &str) -> (bool, String) {
    let out = Command::new(systemd_analyze)
        .arg("verify")
        .arg(dir.join(unit))
        .output()
        .expect("running systemd-analyze verify");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), printed)
}

/// Copies a unit of deploy/ into `dir`, its ExecStart pointed at `binary`,
/// with `edit` applied.
fn stage(dir: &Path, name: &str, binary: &Path, edit: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(deploy_file(name)).expect("the unit");
    assert!(
        text.contains(INSTALLED_BINARY),
        "{name} no longer runs {INSTALLED_BINARY}: update this test"
    );
    let text = text.replace(INSTALLED_BINARY, &binary.display().to_string());
    std::fs::write(dir.join(name), edit(text)).expect("stage the unit");
}

/// The `Key=value` lines of a unit's `[Service]` section.
fn service_settings(text: &str) -> Vec<String> {
    let mut in_service = false;
    let mut settings = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service && !line.starts_with('#') && line.contains('=') {
            settings.push(line.to_owned());
        }
    }
    settings
}

#[test]
fn the_units_verify_and_a_broken_one_does_not() {
    let Some(systemd_analyze) = tools::find_tool("systemd-analyze") else {
        tools::skip(
            "the units' test needs systemd-analyze (Debian's systemd package), then cargo test -p xingji-test-deploy units",
        );
        return;
    };
    let binary = tools::kernel_binary();
    let dir = tempfile::tempdir().expect("a temporary directory");
    stage(dir.path(), "xingji@.service", &binary, |t| t);
    stage(dir.path(), "xingji.service", &binary, |t| t);

    // An instance of the template, as systemctl starts it, and the
    // single-node unit: no complaint at all (verify exits 0 on warnings
    // such as an unknown key, so its output must be empty too).
    for unit in ["xingji@1.service", "xingji@2.service", "xingji.service"] {
        let (ok, printed) = verify(&systemd_analyze, dir.path(), unit);
        assert!(
            ok && printed.trim().is_empty(),
            "systemd-analyze verify {unit}:\n{printed}"
        );
    }

    // The same check sees a broken template: a misspelt key, and a program
    // that is not there.
    let broken = tempfile::tempdir().expect("a temporary directory");
    stage(broken.path(), "xingji@.service", &binary, |t| {
        t.replace("KillSignal=", "KilSignal=")
    });
    let (_, printed) = verify(&systemd_analyze, broken.path(), "xingji@1.service");
    assert!(printed.contains("KilSignal"), "not seen: {printed}");
    let missing = tempfile::tempdir().expect("a temporary directory");
    stage(
        missing.path(),
        "xingji@.service",
        Path::new("/nonexistent/xingji"),
        |t| t,
    );
    let (ok, printed) = verify(&systemd_analyze, missing.path(), "xingji@1.service");
    assert!(!ok, "a missing program passed: {printed}");
}

#[test]
fn the_template_keeps_the_single_node_hardening_and_waits_for_postgresql() {
    let single = std::fs::read_to_string(deploy_file("xingji.service")).expect("xingji.service");
    let template = std::fs::read_to_string(deploy_file("xingji@.service")).expect("the template");
    let replica = service_settings(&template);
    let hardening = [
        "DynamicUser=",
        "NoNewPrivileges=",
        "ProtectSystem=",
        "ProtectHome=",
        "PrivateTmp=",
        "KillSignal=",
        "TimeoutStopSec=",
    ];
    for setting in service_settings(&single) {
        if hardening.iter().any(|key| setting.starts_with(key)) {
            assert!(
                replica.contains(&setting),
                "xingji@.service lost {setting} of xingji.service"
            );
        }
    }
    for line in [
        "After=network-online.target postgresql.service",
        "Wants=network-online.target postgresql.service",
        // Each replica its own data directory and port; one shared key.
        "StateDirectory=xingji/%i",
        "EnvironmentFile=/etc/xingji/replica-%i.env",
        "LoadCredential=issuer.key:/etc/xingji/issuer.key",
    ] {
        assert!(
            template.lines().any(|l| l.trim() == line),
            "xingji@.service has no {line:?}"
        );
    }
}

#[test]
fn the_readme_key_recipe_makes_a_key_the_kernel_reads() {
    // deploy/README.md makes the shared issuer key with openssl.
    let Some(openssl) = tools::find_tool("openssl") else {
        tools::skip("the key recipe's test needs openssl");
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = dir.path().join("issuer.key");
    let status = Command::new(openssl)
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&key)
        .status()
        .expect("running openssl genpkey");
    assert!(status.success());
    let pem = std::fs::read_to_string(&key).expect("the key");
    let issuer = xingji_identity::EmbeddedIssuer::from_pem(&pem, "xingji")
        .unwrap_or_else(|e| panic!("the kernel refuses openssl's key: {e}"));
    assert!(!issuer.kid().is_empty());
}
