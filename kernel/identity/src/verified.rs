//! Tokens verified lately. A partner's system or a call centre sends the
//! same token with every call, and checking its signature (Ed25519, RSA)
//! costs more than the rest of a refused call: under a flood that is what
//! the kernel would spend its cores on. A token verified once is taken
//! again, without the signature check, until its own `exp` (with the
//! leeway) or [`REMEMBERED_FOR`], whichever comes first, so that an issuer
//! key withdrawn from a JWKS stops being honoured within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::identity::Identity;
use crate::time;

/// How long a verified token is taken without a second check.
pub(crate) const REMEMBERED_FOR: Duration = Duration::from_secs(30);

/// The most tokens remembered; when full, the memory starts again empty
/// (a flood of distinct tokens only costs their checks, never memory).
const MOST_REMEMBERED: usize = 4096;

/// Verified tokens by the SHA-256 of their text (a key of fixed size, and
/// no token text kept in memory).
#[derive(Default)]
pub(crate) struct VerifiedTokens {
    tokens: Mutex<HashMap<[u8; 32], (Identity, Instant)>>,
}

impl VerifiedTokens {
    /// The identity `token` was verified as, if that is still good now.
    pub(crate) fn get(&self, token: &str, leeway_seconds: u64) -> Option<Identity> {
        let key = digest(token);
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let (identity, verified_at) = tokens.get(&key)?;
        let leeway = i64::try_from(leeway_seconds).unwrap_or(i64::MAX);
        let unexpired = identity
            .expires_at
            .is_none_or(|exp| time::now() < exp.saturating_add(leeway));
        (unexpired && verified_at.elapsed() < REMEMBERED_FOR).then(|| identity.clone())
    }

    /// Remembers that `token` was verified as `identity` just now.
    pub(crate) fn insert(&self, token: &str, identity: &Identity) {
        let key = digest(token);
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= MOST_REMEMBERED && !tokens.contains_key(&key) {
            tokens.clear();
        }
        tokens.insert(key, (identity.clone(), Instant::now()));
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
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
    fn a_token_is_taken_again_until_its_expiry_and_only_that_token() {
        let verified = VerifiedTokens::default();
        let fresh = identity(Some(time::now() + 3600));
        verified.insert("a.b.c", &fresh);
        assert_eq!(verified.get("a.b.c", 30), Some(fresh));
        assert_eq!(verified.get("a.b.d", 30), None, "another token");
        // Past its exp and the leeway: checked again (and refused there).
        verified.insert("old", &identity(Some(time::now() - 31)));
        assert_eq!(verified.get("old", 30), None);
        verified.insert("within-leeway", &identity(Some(time::now() - 10)));
        assert!(verified.get("within-leeway", 30).is_some());
    }

    #[test]
    fn a_full_memory_starts_again_rather_than_grow() {
        let verified = VerifiedTokens::default();
        let someone = identity(None);
        for i in 0..MOST_REMEMBERED {
            verified.insert(&format!("t{i}"), &someone);
        }
        assert!(verified.get("t0", 0).is_some());
        verified.insert("one-more", &someone);
        assert!(
            verified.get("t0", 0).is_none(),
            "the memory was not bounded"
        );
        assert!(verified.get("one-more", 0).is_some());
    }
}
