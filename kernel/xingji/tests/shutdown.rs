//! `xingji serve` stops by itself after SIGTERM within its grace period,
//! even while a client holds a call open that will never complete: a
//! stalled or hostile client must not keep a deployment from restarting.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use xingji_identity::{EmbeddedIssuer, TokenRequest};

/// The grace period the test asks for, and how long it waits for the exit:
/// well past the grace, well short of "hangs".
const GRACE_SECONDS: &str = "2";
const EXIT_WITHIN: Duration = Duration::from_secs(10);

/// How long the server may take to answer a health check: a fresh data
/// directory compiles the bundled plugins first.
const START_WITHIN: Duration = Duration::from_secs(180);

/// The running `xingji serve`; killed (SIGKILL) on drop if it still runs,
/// so that a failing test leaves no process behind.
struct Serving {
    child: Child,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A loopback address nothing listens on now.
fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address")
}

/// What the server wrote on standard error, for failure messages.
fn log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| format!("(no log: {error})"))
}

/// Waits until `address` answers a health check with SERVING; fails if the
/// process exits first or takes too long.
async fn wait_until_serving(serving: &mut Serving, address: SocketAddr, log_path: &Path) {
    let started = Instant::now();
    while started.elapsed() < START_WITHIN {
        if let Ok(Some(status)) = serving.child.try_wait() {
            panic!(
                "the server stopped before answering, {status}:\n{}",
                log(log_path)
            );
        }
        if let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{address}"))
            .expect("a URL")
            .connect()
            .await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let request = tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            };
            if let Ok(response) = health.check(request).await
                && response.into_inner().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the server did not answer on {address} within {START_WITHIN:?}:\n{}",
        log(log_path)
    );
}

/// A headquarters token of the server's own issuer, whose key it made in
/// `data_dir`: a call without a credential is answered at once, so the
/// stalled call must carry one to be held open.
fn hq_token(data_dir: &Path) -> String {
    let dir = data_dir.join(xingji::tokens::IDENTITY_DIR);
    let issuer = EmbeddedIssuer::open_or_create(&dir, "xingji").expect("the server's issuer");
    issuer
        .issue(TokenRequest {
            subject: "shutdown-test".to_owned(),
            role: "hq".to_owned(),
            ttl: Duration::from_secs(600),
            audience: "xingji".to_owned(),
            ..TokenRequest::default()
        })
        .expect("a token")
}

/// Polls until the process exits, for at most `within`.
async fn exit_status(serving: &mut Serving, within: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(Some(status)) = serving.child.try_wait() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_server_within_its_grace_despite_a_stalled_call() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let log_path = dir.path().join("stderr.log");
    let address = free_address();
    let stderr = std::fs::File::create(&log_path).expect("a log file");
    let child = Command::new(env!("CARGO_BIN_EXE_xingji"))
        .arg("serve")
        .arg("--listen")
        .arg(address.to_string())
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--shutdown-grace-seconds")
        .arg(GRACE_SECONDS)
        // No xingji.toml of the caller's is read.
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start xingji serve");
    let mut serving = Serving { child };
    wait_until_serving(&mut serving, address, &log_path).await;

    // A unary call whose request never completes: its headers, then 3 of
    // the 5 bytes of the gRPC message header, and the stream left open.
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp)
        .await
        .expect("an HTTP/2 handshake");
    let driving = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.expect("the connection is ready");
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("http://{address}/xingji.v1.OrderService/GetOrder"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {}", hq_token(&data_dir)))
        .body(())
        .expect("a request");
    let (response, mut body) = client
        .send_request(request, false)
        .expect("send the headers");
    body.send_data(Bytes::from_static(&[0, 0, 0]), false)
        .expect("send 3 bytes");
    // The server has the call and waits for the rest: it does not answer.
    let mut response = std::pin::pin!(response);
    if let Ok(answer) = tokio::time::timeout(Duration::from_millis(500), &mut response).await {
        panic!("the server answered the incomplete call: {answer:?}");
    }

    let pid = serving.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -TERM {pid}: {killed}");
    let exited = exit_status(&mut serving, EXIT_WITHIN).await;
    // The stalled call is held open until here, so that only the server's
    // grace can end it.
    drop(body);
    drop(client);
    driving.abort();
    match exited {
        None => panic!(
            "the server still runs {EXIT_WITHIN:?} after SIGTERM with a {GRACE_SECONDS} s grace:\n{}",
            log(&log_path)
        ),
        Some(status) => assert!(
            status.success(),
            "the server exited with {status}:\n{}",
            log(&log_path)
        ),
    }
}
