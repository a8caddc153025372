//! A PostgreSQL for tests.
//!
//! [`TestCluster::start`] gives each test a server of its own: a throwaway
//! cluster (`initdb` into a temporary directory, started on a free loopback
//! port, stopped when dropped), or, if `XINGJI_TEST_POSTGRES_URL` is set, that
//! server. [`TestCluster::new_database`] makes a fresh database on it, so tests
//! sharing one server never see each other's rows.
//!
//! Without PostgreSQL, `start` says so loudly (`SKIPPED: …` on stdout and
//! stderr) and returns `None`: the test returns early instead of passing
//! silently. With `XINGJI_REQUIRE_POSTGRES=1` (CI) it panics instead.
//!
//! PostgreSQL refuses to run as root. Run as root (as on these machines and
//! in CI), the cluster is made and run as the `postgres` system user if there
//! is one, else as `nobody`, through `runuser`.

#![warn(missing_docs)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The line printed when there is no PostgreSQL to test against.
pub const SKIP_MESSAGE: &str = "SKIPPED: PostgreSQL tests need PostgreSQL (initdb); install Debian's postgresql package or set XINGJI_TEST_POSTGRES_URL";

/// The process's shared server, if [`TestCluster::shared`] started one.
static SHARED: std::sync::OnceLock<Option<TestCluster>> = std::sync::OnceLock::new();

/// Stops the shared server and removes its directory, as the process exits.
extern "C" fn stop_shared() {
    if let Some(Some(cluster)) = SHARED.get()
        && let Some(local) = &cluster.local
    {
        let _ = local.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(local._dir.path());
    }
}

/// A PostgreSQL server for one test. Dropping it stops a cluster it started.
#[derive(Debug)]
pub struct TestCluster {
    url: String,
    local: Option<Local>,
}

/// A cluster this process made.
#[derive(Debug)]
struct Local {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    /// The user that runs PostgreSQL's programs when we are root.
    run_as: Option<String>,
    /// Holds the data directory; removed after the cluster stops.
    _dir: tempfile::TempDir,
}

impl TestCluster {
    /// A server to test against, or `None` (after printing [`SKIP_MESSAGE`])
    /// if there is none. Panics if one was found but would not start, or if
    /// there is none and `XINGJI_REQUIRE_POSTGRES=1`.
    pub fn start() -> Option<TestCluster> {
        if let Ok(url) = std::env::var("XINGJI_TEST_POSTGRES_URL")
            && !url.is_empty()
        {
            return Some(TestCluster { url, local: None });
        }
        let Some(bin) = find_bin() else {
            if std::env::var("XINGJI_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("XINGJI_REQUIRE_POSTGRES=1 but no PostgreSQL was found: {SKIP_MESSAGE}");
            }
            // Both streams: cargo test shows a passing test's stdout only
            // with --nocapture, stderr of the harness is seen more often.
            println!("{SKIP_MESSAGE}");
            eprintln!("\n*** {SKIP_MESSAGE} ***\n");
            return None;
        };
        match Local::create(bin) {
            Ok(local) => Some(TestCluster {
                url: format!("postgres://postgres@127.0.0.1:{}/postgres", local.port),
                local: Some(local),
            }),
            Err(e) => panic!("PostgreSQL was found but the test cluster did not start: {e}"),
        }
    }

    /// Where the PostgreSQL tests will find a server (a description), or
    /// `None` if they will be skipped.
    pub fn availability() -> Option<String> {
        if let Ok(url) = std::env::var("XINGJI_TEST_POSTGRES_URL")
            && !url.is_empty()
        {
            return Some(format!("the server XINGJI_TEST_POSTGRES_URL names ({url})"));
        }
        find_bin().map(|bin| {
            format!(
                "throwaway clusters made with {}",
                bin.join("initdb").display()
            )
        })
    }

    /// One server for the whole test process, started on first use:
    /// [`Self::start`]'s, kept in a static and stopped when the process
    /// exits (statics are never dropped, so an exit hook stops it). For
    /// suites of many cases that each take a database of their own
    /// ([`Self::new_database`]) and never stop or kill the server.
    pub fn shared() -> Option<&'static TestCluster> {
        SHARED
            .get_or_init(|| {
                let cluster = TestCluster::start()?;
                if cluster.local.is_some() {
                    unsafe extern "C" {
                        fn atexit(hook: extern "C" fn()) -> std::ffi::c_int;
                    }
                    // SAFETY: registers a plain function without arguments;
                    // libc runs it once, as the process exits.
                    unsafe {
                        atexit(stop_shared);
                    }
                }
                Some(cluster)
            })
            .as_ref()
    }

    /// The URL of the server's `postgres` database (or the one named by
    /// `XINGJI_TEST_POSTGRES_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port the server listens on (loopback only), if this process
    /// started it.
    pub fn port(&self) -> Option<u16> {
        self.local.as_ref().map(|l| l.port)
    }

    /// Makes a fresh, empty database and returns its URL.
    pub fn new_database(&self) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "xingji_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        if let Err(e) = run_sql(&self.url, &format!("CREATE DATABASE {name}")) {
            panic!("CREATE DATABASE {name} on {}: {e}", self.url);
        }
        with_database(&self.url, &name)
    }

    /// Whether [`Self::stop`], [`Self::start_again`] and [`Self::kill`] work:
    /// only for a cluster this process started.
    pub fn can_restart(&self) -> bool {
        self.local.is_some()
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`): connections
    /// break, committed work survives (as after a crash).
    pub fn stop(&self) {
        let local = self.local_or_panic("stop");
        if let Err(e) = local.pg_ctl(&["stop", "-m", "immediate"]) {
            panic!("pg_ctl stop: {e}");
        }
    }

    /// Starts the stopped (or killed) server again, on the same port.
    pub fn start_again(&self) {
        let local = self.local_or_panic("start_again");
        if let Err(e) = local.start_server() {
            panic!("restarting the test cluster: {e}");
        }
    }

    /// Stops the server and starts it again on the same port.
    pub fn restart(&self) {
        self.stop();
        self.start_again();
    }

    /// Kills the server with SIGKILL (postmaster and its backends), as a
    /// lost machine would; [`Self::start_again`] recovers it.
    pub fn kill(&self) {
        let local = self.local_or_panic("kill");
        if let Err(e) = local.kill() {
            panic!("killing the test cluster: {e}");
        }
    }

    fn local_or_panic(&self, what: &str) -> &Local {
        match &self.local {
            Some(local) => local,
            None => panic!(
                "TestCluster::{what} needs a cluster this test started, not XINGJI_TEST_POSTGRES_URL (check can_restart())"
            ),
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if let Some(local) = &self.local {
            // Errors ignored: a stopped or killed cluster has nothing to stop.
            let _ = local.pg_ctl(&["stop", "-m", "immediate"]);
        }
    }
}

impl Local {
    fn create(bin: PathBuf) -> Result<Local, String> {
        let run_as = if running_as_root() {
            Some(unprivileged_user())
        } else {
            None
        };
        // As root, in /tmp: TMPDIR may be under a home the user cannot enter.
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix("xingji-pg-");
            b
        };
        let dir = if run_as.is_some() {
            builder.tempdir_in("/tmp")
        } else {
            builder.tempdir()
        }
        .map_err(|e| format!("temporary directory: {e}"))?;
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user).ok_or_else(|| format!("no uid for user {user}"))?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown {} to {user}: {e}", dir.path().display()))?;
        }
        let data = dir.path().join("data");
        let mut local = Local {
            bin,
            log: dir.path().join("postgres.log"),
            socket_dir: dir.path().to_owned(),
            data,
            port: 0,
            run_as,
            _dir: dir,
        };
        let data = local.data.to_string_lossy().into_owned();
        let out = local
            .command("initdb")
            .args([
                "-D",
                &data,
                "--auth=trust",
                "-U",
                "postgres",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .output()
            .map_err(|e| format!("running initdb: {e}"))?;
        check(&out, "initdb")?;
        // A free port can be taken between our probe and the server's bind:
        // try a few.
        let mut last = String::new();
        for _ in 0..5 {
            local.port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
            match local.start_server() {
                Ok(()) => return Ok(local),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// A command running PostgreSQL's program `name`, as the unprivileged
    /// user when we are root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(args)
            .output()
            .map_err(|e| format!("running pg_ctl: {e}"))?;
        check(&out, "pg_ctl")
    }

    fn start_server(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' -c max_connections=200 -c shared_buffers=32MB",
            self.port,
            self.socket_dir.display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .map_err(|e| format!("running pg_ctl start: {e}"))?;
        check(&out, "pg_ctl start").map_err(|e| {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            format!("{e}\nserver log:\n{log}")
        })
    }

    fn kill(&self) -> Result<(), String> {
        let pid_file = self.data.join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file)
            .map_err(|e| format!("reading {}: {e}", pid_file.display()))?;
        let pid: u32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| format!("no pid in {}", pid_file.display()))?;
        // The backends first: once the postmaster is gone they are
        // re-parented and no longer found as its children.
        let mut pids = children_of(pid);
        pids.push(pid);
        // One at a time: a backend may exit on its own between our listing
        // and the signal (its client hung up), which `kill` reports as a
        // failure for that pid alone. Only a process still there matters.
        for pid in &pids {
            let killed = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .output()
                .map_err(|e| format!("running kill: {e}"))?;
            if !killed.status.success() && Path::new(&format!("/proc/{pid}")).exists() {
                return Err(format!(
                    "kill -KILL {pid} failed: {}",
                    String::from_utf8_lossy(&killed.stderr)
                ));
            }
        }
        // Until every one is gone a new postmaster would refuse the data
        // directory (its shared memory still attached).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while pids
            .iter()
            .any(|p| Path::new(&format!("/proc/{p}")).exists())
        {
            if std::time::Instant::now() > deadline {
                return Err(format!("processes {pids:?} outlived SIGKILL"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

fn check(out: &Output, what: &str) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The directory of `initdb` and `pg_ctl`: `XINGJI_TEST_POSTGRES_BIN`, the
/// PATH, then the newest `/usr/lib/postgresql/*/bin` (Debian keeps them
/// off the PATH).
fn find_bin() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("XINGJI_TEST_POSTGRES_BIN").map(PathBuf::from)
        && has_both(&dir)
    {
        return Some(dir);
    }
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d))
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// `postgres` if the system has that user (Debian's package makes it),
/// else `nobody`.
fn unprivileged_user() -> String {
    if user_ids("postgres").is_some() {
        "postgres".to_owned()
    } else {
        "nobody".to_owned()
    }
}

/// A user's uid and gid, from /etc/passwd.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The pids whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name (in parentheses) may hold spaces: the fields
            // after its closing parenthesis are state, then ppid.
            let rest = &stat[stat.rfind(')')? + 1..];
            let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

/// `url` with its database replaced by `database` (query kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// Runs `sql` on `url` from a thread of its own with its own runtime, so it
/// can be called from sync code and from inside any tokio runtime alike.
fn run_sql(url: &str, sql: &str) -> Result<(), String> {
    let url = url.to_owned();
    let sql = sql.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            conn.close().await.map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "the SQL thread panicked".to_owned())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:5", "x"), "postgres://h:5/x");
        assert_eq!(with_database("postgres://h/db", "x"), "postgres://h/x");
    }

    /// Starts a cluster, makes two databases, writes in one, restarts and
    /// kills the server: what a PostgreSQL test relies on.
    #[test]
    fn cluster_starts_restarts_and_isolates_databases() {
        let Some(cluster) = TestCluster::start() else {
            return;
        };
        let a = cluster.new_database();
        let b = cluster.new_database();
        assert_ne!(a, b);
        run_sql(&a, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)").expect("write in a");
        // b is another database: no table t there.
        assert!(run_sql(&b, "SELECT x FROM t").is_err());
        if cluster.can_restart() {
            cluster.restart();
            run_sql(&a, "INSERT INTO t VALUES (2)").expect("write after restart");
            cluster.kill();
            assert!(
                run_sql(&a, "SELECT 1").is_err(),
                "the killed server answered"
            );
            cluster.start_again();
            run_sql(&a, "SELECT x FROM t").expect("read after kill and start");
        }
    }
}
