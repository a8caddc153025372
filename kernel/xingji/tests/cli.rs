//! The `xingji` command line against a real server: what regional IT types,
//! and what it prints.

use std::io::BufRead;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

mod common;

use common::{CREDENTIAL_ENV, DemoServer, json};

#[tokio::test(flavor = "multi_thread")]
async fn regional_it_manages_outlets_and_plugins_from_the_command_line() {
    let server = DemoServer::start().await;
    let stars = server
        .json(&[
            "outlets",
            "list",
            "--region",
            "qingdao",
            "--tier",
            "star-centre",
        ])
        .await;
    let stars = stars["outlets"].as_array().expect("outlets");
    assert_eq!(stars.len(), 3, "the demo's three Qingdao star centres");
    assert!(
        stars
            .iter()
            .all(|o| o["tier"] == "OUTLET_TIER_STAR_CENTRE" && o["region"] == "qingdao")
    );

    let activated = server
        .json(&[
            "--as",
            "regional-it:qingdao",
            "plugins",
            "activate",
            "qingdao",
            "dispatch",
            "dispatch-balanced@1.0.0",
        ])
        .await;
    assert_eq!(activated["name"], "dispatch-balanced");
    assert_eq!(activated["actor"], "regional-it:qingdao");
    let active = server.json(&["plugins", "active", "qingdao"]).await;
    assert_eq!(active["plugins"][0]["source"], "PLUGIN_SOURCE_ACTIVATION");

    // Bad input: a clear error on standard error and a failing exit code.
    let refused = server
        .cli(&["outlets", "update", "out_NOSUCH", "--capacity", "5"])
        .await;
    let stderr = failure(&refused);
    assert!(stderr.contains("NotFound"), "{stderr}");
    let bad_enum = server.cli(&["outlets", "list", "--tier", "castle"]).await;
    assert!(
        failure(&bad_enum).contains("star-centre"),
        "lists the valid values"
    );
    // A credential the CLI cannot send is refused here, saying what one
    // looks like: a principal whose name is no file name, a token that is
    // not ASCII.
    let unreadable = server
        .cli(&["--as", "call-centre:李娜", "orders", "list"])
        .await;
    assert!(
        failure(&unreadable).contains("give <role>:<name>"),
        "says what a principal looks like"
    );
    let unreadable = server.cli(&["--token", "李娜", "orders", "list"]).await;
    assert!(
        failure(&unreadable).contains("printable ASCII"),
        "says what a token looks like"
    );

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_version_is_uninstalled_from_the_command_line() {
    let server = DemoServer::start().await;
    let file = std::path::Path::new(xingji_bundled::BUILT_PLUGINS_DIR).join("test_warranty.wasm");
    let file = file.to_str().expect("a UTF-8 path");
    let installed = server.json(&["plugins", "install", file]).await;
    let plugin = format!(
        "{}@{}",
        installed["name"].as_str().expect("a name"),
        installed["version"].as_str().expect("a version")
    );

    let removed = server.json(&["plugins", "uninstall", &plugin]).await;
    assert_eq!(removed["sha256"], installed["sha256"]);
    let listed = server
        .json(&["plugins", "list", "--slot", "warranty"])
        .await;
    let listed = listed["plugins"].as_array().expect("plugins");
    assert!(listed.iter().all(|p| p["sha256"] != installed["sha256"]));

    let refused = server
        .cli(&["plugins", "uninstall", "warranty-jiujiu@1.0.0"])
        .await;
    assert!(failure(&refused).contains("bundled"), "says why");
    let refused = server
        .cli(&["plugins", "uninstall", "warranty-jiujiu"])
        .await;
    assert!(
        failure(&refused).contains("NAME@VERSION"),
        "says what to type"
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
            "--as",
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
    let refused = server
        .cli(&["--as", &as_other, "orders", "accept", id])
        .await;
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
    assert!(stderr.contains("PERMISSION_MISSING"), "{stderr}");

    // Accept, contact (an appointment a day ahead, Beijing time), arrive.
    let order = server
        .json(&["--as", &as_outlet, "orders", "accept", id])
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
            "--as",
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
        .json(&["--as", &as_engineer, "orders", "arrive", id])
        .await;
    assert_eq!(order["status"], "ORDER_STATUS_ON_SITE");

    // Completed, with a part whose old one goes back to the warehouse.
    let order = server
        .json(&[
            "--as",
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
            "--as",
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
            "--as",
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
    let mut watcher = server
        .command(&["orders", "watch", "--after", "0", "--region", "shanghai"])
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

/// Runs `xingji ARGS…` (no `--server` added) to completion.
fn xingji_bare(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xingji"));
    command.args(args).env_remove("XINGJI_SERVER");
    for name in CREDENTIAL_ENV {
        command.env_remove(name);
    }
    command.output().expect("run the xingji binary")
}

/// What the CLI printed on standard output, as text.
fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

/// Standard error of a command that must have failed.
fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "it succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `xingji orders create` of a washing-machine repair for 李娜 in Shanghai,
/// but for what the tests vary: `--kind`, the location and the rest.
const INTAKE: &[&str] = &[
    "orders",
    "create",
    "--region",
    "shanghai",
    "--customer",
    "李娜",
    "--phone",
    "13912345678",
    "--address",
    "x",
    "--product-line",
    "washing-machine",
];

/// Where the repair of [`INTAKE`] is: Xuhui, Shanghai.
const XUHUI: &[&str] = &["--lat", "31.19", "--lon", "121.43"];

/// The call centre, which records intakes.
const AS_CALL_CENTRE: &[&str] = &["--as", "call-centre:07"];

/// The kind of the intake of [`INTAKE`].
const REPAIR: &[&str] = &["--kind", "repair"];

/// What `xingji ARGS…` printed against `server`, which must succeed.
async fn printed(server: &DemoServer, args: &[&str]) -> String {
    stdout(&server.cli(args).await)
}

/// Closes a month of Shanghai as finance at hq.
async fn close_month(server: &DemoServer, month: &str) -> Output {
    let args = ["--as", "hq:finance", "month", "close", "shanghai", month];
    server.cli(&args).await
}

/// The birthday visits due in `window` (FROM TO, or --month MONTH), as the
/// call centre lists them.
async fn birthdays(server: &DemoServer, window: [&str; 2]) -> serde_json::Value {
    let [first, second] = window;
    let args = [
        "--as",
        "call-centre:07",
        "birthdays",
        "shanghai",
        first,
        second,
        "--dry-run",
    ];
    server.json(&args).await
}

/// Today in China Standard Time as (year, month, day), counted here
/// independently of the CLI's calendar.
fn cst_today() -> (i32, u32, u32) {
    cst_day(0)
}

/// The day `days` after today in China Standard Time, as [`cst_today`].
fn cst_day(days: u64) -> (i32, u32, u32) {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    civil((seconds + 8 * 3600) / 86_400 + days)
}

/// The date `days` days after 1970-01-01, by walking the calendar.
fn civil(mut days: u64) -> (i32, u32, u32) {
    let leap = |y: i32| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let mut year = 1970;
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 1;
    for length in lengths {
        if days < length {
            break;
        }
        days -= length;
        month += 1;
    }
    (year, month, days as u32 + 1)
}

/// `YYYY-MM` of the month `back` months before (year, month).
fn month_before((year, month): (i32, u32), back: i32) -> String {
    let index = year * 12 + month as i32 - 1 - back;
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// Months and dates that do not go stale: the README's month close and
/// birthday campaign typed the same way in any month.
#[tokio::test(flavor = "multi_thread")]
async fn months_and_days_can_be_named_relative_to_today() {
    let server = DemoServer::start().await;
    let (year, month, _) = cst_today();
    let this = (year, month);

    // The demo lived the two months before this one: close them, oldest
    // first, without naming them.
    let closed = json(&close_month(&server, "2-months-ago").await);
    assert_eq!(closed["month"], month_before(this, 2));
    assert!(closed["outlets"].as_array().is_some_and(|o| !o.is_empty()));
    let closed = json(&close_month(&server, "last-month").await);
    assert_eq!(closed["month"], month_before(this, 1));
    let stored = server
        .json(&["month", "get", "shanghai", "1-month-ago"])
        .await;
    assert_eq!(stored["month"], month_before(this, 1));
    assert_eq!(stored["total_fen"], closed["total_fen"]);
    // This month has not ended: the server says so, for the month named.
    let refused = close_month(&server, "this-month").await;
    assert!(failure(&refused).contains(&format!("{} has not ended", month_before(this, 0))));
    let typo = server.cli(&["month", "get", "shanghai", "last-moth"]).await;
    assert!(
        failure(&typo).contains("N-months-ago"),
        "the help says the forms"
    );

    // Next month's birthdays: --month, and the same window by its days.
    let next = month_before(this, -1);
    let (next_year, next_month) = next.split_once('-').expect("YYYY-MM");
    let days = match next_month {
        "02" if next_year
            .parse::<i32>()
            .is_ok_and(|y| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) =>
        {
            29
        }
        "02" => 28,
        "04" | "06" | "09" | "11" => 30,
        _ => 31,
    };
    let by_month = birthdays(&server, ["--month", "next-month"]).await;
    let (first, last) = (format!("{next}-01"), format!("{next}-{days}"));
    let by_days = birthdays(&server, [&first, &last]).await;
    assert_eq!(by_month, by_days, "--month next-month is {first} to {last}");
    let visits = by_month["visits"].as_array().expect("the demo's birthdays");
    assert!(!visits.is_empty(), "the demo has birthdays every month");
    for visit in visits {
        let birthday = &visit["birthday"];
        assert_eq!(
            format!(
                "{:04}-{:02}",
                birthday["year"].as_i64().unwrap_or_default(),
                birthday["month"].as_i64().unwrap_or_default()
            ),
            next,
            "{visit}"
        );
    }
    // A window of days from today.
    let from_today = birthdays(&server, ["today", "today+30"]).await;
    let today = format!("{year:04}-{month:02}-{:02}", cst_today().2);
    let (y, m, d) = cst_day(30);
    let in_30_days = format!("{y:04}-{m:02}-{d:02}");
    let explicit = birthdays(&server, [&today, &in_30_days]).await;
    assert_eq!(
        from_today, explicit,
        "today today+30 is {today} {in_30_days}"
    );

    // A tour planned for tomorrow is planned for tomorrow's date.
    let star = server
        .json(&[
            "outlets",
            "list",
            "--region",
            "shanghai",
            "--tier",
            "star-centre",
            "--page-size",
            "1000",
        ])
        .await;
    let star = star["outlets"]
        .as_array()
        .and_then(|o| o.last())
        .and_then(|o| o["id"].as_str())
        .expect("a star centre")
        .to_owned();
    let plan = server
        .json(&[
            "--as",
            "call-centre:07",
            "tours",
            "shanghai",
            &star,
            "--date",
            "tomorrow",
            "--dry-run",
        ])
        .await;
    let (y, m, d) = cst_day(1);
    for itinerary in plan["itineraries"].as_array().expect("itineraries") {
        assert_eq!(
            (
                &itinerary["date"]["year"],
                &itinerary["date"]["month"],
                &itinerary["date"]["day"]
            ),
            (
                &serde_json::json!(y),
                &serde_json::json!(m),
                &serde_json::json!(d)
            ),
        );
    }

    server.stop().await;
}

/// `xingji wit` prints the contract the kernel runs, and `--out` writes
/// the files a plugin crate builds against, the same text; a bad `--out`
/// is named.
#[test]
fn the_kernel_prints_and_writes_its_plugin_contract() {
    let printed = stdout(&xingji_bare(&["wit"]));
    let first = printed.lines().next().unwrap_or_default();
    assert!(
        first.contains("runs plugins built for 0.3.0, 0.2.0"),
        "{first}"
    );
    assert!(
        printed.contains("//   dispatch at 0.3.0, 0.2.0"),
        "{printed}"
    );
    for world in [
        "dispatch",
        "warranty",
        "campaign",
        "tour",
        "evaluation",
        "settlement",
    ] {
        assert!(
            printed.contains(&format!("world {world} {{")),
            "world {world}"
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("wit");
    let wrote = stdout(&xingji_bare(&["wit", "--out", &out.to_string_lossy()]));
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
    for version in ["0.3.0", "0.2.0"] {
        assert!(
            wrote.contains(&format!("xingji:plugins@{version} (4 files)")),
            "{wrote}"
        );
        for name in ["host.wit", "slots.wit", "types.wit", "worlds.wit"] {
            let written = std::fs::read_to_string(out.join(version).join(name)).expect("written");
            let source = std::fs::read_to_string(repo.join(version).join(name)).expect("wit/");
            assert_eq!(written, source, "{version}/{name}");
            assert!(printed.contains(&source), "{version}/{name} printed whole");
        }
    }
    // One version, straight into the directory: a plugin crate's `wit/`.
    let flat = dir.path().join("flat");
    stdout(&xingji_bare(&[
        "wit",
        "--version",
        "0.3.0",
        "--out",
        &flat.to_string_lossy(),
    ]));
    let worlds = std::fs::read_to_string(flat.join("worlds.wit")).expect("written flat");
    assert!(
        worlds.starts_with("package xingji:plugins@0.3.0;"),
        "{worlds}"
    );
    let unknown = failure(&xingji_bare(&["wit", "--version", "9.9.9"]));
    assert!(
        unknown.contains("--version 9.9.9") && unknown.contains("0.3.0, 0.2.0"),
        "{unknown}"
    );
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "").expect("a file");
    let refused = failure(&xingji_bare(&["wit", "--out", &blocked.to_string_lossy()]));
    assert!(refused.contains("--out"), "{refused}");
}

/// Every command's help tells the truth about what it requires and what
/// it defaults to; what the server requires, clap requires.
#[test]
fn help_says_what_is_required_and_what_the_defaults_are() {
    let help = |args: &[&str]| stdout(&xingji_bare(&[args, &["--help"]].concat()));
    let groups = [
        "outlets", "people", "orders", "plugins", "month", "warranty", "audit",
    ];
    let mut pages = vec![help(&[]), help(&["birthdays"]), help(&["tours"])];
    for group in groups {
        let page = help(&[group]);
        let commands: Vec<String> = page
            .lines()
            .skip_while(|line| !line.starts_with("Commands:"))
            .skip(1)
            .take_while(|line| !line.trim().is_empty())
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(str::to_owned)
            .collect();
        assert!(!commands.is_empty(), "{group} lists its commands");
        for command in commands {
            pages.push(help(&[group, &command]));
        }
    }
    for page in &pages {
        for line in page.lines() {
            assert!(!line.contains("[default: \"\"]"), "{line}");
            assert!(!line.contains("[default: unspecified]"), "{line}");
            assert!(line.matches("[default:").count() <= 1, "{line}");
        }
    }

    let create = help(&["orders", "create"]);
    let usage = create
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .expect("usage");
    assert!(usage.contains("--lat <LAT> --lon <LON>"), "{usage}");
    assert!(
        create.contains("Required, unless --complaint-about"),
        "{create}"
    );
    let usage = help(&["outlets", "create"]);
    assert!(
        usage.contains("--name <NAME> --number <NUMBER> --tier <TIER>"),
        "{usage}"
    );
    let usage = help(&["people", "create"]);
    assert!(
        usage.contains("--outlet <OUTLET> --name <NAME> --phone <PHONE> --level <LEVEL>"),
        "{usage}"
    );

    // Refused before any call (no server runs here).
    let no_location = xingji_bare(&[INTAKE, REPAIR].concat());
    assert!(failure(&no_location).contains("--lat <LAT>"));
    let no_kind = xingji_bare(&[INTAKE, XUHUI].concat());
    assert!(failure(&no_kind).contains("--kind <KIND>"));
}

/// A refusal names the flag that sets each field the server blames.
#[tokio::test(flavor = "multi_thread")]
async fn errors_name_the_flag_to_fix() {
    let server = DemoServer::start().await;
    let bad_appliance = ["--purchase-date", "2023-02-30", "--price-fen", "-5"];
    let args = [AS_CALL_CENTRE, INTAKE, REPAIR, XUHUI, &bad_appliance].concat();
    let refused = server.cli(&args).await;
    let stderr = failure(&refused);
    assert!(
        stderr.starts_with(
            "error: InvalidArgument: --purchase-date (order.appliance.purchase_date): 2023-2-30 is not a date"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("; --price-fen (order.appliance.price_fen): must not be negative"),
        "{stderr}"
    );
    // A positional argument is named as in the usage line.
    let refused = server
        .cli(&["tours", "shanghai", "", "--date", "today", "--dry-run"])
        .await;
    let stderr = failure(&refused);
    assert!(
        stderr.contains("<OUTLET> (outlet_id): is required"),
        "{stderr}"
    );
    // A field no flag sets keeps its path.
    let refused = server.cli(&["outlets", "update", "out_NOSUCH"]).await;
    let stderr = failure(&refused);
    assert!(
        stderr.contains("InvalidArgument: update_mask: must name"),
        "{stderr}"
    );
    server.stop().await;
}

/// `--server` without a scheme, and a server that is not there.
#[test]
fn a_server_address_that_cannot_work_says_why() {
    let no_scheme = xingji_bare(&["--server", "127.0.0.1:50051", "outlets", "list"]);
    let stderr = failure(&no_scheme);
    assert!(stderr.contains("--server \"127.0.0.1:50051\""), "{stderr}");
    assert!(
        stderr.contains("--server http://127.0.0.1:50051"),
        "shows the fix: {stderr}"
    );
    assert!(!stderr.contains("transport error"), "{stderr}");

    // A port nobody listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let stderr = failure(&xingji_bare(&["--server", &url, "outlets", "list"]));
    assert!(
        stderr.contains(&format!("cannot reach a server at {url}")),
        "{stderr}"
    );
    assert!(stderr.contains("`xingji serve` starts one"), "{stderr}");
    assert!(stderr.contains("refused"), "says why: {stderr}");
}

/// `--value FIELD` prints one field raw, for `ORDER=$(xingji … --value id)`.
#[tokio::test(flavor = "multi_thread")]
async fn value_prints_one_field_for_scripts() {
    let server = DemoServer::start().await;
    let create = |request_id: &'static str, value: &'static str, description: &'static str| {
        let server = &server;
        async move {
            let extra = [
                "--request-id",
                request_id,
                "--description",
                description,
                "--value",
                value,
            ];
            server
                .cli(&[AS_CALL_CENTRE, INTAKE, REPAIR, XUHUI, &extra].concat())
                .await
        }
    };

    // A path that is no field of the answer: a usage error naming the
    // fields, and no order made (the same request id is still free).
    let typo = create("cli-value-1", "ID", "不脱水").await;
    let stderr = failure(&typo);
    assert!(stderr.contains("\"ID\" is not a field"), "{stderr}");
    assert!(
        stderr.contains("id, region, kind"),
        "names the fields: {stderr}"
    );
    let created = create("cli-value-1", "id", "不制冷").await;
    let order = stdout(&created);
    assert!(
        order.starts_with("ord_") && order.ends_with('\n'),
        "{order:?}"
    );
    let order = order.trim_end();
    assert!(!order.contains('"'), "a string prints raw");

    // Scalars print raw; a field that is unset, or a list index past the
    // end, prints as an empty line.
    for (path, expected) in [
        ("status", "ORDER_STATUS_DISPATCHED\n"),
        ("history.0.action", "created\n"),
        ("customer.vip", "\n"),
        ("appointment_time", "\n"),
        ("history.99.action", "\n"),
        ("customer.location.lat", "31.19\n"),
    ] {
        let shown = printed(&server, &["orders", "get", order, "--value", path]).await;
        assert_eq!(shown, expected, "--value {path}");
    }
    let location = printed(
        &server,
        &["orders", "get", order, "--value", "customer.location"],
    )
    .await;
    let location: serde_json::Value =
        serde_json::from_str(&location).expect("a message prints as JSON");
    assert_eq!(location["lon"], 121.43);
    let token = printed(
        &server,
        &[
            "outlets",
            "list",
            "--page-size",
            "1",
            "--value",
            "next_page_token",
        ],
    )
    .await;
    assert!(
        !token.trim().is_empty() && !token.contains('"'),
        "{token:?}"
    );
    let not_a_list = server
        .cli(&["orders", "get", order, "--value", "history.action"])
        .await;
    assert!(failure(&not_a_list).contains("history is a list"));

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_author_signs_a_plugin_and_hq_installs_it_as_its_publishers() {
    let server = DemoServer::start().await;
    // `serve --demo` made the demo publisher's key pair in its data dir.
    let data_dir = server.tokens_dir.parent().expect("the data dir");
    let demo_key = data_dir.join("publishers").join("demo.key");
    let work = tempfile::tempdir().expect("temp dir");
    let wasm = work.path().join("test_warranty.wasm");
    std::fs::copy(
        std::path::Path::new(xingji_bundled::BUILT_PLUGINS_DIR).join("test_warranty.wasm"),
        &wasm,
    )
    .expect("copy the built plugin");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_owned();

    let signing = server
        .cli(&["plugins", "sign", &path(&wasm), "--key", &path(&demo_key)])
        .await;
    assert!(signing.status.success(), "{signing:?}");
    let bundle = work.path().join("test_warranty.wasm.sigstore.json");
    assert_eq!(
        String::from_utf8_lossy(&signing.stdout).trim(),
        path(&bundle)
    );
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).expect("the bundle")).expect("json");
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );

    // `install` sends FILE.sigstore.json beside the file.
    let installed = server.json(&["plugins", "install", &path(&wasm)]).await;
    assert_eq!(installed["name"], "test-warranty");
    assert_eq!(installed["publisher"], "demo");

    // Another author's key, which the demo does not trust: refused, and
    // the name stays demo's.
    let keygen = server
        .cli(&[
            "plugins",
            "keygen",
            "--out",
            &path(work.path()),
            "--name",
            "acme",
        ])
        .await;
    assert!(keygen.status.success(), "{keygen:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(work.path().join("acme.key"))
            .expect("acme.key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let acme_bundle = work.path().join("by-acme.sigstore.json");
    let signing = server
        .cli(&[
            "plugins",
            "sign",
            &path(&wasm),
            "--key",
            &path(&work.path().join("acme.key")),
            "--out",
            &path(&acme_bundle),
        ])
        .await;
    assert!(signing.status.success(), "{signing:?}");
    let refused = server
        .cli(&[
            "plugins",
            "install",
            &path(&wasm),
            "--signature",
            &path(&acme_bundle),
        ])
        .await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("PermissionDenied") && stderr.contains("no publisher's"),
        "{stderr}"
    );
    server.stop().await;
}
