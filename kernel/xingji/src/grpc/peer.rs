//! The caller's TLS client certificate, for whoever maps it to a principal
//! (mutual TLS for partner systems).
//!
//! A certificate is here only when the server verified it: the server asks
//! for one only with `[tls] client_ca_file`, and a certificate that the
//! file's authorities did not sign fails the handshake. A caller over
//! plaintext, or over TLS without a certificate, has none.

use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// The DER of the leaf certificate the caller of `request` presented.
pub fn client_certificate<T>(request: &tonic::Request<T>) -> Option<Vec<u8>> {
    leaf(
        request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()?,
    )
}

/// The same, from the extensions of an HTTP request: for a tower layer,
/// which sees the request before tonic makes it a [`tonic::Request`].
pub fn client_certificate_in(extensions: &http::Extensions) -> Option<Vec<u8>> {
    leaf(extensions.get::<TlsConnectInfo<TcpConnectInfo>>()?)
}

/// The first certificate of the chain the client sent: its own.
fn leaf(info: &TlsConnectInfo<TcpConnectInfo>) -> Option<Vec<u8>> {
    info.peer_certs()?.first().map(|der| der.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_tls_has_no_certificate() {
        let request = tonic::Request::new(());
        assert_eq!(client_certificate(&request), None);
        let mut plaintext = http::Extensions::new();
        plaintext.insert(TcpConnectInfo {
            local_addr: None,
            remote_addr: None,
        });
        assert_eq!(client_certificate_in(&plaintext), None);
    }
}
