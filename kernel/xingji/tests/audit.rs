//! `xingji audit verify` on the store the demo seeds: it passes on the
//! chain as written, and names the row someone edited with raw SQL.

use std::path::Path;
use std::process::{Command, Output};

use xingji::config::Config;
use xingji::server::{DATABASE_FILE, start_kernel};
use xingji_store::{AuditEventFilter, Page};

/// Runs `xingji audit verify ARGS…` off the async runtime.
async fn verify(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_xingji"))
            .args(["audit", "verify"])
            .args(&args)
            .output()
            .expect("run the xingji binary")
    })
    .await
    .expect("join")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs raw SQL on the store's file, as someone with the file in hand.
async fn tamper(dir: &Path, sql: &'static str) {
    let url = format!("sqlite://{}", dir.join(DATABASE_FILE).display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sql).execute(&pool).await.expect("tamper");
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_passes_on_the_demo_and_names_an_edited_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("a UTF-8 path");
    let config = Config {
        data_dir: dir.path().to_owned(),
        demo: true,
        ..Config::default()
    };
    let (_stop, stopping) = tokio::sync::watch::channel(false);
    let kernel = start_kernel(&config, stopping)
        .await
        .expect("the kernel starts");
    // What the demo wrote went through the audited writes: its own seeding,
    // the bundled plugins' installs, and the contracts it sold.
    let all = Page {
        after: None,
        limit: 1000,
    };
    let trail = kernel
        .store
        .list_audit_events(&AuditEventFilter::default(), &all)
        .await
        .expect("audit events");
    for operation in ["plugins.install", "demo.seed", "warranty.purchase"] {
        assert!(
            trail.iter().any(|event| event.operation == operation),
            "no {operation} in the trail"
        );
    }
    let written = kernel.store.audit_chain(0, u32::MAX).await.expect("chain");
    let count = written.len();
    assert!(count > 5, "the demo wrote {count} audit events");
    let head = written
        .last()
        .map(|row| row.hash.clone())
        .unwrap_or_default();
    drop(kernel);

    let sound = verify(&["--data-dir", data_dir]).await;
    assert!(sound.status.success(), "{}", text(&sound.stderr));
    assert_eq!(
        text(&sound.stdout).trim(),
        format!("audit chain verified: {count} events, head {head}")
    );
    assert!(
        text(&sound.stderr).contains(&format!("{count} events")),
        "progress on stderr: {}",
        text(&sound.stderr)
    );

    tamper(
        dir.path(),
        "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET outcome = 2 WHERE seq = 5",
    )
    .await;
    let edited = verify(&["--data-dir", data_dir]).await;
    assert_eq!(edited.status.code(), Some(1), "{}", text(&edited.stdout));
    let stderr = text(&edited.stderr);
    assert!(stderr.contains("broken at seq 5"), "{stderr}");
    assert!(stderr.contains("outcome"), "{stderr}");
    assert!(text(&edited.stdout).is_empty(), "no verdict of success");

    // A wrong directory is said so, not verified as an empty chain.
    let empty = tempfile::tempdir().expect("temp dir");
    let elsewhere = verify(&["--data-dir", empty.path().to_str().expect("UTF-8")]).await;
    assert_eq!(elsewhere.status.code(), Some(1));
    assert!(
        text(&elsewhere.stderr).contains("no store"),
        "{}",
        text(&elsewhere.stderr)
    );
    assert!(
        !empty.path().join(DATABASE_FILE).exists(),
        "nothing created"
    );
}
