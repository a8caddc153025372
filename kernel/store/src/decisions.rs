//! Plugin decisions as the kernel records them: what a plugin was asked
//! and what it answered, for replay and for a shadow's report. An active
//! plugin's decision is written with the order write that applies it
//! ([`OrderWrite::decision`](crate::OrderWrite::decision)), in the same
//! transaction; a shadow's on its own ([`Decisions::record_decision`]),
//! since nothing applies it.

use async_trait::async_trait;
use xingji_api::v1::PluginDecision;

use prost::Message;

use crate::{Result, StoreError};

/// A decision to keep: the record the API shows, whose `request_json` is
/// left empty, and the request in the kernel's compact encoding (the
/// plugin host's `record` module reads it back), in two parts: its own,
/// and what it shares with other decisions, kept once by its digest.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedDecision {
    /// The record.
    pub decision: PluginDecision,
    /// The request's own part, encoded.
    pub request: Vec<u8>,
    /// The part it shares.
    pub shared: Shared,
}

/// Bytes many records share, kept once by their digest (a dispatch's
/// candidates while the network stands).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shared {
    /// Their SHA-256; empty for a record of before they were kept apart.
    pub digest: Vec<u8>,
    /// The bytes; read back with the record.
    pub body: Vec<u8>,
}

impl RecordedDecision {
    /// A stored decision: `record` the encoded `PluginDecision`, as every
    /// backend keeps it, `request` its own part, and the shared part's
    /// digest and body (`None` for a decision recorded before).
    pub fn decode(
        record: &[u8],
        request: Vec<u8>,
        shared: (Option<Vec<u8>>, Option<Vec<u8>>),
    ) -> Result<Self> {
        let decision = PluginDecision::decode(record)
            .map_err(|error| StoreError::Backend(format!("a stored decision: {error}")))?;
        let shared = Shared {
            digest: shared.0.unwrap_or_default(),
            body: shared.1.unwrap_or_default(),
        };
        Ok(RecordedDecision {
            decision,
            request,
            shared,
        })
    }
}

/// What a shadow plugin's recorded decisions in one region and slot add
/// up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShadowTally {
    /// Decisions recorded.
    pub decisions: u64,
    /// Of them, those that agree with the active plugin's.
    pub agreed: u64,
    /// Of them, the calls that failed.
    pub failures: u64,
    /// The latest that do not agree, newest first.
    pub differing: Vec<RecordedDecision>,
}

/// Recorded plugin decisions.
#[async_trait]
pub trait Decisions: Send + Sync + 'static {
    /// Records a decision made apart from any order write (a shadow's).
    async fn record_decision(&self, decision: RecordedDecision) -> Result<()>;
    /// The decisions recorded for an order, oldest first.
    async fn list_decisions(&self, order_id: &str) -> Result<Vec<RecordedDecision>>;
    /// The shadow decisions of `plugin` (`name@version`) in `region`'s
    /// `slot` (the API's number), with at most `max_differing` of the
    /// latest that disagree.
    async fn shadow_tally(
        &self,
        region: &str,
        slot: i32,
        plugin: &str,
        max_differing: u32,
    ) -> Result<ShadowTally>;
}
