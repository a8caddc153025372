//! The connection to the server (`--server`), every request carrying the
//! caller's credential (`credentials`).

use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use super::credentials::Credential;
use super::errors::ClientError;

/// How long to wait for a server to accept the connection: an address
/// that drops packets would otherwise hang the command.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected server, and the credential every request carries.
#[derive(Debug, Clone)]
pub struct Connection {
    channel: Channel,
    credential: Credential,
}

/// What a service client sends its calls over: the channel, each request
/// carrying the credential.
pub type Service = InterceptedService<Channel, Credential>;

impl Connection {
    /// Checks `server`, then connects.
    pub async fn open(server: &str, credential: Credential) -> Result<Connection, ClientError> {
        let endpoint = endpoint(server)?;
        let channel = endpoint.connect().await.map_err(|error| {
            ClientError::Usage(format!(
                "cannot reach a server at {server}: {}; is one running there? `xingji serve` starts one (`xingji serve --demo` with a demo network)",
                causes(&error)
            ))
        })?;
        Ok(Connection {
            channel,
            credential,
        })
    }

    /// The channel, for a service client: its requests carry the
    /// credential.
    pub fn channel(&self) -> Service {
        InterceptedService::new(self.channel.clone(), self.credential.clone())
    }
}

/// The endpoint of `--server`, which must be a URL with its scheme. The
/// scheme is never guessed: `host:port` could mean http or https.
fn endpoint(server: &str) -> Result<Endpoint, ClientError> {
    let wrong = |why: &str| {
        ClientError::Usage(format!(
            "--server {server:?} (or XINGJI_SERVER): {why}, e.g. --server http://127.0.0.1:50051"
        ))
    };
    let endpoint = Endpoint::from_shared(server.to_owned())
        .map_err(|_| wrong("not a URL: give http://HOST:PORT"))?;
    let uri = endpoint.uri();
    match (uri.scheme_str(), uri.host()) {
        (None, _) => {
            let fix = format!("http://{}", server.trim_start_matches('/'));
            Err(ClientError::Usage(format!(
                "--server {server:?} (or XINGJI_SERVER) has no scheme: write --server {fix} (a plain-text gRPC server; TLS is not supported yet)"
            )))
        }
        (Some("http"), Some(_)) => Ok(endpoint.connect_timeout(CONNECT_TIMEOUT)),
        (Some("http"), None) => Err(wrong("no host: give http://HOST:PORT")),
        (Some(scheme), _) => Err(wrong(&format!(
            "{scheme}:// is not supported: this client speaks plain-text gRPC over http:// only"
        ))),
    }
}

/// Why `error` happened, its causes `: `-separated: a transport error says
/// only "transport error", its sources why (connection refused, timed out).
fn causes(error: &dyn std::error::Error) -> String {
    let Some(first) = error.source() else {
        return error.to_string();
    };
    let mut text = first.to_string();
    let mut source = first.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_without_a_scheme_is_refused_with_the_fix() {
        let error = endpoint("127.0.0.1:50051").expect_err("no scheme");
        let error = error.to_string();
        assert!(error.contains("--server \"127.0.0.1:50051\""), "{error}");
        assert!(
            error.contains("write --server http://127.0.0.1:50051"),
            "{error}"
        );
        let error = endpoint("localhost:50051")
            .expect_err("no scheme")
            .to_string();
        assert!(error.contains("--server http://localhost:50051"), "{error}");
        for bad in ["https://127.0.0.1:50051", "ftp://x", "http://", "not a url"] {
            let error = endpoint(bad).expect_err(bad).to_string();
            assert!(error.contains("--server"), "{error}");
        }
        endpoint("http://127.0.0.1:50051").expect("a URL");
        endpoint("http://[::1]:50051").expect("IPv6");
    }
}
