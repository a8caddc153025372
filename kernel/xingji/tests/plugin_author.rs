//! A plugin author's whole path, as an outsider: a crate made by `plugins
//! new` in a temp dir (nothing in it points into this repository), its
//! tests, a wasm32-wasip2 build, `check` and `run` offline, then against a
//! demo server: sign, install, shadow on live orders with the agreement
//! reported, activate, replay a decision, and roll back.
//!
//! It builds the new crate with cargo, offline (the registry cache holds
//! wit-bindgen: the plugins workspace uses it), in a target dir of its own.

mod common;

use std::path::Path;
use std::process::Command;

use common::{DemoServer, run};

/// `cargo ARGS…` in `dir`, as an author's shell would run it: none of the
/// environment the test runner's cargo set for this test.
fn cargo(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars() {
        let build_env = name.starts_with("CARGO_") && name != "CARGO_HOME";
        if build_env || name == "RUSTFLAGS" || name == "RUSTC_WRAPPER" || name == "RUSTUP_TOOLCHAIN"
        {
            command.env_remove(name);
        }
    }
    command.current_dir(dir).args(args).arg("--offline");
    command
}

fn path(p: &Path) -> String {
    p.to_str().expect("a UTF-8 path").to_owned()
}

/// Succeeds, or fails with what `output` printed.
fn ok(what: &str, output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A repair order in Xuhui, Shanghai, made by the call centre; its JSON.
async fn order(server: &DemoServer, n: usize) -> serde_json::Value {
    let lat = format!("{:.4}", 31.17 + 0.004 * (n % 10) as f64);
    let lon = format!("{:.4}", 121.40 + 0.005 * (n % 7) as f64);
    let request_id = format!("author-{n}");
    server
        .json(&[
            "--as",
            "call-centre:07",
            "orders",
            "create",
            "--region",
            "shanghai",
            "--kind",
            "repair",
            "--request-id",
            &request_id,
            "--customer",
            "李娜",
            "--phone",
            "139-1234-5678",
            "--address",
            "上海市徐汇区漕溪北路 88 号",
            "--lat",
            &lat,
            "--lon",
            &lon,
            "--product-line",
            "washing-machine",
            "--model",
            "XQG-80",
            "--price-fen",
            "329900",
            "--description",
            "不脱水",
        ])
        .await
}

#[tokio::test]
async fn an_outsider_writes_tests_checks_runs_shadows_activates_and_rolls_back_a_plugin() {
    let work = tempfile::tempdir().expect("temp dir");
    let crate_dir = work.path().join("fewest-first");

    // 1. A new dispatch plugin, from the binary alone.
    let made = common::xingji(
        "http://127.0.0.1:1",
        &[
            "plugins",
            "new",
            "--world",
            "dispatch",
            "fewest-first",
            "--out",
            &path(&crate_dir),
            "--author",
            "Outsider",
        ],
    );
    ok("plugins new", &made);
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(!manifest.contains(env!("CARGO_MANIFEST_DIR")), "{manifest}");

    // 2. Its tests pass, on the test host.
    ok("cargo test", &run(cargo(&crate_dir, &["test"])).await);
    // 3. A component.
    ok(
        "cargo build",
        &run(cargo(
            &crate_dir,
            &["build", "--release", "--target", "wasm32-wasip2"],
        ))
        .await,
    );
    let wasm = crate_dir.join("target/wasm32-wasip2/release/fewest_first.wasm");
    assert!(wasm.exists(), "no {}", wasm.display());

    let server = DemoServer::start().await;
    let data_dir = server.tokens_dir.parent().expect("the data dir").to_owned();
    let publishers = data_dir.join("publishers");

    // 4. Signed with the key of a publisher the deployment trusts, checked
    // offline against the deployment's publishers, and run on the sample.
    ok(
        "plugins sign",
        &server
            .cli(&[
                "plugins",
                "sign",
                &path(&wasm),
                "--key",
                &path(&publishers.join("demo.key")),
            ])
            .await,
    );
    let config = work.path().join("xingji.toml");
    std::fs::write(
        &config,
        format!(
            "[[plugins.publishers]]\nname = \"demo\"\nkey_file = {:?}\n",
            path(&publishers.join("demo.pub"))
        ),
    )
    .expect("a config");
    let checked = server
        .json(&["plugins", "check", &path(&wasm), "--config", &path(&config)])
        .await;
    assert_eq!(
        (
            checked["plugin"].as_str(),
            checked["slot"].as_str(),
            checked["publisher"].as_str()
        ),
        (Some("fewest-first@0.1.0"), Some("dispatch"), Some("demo"))
    );
    let sample = path(&crate_dir.join("request.json"));
    let ran = server
        .json(&["plugins", "run", &path(&wasm), "--request", &sample])
        .await;
    assert_eq!(ran["result"]["assign"]["outlet"], 1, "{ran:#}");
    assert!(ran["fuel"].as_u64().is_some_and(|fuel| fuel > 0), "{ran:#}");
    assert!(
        ran["peak_memory_bytes"]
            .as_u64()
            .is_some_and(|bytes| bytes > 0),
        "{ran:#}"
    );
    assert_eq!(ran["log"][0]["message"], "2 outlets can take the order");

    // 5. Installed.
    let installed = server.json(&["plugins", "install", &path(&wasm)]).await;
    assert_eq!(
        (installed["name"].as_str(), installed["publisher"].as_str()),
        (Some("fewest-first"), Some("demo"))
    );

    // 6. Shadowing the live default on new orders, with the agreement.
    let it = ["--as", "regional-it:shanghai"];
    let shadow = [
        &it[..],
        &[
            "plugins",
            "shadow",
            "shanghai",
            "dispatch",
            "fewest-first@0.1.0",
        ],
    ]
    .concat();
    assert_eq!(
        server.json(&shadow).await["action"],
        "ACTIVATION_ACTION_SHADOW"
    );
    for n in 0..12 {
        let made = order(&server, n).await;
        assert_eq!(made["status"], "ORDER_STATUS_DISPATCHED", "{made:#}");
    }
    let report_args = [
        &it[..],
        &["plugins", "shadow-report", "shanghai", "dispatch"],
    ]
    .concat();
    let mut report = serde_json::Value::Null;
    for _ in 0..200 {
        report = server.json(&report_args).await;
        if report["decisions"]
            .as_str()
            .and_then(|n| n.parse::<u32>().ok())
            >= Some(12)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(report["decisions"], "12", "{report:#}");
    assert_eq!(report["shadow"], "fewest-first@0.1.0");
    let agreement = report["agreement"].as_f64().unwrap_or(0.0);
    assert!((0.0..=1.0).contains(&agreement), "{report:#}");

    // 7. Activated: new orders are its; replaying one on the component gives
    // the recorded decision; rolled back, the region runs its default.
    let activate = [
        &it[..],
        &[
            "plugins",
            "activate",
            "shanghai",
            "dispatch",
            "fewest-first@0.1.0",
        ],
    ]
    .concat();
    assert_eq!(server.json(&activate).await["name"], "fewest-first");
    let decided = order(&server, 99).await;
    let id = decided["id"].as_str().expect("an id");
    let replayed = server
        .json(&[&it[..], &["plugins", "run", &path(&wasm), "--replay", id]].concat())
        .await;
    assert_eq!(replayed["recorded_plugin"], "fewest-first@0.1.0");
    assert_eq!(replayed["same"], true, "{replayed:#}");
    let rollback = [&it[..], &["plugins", "rollback", "shanghai", "dispatch"]].concat();
    assert_eq!(
        server.json(&rollback).await["action"],
        "ACTIVATION_ACTION_ROLLBACK"
    );
    let active = server.json(&["plugins", "active", "shanghai"]).await;
    assert_eq!(active["plugins"][0]["name"], "dispatch-nearest");
    assert_eq!(active["plugins"][0]["source"], "PLUGIN_SOURCE_DEFAULT");
    server.stop().await;
}
