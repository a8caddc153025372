//! Where the tests find what they run: the repository's files, the kernel
//! binary cargo built, and the system's tools (skipping loudly without
//! them).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root (this crate is `tests/deploy`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// A file of `deploy/`.
pub fn deploy_file(name: &str) -> PathBuf {
    repo_root().join("deploy").join(name)
}

/// Whether CI asked for every PostgreSQL-backed test to run: then a missing
/// tool fails the test instead of skipping it.
pub fn required() -> bool {
    std::env::var("XINGJI_REQUIRE_POSTGRES").as_deref() == Ok("1")
}

/// Says loudly that a test did not run and how to run it, on both streams
/// (cargo shows a passing test's stdout only with --nocapture).
pub fn skip(message: &str) {
    println!("SKIPPED: {message}");
    eprintln!("\n*** SKIPPED: {message} ***\n");
}

/// `name` on the PATH or in the sbin directories (root's PATH has them,
/// a user's often not).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// HAProxy, or `None` after saying how to run the test. Panics without it
/// under `XINGJI_REQUIRE_POSTGRES=1`, as CI installs it.
pub fn haproxy() -> Option<PathBuf> {
    let found = find_tool("haproxy");
    if found.is_none() {
        let message = "this test needs HAProxy 2.6 or later: apt-get install haproxy, then cargo test -p xingji-test-deploy";
        if required() {
            panic!("XINGJI_REQUIRE_POSTGRES=1 but {message}");
        }
        skip(message);
    }
    found
}

/// The `xingji` binary to run as replicas: `XINGJI_BIN` if set, else the
/// one cargo built beside this test (`target/<profile>/xingji`), building
/// it if it is not there. `cargo test --workspace` builds it with the
/// kernel's own tests; `cargo test -p xingji-test-deploy` alone does not,
/// so build it first (`cargo build -p xingji`) or the test builds it.
pub fn kernel_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("XINGJI_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/deploy-<hash> → target/<profile>/xingji
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let binary = profile_dir.join("xingji");
    if !binary.is_file() {
        eprintln!(
            "{} is missing: building it (cargo build -p xingji)",
            binary.display()
        );
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "xingji"])
            .current_dir(repo_root())
            .status()
            .expect("running cargo build -p xingji");
        assert!(status.success(), "cargo build -p xingji failed");
        assert!(
            binary.is_file(),
            "cargo build -p xingji did not make {}",
            binary.display()
        );
    }
    binary
}

/// A free loopback port, for a process that binds it soon after. (Another
/// process could take it between; the tests' processes start at once.)
pub fn free_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("its address")
}
