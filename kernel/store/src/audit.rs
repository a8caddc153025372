//! The audit trail, whatever the backend: what an entry's hash is, how a
//! stored entry looks, and the check of the whole chain.
//!
//! An entry is stored as `body`, the encoded `AuditEvent` with `seq` set and
//! `prev_hash` and `hash` empty, exactly as it was hashed:
//! `hash = hex(SHA-256(prev_hash || body))`, where `prev_hash` is the
//! previous entry's hash as its 64 hex characters ([`GENESIS_HASH`] for the
//! first). Editing, removing or reordering any stored entry breaks the
//! chain at that entry, which [`ChainVerifier`] names. (Cutting entries off
//! the end cannot be seen from inside the chain: compare the head with one
//! kept elsewhere.)
//!
//! This file names nothing of the rest of the crate: backends and the
//! `Store` trait build on it, not it on them.

use prost::Message;
use prost_types::Timestamp;
use sha2::{Digest, Sha256};
use xingji_api::v1::AuditEvent;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many entries [`verify_chain`] reads at a time.
pub const VERIFY_PAGE: u32 = 1000;

/// Filters for `Store::list_audit_events`; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditEventFilter {
    /// Only these regions (`None`: every region and the global actions,
    /// whose region is `""`).
    pub regions: Option<Vec<String>>,
    /// Only this principal.
    pub principal: Option<String>,
    /// Only this operation.
    pub operation: Option<String>,
    /// Only this `AuditOutcome`.
    pub outcome: Option<i32>,
    /// Only entries at or after this time.
    pub since: Option<Timestamp>,
    /// Only entries before this time.
    pub until: Option<Timestamp>,
}

/// One entry as a backend stores it: the hashed body, the links of the
/// chain, and copies of the body's fields that lists filter on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEvent {
    /// The entry's place: 1, 2, 3, … with no gaps.
    pub seq: u64,
    /// The body's `time`, as [`time_ns`] gives it.
    pub time_ns: i64,
    /// The body's `region`.
    pub region: String,
    /// The body's `principal`.
    pub principal: String,
    /// The body's `operation`.
    pub operation: String,
    /// The body's `outcome`.
    pub outcome: i32,
    /// The encoded event with `seq` set and both hashes empty.
    pub body: Vec<u8>,
    /// The previous entry's `hash`.
    pub prev_hash: String,
    /// [`chain_hash`] of `prev_hash` and `body`.
    pub hash: String,
}

impl StoredAuditEvent {
    /// The event as the API shows it: the body with its two hashes.
    pub fn event(&self) -> Result<AuditEvent, prost::DecodeError> {
        let mut event = AuditEvent::decode(self.body.as_slice())?;
        event.prev_hash = self.prev_hash.clone();
        event.hash = self.hash.clone();
        Ok(event)
    }
}

/// A time as one integer column: nanoseconds since the Unix epoch
/// (saturating: the kernel's times are within 1980–2100, far inside).
/// `None` is 0.
pub fn time_ns(time: Option<&Timestamp>) -> i64 {
    time.map_or(0, |time| {
        time.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(time.nanos))
    })
}

/// `hex(SHA-256(prev_hash || body))`, lowercase.
pub fn chain_hash(prev_hash: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Makes `event` entry `seq` of the chain after an entry whose hash is
/// `prev_hash`: the row to store, and the event as the API shows it.
pub fn seal(mut event: AuditEvent, seq: u64, prev_hash: &str) -> (StoredAuditEvent, AuditEvent) {
    event.seq = seq;
    event.prev_hash.clear();
    event.hash.clear();
    let body = event.encode_to_vec();
    let hash = chain_hash(prev_hash, &body);
    let row = StoredAuditEvent {
        seq,
        time_ns: time_ns(event.time.as_ref()),
        region: event.region.clone(),
        principal: event.principal.clone(),
        operation: event.operation.clone(),
        outcome: event.outcome,
        body,
        prev_hash: prev_hash.to_owned(),
        hash: hash.clone(),
    };
    event.prev_hash = prev_hash.to_owned();
    event.hash = hash;
    (row, event)
}

/// Where the chain breaks: the first bad entry and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit event {seq}: {reason}")]
pub struct ChainBreak {
    /// The first entry that does not check out (for a missing entry, the
    /// seq that is missing).
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// How far a chain checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Entries checked.
    pub events: u64,
    /// The last entry's hash ([`GENESIS_HASH`] for an empty chain).
    pub hash: String,
}

/// Checks a chain one entry at a time, in order, holding only the last
/// link: a chain of any length checks in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// A verifier expecting entry 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry: its seq follows the last, its `prev_hash` is
    /// the last one's hash, its hash recomputes from its own `prev_hash`
    /// and body, and each copied column equals the body's field.
    pub fn check(&mut self, row: &StoredAuditEvent) -> Result<(), ChainBreak> {
        let expected = self.next_seq;
        let broken = |seq: u64, reason: String| Err(ChainBreak { seq, reason });
        if row.seq > expected {
            return broken(
                expected,
                format!(
                    "is missing: the entry after {} is {}",
                    expected - 1,
                    row.seq
                ),
            );
        }
        if row.seq < expected {
            return broken(
                row.seq,
                format!("is out of order: it comes after entry {}", expected - 1),
            );
        }
        if row.prev_hash != self.prev_hash {
            return broken(
                row.seq,
                format!(
                    "its prev_hash {} is not the hash of the entry before, {}",
                    row.prev_hash, self.prev_hash
                ),
            );
        }
        if chain_hash(&row.prev_hash, &row.body) != row.hash {
            return broken(
                row.seq,
                format!(
                    "its hash {} is not the hash of its prev_hash and body: the entry was changed",
                    row.hash
                ),
            );
        }
        let body = match AuditEvent::decode(row.body.as_slice()) {
            Ok(body) => body,
            Err(error) => return broken(row.seq, format!("its body does not decode: {error}")),
        };
        let mismatch = |column: &str, stored: String, body: String| {
            broken(
                row.seq,
                format!("its {column} column says {stored}, its body {body}"),
            )
        };
        if body.seq != row.seq {
            return mismatch("seq", row.seq.to_string(), body.seq.to_string());
        }
        let body_time = time_ns(body.time.as_ref());
        if body_time != row.time_ns {
            return mismatch("time", row.time_ns.to_string(), body_time.to_string());
        }
        if body.region != row.region {
            return mismatch(
                "region",
                format!("{:?}", row.region),
                format!("{:?}", body.region),
            );
        }
        if body.principal != row.principal {
            return mismatch(
                "principal",
                format!("{:?}", row.principal),
                format!("{:?}", body.principal),
            );
        }
        if body.operation != row.operation {
            return mismatch(
                "operation",
                format!("{:?}", row.operation),
                format!("{:?}", body.operation),
            );
        }
        if body.outcome != row.outcome {
            return mismatch("outcome", row.outcome.to_string(), body.outcome.to_string());
        }
        if !body.prev_hash.is_empty() || !body.hash.is_empty() {
            return broken(row.seq, "its body carries hashes; it must not".to_owned());
        }
        self.next_seq += 1;
        self.prev_hash = row.hash.clone();
        Ok(())
    }

    /// The entries checked so far and the last one's hash.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            events: self.next_seq - 1,
            hash: self.prev_hash.clone(),
        }
    }
}

/// Why [`verify_chain`] did not verify a chain.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError<E> {
    /// The chain is broken.
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    /// Reading it failed.
    #[error("reading the audit trail failed: {0}")]
    Read(E),
}

/// Checks a whole chain, [`VERIFY_PAGE`] entries at a time: `read(after,
/// limit)` returns the stored entries after seq `after`, in order (as
/// `Store::audit_chain` does); `progress` hears the count checked after
/// each page. Returns the head of a sound chain, or the first break.
pub async fn verify_chain<E>(
    mut read: impl AsyncFnMut(u64, u32) -> Result<Vec<StoredAuditEvent>, E>,
    mut progress: impl FnMut(u64),
) -> Result<ChainHead, VerifyError<E>> {
    let mut verifier = ChainVerifier::new();
    loop {
        let after = verifier.head().events;
        let rows = read(after, VERIFY_PAGE).await.map_err(VerifyError::Read)?;
        for row in &rows {
            verifier.check(row)?;
        }
        progress(verifier.head().events);
        if rows.len() < VERIFY_PAGE as usize {
            return Ok(verifier.head());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(operation: &str) -> AuditEvent {
        AuditEvent {
            time: Some(Timestamp {
                seconds: 1_790_000_000,
                nanos: 5,
            }),
            principal: "hq:boss".into(),
            operation: operation.into(),
            target: "outlets/out_1".into(),
            region: "qingdao".into(),
            outcome: 1,
            ..AuditEvent::default()
        }
    }

    fn chain(length: u64) -> Vec<StoredAuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=length)
            .map(|seq| {
                let (row, sealed) = seal(event("outlets.update"), seq, &prev);
                prev = sealed.hash;
                row
            })
            .collect()
    }

    fn check_all(rows: &[StoredAuditEvent]) -> Result<ChainHead, ChainBreak> {
        let mut verifier = ChainVerifier::new();
        for row in rows {
            verifier.check(row)?;
        }
        Ok(verifier.head())
    }

    #[test]
    fn the_hash_is_sha256_of_the_previous_hash_and_the_body() {
        // SHA-256 of the empty string, and of "abc": fixed by the standard.
        assert_eq!(
            chain_hash("", b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(chain_hash("a", b"bc"), chain_hash("ab", b"c"));
        assert_eq!(
            chain_hash("ab", b"c"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (row, sealed) = seal(event("outlets.create"), 1, GENESIS_HASH);
        assert_eq!(row.hash, chain_hash(GENESIS_HASH, &row.body));
        assert_eq!(sealed.hash, row.hash);
        assert_eq!(sealed.prev_hash, GENESIS_HASH);
        let body = AuditEvent::decode(row.body.as_slice()).expect("decodes");
        assert_eq!(
            (body.seq, body.hash.as_str(), body.prev_hash.as_str()),
            (1, "", "")
        );
        assert_eq!(row.event().expect("decodes"), sealed);
        assert_eq!(row.time_ns, 1_790_000_000_000_000_005);
    }

    #[test]
    fn a_sound_chain_verifies_and_any_change_names_its_entry() {
        let rows = chain(5);
        let head = check_all(&rows).expect("sound");
        assert_eq!(
            (head.events, head.hash.as_str()),
            (5, rows[4].hash.as_str())
        );
        assert_eq!(check_all(&[]).expect("empty").hash, GENESIS_HASH);

        let broken_at = |edit: &dyn Fn(&mut Vec<StoredAuditEvent>)| {
            let mut rows = chain(5);
            edit(&mut rows);
            check_all(&rows).expect_err("broken")
        };
        let body = broken_at(&|rows| {
            let last = rows[2].body.len() - 1;
            rows[2].body[last] ^= 1;
        });
        assert_eq!(body.seq, 3);
        assert!(body.reason.contains("hash"), "{body}");
        let hash = broken_at(&|rows| rows[1].hash = "0".repeat(64));
        assert_eq!(hash.seq, 2);
        let outcome = broken_at(&|rows| rows[3].outcome = 2);
        assert_eq!(outcome.seq, 4);
        assert!(outcome.reason.contains("outcome column"), "{outcome}");
        let region = broken_at(&|rows| rows[0].region = "beijing".into());
        assert_eq!(region.seq, 1);
        let time = broken_at(&|rows| rows[4].time_ns += 1);
        assert_eq!(time.seq, 5);
        let gone = broken_at(&|rows| {
            rows.remove(2);
        });
        assert_eq!(gone.seq, 3);
        assert!(gone.reason.contains("missing"), "{gone}");
        let swapped = broken_at(&|rows| rows.swap(1, 2));
        assert_eq!(swapped.seq, 2);
        // A whole entry rewritten with a correct hash of its own still
        // breaks: its successor no longer links to it.
        let rewritten = broken_at(&|rows| {
            let (row, _) = seal(event("outlets.delete"), 2, &rows[0].hash);
            rows[1] = row;
        });
        assert_eq!(rewritten.seq, 3);
        assert!(rewritten.reason.contains("prev_hash"), "{rewritten}");
    }

    #[tokio::test]
    async fn verify_chain_reads_page_by_page() {
        let rows = chain(u64::from(VERIFY_PAGE) * 2 + 1);
        let mut reads = Vec::new();
        let mut counts = Vec::new();
        let head = verify_chain(
            async |after: u64, limit: u32| {
                reads.push(after);
                let rest = rows.iter().skip(after as usize).take(limit as usize);
                Ok::<_, String>(rest.cloned().collect())
            },
            |count| counts.push(count),
        )
        .await
        .expect("sound");
        assert_eq!(head.events, rows.len() as u64);
        assert_eq!(reads, [0, 1000, 2000]);
        assert_eq!(counts, [1000, 2000, 2001]);

        let failing = verify_chain(async |_, _| Err("disk gone"), |_| {}).await;
        assert!(matches!(failing, Err(VerifyError::Read("disk gone"))));
    }
}
