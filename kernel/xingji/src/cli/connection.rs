//! The connection to the server (`--server`, over TLS for `https://` with
//! the flags of `tls`), every request carrying the caller's credential
//! (`credentials`).

use std::time::Duration;

use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use super::credentials::Credential;
use super::errors::ClientError;
use super::tls::TlsArgs;

/// How long to wait for a server to accept the connection: an address
/// that drops packets would otherwise hang the command.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a call may take when neither `--timeout` nor `XINGJI_TIMEOUT`
/// says: long enough for a network's month close (minutes at a million
/// orders, 173 s in BENCHMARKS.md), and still an end to a call the server never
/// answers.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 600;

/// A connected server, and the credential and deadline every request
/// carries.
#[derive(Debug, Clone)]
pub struct Connection {
    channel: Channel,
    credential: Credential,
    timeout: Duration,
    server: String,
    https: bool,
    tls: TlsArgs,
}

/// What a service client sends its calls over: the channel, each request
/// carrying the credential and its deadline.
pub type Service = InterceptedService<Channel, CallMetadata>;

/// What every request carries: the credential, and the call's deadline as
/// `grpc-timeout`, which the server honours (tonic's server drops the
/// request's handling when it passes, and a plugin call with it).
#[derive(Debug, Clone)]
pub struct CallMetadata {
    credential: Credential,
    timeout: Duration,
}

impl Interceptor for CallMetadata {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let mut request = self.credential.call(request)?;
        request.set_timeout(self.timeout);
        Ok(request)
    }
}

impl Connection {
    /// Checks `server` and the TLS flags, then connects: over TLS for
    /// `https://`, never falling back to plaintext. Every call ends within
    /// `timeout`, on the client's side whatever the server does.
    pub async fn open(
        server: &str,
        credential: Credential,
        tls: &TlsArgs,
        timeout: Duration,
    ) -> Result<Connection, ClientError> {
        let endpoint = endpoint(server, tls)?.timeout(timeout);
        let https = endpoint.uri().scheme_str() == Some("https");
        let channel = endpoint.connect().await.map_err(|error| {
            ClientError::Usage(match tls.explain(server, https, &error) {
                Some(tls_failure) => format!("cannot connect: {tls_failure}"),
                None => format!(
                    "cannot reach a server at {server}: {}; is one running there? `xingji serve` starts one (`xingji serve --demo` with a demo network)",
                    causes(&error)
                ),
            })
        })?;
        Ok(Connection {
            channel,
            credential,
            timeout,
            server: server.to_owned(),
            https,
            tls: tls.clone(),
        })
    }

    /// `error`, told as what to do when the call failed below gRPC, where
    /// the server never answered: a TLS failure that connecting did not
    /// show (under TLS 1.3 a server refuses a client certificate after the
    /// client's side of the handshake is done), or a plaintext client
    /// talking to a TLS server.
    pub fn explain(&self, error: ClientError) -> ClientError {
        let ClientError::Refused { status, .. } = &error else {
            return error;
        };
        // A status the server sent has no source; one tonic made of a
        // transport error has it.
        let Some(source) = std::error::Error::source(status) else {
            return error;
        };
        match self.tls.explain(&self.server, self.https, source) {
            Some(explained) => ClientError::Usage(format!("{explained} ({})", causes(status))),
            None => error,
        }
    }

    /// The channel, for a service client: its requests carry the
    /// credential and the deadline.
    pub fn channel(&self) -> Service {
        InterceptedService::new(
            self.channel.clone(),
            CallMetadata {
                credential: self.credential.clone(),
                timeout: self.timeout,
            },
        )
    }
}

/// The endpoint of `--server`, which must be a URL with its scheme. The
/// scheme is never guessed: `host:port` could mean http or https. TLS flags
/// with an `http://` server are refused: whoever gave them meant TLS.
fn endpoint(server: &str, tls: &TlsArgs) -> Result<Endpoint, ClientError> {
    let wrong = |why: &str| {
        ClientError::Usage(format!(
            "--server {server:?} (or XINGJI_SERVER): {why}, e.g. --server http://127.0.0.1:50051"
        ))
    };
    let endpoint = Endpoint::from_shared(server.to_owned())
        .map_err(|_| wrong("not a URL: give http://HOST:PORT or https://HOST:PORT"))?;
    let uri = endpoint.uri();
    match (uri.scheme_str(), uri.host()) {
        (None, _) => {
            let fix = format!("http://{}", server.trim_start_matches('/'));
            Err(ClientError::Usage(format!(
                "--server {server:?} (or XINGJI_SERVER) has no scheme: write --server {fix} (a plaintext gRPC server) or https://… (TLS)"
            )))
        }
        (Some("http"), Some(_)) => match tls.first_given() {
            Some(flag) => Err(ClientError::Usage(format!(
                "{flag} is for an https:// server, but --server {server} is plaintext http://: write https://… to speak TLS"
            ))),
            None => Ok(endpoint.connect_timeout(CONNECT_TIMEOUT)),
        },
        (Some("https"), Some(_)) => {
            let config = tls.client_config().map_err(ClientError::Usage)?;
            let endpoint = endpoint.tls_config(config).map_err(|error| {
                let fix = match tls.ca_file {
                    Some(_) => "",
                    None => "; give --ca-file PEM (or XINGJI_CA_FILE) with the authority that signed the server's certificate",
                };
                ClientError::Usage(format!(
                    "--server {server}: cannot set up TLS: {}{fix}",
                    causes(&error)
                ))
            })?;
            Ok(endpoint.connect_timeout(CONNECT_TIMEOUT))
        }
        (Some("http" | "https"), None) => Err(wrong("no host: give http://HOST:PORT")),
        (Some(scheme), _) => Err(wrong(&format!(
            "{scheme}:// is not supported: give http:// (plaintext) or https:// (TLS)"
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

    fn endpoint(server: &str) -> Result<Endpoint, ClientError> {
        super::endpoint(server, &TlsArgs::default())
    }

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
        for bad in ["ftp://x", "http://", "https://", "not a url"] {
            let error = endpoint(bad).expect_err(bad).to_string();
            assert!(error.contains("--server"), "{error}");
        }
        endpoint("http://127.0.0.1:50051").expect("a URL");
        endpoint("http://[::1]:50051").expect("IPv6");
    }

    #[test]
    fn tls_flags_with_a_plaintext_server_are_refused_naming_the_flag() {
        let ca = TlsArgs {
            ca_file: Some("ca.pem".into()),
            ..TlsArgs::default()
        };
        let error = super::endpoint("http://127.0.0.1:50051", &ca)
            .expect_err("--ca-file with http://")
            .to_string();
        assert!(error.starts_with("--ca-file"), "{error}");
        assert!(error.contains("https://"), "{error}");
        let cert = TlsArgs {
            cert: Some("me.pem".into()),
            key: Some("me.key".into()),
            ..TlsArgs::default()
        };
        let error = super::endpoint("http://127.0.0.1:50051", &cert)
            .expect_err("--cert with http://")
            .to_string();
        assert!(error.starts_with("--cert"), "{error}");
    }

    #[test]
    fn a_certificate_needs_its_key_and_files_must_exist() {
        let half = TlsArgs {
            cert: Some("me.pem".into()),
            ..TlsArgs::default()
        };
        let error = super::endpoint("https://127.0.0.1:50051", &half)
            .expect_err("--cert without --key")
            .to_string();
        assert!(error.contains("--cert needs --key"), "{error}");
        let missing = TlsArgs {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..TlsArgs::default()
        };
        let error = super::endpoint("https://127.0.0.1:50051", &missing)
            .expect_err("no such CA file")
            .to_string();
        assert!(
            error.contains("--ca-file /nonexistent/ca.pem: cannot read"),
            "{error}"
        );
    }
}
