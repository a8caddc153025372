//! Page sizes and page tokens for every `List…` method.
//!
//! A page token is opaque to clients and tamper-evident: it carries the last
//! id of the page, bound by an HMAC-SHA256 to the key of this kernel and to
//! the request's filters. A token edited by hand, or used with other filters,
//! is refused. The key lives in the store, so tokens survive restarts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tonic::Status;

use crate::status::invalid_field;

/// The page size when a request gives none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page size a request may ask for.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Bytes of MAC kept in a token: 128 bits is beyond guessing.
const MAC_LEN: usize = 16;

/// Issues and checks page tokens.
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

impl PageTokens {
    /// Tokens signed with `key`.
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, scope: &[u8], last_id: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(&(scope.len() as u64).to_be_bytes());
        mac.update(scope);
        mac.update(last_id.as_bytes());
        mac
    }

    /// A token for the page after `last_id`. `scope` identifies the filters
    /// of the request (its encoding without page size and token).
    pub fn issue(&self, scope: &[u8], last_id: &str) -> String {
        let tag = self.mac(scope, last_id).finalize().into_bytes();
        let mut raw = tag[..MAC_LEN].to_vec();
        raw.extend_from_slice(last_id.as_bytes());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The last id in `token`, or `None` for an empty token (the first page).
    pub fn open(&self, scope: &[u8], token: &str) -> Result<Option<String>, Status> {
        if token.is_empty() {
            return Ok(None);
        }
        let refuse = || {
            invalid_field(
                "page_token",
                "is not a token this server issued for these filters: pass next_page_token back unchanged, with the same filters",
            )
        };
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| refuse())?;
        if raw.len() < MAC_LEN {
            return Err(refuse());
        }
        let (tag, last_id) = raw.split_at(MAC_LEN);
        let last_id = std::str::from_utf8(last_id).map_err(|_| refuse())?;
        self.mac(scope, last_id)
            .verify_truncated_left(tag)
            .map_err(|_| refuse())?;
        Ok(Some(last_id.to_owned()))
    }
}

/// The page size to use for a request's `page_size`: 0 means the default;
/// negative or above [`MAX_PAGE_SIZE`] is an error.
pub fn page_size(requested: i32) -> Result<u32, Status> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        1.. if requested as u32 <= MAX_PAGE_SIZE => Ok(requested as u32),
        _ => Err(invalid_field(
            "page_size",
            format!(
                "must be from 0 (the default, {DEFAULT_PAGE_SIZE}) to {MAX_PAGE_SIZE}, not {requested}"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let tokens = PageTokens::new(b"secret".to_vec());
        let token = tokens.issue(b"region=shanghai", "out_01");
        assert_eq!(
            tokens
                .open(b"region=shanghai", &token)
                .ok()
                .flatten()
                .as_deref(),
            Some("out_01")
        );
        assert_eq!(tokens.open(b"", "").ok().flatten(), None);
        assert!(
            tokens.open(b"region=beijing", &token).is_err(),
            "other filters"
        );
        assert!(
            PageTokens::new(b"other".to_vec())
                .open(b"region=shanghai", &token)
                .is_err(),
            "other key"
        );
        let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
        if let Some(last) = raw.last_mut() {
            *last ^= 1;
        }
        assert!(
            tokens
                .open(b"region=shanghai", &URL_SAFE_NO_PAD.encode(raw))
                .is_err(),
            "edited id"
        );
        assert!(tokens.open(b"region=shanghai", "not base64!").is_err());
        assert!(tokens.open(b"region=shanghai", "AAAA").is_err());
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(0).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(1).ok(), Some(1));
        assert_eq!(page_size(1000).ok(), Some(1000));
        assert!(page_size(1001).is_err());
        assert!(page_size(-1).is_err());
    }
}
