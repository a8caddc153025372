//! The README's walk, run as written: every ```sh block of its sections
//! "Calling it" and "Plugins", in order, in one bash session, against a demo
//! server, with `cargo run -q --` standing for this build's `xingji`. A
//! block whose first line is `# Refused:` must fail; every other must
//! succeed. (```shell blocks are illustrations and are not run.) So an
//! example cannot go stale: a month, a flag or an answer that changed fails
//! this test.

mod common;

use std::process::Command;

use common::DemoServer;

/// The README's runnable blocks, in order: `(refused, code)`.
fn blocks(readme: &str) -> Vec<(bool, String)> {
    let sections = ["## Calling it", "## Plugins"];
    let mut found = Vec::new();
    for heading in sections {
        let Some(start) = readme.find(heading) else {
            panic!("the README has no section {heading:?}");
        };
        let rest = &readme[start + heading.len()..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        let section = &rest[..end];
        let mut parts = section.split("```sh\n").skip(1);
        for part in parts.by_ref() {
            let Some((code, _)) = part.split_once("\n```") else {
                panic!("an unclosed ```sh block in {heading:?}");
            };
            let refused = code.trim_start().starts_with("# Refused:");
            found.push((refused, code.to_owned()));
        }
    }
    found
}

/// The blocks as one bash script: each announced, refusals inverted.
fn script(blocks: &[(bool, String)]) -> String {
    let mut script = String::from(
        "set -euo pipefail\n\
         # `cargo run [-q] [--] ARGS` is this build's xingji.\n\
         cargo() {\n\
           [ \"$1\" = run ] || { echo \"only cargo run is stood in for\" >&2; return 2; }\n\
           shift\n\
           while [ \"${1:-}\" = -q ]; do shift; done\n\
           [ \"${1:-}\" = -- ] && shift\n\
           \"$XINGJI\" \"$@\"\n\
         }\n",
    );
    for (n, (refused, code)) in blocks.iter().enumerate() {
        script.push_str(&format!("echo '=== README block {}' >&2\n", n + 1));
        if *refused {
            script.push_str(&format!(
                "if ( {code}\n); then echo 'README block {} should have been refused' >&2; exit 1; fi\n",
                n + 1
            ));
        } else {
            script.push_str(code);
            script.push('\n');
        }
    }
    script
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_walk_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("read the README");
    let blocks = blocks(&readme);
    assert!(
        blocks.len() >= 8,
        "only {} runnable blocks found: did the README's sections move?",
        blocks.len()
    );
    assert!(blocks.iter().any(|(refused, _)| *refused));
    let server = DemoServer::start().await;
    let script = script(&blocks);
    let url = server.url.clone();
    let tokens = server.tokens_dir.clone();
    // The walk runs where `data` is this demo server's data directory, and
    // `my_plugin.wasm` an author's build: a plugin the demo does not carry.
    let work = tempfile::tempdir().expect("a working directory");
    let data = tokens
        .parent()
        .expect("the tokens are in the data directory");
    std::os::unix::fs::symlink(data, work.path().join("data")).expect("link data");
    std::fs::copy(
        std::path::Path::new(xingji_bundled::BUILT_PLUGINS_DIR).join("test_warranty.wasm"),
        work.path().join("my_plugin.wasm"),
    )
    .expect("copy a built plugin");
    let cwd = work.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(cwd)
            .env("XINGJI", env!("CARGO_BIN_EXE_xingji"))
            .env("XINGJI_SERVER", url)
            // The README's `data/tokens` is this demo server's.
            .env("XINGJI_TOKENS_DIR", tokens)
            .env_remove("XINGJI_AS")
            .env_remove("XINGJI_TOKEN")
            .env_remove("XINGJI_TOKEN_FILE")
            .output()
            .expect("run bash")
    })
    .await
    .expect("join");
    server.stop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README's commands failed:\n{}",
        // The last block run, and what it said.
        stderr
            .rsplit_once("=== README block")
            .map_or(stderr.as_ref(), |(_, last)| last)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The walk's order reached quality control, and the second close
    // suspended the bad sub-outlet.
    assert!(stdout.contains("ORDER_STATUS_QUALITY_CHECKED"), "{stdout}");
    assert!(stdout.contains("OUTLET_STATUS_SUSPENDED"), "{stdout}");
    // The author's plugin, signed with the demo publisher's key, is demo's.
    assert!(stdout.lines().any(|line| line == "demo"), "{stdout}");
}

#[test]
fn blocks_are_found_and_refusals_inverted() {
    let readme = "## Calling it\n```sh\necho one\n```\n```shell\nnot run\n```\n\
                  ```sh\n# Refused: no\nfalse\n```\n## Plugins\n```sh\necho two\n```\n## Other\n```sh\nnope\n```\n";
    let blocks = blocks(readme);
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[1], (true, "# Refused: no\nfalse".to_owned()));
    let script = script(&blocks);
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(output.status.success(), "{output:?}");
    let broken = script.replace("false", "true");
    let output = Command::new("bash")
        .arg("-c")
        .arg(&broken)
        .output()
        .expect("bash");
    assert!(!output.status.success(), "a refusal that succeeds fails");
}
