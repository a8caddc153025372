//! The `xingji` command line against a real server: what regional IT types,
//! and what it prints.

use std::process::{Command, Output};

use xingji::config::Config;

/// Runs `xingji --server URL ARGS…` to completion.
fn xingji(server: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xingji"))
        .arg("--server")
        .arg(server)
        .args(args)
        .output()
        .expect("run the xingji binary")
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the CLI prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn regional_it_manages_outlets_and_plugins_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = format!("http://{}", listener.local_addr().expect("address"));
    let config = Config {
        data_dir: dir.path().to_owned(),
        demo: true,
        ..Config::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        xingji::server::serve(&config, listener, async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
    });

    let server_url = server.clone();
    let run = move |args: &'static [&'static str]| {
        let server = server_url.clone();
        tokio::task::spawn_blocking(move || xingji(&server, args))
    };
    // The server may take a moment to come up: retry until it answers.
    const STAR_CENTRES: &[&str] = &[
        "outlets",
        "list",
        "--region",
        "qingdao",
        "--tier",
        "star-centre",
    ];
    let mut listed = run(STAR_CENTRES).await.expect("join");
    for _ in 0..100 {
        if listed.status.success() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        listed = run(STAR_CENTRES).await.expect("join");
    }
    let stars = json(&listed);
    let stars = stars["outlets"].as_array().expect("outlets");
    assert_eq!(stars.len(), 3, "the demo's three Qingdao star centres");
    assert!(
        stars
            .iter()
            .all(|o| o["tier"] == "OUTLET_TIER_STAR_CENTRE" && o["region"] == "qingdao")
    );

    let activated = json(
        &run(&[
            "--actor",
            "it-qingdao",
            "plugins",
            "activate",
            "qingdao",
            "dispatch",
            "dispatch-balanced@1.0.0",
        ])
        .await
        .expect("join"),
    );
    assert_eq!(activated["name"], "dispatch-balanced");
    assert_eq!(activated["actor"], "it-qingdao");
    let active = json(&run(&["plugins", "active", "qingdao"]).await.expect("join"));
    assert_eq!(active["plugins"][0]["source"], "PLUGIN_SOURCE_ACTIVATION");

    // Bad input: a clear error on standard error and a failing exit code.
    let refused = run(&["outlets", "update", "out_NOSUCH", "--capacity", "5"])
        .await
        .expect("join");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("NotFound"), "{stderr}");
    let bad_enum = run(&["outlets", "list", "--tier", "castle"])
        .await
        .expect("join");
    assert!(!bad_enum.status.success());
    assert!(
        String::from_utf8_lossy(&bad_enum.stderr).contains("star-centre"),
        "lists the valid values"
    );

    let _ = stop.send(());
    serving.await.expect("the server stops");
}
