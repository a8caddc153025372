//! The kernel's storage seam.
//!
//! Everything the kernel keeps goes through the [`Store`] trait, which is
//! the concerns it holds, one trait each: [`Records`] (outlets, people,
//! licence events, audits), [`OrderLog`] (orders, their event log and the
//! change feed), [`MonthCloses`], [`PluginRegistry`] and [`PluginKv`],
//! [`AuditTrail`] and [`Meta`]. A `dyn Store` answers every concern's
//! methods; `use xingji_store::prelude::*` brings the traits, to call them
//! on a backend's own type. Records are
//! the API's own protobuf messages: a backend keeps each one whole (encoded)
//! beside the few columns that lists filter on, so a new field needs no schema
//! change and there is no second model of the records to keep in step.
//!
//! Backends are crates of their own: `xingji-store-sqlite` (the embedded
//! default) and `xingji-store-postgres` (several kernels on one database).
//! Each passes the one [`conformance`] suite (feature `conformance`).
//!
//! What this crate does not know: SQL, any driver, the order workflow, SLA
//! rules (the kernel hands the store what it indexes, such as an order's
//! due time), gRPC. Its errors ([`StoreError`]) name no driver.
//!
//! Every record carries a `version`. The store, and only the store, bumps it:
//! an update names the version it was read at and is refused with
//! [`StoreError::VersionMismatch`] if the record changed in between, so no
//! update is ever silently lost.
//!
//! Every write that changes records takes the [`AuditEvent`] of the change
//! (who, when, what, to which target, in which region) and appends it to the
//! audit trail in the same transaction: the change and its entry are
//! committed together or not at all, and a write that changes nothing (a
//! retried `create_order`, a plugin installed again) appends nothing. The
//! caller fills the event; the store gives it its place in the hash chain
//! (`seq`, `prev_hash`, `hash`; see [`audit`]), reading the chain's head
//! inside the write's transaction, never from a cache: another process may
//! append too.

pub mod audit;
#[cfg(feature = "conformance")]
pub mod conformance;
mod decisions;
mod error;
mod filters;
mod loads;
mod meta;
mod month_close;
mod order_log;
mod plugins;
mod records;

pub use audit::{AuditEventFilter, StoredAuditEvent};
pub use decisions::{Decisions, RecordedDecision, ShadowTally, Shared};
pub use error::{Result, StoreError};
pub use filters::{AuditFilter, EventFilter, OrderFilter, OutletFilter, Page, PersonFilter};
pub use loads::OpenLoads;
pub use meta::{AuditTrail, Meta};
pub use month_close::{MonthCloseCommit, MonthCloses, SettleTail, ToSettle, settle};
pub use order_log::{CreateOutcome, OrderLog, OrderWrite, order_event};
pub use plugins::{PluginKv, PluginRegistry};
pub use records::Records;

/// The kernel's storage: every concern, from one backend.
///
/// Creates take records with their id already set and store them with
/// version 1. Updates take the record as read and modified: its `version`
/// is the one it was read at, and the stored record gets the next one.
///
/// Every method that changes records takes `audit`, the event of the
/// change, and appends it in the change's own transaction (the crate's
/// documentation says how); a write that fails appends nothing.
pub trait Store:
    Records + OrderLog + MonthCloses + PluginRegistry + PluginKv + Decisions + AuditTrail + Meta
{
}

impl<T> Store for T where
    T: Records + OrderLog + MonthCloses + PluginRegistry + PluginKv + Decisions + AuditTrail + Meta
{
}

/// `Store` and the concern traits, to call their methods on a backend's
/// own type (a `dyn Store` needs none of them in scope).
pub mod prelude {
    pub use crate::{
        AuditTrail as _, Decisions as _, Meta as _, MonthCloses as _, OrderLog as _, PluginKv as _,
        PluginRegistry as _, Records as _, Store,
    };
}
