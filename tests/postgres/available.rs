//! Prints whether this run's PostgreSQL tests (and the deployment tests,
//! which also need HAProxy) ran or were skipped. Without
//! a harness, so that `cargo test` shows the lines as they are; it fails
//! only when `XINGJI_REQUIRE_POSTGRES=1` and there is no PostgreSQL.

use xingji_test_postgres::{SKIP_MESSAGE, TestCluster};

fn main() {
    let haproxy = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("haproxy").is_file()));
    if !haproxy {
        eprintln!(
            "\n*** SKIPPED: the deployment tests (tests/deploy) need HAProxy: apt-get install haproxy ***\n"
        );
    }
    match TestCluster::availability() {
        Some(where_) => println!("PostgreSQL tests: running, against {where_}."),
        None => {
            let banner = "*".repeat(78);
            eprintln!("\n{banner}\n{SKIP_MESSAGE}.");
            eprintln!(
                "The PostgreSQL conformance suite and the several-kernel tests did not run.\n\
                 To run them: apt-get install postgresql (or set XINGJI_TEST_POSTGRES_URL)\n\
                 and run the test command again.\n{banner}\n"
            );
            if std::env::var("XINGJI_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                eprintln!("XINGJI_REQUIRE_POSTGRES=1: failing.");
                std::process::exit(1);
            }
        }
    }
}
