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
use xingji_api::v1::{
    Audit, LicenceEvent, ListActivationsRequest, ListAuditEventsRequest, ListAuditsRequest,
    ListContractsRequest, ListLicenceEventsRequest, ListMonthClosesRequest, ListOrdersRequest,
    ListOutletsRequest, ListPeopleRequest, ListPluginsRequest, MonthClose, Order, Outlet, Person,
};
use xingji_store::{AuditFilter, OrderFilter, OutletFilter, Page, PersonFilter, StoreError, prelude::*};

use crate::error::{KernelError, Result};
use crate::validate::Violations;

/// The page size when a request gives none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page size a request may ask for.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Bytes of MAC kept in a token: 128 bits is beyond guessing.
const MAC_LEN: usize = 16;
/// The longest token this kernel issues is well under this.
const MAX_TOKEN: usize = 512;

/// What every page token starts with. Base64url may start with `-`, and a
/// token passed to a command line as `--page-token -zQ…` would read as a
/// flag (a README example failed that way one run in 64).
const TOKEN_PREFIX: char = 'p';

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
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
    }

    /// The last id in `token`, or `None` for an empty token (the first page).
    pub fn open(&self, scope: &[u8], token: &str) -> Result<Option<String>> {
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
        let encoded = token.strip_prefix(TOKEN_PREFIX).ok_or_else(refuse)?;
        let raw = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| refuse())?;
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

    /// One page of the records `request` lists: `fetch` reads them from
    /// the store (up to one more than the page holds, which tells whether
    /// another page follows), `id_of` is what the next page starts after.
    /// The token is bound to the request's filters.
    pub async fn list<Q: ListRequest, R, F, Fut>(
        &self,
        request: &Q,
        id_of: impl Fn(&R) -> &str,
        fetch: F,
    ) -> Result<(Vec<R>, String)>
    where
        F: FnOnce(Page) -> Fut,
        Fut: Future<Output = xingji_store::Result<Vec<R>>>,
    {
        let scope = request.filters();
        let limit = page_size(request.page_size())?;
        let after = self.open(&scope, request.page_token())?;
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
                .map(|last| self.issue(&scope, id_of(last)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((records, next))
    }
}

/// The page size to use for a request's `page_size`: 0 means the default;
/// negative or above [`MAX_PAGE_SIZE`] is an error.
pub fn page_size(requested: i32) -> Result<u32> {
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

/// A `List…` request: its page size and token, and the rest of it — the
/// filters its page tokens are bound to.
pub trait ListRequest: Message + Clone {
    /// `page_size`.
    fn page_size(&self) -> i32;
    /// `page_token`.
    fn page_token(&self) -> &str;
    /// The request without its page size and token, encoded: what a page
    /// token is bound to.
    fn filters(&self) -> Vec<u8>;
}

macro_rules! list_requests {
    ($($request:ty),*) => {$(
        impl ListRequest for $request {
            fn page_size(&self) -> i32 {
                self.page_size
            }

            fn page_token(&self) -> &str {
                &self.page_token
            }

            fn filters(&self) -> Vec<u8> {
                let mut filters = self.clone();
                filters.page_size = 0;
                filters.page_token.clear();
                filters.encode_to_vec()
            }
        }
    )*};
}

list_requests!(
    ListOutletsRequest,
    ListAuditsRequest,
    ListPeopleRequest,
    ListLicenceEventsRequest,
    ListOrdersRequest,
    ListMonthClosesRequest,
    ListContractsRequest,
    ListPluginsRequest,
    ListActivationsRequest,
    ListAuditEventsRequest
);

/// A record a store listing returns, paged by id: how the store lists it.
pub trait Listed: Sized + Send {
    /// What the listing filters on.
    type Filter: Sync;

    /// The id a page ends at.
    fn id(&self) -> &str;

    /// One page of the store's listing.
    fn fetch<'a>(store: &'a dyn Store, filter: &'a Self::Filter, page: &'a Page)
    -> Fetch<'a, Self>;
}

/// A store listing under way.
pub type Fetch<'a, R> =
    std::pin::Pin<Box<dyn Future<Output = xingji_store::Result<Vec<R>>> + Send + 'a>>;

macro_rules! listed {
    ($($record:ty, $filter:ty, |$store:ident, $f:ident, $page:ident| $fetch:expr;)*) => {$(
        impl Listed for $record {
            type Filter = $filter;

            fn id(&self) -> &str {
                &self.id
            }

            fn fetch<'a>($store: &'a dyn Store, $f: &'a $filter, $page: &'a Page) -> Fetch<'a, Self> {
                $fetch
            }
        }
    )*};
}

listed! {
    Outlet, OutletFilter, |store, filter, page| store.list_outlets(filter, page);
    Person, PersonFilter, |store, filter, page| store.list_people(filter, page);
    Order, OrderFilter, |store, filter, page| store.list_orders(filter, page);
    Audit, AuditFilter, |store, filter, page| store.list_audits(filter, page);
    LicenceEvent, String, |store, person, page| store.list_licence_events(person, page);
    MonthClose, Option<Vec<String>>, |store, regions, page| store.list_month_closes(regions.as_deref(), page);
}

/// Every record of a store listing, read a page at a time.
pub async fn read_all<R: Listed>(
    store: &dyn Store,
    filter: &R::Filter,
) -> Result<Vec<R>, StoreError> {
    let mut all: Vec<R> = Vec::new();
    let mut after = None;
    loop {
        let page = Page { after, limit: 1000 };
        let read = R::fetch(store, filter, &page).await?;
        let done = read.len() < 1000;
        all.extend(read);
        if done {
            return Ok(all);
        }
        after = all.last().map(|r| r.id().to_owned());
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
        let encoded = token.strip_prefix(TOKEN_PREFIX).expect("the prefix");
        let mut raw = URL_SAFE_NO_PAD.decode(encoded).expect("base64url");
        let untouched = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(&raw));
        assert!(tokens.open(b"region=shanghai", &untouched).is_ok());
        if let Some(last) = raw.last_mut() {
            *last ^= 1;
        }
        let edited = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
        assert!(
            tokens.open(b"region=shanghai", &edited).is_err(),
            "edited id"
        );
        assert!(
            tokens.open(b"region=shanghai", encoded).is_err(),
            "no prefix"
        );
        // A command line never reads a token as a flag.
        for n in 0..512 {
            let token = tokens.issue(b"region=shanghai", &format!("out_{n}"));
            assert!(token.starts_with(TOKEN_PREFIX), "{token}");
        }
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
