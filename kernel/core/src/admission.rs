//! Admission control for order work: how many calls that write orders
//! (`CreateOrder`, `DispatchOrder` and every later step) each region, and
//! the kernel as a whole, may have in progress at once. A call beyond
//! either cap is refused at once (`RESOURCE_EXHAUSTED` with a retry delay),
//! never queued until its caller's deadline: queued work past its deadline
//! is work done for nobody, and a queue without bound is memory without
//! bound.
//!
//! The region's cap is what keeps regions apart. Alone, a region may have
//! `max_in_flight_per_region` calls in progress: about what saturates the
//! store (BENCHMARKS.md), so a flood alone still gets the kernel's whole
//! throughput. While other regions are busy too (a call admitted within
//! [`BUSY_WINDOW`]), the busy regions split that share evenly, so a flood
//! cannot fill the one store writer every region's orders wait behind; a
//! region within its split share is never refused for another's sake. A
//! principal given a rate in the config (a partner's system, a call
//! centre) is held to it, a token bucket each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::actor::Actor;
use crate::error::{KernelError, Overloaded};
use crate::settings::AdmissionConfig;

/// What a refused caller is told to wait before trying again: about the
/// time a call in progress takes to finish under load, so that a retry
/// meets a freed slot rather than the same full one.
pub const RETRY_AFTER: Duration = Duration::from_millis(50);

/// How recently a region must have had a call admitted to count as busy
/// when shares are split: long enough that a region at a steady 100 calls
/// a second counts as busy between its calls.
pub const BUSY_WINDOW: Duration = Duration::from_secs(1);

/// The least share a busy region keeps however many others are busy, so
/// that a normal rate's bursts in many regions at once are not refused.
const SMALLEST_SHARE: u32 = 8;

/// The caps, and the slots taken.
#[derive(Debug)]
pub struct Admission {
    config: AdmissionConfig,
    slots: Arc<Mutex<Slots>>,
    /// The listed principals' buckets: tokens left, and when counted.
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Calls in progress, in all and per region.
#[derive(Debug, Default)]
struct Slots {
    in_flight: u32,
    regions: HashMap<String, RegionSlots>,
}

#[derive(Debug)]
struct RegionSlots {
    in_flight: u32,
    last_admitted: Instant,
}

/// An admitted call's slots, given back when it is dropped.
#[derive(Debug)]
pub struct Admitted {
    slots: Arc<Mutex<Slots>>,
    region: String,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut slots = lock(&self.slots);
        slots.in_flight = slots.in_flight.saturating_sub(1);
        if let Some(region) = slots.regions.get_mut(&self.region) {
            region.in_flight = region.in_flight.saturating_sub(1);
        }
    }
}

/// A poisoned lock only means another caller panicked while holding it;
/// the counts are whole (each change is one statement).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Admission {
    /// Admission with `config`'s caps (0 counts as 1).
    pub fn new(config: AdmissionConfig) -> Self {
        Self {
            config,
            slots: Arc::new(Mutex::new(Slots::default())),
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
        let mut buckets = lock(&self.buckets);
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
        self.admit_at(region, Instant::now())
    }

    fn admit_at(&self, region: &str, now: Instant) -> Result<Admitted, KernelError> {
        let refused = |scope: &'static str, limit: u32| {
            KernelError::Overloaded(Box::new(Overloaded {
                region: region.to_owned(),
                scope,
                limit,
                retry_after: RETRY_AFTER,
            }))
        };
        let mut slots = lock(&self.slots);
        let share = self.share(&slots, region, now);
        let kernel_cap = self.config.max_in_flight.max(1);
        let own = slots.regions.get(region).map_or(0, |slots| slots.in_flight);
        if own >= share {
            return Err(refused("region", share));
        }
        if slots.in_flight >= kernel_cap {
            return Err(refused("kernel", kernel_cap));
        }
        slots.in_flight += 1;
        let slot = slots
            .regions
            .entry(region.to_owned())
            .or_insert(RegionSlots {
                in_flight: 0,
                last_admitted: now,
            });
        slot.in_flight += 1;
        slot.last_admitted = now;
        Ok(Admitted {
            slots: self.slots.clone(),
            region: region.to_owned(),
        })
    }

    /// `region`'s share now: the whole per-region cap while no other region
    /// is busy, else an even split among the busy ones (this one counted),
    /// never below [`SMALLEST_SHARE`] nor above the cap. The map holds only
    /// regions the kernel knows (callers check first), so the walk is short.
    fn share(&self, slots: &Slots, region: &str, now: Instant) -> u32 {
        let cap = self.config.max_in_flight_per_region.max(1);
        let others = slots
            .regions
            .iter()
            .filter(|(name, slots)| {
                name.as_str() != region
                    && (slots.in_flight > 0
                        || now.duration_since(slots.last_admitted) < BUSY_WINDOW)
            })
            .count();
        if others == 0 {
            return cap;
        }
        let busy = u32::try_from(others + 1).unwrap_or(u32::MAX);
        (cap / busy).max(SMALLEST_SHARE).min(cap)
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
    fn busy_regions_split_the_share_and_a_quiet_spell_gives_it_back() {
        let admission = admission(1000, 64);
        let start = Instant::now();
        // Alone, the flood takes the whole share.
        let flood: Vec<_> = (0..64)
            .map(|_| admission.admit_at("flood", start).expect("alone"))
            .collect();
        assert_eq!(
            scope(admission.admit_at("flood", start).unwrap_err()),
            ("region", 64)
        );
        // Another region busy: it is admitted (well within its half), and
        // the flood, above its half, gets no new slot until it is below.
        let quiet = admission.admit_at("quiet", start).expect("quiet's first");
        drop(quiet);
        let mut flood = flood;
        flood.truncate(40);
        assert_eq!(
            scope(admission.admit_at("flood", start).unwrap_err()),
            ("region", 32)
        );
        flood.truncate(31);
        flood.push(admission.admit_at("flood", start).expect("below its half"));
        // A second after quiet's last call the flood has the whole share back.
        let later = start + BUSY_WINDOW;
        flood.push(admission.admit_at("flood", later).expect("alone again"));
        // However many are busy, each keeps the smallest share.
        let crowd: Vec<_> = (0..20)
            .map(|i| {
                admission
                    .admit_at(&format!("r{i}"), later)
                    .expect("a first call")
            })
            .collect();
        let mut r0 = Vec::new();
        for _ in 1..SMALLEST_SHARE {
            r0.push(
                admission
                    .admit_at("r0", later)
                    .expect("within the smallest share"),
            );
        }
        assert_eq!(
            scope(admission.admit_at("r0", later).unwrap_err()),
            ("region", SMALLEST_SHARE)
        );
        drop(crowd);
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
