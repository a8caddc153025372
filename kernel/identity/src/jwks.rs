//! An issuer's JWKS: fetched at start, refreshed on a timer, and fetched
//! again when a token names a key we do not have (key rotation) — at most
//! once per [`KID_REFETCH_INTERVAL`], so a stream of tokens with made-up key
//! ids cannot turn into a stream of fetches. A failed fetch keeps the keys
//! we had.

use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use http::Uri;
use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::{Instant, MissedTickBehavior};

use crate::http::HttpClient;
use crate::keys::TrustedKey;

/// The least time between two fetches for unknown key ids.
pub const KID_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// One issuer's JWKS endpoint and the keys last read from it.
pub(crate) struct JwksSource {
    issuer: String,
    uri: Uri,
    http: HttpClient,
    keys: RwLock<Arc<Vec<TrustedKey>>>,
    /// When the last fetch for an unknown key id began; held across that
    /// fetch, so that requests arriving meanwhile wait for its keys.
    last_kid_refetch: Mutex<Option<Instant>>,
}

/// A JWKS document, each key kept raw so that one key we cannot read does
/// not cost us the others.
#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

impl JwksSource {
    pub(crate) fn new(issuer: String, uri: Uri, http: HttpClient) -> Self {
        Self {
            issuer,
            uri,
            http,
            keys: RwLock::new(Arc::new(Vec::new())),
            last_kid_refetch: Mutex::new(None),
        }
    }

    /// The keys last fetched.
    pub(crate) fn keys(&self) -> Arc<Vec<TrustedKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fetches the document and, if it reads, puts its keys in place of
    /// ours; a failure is logged and the keys we had stay.
    pub(crate) async fn refresh(&self) {
        match self.fetch().await {
            Ok(keys) => {
                if keys.is_empty() {
                    tracing::warn!(issuer = %self.issuer, uri = %self.uri, "JWKS has no key we can use");
                } else {
                    tracing::debug!(issuer = %self.issuer, keys = keys.len(), "JWKS fetched");
                }
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
            }
            Err(error) => {
                tracing::warn!(issuer = %self.issuer, uri = %self.uri, %error, "JWKS fetch failed; keeping the keys we had");
            }
        }
    }

    /// Fetches again for a token whose key we lack, unless a fetch for that
    /// reason began less than [`KID_REFETCH_INTERVAL`] ago. Callers look
    /// their key up again afterwards either way: a concurrent fetch may have
    /// brought it.
    pub(crate) async fn refetch_for_unknown_key(&self) {
        let mut last = self.last_kid_refetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < KID_REFETCH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        self.refresh().await;
    }

    /// Refreshes every `period` until the source is dropped (the task holds
    /// it weakly).
    pub(crate) fn spawn_refresher(self: &Arc<Self>, period: Duration) {
        let source: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(source) = source.upgrade() else {
                    return;
                };
                source.refresh().await;
            }
        });
    }

    async fn fetch(&self) -> Result<Vec<TrustedKey>, String> {
        let body = self.http.get(&self.uri).await?;
        let document: Document =
            serde_json::from_slice(&body).map_err(|e| format!("not a JWKS document: {e}"))?;
        let mut keys = Vec::with_capacity(document.keys.len());
        for raw in document.keys {
            let kid = raw.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
            let read = serde_json::from_value::<Jwk>(raw)
                .map_err(|e| format!("is not a JWK: {e}"))
                .and_then(|jwk| TrustedKey::from_jwk(&jwk));
            match read {
                Ok(key) => keys.push(key),
                // Encryption keys and the like are expected in a JWKS:
                // skipped, and said at debug level only.
                Err(reason) => {
                    tracing::debug!(issuer = %self.issuer, ?kid, %reason, "JWKS key skipped");
                }
            }
        }
        Ok(keys)
    }
}
