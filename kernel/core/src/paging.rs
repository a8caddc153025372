//! Pages of every `List…` method: page sizes, page tokens, and the filters
//! that tokens are bound to; and reading every page of a store listing.
//!
//! A page token is opaque to clients and tamper-evident: it carries the last
//! id of the page, bound by an HMAC-SHA256 to this kernel's key and to the
//! request's filters. A token edited by hand, or used with other filters, is
//! refused. The key lives in the store, so tokens survive restarts.

use std::future::Future;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use prost::Message;
use sha2::Sha256;
use xingji_store::{Page, StoreError};

use crate::error::KernelError;
use crate::validate::Violations;

/// The page size when a request gives none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page size a request may ask for.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Bytes of MAC kept in a token: 128 bits is beyond guessing.
const MAC_LEN: usize = 16;
/// The longest token this kernel issues is well under this.
const MAX_TOKEN: usize = 512;

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
    pub fn open(&self, scope: &[u8], token: &str) -> Result<Option<String>, KernelError> {
        if token.is_empty() {
            return Ok(None);
        }
        let refuse = || {
            KernelError::invalid(
                "page_token",
                "is not a token this server issued for these filters: pass next_page_token back unchanged, with the same filters",
            )
        };
        if token.len() > MAX_TOKEN {
            return Err(refuse());
        }
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

    /// One page of a listing: `fetch` gets up to one record more than the
    /// page holds, which tells whether another page follows. `scope` is the
    /// request without page size and token (see [`scope`]).
    pub async fn page<R, F, Fut>(
        &self,
        scope: &[u8],
        requested_size: i32,
        token: &str,
        id_of: impl Fn(&R) -> &str,
        fetch: F,
    ) -> Result<(Vec<R>, String), KernelError>
    where
        F: FnOnce(Page) -> Fut,
        Fut: Future<Output = xingji_store::Result<Vec<R>>>,
    {
        let limit = page_size(requested_size)?;
        let after = self.open(scope, token)?;
        let mut records = fetch(Page {
            after,
            limit: limit + 1,
        })
        .await
        .map_err(|error| KernelError::store(error, "listing", ""))?;
        let next = if records.len() > limit as usize {
            records.truncate(limit as usize);
            records
                .last()
                .map(|last| self.issue(scope, id_of(last)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((records, next))
    }
}

/// The page size to use for a request's `page_size`: 0 means the default;
/// negative or above [`MAX_PAGE_SIZE`] is an error.
pub fn page_size(requested: i32) -> Result<u32, KernelError> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        1.. if requested as u32 <= MAX_PAGE_SIZE => Ok(requested as u32),
        _ => Err(KernelError::invalid(
            "page_size",
            format!(
                "must be from 0 (the default, {DEFAULT_PAGE_SIZE}) to {MAX_PAGE_SIZE}, not {requested}"
            ),
        )),
    }
}

/// The encoding of a list request without its page size and token: what a
/// page token is bound to.
pub fn scope<M: Message + Clone>(request: &M, clear_paging: impl FnOnce(&mut M)) -> Vec<u8> {
    let mut scope = request.clone();
    clear_paging(&mut scope);
    scope.encode_to_vec()
}

/// Reads every page of a store listing.
pub async fn read_all<R, F, Fut>(
    mut fetch: F,
    id: impl Fn(&R) -> String,
) -> Result<Vec<R>, StoreError>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<Vec<R>, StoreError>>,
{
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(Page {
            after: after.clone(),
            limit: 1000,
        })
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(&id);
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// `Some` of a non-empty string filter.
pub fn text_filter(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// `Some` of a set enum filter; a value the API does not define is the
/// request's `field`'s fault.
pub fn enum_filter<E: TryFrom<i32>>(
    violations: &mut Violations,
    field: &str,
    value: i32,
) -> Option<i32> {
    violations.enumeration::<E>(field, value, true);
    (value != 0).then_some(value)
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
        assert!(
            tokens
                .open(b"region=shanghai", &"A".repeat(100_000))
                .is_err()
        );
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
