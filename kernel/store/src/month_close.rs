//! The month close: everything one close writes, in one transaction.

use async_trait::async_trait;
use xingji_api::v1::{AuditEvent, HistoryEntry, LicenceEvent, MonthClose, Order, Outlet, Person};

use crate::{Page, Result};

/// Everything a month close writes, in one transaction.
pub struct MonthCloseCommit {
    /// The close, stored under its region and month.
    pub close: MonthClose,
    /// Outlets with their new grade and status, at the version read.
    pub outlets: Vec<Outlet>,
    /// People with their new licence points and state, at the version
    /// read, and the licence events that moved them.
    pub people: Vec<(Person, Vec<LicenceEvent>)>,
    /// The orders to settle, by id, each at the version it was read at.
    /// They are read again inside the commit's transaction, in batches, so
    /// that a close of a million orders does not hold them all.
    pub settle: Vec<(String, i64)>,
    /// What settling writes on each of [`Self::settle`], as the kernel made
    /// it: this history entry appended as it is, the order's status and
    /// update time set to the entry's; it is no longer due nor in hand. The update
    /// appends the entry's event, as for any order write.
    pub settlement: HistoryEntry,
    /// The audit event of the close (one for the whole close).
    pub audit: AuditEvent,
}

/// Settles `order`, read at version `read_at` (its entry in
/// [`MonthCloseCommit::settle`]), as every backend writes it back:
/// `settlement` appended, status and update time set from it, the version
/// bumped. `VersionMismatch` if the order moved since it was read.
pub fn settle_order(order: &mut Order, read_at: i64, settlement: &HistoryEntry) -> Result<()> {
    if order.version != read_at {
        return Err(crate::StoreError::VersionMismatch {
            current: order.version,
        });
    }
    order.status = settlement.status;
    order.update_time = settlement.time;
    order.history.push(settlement.clone());
    order.version += 1;
    Ok(())
}

impl std::fmt::Debug for MonthCloseCommit {
    // Not derived: a big close's records would fill a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonthCloseCommit")
            .field("close", &self.close.id)
            .field("outlets", &self.outlets.len())
            .field("people", &self.people.len())
            .field("settle", &self.settle.len())
            .finish_non_exhaustive()
    }
}

/// Month closes.
#[async_trait]
pub trait MonthCloses: Send + Sync + 'static {
    /// The close of `month` (`YYYY-MM`) in `region`.
    async fn get_month_close(&self, region: &str, month: &str) -> Result<MonthClose>;
    /// Stored closes by region, then month, of `regions` (`None`: all).
    async fn list_month_closes(
        &self,
        regions: Option<&[String]>,
        page: &Page,
    ) -> Result<Vec<MonthClose>>;
    /// Writes a month close, all or nothing, once: `AlreadyExists("month
    /// close")` if the month is closed already (also when another process
    /// sharing the database closes it at the same moment), `VersionMismatch`
    /// if any record changed since it was read. Appends `commit.audit`.
    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose>;
}
