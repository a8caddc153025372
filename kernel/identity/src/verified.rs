//! Tokens already verified: a client sends the same token with every call
//! until it expires, and checking its signature each time was 6 % of
//! intake's CPU (issue 12's profile). Only the signature and claims check
//! is saved; the kernel still admits the identity on every call, so a
//! deactivated principal is refused at once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::identity::Identity;

/// The most tokens kept. A full cache drops its expired entries, and if
/// that frees nothing, all of them: a flood of distinct tokens costs their
/// signature checks, never memory.
const MAX_TOKENS: usize = 4096;

/// Verified tokens by their text, each until its `exp` plus the leeway.
#[derive(Default)]
pub(crate) struct Verified(Mutex<HashMap<Box<str>, Identity>>);

impl Verified {
    /// The identity `token` was verified as, if it has not expired by
    /// `now` (unix seconds).
    pub(crate) fn get(&self, token: &str, now: i64, leeway: u64) -> Option<Identity> {
        let map = self.lock();
        let identity = map.get(token)?;
        live(identity, now, leeway).then(|| identity.clone())
    }

    /// Keeps `identity`, just verified from `token`.
    pub(crate) fn insert(&self, token: &str, identity: &Identity, now: i64, leeway: u64) {
        let mut map = self.lock();
        if map.len() >= MAX_TOKENS {
            map.retain(|_, kept| live(kept, now, leeway));
            if map.len() >= MAX_TOKENS {
                map.clear();
            }
        }
        map.insert(token.into(), identity.clone());
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, Identity>> {
        // Entries are inserted and removed whole: a panic leaves none torn.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a token verified as `identity` is still within its lifetime.
/// (A token has an `exp`: it is required. One without is never kept.)
fn live(identity: &Identity, now: i64, leeway: u64) -> bool {
    let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
    identity
        .expires_at
        .is_some_and(|exp| now <= exp.saturating_add(leeway))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(expires_at: Option<i64>) -> Identity {
        Identity {
            issuer: "xingji".into(),
            subject: "07".into(),
            role: "call-centre".into(),
            regions: vec!["shanghai".into()],
            outlet: None,
            person: None,
            permissions: Vec::new(),
            expires_at,
        }
    }

    #[test]
    fn a_token_is_kept_until_it_expires() {
        let cache = Verified::default();
        cache.insert("t", &identity(Some(1_000)), 900, 30);
        assert_eq!(cache.get("t", 1_000, 30), Some(identity(Some(1_000))));
        assert_eq!(cache.get("t", 1_030, 30), Some(identity(Some(1_000))));
        assert_eq!(cache.get("t", 1_031, 30), None);
        assert_eq!(cache.get("other", 900, 30), None);
        cache.insert("forever", &identity(None), 900, 30);
        assert_eq!(cache.get("forever", 900, 30), None);
    }

    #[test]
    fn a_full_cache_drops_the_expired_then_everything() {
        let cache = Verified::default();
        for i in 0..MAX_TOKENS {
            let expires = if i % 2 == 0 { 100 } else { 10_000 };
            cache.insert(&i.to_string(), &identity(Some(expires)), 0, 0);
        }
        cache.insert("new", &identity(Some(10_000)), 200, 0);
        assert_eq!(cache.lock().len(), MAX_TOKENS / 2 + 1);
        assert!(cache.get("1", 200, 0).is_some());
        for i in 0..MAX_TOKENS {
            cache.insert(&format!("more{i}"), &identity(Some(10_000)), 200, 0);
        }
        assert!(cache.lock().len() <= MAX_TOKENS);
        assert!(cache.get("new", 200, 0).is_none() || cache.lock().len() < MAX_TOKENS);
    }
}
