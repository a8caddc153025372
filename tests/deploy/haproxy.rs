//! deploy/haproxy.cfg: valid, its health check generated and true to what
//! a kernel answers, and HAProxy running it in front of a real replica.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use tonic::Code;
use xingji_api::v1::ListOrdersRequest;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_test_deploy::h2check;
use xingji_test_deploy::processes::{self, DeploymentKey, Haproxy, Replica};
use xingji_test_deploy::tools::{self, deploy_file};

/// `haproxy -c` on the cfg with `env` set: whether it passed, and what it
/// said.
fn haproxy_check(env: &[(&str, &str)]) -> Option<(bool, String)> {
    let haproxy = tools::haproxy()?;
    let out = Command::new(haproxy)
        .arg("-c")
        .arg("-f")
        .arg(deploy_file("haproxy.cfg"))
        .envs(env.iter().copied())
        .output()
        .expect("running haproxy -c");
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

#[test]
fn haproxy_accepts_the_config_and_takes_addresses_from_the_environment() {
    let Some((ok, said)) = haproxy_check(&[]) else {
        return;
    };
    assert!(
        ok && !said.contains("[WARNING]"),
        "haproxy -c -f deploy/haproxy.cfg:\n{said}"
    );
    let (ok, said) = haproxy_check(&[
        ("XINGJI_REPLICA_1", "127.0.0.1:7001"),
        ("XINGJI_REPLICA_2", "127.0.0.1:7002"),
        ("XINGJI_FRONTEND", "127.0.0.1:7000"),
    ])
    .expect("haproxy was found above");
    assert!(ok, "with the tests' addresses:\n{said}");
    // The environment is really read: a replica that is no address fails.
    let (ok, said) =
        haproxy_check(&[("XINGJI_REPLICA_2", "not an address")]).expect("haproxy was found above");
    assert!(!ok, "a bad XINGJI_REPLICA_2 passed:\n{said}");
}

#[test]
fn haproxy_check_lines_are_the_generated_ones() {
    let path = deploy_file("haproxy.cfg");
    let cfg = std::fs::read_to_string(&path).expect("deploy/haproxy.cfg");
    let (Some(begin), Some(end)) = (cfg.find(h2check::BEGIN), cfg.find(h2check::END)) else {
        panic!("deploy/haproxy.cfg lost its generated block's markers");
    };
    let end = end + h2check::END.len() + 1;
    let generated = h2check::haproxy_check_lines();
    if std::env::var("XINGJI_REGENERATE_HAPROXY_CHECK").as_deref() == Ok("1") {
        let updated = format!("{}{generated}{}", &cfg[..begin], &cfg[end..]);
        std::fs::write(&path, updated).expect("rewrite deploy/haproxy.cfg");
        return;
    }
    assert_eq!(
        &cfg[begin..end],
        generated,
        "deploy/haproxy.cfg's check is not what h2check.rs makes: run\n  XINGJI_REGENERATE_HAPROXY_CHECK=1 cargo test -p xingji-test-deploy haproxy_check"
    );
}

/// Sends `request` to `address` and reads for at most `limit`, or until
/// `wanted` is among the bytes read. Returns everything read.
fn exchange(
    address: std::net::SocketAddr,
    request: &[u8],
    wanted: &[u8],
    limit: Duration,
) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).expect("connect to the replica");
    stream.write_all(request).expect("send the check");
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a read timeout");
    let deadline = Instant::now() + limit;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline && !contains(&received, wanted) {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    received
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_check_bytes_get_serving_from_a_real_kernel() {
    let _heavy = xingji_test_deploy::heavy().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = DeploymentKey::generate();
    // No PostgreSQL needed: what is checked is the health service's answer.
    let mut replica = Replica::start(&tools::kernel_binary(), dir.path(), "replica-1", None, &key);
    replica.wait_serving(Duration::from_secs(180)).await;

    let serving = h2check::serving_answer();
    let received = exchange(
        replica.address,
        &h2check::request(),
        &serving,
        Duration::from_secs(5),
    );
    assert!(
        contains(&received, &serving),
        "the kernel's answer to the check has no SERVING frame {}:\n{}",
        h2check::hex(&serving),
        h2check::hex(&received)
    );
    // The same call for a service the kernel does not have is answered
    // NOT_FOUND in trailers, with no DATA frame: the check does not pass.
    let received = exchange(
        replica.address,
        &h2check::request_for("no.such.Service"),
        &serving,
        Duration::from_secs(2),
    );
    assert!(
        !received.is_empty(),
        "no answer at all to a check of an unknown service"
    );
    assert!(
        !contains(&received, &serving),
        "an unknown service matched SERVING:\n{}",
        h2check::hex(&received)
    );
}

/// A server that accepts connections and answers every one with bytes that
/// are not HTTP/2: up on TCP, but no replica. HAProxy must not send it
/// calls.
fn impostor() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let address = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        }
    });
    address
}

#[tokio::test]
async fn haproxy_sends_calls_to_serving_replicas_only() {
    let Some(haproxy) = tools::haproxy() else {
        return;
    };
    let _heavy = xingji_test_deploy::heavy().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = DeploymentKey::generate();
    let mut replica = Replica::start(&tools::kernel_binary(), dir.path(), "replica-1", None, &key);
    replica.wait_serving(Duration::from_secs(180)).await;
    let proxy = Haproxy::start(
        &haproxy,
        &deploy_file("haproxy.cfg"),
        &[replica.address, impostor()],
        dir.path(),
    );
    proxy
        .wait_server("replica-1", "UP", Duration::from_secs(10))
        .await;
    proxy
        .wait_server("replica-2", "DOWN", Duration::from_secs(10))
        .await;

    // Every call through HAProxy reaches the kernel, none the impostor.
    let token = key.token("hq", "deploy-tests");
    let mut orders = OrderServiceClient::new(processes::channel(proxy.frontend, &token));
    for _ in 0..10 {
        let listed = orders
            .list_orders(ListOrdersRequest {
                region: "east".into(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("a call through HAProxy failed: {status:?}"));
        assert!(listed.get_ref().orders.is_empty());
    }

    // Killed, the replica is taken out, and calls are refused UNAVAILABLE
    // (no replica left) rather than hanging.
    replica.kill9();
    proxy
        .wait_server("replica-1", "DOWN", Duration::from_secs(10))
        .await;
    let refused = orders
        .list_orders(ListOrdersRequest::default())
        .await
        .expect_err("a call with no replica up");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
}
