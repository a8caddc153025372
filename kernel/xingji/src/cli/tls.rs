//! The client's side of TLS: the flags of an `https://` `--server`
//! (`--ca-file`, `--cert`, `--key`), the TLS settings they make, and a TLS
//! failure told as what to do about it.

use std::io;
use std::path::PathBuf;

use clap::Args;
use rustls::CertificateError;
use tonic::transport::ClientTlsConfig;

use crate::tls::{HANDSHAKE_TIMEOUT, read_authorities, read_identity};

/// How to speak TLS to an `https://` `--server`.
#[derive(Debug, Default, Clone, Args)]
pub struct TlsArgs {
    /// For an https:// --server: the PEM file of the certificate authority
    /// (or a bundle of them) that signed the server's certificate [default:
    /// the system's trusted roots].
    #[arg(long, global = true, env = "XINGJI_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// For an https:// --server that takes client certificates (mutual
    /// TLS): your certificate, PEM, with --key.
    #[arg(long, global = true, env = "XINGJI_CERT", value_name = "PEM")]
    pub cert: Option<PathBuf>,
    /// The private key of --cert, PEM.
    #[arg(long, global = true, env = "XINGJI_KEY", value_name = "PEM")]
    pub key: Option<PathBuf>,
}

impl TlsArgs {
    /// The first TLS flag given, as the user would write it: for an
    /// `http://` server, where none belongs.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.ca_file.is_some(), "--ca-file (or XINGJI_CA_FILE)"),
            (self.cert.is_some(), "--cert (or XINGJI_CERT)"),
            (self.key.is_some(), "--key (or XINGJI_KEY)"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    /// The TLS settings of these flags: the server verified against
    /// `--ca-file` (else the system's roots), and `--cert` presented.
    pub fn client_config(&self) -> Result<ClientTlsConfig, String> {
        let mut config = ClientTlsConfig::new().timeout(HANDSHAKE_TIMEOUT);
        config = match &self.ca_file {
            Some(path) => config.ca_certificate(read_authorities("--ca-file", path)?),
            None => config.with_native_roots(),
        };
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                config = config.identity(read_identity(("--cert", cert), ("--key", key))?);
            }
            (Some(_), None) => {
                return Err(
                    "--cert needs --key (or XINGJI_KEY): the certificate's private key".into(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "--key needs --cert (or XINGJI_CERT): the certificate it is the key of".into(),
                );
            }
            (None, None) => {}
        }
        Ok(config)
    }

    /// What a failure below gRPC talking to `server` (over TLS if
    /// `https`) means and what to do, if `error` or one of its causes is
    /// one that TLS explains.
    pub fn explain(
        &self,
        server: &str,
        https: bool,
        error: &(dyn std::error::Error + 'static),
    ) -> Option<String> {
        let cause = cause(error)?;
        if !https {
            // A TLS server answers an HTTP/2 preface with a TLS alert, which
            // HTTP/2 reads as a frame of impossible size, and hangs up.
            let what = match cause {
                Cause::NotHttp2 => "does not answer in plaintext gRPC",
                Cause::Closed => "closed the connection without answering",
                _ => return None,
            };
            return Some(format!(
                "the server at {server} {what}: is it a TLS server? then write https://… (with --ca-file)"
            ));
        }
        let not_tls = || {
            format!(
                "the server at {server} is not speaking TLS (a plaintext server? then write http://)"
            )
        };
        let refused_certificate = |why: &str| match &self.cert {
            Some(cert) => format!(
                "the server at {server} refused the client certificate --cert {}{why}: not signed by an authority it trusts, or not valid now",
                cert.display()
            ),
            None => format!(
                "the server at {server} refused the connection{why}: does it ask for a client certificate? then give --cert and --key"
            ),
        };
        Some(match cause {
            // Under TLS 1.3 a server that refuses a client certificate does
            // so after the client's side of the handshake is done: the
            // client learns it when its first call finds the connection
            // gone, and the server's alert may be lost in the reset. Said
            // only when a certificate was presented: a connection lost for
            // another reason says so itself.
            Cause::Closed if self.cert.is_some() => {
                refused_certificate(", it seems (it closed the connection after the TLS handshake)")
            }
            Cause::Closed => return None,
            Cause::HandshakeEof | Cause::NotHttp2 => not_tls(),
            Cause::Rustls(rustls::Error::InvalidMessage(_)) => not_tls(),
            Cause::Rustls(rustls::Error::InvalidCertificate(certificate)) => {
                self.server_certificate(server, certificate)
            }
            Cause::Rustls(rustls::Error::AlertReceived(alert)) => {
                let alert = format!("{alert:?}");
                match about_certificates(&alert) {
                    true => refused_certificate(&format!(" ({alert})")),
                    false => format!("TLS with the server at {server} failed: it sent {alert}"),
                }
            }
            Cause::Alert(alert) => match about_certificates(&alert) {
                true => refused_certificate(&format!(" ({alert})")),
                false => format!("TLS with the server at {server} failed: it sent {alert}"),
            },
            Cause::Rustls(other) => format!("TLS with the server at {server} failed: {other}"),
        })
    }

    /// Why the server's certificate was refused.
    fn server_certificate(&self, server: &str, certificate: &CertificateError) -> String {
        match certificate {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the certificate of the server at {server} is not for that host name or address: use one that its certificate names ({certificate:?})"
                )
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => format!(
                "the certificate of the server at {server} is not valid now ({certificate:?}): expired, or this machine's clock is wrong"
            ),
            // webpki's reason for a self-signed CA certificate served as
            // the server's own (what `openssl req -x509` makes by default).
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => format!(
                "the server at {server} presents a certificate authority's certificate as its own ({other:?}): it needs a leaf certificate (basicConstraints CA:FALSE)"
            ),
            other => match &self.ca_file {
                Some(path) => format!(
                    "the server at {server} did not present a certificate signed by --ca-file {} ({other:?})",
                    path.display()
                ),
                None => format!(
                    "the server at {server} did not present a certificate signed by an authority this system trusts ({other:?}): give --ca-file with the one that signed it"
                ),
            },
        }
    }
}

/// A failure below gRPC that TLS explains.
enum Cause<'a> {
    /// rustls refused something.
    Rustls(&'a rustls::Error),
    /// The server sent this alert after the handshake (rustls reports it
    /// then as text).
    Alert(String),
    /// The server hung up during the TLS handshake.
    HandshakeEof,
    /// The connection broke (closed, reset, broken pipe) after it was
    /// made.
    Closed,
    /// What came back was not HTTP/2.
    NotHttp2,
}

/// Walks `error` and its causes for a failure that TLS explains. rustls's
/// errors come inside `io::Error`s, whose `source()` skips the error they
/// hold, and h2's errors hold theirs without a `source()`: look inside.
fn cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<Cause<'a>> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(rustls) = error.downcast_ref::<rustls::Error>() {
            return Some(Cause::Rustls(rustls));
        }
        if let Some(io) = error.downcast_ref::<io::Error>()
            && let Some(cause) = io_cause(io)
        {
            return Some(cause);
        }
        if let Some(hyper) = error.downcast_ref::<hyper::Error>()
            && (hyper.is_canceled() || hyper.is_closed() || hyper.is_incomplete_message())
        {
            return Some(Cause::Closed);
        }
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            if let Some(cause) = h2.get_io().and_then(io_cause) {
                return Some(cause);
            }
            let garbled = [h2::Reason::FRAME_SIZE_ERROR, h2::Reason::PROTOCOL_ERROR];
            if !h2.is_remote() && h2.reason().is_some_and(|reason| garbled.contains(&reason)) {
                return Some(Cause::NotHttp2);
            }
        }
        next = error.source();
    }
    None
}

/// Whether a TLS alert (as rustls names it) refuses a client certificate.
fn about_certificates(alert: &str) -> bool {
    alert.contains("Certificate") || alert == "UnknownCA" || alert == "AccessDenied"
}

/// How rustls words an alert from the peer.
const ALERT: &str = "received fatal alert:";

/// What an I/O error says about TLS: its inner error's cause, or how the
/// connection ended.
fn io_cause(io: &io::Error) -> Option<Cause<'_>> {
    if let Some(cause) = io.get_ref().and_then(|inner| cause(inner)) {
        return Some(cause);
    }
    let text = io.to_string();
    match io.kind() {
        // tokio-rustls's words for a server that hung up mid-handshake.
        io::ErrorKind::UnexpectedEof if text.contains("tls handshake") => Some(Cause::HandshakeEof),
        // rustls's words for an alert it received once the handshake was
        // done (`Error::AlertReceived`, as text by then).
        io::ErrorKind::InvalidData if text.starts_with(ALERT) => {
            Some(Cause::Alert(text[ALERT.len()..].trim().to_owned()))
        }
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => Some(Cause::Closed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rustls::AlertDescription;

    use super::*;

    const SERVER: &str = "https://xingji.example:50051";

    fn with_cert() -> TlsArgs {
        TlsArgs {
            ca_file: Some("ca.pem".into()),
            cert: Some("acme.pem".into()),
            key: Some("acme.key".into()),
        }
    }

    /// `error` as tokio-rustls hands it over: inside an `io::Error`, inside
    /// a transport error whose `source()` is that `io::Error`.
    fn wrapped(error: io::Error) -> Box<dyn std::error::Error + Send + Sync> {
        #[derive(Debug)]
        struct Transport(io::Error);
        impl std::fmt::Display for Transport {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("transport error")
            }
        }
        impl std::error::Error for Transport {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        Box::new(Transport(error))
    }

    fn explain(tls: &TlsArgs, https: bool, error: io::Error) -> Option<String> {
        let server = if https {
            SERVER
        } else {
            "http://xingji.example:50051"
        };
        tls.explain(server, https, &*wrapped(error))
    }

    #[test]
    fn a_server_certificate_of_another_authority_names_the_ca_file() {
        let error = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let text = explain(
            &with_cert(),
            true,
            io::Error::new(io::ErrorKind::InvalidData, error),
        )
        .expect("explained");
        assert!(
            text.contains("did not present a certificate signed by --ca-file ca.pem"),
            "{text}"
        );
        let error = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let text = explain(
            &TlsArgs::default(),
            true,
            io::Error::new(io::ErrorKind::InvalidData, error),
        )
        .expect("explained");
        assert!(text.contains("give --ca-file"), "{text}");
    }

    #[test]
    fn an_alert_after_the_handshake_is_read_from_rustls_words() {
        // rustls reports an alert that arrives after the handshake as its
        // text: the prefix this module reads must be rustls's own.
        let text = rustls::Error::AlertReceived(AlertDescription::UnknownCA).to_string();
        let error = io::Error::new(io::ErrorKind::InvalidData, text);
        let told = explain(&with_cert(), true, error).expect("explained");
        assert!(
            told.contains("refused the client certificate --cert acme.pem (UnknownCA)"),
            "{told}"
        );
        let text = rustls::Error::AlertReceived(AlertDescription::ProtocolVersion).to_string();
        let error = io::Error::new(io::ErrorKind::InvalidData, text);
        let told = explain(&with_cert(), true, error).expect("explained");
        assert!(told.contains("failed: it sent ProtocolVersion"), "{told}");
    }

    #[test]
    fn a_lost_connection_is_blamed_on_the_certificate_only_when_one_was_sent() {
        let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "stream closed");
        let told = explain(&with_cert(), true, closed()).expect("explained");
        assert!(
            told.contains("refused the client certificate --cert acme.pem, it seems"),
            "{told}"
        );
        assert_eq!(explain(&TlsArgs::default(), true, closed()), None);
        let told = explain(&TlsArgs::default(), false, closed()).expect("explained");
        assert!(
            told.contains("is it a TLS server? then write https://"),
            "{told}"
        );
    }

    #[test]
    fn a_plaintext_answer_to_tls_says_so() {
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        let told = explain(&TlsArgs::default(), true, eof).expect("explained");
        assert!(
            told.contains("is not speaking TLS (a plaintext server?"),
            "{told}"
        );
        let garbled = h2::Error::from(h2::Reason::FRAME_SIZE_ERROR);
        let told = TlsArgs::default()
            .explain("http://x:1", false, &garbled)
            .expect("explained");
        assert!(told.contains("does not answer in plaintext gRPC"), "{told}");
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(explain(&TlsArgs::default(), false, refused), None);
    }
}
