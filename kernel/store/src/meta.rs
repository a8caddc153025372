//! The audit trail's table and the kernel's own settings.

use async_trait::async_trait;
use xingji_api::v1::AuditEvent;

use crate::audit::{AuditEventFilter, StoredAuditEvent};
use crate::{Page, Result};

/// The audit trail. (The writes of records append their own events, in
/// their transactions; this is the rest.)
#[async_trait]
pub trait AuditTrail: Send + Sync + 'static {
    /// Appends an audit event that goes with no change of records (a
    /// denial, a token issued), in a transaction of its own. Returns it
    /// with its `seq`, `prev_hash` and `hash`.
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEvent>;
    /// Lists audit events, oldest first, paged by `seq` (`page.after` is
    /// the decimal `seq` of the previous page's last event).
    async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
        page: &Page,
    ) -> Result<Vec<AuditEvent>>;
    /// The stored audit trail after `after_seq`, in order, at most `limit`
    /// entries, as stored: what [`crate::audit::verify_chain`] checks.
    async fn audit_chain(&self, after_seq: u64, limit: u32) -> Result<Vec<StoredAuditEvent>>;
}

/// Kernel settings that must survive restarts.
#[async_trait]
pub trait Meta: Send + Sync + 'static {
    /// Returns the value stored under `key`, setting it to `init` first if
    /// there is none (once, whichever process sharing the database comes
    /// first). Used for settings such as the page-token key.
    async fn meta_get_or_init(&self, key: &str, init: &[u8]) -> Result<Vec<u8>>;
}
