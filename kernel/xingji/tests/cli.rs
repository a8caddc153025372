//! The `xingji` command line against a real server: what regional IT types,
//! and what it prints.

use std::io::BufRead;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

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

/// Runs `xingji --server URL ARGS…` off the async runtime.
async fn cli(server: &str, args: &[&str]) -> Output {
    let server = server.to_owned();
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xingji(&server, &args)
    })
    .await
    .expect("join")
}

/// A demo server on a loopback port over a temp dir, answering.
struct DemoServer {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl DemoServer {
    async fn start() -> DemoServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
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
        // The server may take a moment to come up: retry until it answers,
        // or report why it stopped.
        for _ in 0..100 {
            if cli(&url, &["outlets", "list", "--page-size", "1"])
                .await
                .status
                .success()
            {
                break;
            }
            if serving.is_finished() {
                serving.await.expect("the server runs");
                panic!("the server stopped before answering");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        DemoServer {
            url,
            stop,
            serving,
            _dir: dir,
        }
    }

    /// Runs the CLI against this server and returns its JSON, or fails
    /// with what it printed on standard error.
    async fn json(&self, args: &[&str]) -> serde_json::Value {
        json(&cli(&self.url, args).await)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.serving.await.expect("the server stops");
    }
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
    let server = DemoServer::start().await;
    let run = |args: &'static [&'static str]| {
        let url = server.url.clone();
        tokio::task::spawn_blocking(move || xingji(&url, args))
    };
    let listed = run(&[
        "outlets",
        "list",
        "--region",
        "qingdao",
        "--tier",
        "star-centre",
    ])
    .await
    .expect("join");
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
    // The server would take an actor it cannot read as anonymous: refused here.
    let unreadable = run(&["--actor", "call-centre:李娜", "orders", "list"])
        .await
        .expect("join");
    assert!(!unreadable.status.success());
    assert!(
        String::from_utf8_lossy(&unreadable.stderr).contains("printable ASCII"),
        "says what an actor looks like"
    );

    server.stop().await;
}

/// The order's life in the README walkthrough, step by step, as the people
/// who take each step would type it.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_lives_its_whole_life_through_the_command_line() {
    let server = DemoServer::start().await;
    const CALL_CENTRE: &str = "call-centre:07";

    // Intake: the call centre records a repair request in Xuhui, Shanghai.
    let order = server
        .json(&[
            "--actor",
            CALL_CENTRE,
            "orders",
            "create",
            "--region",
            "shanghai",
            "--kind",
            "repair",
            "--request-id",
            "cli-walkthrough-0001",
            "--customer",
            "李娜",
            "--phone",
            "139-1234-5678",
            "--address",
            "上海市徐汇区漕溪北路 88 号",
            "--lat",
            "31.19",
            "--lon",
            "121.43",
            "--product-line",
            "washing-machine",
            "--model",
            "XQG-80",
            "--purchase-date",
            "2023-02-14",
            "--price-fen",
            "329900",
            "--description",
            "不脱水",
        ])
        .await;
    // Dispatched on intake: the region's plugin picked the outlet and
    // engineer.
    assert_eq!(order["status"], "ORDER_STATUS_DISPATCHED", "{order:#}");
    let id = order["id"].as_str().expect("an id").to_owned();
    let id = id.as_str();
    let outlet = order["outlet_id"].as_str().expect("an outlet").to_owned();
    let engineer = order["engineer_id"]
        .as_str()
        .expect("an engineer")
        .to_owned();
    let as_outlet = format!("outlet:{outlet}");
    let as_engineer = format!("engineer:{engineer}");

    // Another outlet may not take it: refused, and nothing changes.
    let outlets = server
        .json(&[
            "outlets",
            "list",
            "--region",
            "shanghai",
            "--page-size",
            "1000",
        ])
        .await;
    let other = outlets["outlets"]
        .as_array()
        .expect("outlets")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .find(|&o| o != outlet)
        .expect("another Shanghai outlet");
    let as_other = format!("outlet:{other}");
    let refused = cli(&server.url, &["--actor", &as_other, "orders", "accept", id]).await;
    assert!(
        !refused.status.success(),
        "another outlet accepted the order"
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("PermissionDenied"), "{stderr}");
    assert!(
        stderr.contains(&format!("{as_other:?} may not")),
        "{stderr}"
    );
    assert!(stderr.contains("ACTOR_NOT_ALLOWED"), "{stderr}");

    // Accept, contact (an appointment a day ahead, Beijing time), arrive.
    let order = server
        .json(&["--actor", &as_outlet, "orders", "accept", id])
        .await;
    assert_eq!(order["status"], "ORDER_STATUS_ACCEPTED");
    let tomorrow = prost_types::Timestamp::from(SystemTime::now() + Duration::from_secs(86_400));
    let tomorrow = prost_types::Timestamp {
        seconds: tomorrow.seconds,
        nanos: 0,
    };
    // The same instant on the Beijing wall clock, written with its offset.
    let beijing = prost_types::Timestamp {
        seconds: tomorrow.seconds + 8 * 3600,
        nanos: 0,
    }
    .to_string()
    .replace('Z', "+08:00");
    let order = server
        .json(&[
            "--actor",
            &as_outlet,
            "orders",
            "contact",
            id,
            "--appointment",
            &beijing,
            "--note",
            "上午十点",
        ])
        .await;
    assert_eq!(order["status"], "ORDER_STATUS_CONTACTED");
    let appointment: prost_types::Timestamp = order["appointment_time"]
        .as_str()
        .expect("an appointment")
        .parse()
        .expect("an RFC 3339 time");
    assert_eq!(appointment, tomorrow, "{beijing} is read with its offset");
    let order = server
        .json(&["--actor", &as_engineer, "orders", "arrive", id])
        .await;
    assert_eq!(order["status"], "ORDER_STATUS_ON_SITE");

    // Completed, with a part whose old one goes back to the warehouse.
    let order = server
        .json(&[
            "--actor",
            &as_engineer,
            "orders",
            "complete",
            id,
            "--diagnosis",
            "排水泵堵塞",
            "--work-done",
            "更换排水泵",
            "--part",
            "BPX-30:排水泵:1:return",
        ])
        .await;
    assert_eq!(order["status"], "ORDER_STATUS_COMPLETED");
    let part = &order["service_report"]["parts"][0];
    assert_eq!(part["part_number"], "BPX-30");
    assert_eq!(part["quantity"], 1);
    assert_eq!(part["old_part_due_return"], true);

    // Quality control: a satisfied callback, then the check.
    let order = server
        .json(&[
            "--actor",
            CALL_CENTRE,
            "orders",
            "callback",
            id,
            "--reached",
            "--satisfied",
            "--note",
            "很满意",
        ])
        .await;
    assert_eq!(order["status"], "ORDER_STATUS_COMPLETED");
    assert_eq!(order["quality_control"]["callbacks"][0]["satisfied"], true);
    server
        .json(&[
            "--actor",
            CALL_CENTRE,
            "orders",
            "check-quality",
            id,
            "--old-part-returned",
            "--finding",
            "排水泵进异物",
            "--finding-agreed",
        ])
        .await;

    let order = server.json(&["orders", "get", id]).await;
    assert_eq!(order["status"], "ORDER_STATUS_QUALITY_CHECKED");
    assert_eq!(order["quality_control"]["old_part_returned"], true);
    assert_eq!(order["quality_control"]["finding_agreed"], true);
    let history = order["history"].as_array().expect("history");
    let steps: Vec<(&str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap_or_default(),
                h["actor"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("created", CALL_CENTRE),
        ("dispatched", "xingji"),
        ("accepted", as_outlet.as_str()),
        ("contacted", as_outlet.as_str()),
        ("arrived", as_engineer.as_str()),
        ("completed", as_engineer.as_str()),
        ("callback", CALL_CENTRE),
        ("quality-checked", CALL_CENTRE),
    ];
    assert_eq!(steps, expected, "the refused accept left no trace");

    // The same life as a stream: replay the region's events from the
    // start, keep this order's, and stop the watcher once all are in.
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_xingji"))
        .args(["--server", &server.url, "orders", "watch"])
        .args(["--after", "0", "--region", "shanghai"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the watcher");
    let (lines, received) = std::sync::mpsc::channel::<String>();
    let stdout = watcher.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut watched: Vec<(String, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while watched.len() < expected.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        let event: serde_json::Value =
            serde_json::from_str(&line).expect("one JSON event per line");
        if event["order_id"] == id {
            watched.push((
                event["entry"]["action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                event["cursor"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    watcher.kill().expect("stop the watcher");
    watcher.wait().expect("the watcher exits");
    reader.join().expect("the reader ends with the watcher");
    let actions: Vec<&str> = watched.iter().map(|(a, _)| a.as_str()).collect();
    let expected_actions: Vec<&str> = expected.iter().map(|&(a, _)| a).collect();
    assert_eq!(actions, expected_actions);
    assert!(
        watched.iter().all(|(_, cursor)| !cursor.is_empty()),
        "every event carries a cursor"
    );

    server.stop().await;
}
