//! Caps on plugin calls running at once: one per region and slot
//! (`[plugins] max_concurrent_calls`, or the region's
//! `limits.<slot>.concurrency`), so that one region's slow or hostile
//! plugin cannot take the instance pool from the others; and one for the
//! whole kernel, the pool's size less what `describe` needs, as the last
//! guard, so that wasmtime's "maximum concurrent limit" can never be what
//! a call meets.
//!
//! A call beyond a cap waits at most [`QUEUE_WAIT`] for a running call to
//! end, then is refused with [`KernelError::PluginBusy`]
//! (`RESOURCE_EXHAUSTED`). The short wait lets a burst of ordinary calls
//! (a dispatch takes well under a millisecond) queue instead of failing,
//! while calls held by a hostile plugin, which take their whole deadline,
//! turn the excess away at once rather than queueing requests behind them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use xingji_plugin_host::{POOL_DESCRIBE_HEADROOM, POOL_INSTANCES, Slot};

use crate::error::{KernelError, PluginBusy, Result};

/// Shadow calls running at once, over every region (`shadow.rs`): beyond,
/// a shadow decision is skipped, not queued, so that a flood cannot grow
/// a backlog of work nobody waits for.
pub const SHADOW_CALLS: usize = 4;

/// How long a call beyond a cap waits for a place.
pub const QUEUE_WAIT: Duration = Duration::from_millis(25);

/// Each region and slot's cap, and its semaphore.
type SlotCaps = HashMap<(String, Slot), (usize, Arc<Semaphore>)>;

/// The permits of calls running now.
pub(crate) struct CallPermits {
    /// Per region and slot.
    slots: Mutex<SlotCaps>,
    /// The whole kernel's.
    kernel: Arc<Semaphore>,
    kernel_cap: usize,
}

/// A call's places under both caps, given back when it is dropped.
pub(crate) struct Permit {
    _slot: OwnedSemaphorePermit,
    _kernel: OwnedSemaphorePermit,
}

impl Default for CallPermits {
    fn default() -> Self {
        Self::new((POOL_INSTANCES - POOL_DESCRIBE_HEADROOM) as usize)
    }
}

impl CallPermits {
    /// Caps with `kernel_cap` calls at once over the whole kernel.
    pub(crate) fn new(kernel_cap: usize) -> Self {
        CallPermits {
            slots: Mutex::new(HashMap::new()),
            kernel: Arc::new(Semaphore::new(kernel_cap)),
            kernel_cap,
        }
    }

    /// A place for a call of `plugin` in `region`'s `slot`, whose cap is
    /// `cap` (at least 1), or [`KernelError::PluginBusy`] naming the cap
    /// that is full. (`plugin` gives `name@version` only for a refusal: an
    /// admitted call, every dispatch, formats nothing.)
    pub(crate) async fn admit(
        &self,
        region: &str,
        slot: Slot,
        plugin: impl Fn() -> String,
        cap: usize,
    ) -> Result<Permit> {
        let cap = cap.max(1);
        let semaphore = self.slot_semaphore(region, slot, cap);
        let busy = |scope, limit| {
            KernelError::PluginBusy(Box::new(PluginBusy {
                plugin: plugin(),
                region: region.to_owned(),
                slot: slot.name(),
                scope,
                limit,
            }))
        };
        let slot_permit = acquire(semaphore)
            .await
            .ok_or_else(|| busy("region-slot", cap))?;
        let kernel_permit = acquire(self.kernel.clone())
            .await
            .ok_or_else(|| busy("kernel", self.kernel_cap))?;
        Ok(Permit {
            _slot: slot_permit,
            _kernel: kernel_permit,
        })
    }

    /// The semaphore of `region`'s `slot`, made with `cap` places (or made
    /// anew if the cap changed: calls running under the old one finish on
    /// it).
    fn slot_semaphore(&self, region: &str, slot: Slot, cap: usize) -> Arc<Semaphore> {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (region.to_owned(), slot);
        match slots.get(&key) {
            Some((known, semaphore)) if *known == cap => semaphore.clone(),
            _ => {
                let semaphore = Arc::new(Semaphore::new(cap));
                slots.insert(key, (cap, semaphore.clone()));
                semaphore
            }
        }
    }
}

/// A place in `semaphore`, at once or within [`QUEUE_WAIT`].
async fn acquire(semaphore: Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = semaphore.clone().try_acquire_owned() {
        return Some(permit);
    }
    tokio::time::timeout(QUEUE_WAIT, semaphore.acquire_owned())
        .await
        .ok()?
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_semaphore_refuses_after_the_wait_and_frees_on_drop() {
        let semaphore = Arc::new(Semaphore::new(2));
        let first = acquire(semaphore.clone()).await.expect("a place");
        let _second = acquire(semaphore.clone()).await.expect("a place");
        assert!(acquire(semaphore.clone()).await.is_none(), "full");
        drop(first);
        assert!(acquire(semaphore.clone()).await.is_some(), "freed");
    }

    fn scope(result: Result<Permit>) -> (&'static str, usize) {
        match result {
            Err(KernelError::PluginBusy(busy)) => (busy.scope, busy.limit),
            Err(other) => panic!("not PluginBusy: {other:?}"),
            Ok(_) => panic!("admitted"),
        }
    }

    #[tokio::test]
    async fn each_region_and_slot_has_its_cap_and_the_kernel_its_own() {
        let permits = CallPermits::new(3);
        let a = permits
            .admit("a", Slot::Dispatch, || "p@1.0.0".into(), 2)
            .await
            .expect("1st");
        let _b = permits
            .admit("a", Slot::Dispatch, || "p@1.0.0".into(), 2)
            .await
            .expect("2nd");
        let refused = permits
            .admit("a", Slot::Dispatch, || "p@1.0.0".into(), 2)
            .await;
        assert_eq!(scope(refused), ("region-slot", 2));
        // Another slot of the region, and another region, have their own
        // caps; the kernel's (3) is then full for everyone.
        let _c = permits
            .admit("a", Slot::Warranty, || "w@1.0.0".into(), 2)
            .await
            .expect("warranty");
        let refused = permits
            .admit("b", Slot::Dispatch, || "p@1.0.0".into(), 2)
            .await;
        assert_eq!(scope(refused), ("kernel", 3));
        drop(a);
        permits
            .admit("b", Slot::Dispatch, || "p@1.0.0".into(), 2)
            .await
            .expect("freed");
    }
}
