//! The open loads, kept in memory. Dispatch asks for its region's loads
//! with every order, and reading them from `open_loads` was a query and a
//! JSON parse per order (the largest item of dispatch in benchmark 2's
//! profile). The table, kept by triggers, stays the durable truth: a
//! region's loads are read from it once, under the writer lock, and then
//! follow the writes of this process, each applied after its commit and
//! before the writer lock is let go. (One process per file: nothing else
//! writes.) Only writes to `orders` move them; one that does not say how
//! (an import) forgets them all, and they are read again
//! when next asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use xingji_store::OpenLoads;

/// One order's move in the loads: `delta` orders in hand for an outlet
/// and engineer of a region.
pub(super) struct LoadMove<'a> {
    pub(super) region: &'a str,
    pub(super) outlet: &'a str,
    pub(super) engineer: &'a str,
    pub(super) delta: i64,
}

/// The loads of the regions asked for since they were last forgotten.
#[derive(Debug, Default)]
pub(super) struct Loads(Mutex<HashMap<String, Arc<OpenLoads>>>);

impl Loads {
    /// `region`'s loads, if they are kept.
    pub(super) fn get(&self, region: &str) -> Option<Arc<OpenLoads>> {
        self.lock().get(region).cloned()
    }

    /// Keeps `region`'s loads, just read from the table (under the writer
    /// lock, so no write lands between the read and this).
    pub(super) fn keep(&self, region: &str, loads: Arc<OpenLoads>) {
        self.lock().insert(region.to_owned(), loads);
    }

    /// Applies committed moves (under the writer lock). Regions not kept
    /// are read whole when asked for.
    pub(super) fn apply<'a>(&self, moves: impl IntoIterator<Item = LoadMove<'a>>) {
        let mut map = self.lock();
        for LoadMove {
            region,
            outlet,
            engineer,
            delta,
        } in moves
        {
            if let Some(loads) = map.get_mut(region) {
                // Copied only if a dispatch still holds the old loads: once
                // per group commit, not per order.
                Arc::make_mut(loads).add(outlet, engineer, delta);
            }
        }
    }

    /// Forgets every region's loads (under the writer lock): a write may
    /// have moved them in ways it does not say.
    pub(super) fn forget(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<OpenLoads>>> {
        // Every change is one map or count operation: a panic leaves none torn.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
