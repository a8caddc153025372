//! TLS through rustls (ring): reading the PEM files that the config
//! (`[tls]`) or the CLI (`--ca-file`, `--cert`, `--key`) names, with errors
//! naming the key or flag and the file; the server's transport with TLS on;
//! and the loud warning when the server speaks plaintext beyond loopback.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::config::TlsConfig;

/// How long a client may take over its TLS handshake: one that connects and
/// says nothing must not hold a task for ever.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes ring the process's rustls provider. tonic's server asks rustls
/// for the process default, which rustls picks from its crate features
/// only while exactly one provider is compiled in; naming it keeps the
/// server working if another dependency ever brings aws-lc in too.
pub fn use_ring() {
    // An error means a provider is installed already (a second server in
    // the same process, or a test): that one stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The certificates of the PEM file `path`, which `what` (a config key or
/// a flag) names: the file's bytes for tonic, and the certificates parsed.
/// A file that cannot be read, or holds no certificate, is an error saying
/// so.
pub fn read_certificates(
    what: &str,
    path: &Path,
) -> Result<(Vec<u8>, Vec<CertificateDer<'static>>), String> {
    let pem = read(what, path)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("{what} {}: not PEM: {error}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!(
            "{what} {}: holds no PEM certificate (a \"-----BEGIN CERTIFICATE-----\" block)",
            path.display()
        ));
    }
    Ok((pem, certificates))
}

/// A certificate chain and its private key, as tonic's [`Identity`]: both
/// files read, and the key checked to be the certificate's.
pub fn read_identity(
    (cert_what, cert_path): (&str, &Path),
    (key_what, key_path): (&str, &Path),
) -> Result<Identity, String> {
    let (cert_pem, chain) = read_certificates(cert_what, cert_path)?;
    let key_pem = read(key_what, key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| {
        format!(
            "{key_what} {}: holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {error}",
            key_path.display()
        )
    })?;
    CertifiedKey::from_der(chain, key, &rustls::crypto::ring::default_provider()).map_err(
        |error| {
            format!(
                "{key_what} {} is not the key of {cert_what} {}: {error}",
                key_path.display(),
                cert_path.display()
            )
        },
    )?;
    Ok(Identity::from_pem(cert_pem, key_pem))
}

/// The certificate authorities of the PEM bundle `path`, as tonic's
/// [`Certificate`]: every certificate in it must be usable as a trust
/// anchor (tonic would skip one that is not, and trust less than asked
/// without a word).
pub fn read_authorities(what: &str, path: &Path) -> Result<Certificate, String> {
    let (pem, certificates) = read_certificates(what, path)?;
    let mut roots = RootCertStore::empty();
    for (n, certificate) in certificates.into_iter().enumerate() {
        roots.add(certificate).map_err(|error| {
            format!(
                "{what} {}: certificate {} is not a usable certificate authority: {error}",
                path.display(),
                n + 1
            )
        })?;
    }
    Ok(Certificate::from_pem(pem))
}

/// The server's TLS settings from `[tls]`: its identity, and with
/// `client_ca_file` optional client certificates verified against it.
pub fn server_tls(tls: &TlsConfig) -> Result<ServerTlsConfig, String> {
    let identity = read_identity(
        ("tls.cert_file", &tls.cert_file),
        ("tls.key_file", &tls.key_file),
    )?;
    let mut config = ServerTlsConfig::new()
        .identity(identity)
        .timeout(HANDSHAKE_TIMEOUT);
    if let Some(path) = &tls.client_ca_file {
        // Optional: a partner presents a certificate (verified, or the
        // handshake fails), anyone else connects without one and
        // authenticates with a token.
        config = config
            .client_ca_root(read_authorities("tls.client_ca_file", path)?)
            .client_auth_optional(true);
    }
    Ok(config)
}

/// The server's transport for `address`: TLS with `tls`; without it
/// plaintext, with a warning when `address` is not loopback.
pub fn transport(tls: Option<&TlsConfig>, address: SocketAddr) -> Result<Server, String> {
    use_ring();
    let Some(tls) = tls else {
        if let Some(warning) = plaintext_warning(address) {
            tracing::warn!("{warning}");
        }
        return Ok(Server::builder());
    };
    Server::builder()
        .tls_config(server_tls(tls)?)
        .map_err(|error| format!("[tls]: cannot serve TLS: {}", causes(&error)))
}

/// What to log when serving plaintext on `address`: nothing on loopback;
/// beyond it, that everything crosses the network in clear, and the fix.
pub fn plaintext_warning(address: SocketAddr) -> Option<String> {
    if address.ip().is_loopback() {
        return None;
    }
    Some(format!(
        "PLAINTEXT on {address}, which is not a loopback address: credentials (actors, tokens) \
         and customers' names, phones and addresses cross the network IN CLEAR. Plaintext is for \
         loopback and the demo: for anything else set [tls] cert_file and key_file in the config \
         (or XINGJI_TLS_CERT_FILE and XINGJI_TLS_KEY_FILE), or listen on 127.0.0.1"
    ))
}

/// The file `what` names, read whole.
fn read(what: &str, path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|error| format!("{what} {}: cannot read: {error}", path.display()))
}

/// `error` and its sources, `: `-separated (tonic's errors say little
/// themselves).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_beyond_loopback_is_warned_about() {
        for quiet in ["127.0.0.1:50051", "[::1]:50051", "127.1.2.3:1"] {
            let address: SocketAddr = quiet.parse().expect("an address");
            assert_eq!(plaintext_warning(address), None, "{quiet}");
        }
        for loud in ["0.0.0.0:50051", "[::]:50051", "192.0.2.7:50051"] {
            let address: SocketAddr = loud.parse().expect("an address");
            let warning = plaintext_warning(address).expect(loud);
            assert!(warning.contains("IN CLEAR"), "{warning}");
            assert!(warning.contains("[tls] cert_file"), "{warning}");
        }
    }

    #[test]
    fn unreadable_and_non_pem_files_are_named_with_their_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.pem");
        let error = read_certificates("tls.cert_file", &missing).expect_err("missing");
        assert!(error.starts_with("tls.cert_file "), "{error}");
        assert!(error.contains("missing.pem: cannot read"), "{error}");

        let text = dir.path().join("text.pem");
        std::fs::write(&text, "not a certificate\n").expect("write");
        let error = read_certificates("--ca-file", &text).expect_err("no PEM");
        assert!(error.contains("--ca-file"), "{error}");
        assert!(error.contains("holds no PEM certificate"), "{error}");

        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").expect("write");
        let error = read_authorities("tls.client_ca_file", &broken).expect_err("no end");
        assert!(error.contains("tls.client_ca_file"), "{error}");
        assert!(error.contains("not PEM"), "{error}");

        let error = read_identity(("tls.cert_file", &text), ("tls.key_file", &missing))
            .expect_err("no certificate");
        assert!(error.starts_with("tls.cert_file"), "{error}");
    }
}
