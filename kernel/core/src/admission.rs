//! Admission control for intake: how many `CreateOrder` and `DispatchOrder`
//! calls (the two that call a plugin on intake) each region,
//! and the kernel as a whole, may have in progress at once. A call beyond
//! either cap is refused at once (`RESOURCE_EXHAUSTED` with a retry delay),
//! never queued until its caller's deadline: queued work past its deadline
//! is work done for nobody, and a queue without bound is memory without
//! bound.
//!
//! The region's cap is what keeps regions apart: a flooding region holds
//! at most its own share of the kernel's slots, and the rest stay for the
//! others. A principal given a rate in the config (a partner's system, a
//! call centre) is held to it, a token bucket each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::actor::Actor;
use crate::error::{KernelError, Overloaded};
use crate::settings::AdmissionConfig;

/// What a refused caller is told to wait before trying again: about the
/// time a call in progress takes to finish under load, so that a retry
/// meets a freed slot rather than the same full one.
pub const RETRY_AFTER: Duration = Duration::from_millis(50);

/// The caps, and the slots taken.
#[derive(Debug)]
pub struct Admission {
    kernel: Arc<Semaphore>,
    config: AdmissionConfig,
    regions: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// The listed principals' buckets: tokens left, and when counted.
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// An admitted call's slots, given back when it is dropped.
#[derive(Debug)]
pub struct Admitted {
    _region: OwnedSemaphorePermit,
    _kernel: OwnedSemaphorePermit,
}

impl Admission {
    /// Admission with `config`'s caps (0 counts as 1).
    pub fn new(config: AdmissionConfig) -> Self {
        Self {
            kernel: Arc::new(Semaphore::new(config.max_in_flight.max(1) as usize)),
            config,
            regions: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one of `actor`'s tokens if the config gives it a rate, or
    /// refuses, saying when the next one comes. `region` is the call's, for
    /// the refusal. Free when no principal has a rate (the default).
    pub fn rate(&self, actor: &Actor, region: &str) -> Result<(), KernelError> {
        if self.config.principals.is_empty() {
            return Ok(());
        }
        let principal = actor.to_string();
        let Some(rate) = self.config.principals.get(&principal) else {
            return Ok(());
        };
        let per_second = rate.per_second.max(f64::MIN_POSITIVE);
        let burst = f64::from(rate.burst.max(1));
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (tokens, counted) = buckets.entry(principal).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*counted).as_secs_f64() * per_second).min(burst);
        *counted = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64(((1.0 - *tokens) / per_second).min(3600.0));
        Err(KernelError::Overloaded(Box::new(Overloaded {
            region: region.to_owned(),
            scope: "principal",
            limit: rate.burst.max(1),
            retry_after: wait.max(Duration::from_millis(1)),
        })))
    }

    /// Takes a slot of `region` and one of the kernel, or refuses at once.
    pub fn admit(&self, region: &str) -> Result<Admitted, KernelError> {
        let refused = |scope: &'static str, limit: u32| {
            KernelError::Overloaded(Box::new(Overloaded {
                region: region.to_owned(),
                scope,
                limit,
                retry_after: RETRY_AFTER,
            }))
        };
        let region_cap = self.config.max_in_flight_per_region.max(1);
        let region_slots = self.region_slots(region, region_cap);
        let region_slot = region_slots
            .try_acquire_owned()
            .map_err(|_| refused("region", region_cap))?;
        let kernel_slot = self
            .kernel
            .clone()
            .try_acquire_owned()
            .map_err(|_| refused("kernel", self.config.max_in_flight.max(1)))?;
        Ok(Admitted {
            _region: region_slot,
            _kernel: kernel_slot,
        })
    }

    fn region_slots(&self, region: &str, cap: u32) -> Arc<Semaphore> {
        // A poisoned map only means another caller panicked while holding
        // it; its content is still whole.
        let mut regions = self
            .regions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        regions
            .entry(region.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(cap as usize)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Role;

    fn admission(kernel: u32, region: u32) -> Admission {
        Admission::new(AdmissionConfig {
            max_in_flight: kernel,
            max_in_flight_per_region: region,
            ..AdmissionConfig::default()
        })
    }

    #[test]
    fn a_listed_principal_is_held_to_its_rate_and_others_are_not() {
        let admission = Admission::new(AdmissionConfig {
            principals: [(
                "partner:acme".to_owned(),
                crate::settings::RateConfig {
                    per_second: 1.0,
                    burst: 2,
                },
            )]
            .into(),
            ..AdmissionConfig::default()
        });
        let acme = Actor::new(Role::Partner, "acme", &["a"]);
        let other = Actor::new(Role::Partner, "other", &["a"]);
        admission.rate(&acme, "a").expect("the burst's first");
        admission.rate(&acme, "a").expect("the burst's second");
        match admission.rate(&acme, "a") {
            Err(KernelError::Overloaded(refused)) => {
                assert_eq!((refused.scope, refused.limit), ("principal", 2));
                // The next token is about a second away.
                assert!(
                    refused.retry_after > Duration::from_millis(500),
                    "{refused:?}"
                );
                assert!(refused.retry_after <= Duration::from_secs(1), "{refused:?}");
            }
            other => panic!("the third within a second was admitted: {other:?}"),
        }
        for _ in 0..100 {
            admission.rate(&other, "a").expect("unlisted: no rate");
        }
    }

    fn scope(error: KernelError) -> (&'static str, u32) {
        match error {
            KernelError::Overloaded(overloaded) => (overloaded.scope, overloaded.limit),
            other => panic!("not an overload: {other:?}"),
        }
    }

    #[test]
    fn a_region_takes_its_share_and_leaves_the_rest_to_others() {
        let admission = admission(3, 2);
        let a1 = admission.admit("a").expect("a's first");
        let _a2 = admission.admit("a").expect("a's second");
        assert_eq!(scope(admission.admit("a").unwrap_err()), ("region", 2));
        // The kernel's third slot is still b's.
        let _b1 = admission.admit("b").expect("b's first");
        assert_eq!(scope(admission.admit("c").unwrap_err()), ("kernel", 3));
        // A finished call gives both slots back.
        drop(a1);
        admission.admit("a").expect("a again");
    }

    #[test]
    fn a_region_refused_by_the_kernel_keeps_no_slot_of_its_own() {
        let admission = admission(1, 1);
        let held = admission.admit("a").expect("a");
        assert_eq!(scope(admission.admit("b").unwrap_err()), ("kernel", 1));
        drop(held);
        admission
            .admit("b")
            .expect("b's region slot was given back");
    }
}
