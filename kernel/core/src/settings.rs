//! A region's settings, as a deployment declares them under
//! `[regions.<id>]` in its config: the plugin set, each slot's parameters
//! and call limits, the SLA targets and the rules of its order life; and
//! the sandbox's deployment-wide settings (`[plugins]`).
//! (The config file itself, its layers and the server's own settings are
//! the binary's: `xingji::config`.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A region's settings:
///
/// ```toml
/// [regions.shanghai.plugins]
/// dispatch = "dispatch-balanced@1.0.0"
/// [regions.shanghai.params.dispatch]
/// speed_kmh = "25"
/// [regions.shanghai.limits.dispatch]
/// deadline_ms = 100
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// The region's initial plugin per slot, as `name@version`. Slots not
    /// named run the default set; an activation overrides both.
    #[serde(default)]
    pub plugins: BTreeMap<String, String>,
    /// Parameters passed to the plugin of each slot.
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, String>>,
    /// Call limits per slot, over the slot's defaults.
    #[serde(default)]
    pub limits: BTreeMap<String, LimitsConfig>,
    /// SLA targets of the region's orders.
    #[serde(default)]
    pub sla: SlaTargets,
    /// Rules of the region's order life.
    #[serde(default)]
    pub orders: OrderRules,
}

/// Rules of a region's order life:
///
/// ```toml
/// [regions.shanghai.orders]
/// callback_attempts = 3
/// warranty_years = 3
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderRules {
    /// Customer callbacks the call centre tries per completed order before
    /// quality control may close without reaching the customer. DOMAIN.md
    /// says "at least 5" with the unit lost.
    pub callback_attempts: u32,
    /// Years from purchase that the maker's own warranty covers: repairs in
    /// them are free.
    pub warranty_years: u32,
}

impl Default for OrderRules {
    fn default() -> Self {
        Self {
            callback_attempts: 5,
            warranty_years: 3,
        }
    }
}

/// Call limits; unset fields keep the slot's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Wall-clock milliseconds per call.
    pub deadline_ms: Option<u64>,
    /// Linear memory per call, MiB.
    pub memory_mib: Option<usize>,
    /// Fuel per call (a deterministic CPU quota); unlimited by default.
    pub fuel: Option<u64>,
    /// Calls running at once in this region and slot (over
    /// `[plugins] max_concurrent_calls`).
    pub concurrency: Option<u32>,
}

/// A region's SLA targets, minutes after the order's creation:
///
/// ```toml
/// [regions.shanghai.sla]
/// dispatch_minutes = 15
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaTargets {
    /// Until an outlet and engineer are chosen.
    pub dispatch_minutes: u32,
    /// Until the customer is contacted and an appointment set.
    pub contact_minutes: u32,
    /// Until the engineer arrives, when no appointment is set; with one, the
    /// appointment is the due time.
    pub arrival_minutes: u32,
    /// Until the work is done (or, for a complaint, its improvement step).
    pub completion_minutes: u32,
}

impl Default for SlaTargets {
    /// Half an hour to dispatch (the star centre's half-hour radius starts
    /// with a prompt dispatch), two hours to call the customer, a day to
    /// arrive and two to finish: our reading of "comes when called" where
    /// DOMAIN.md gives no figures.
    fn default() -> Self {
        Self {
            dispatch_minutes: 30,
            contact_minutes: 120,
            arrival_minutes: 24 * 60,
            completion_minutes: 48 * 60,
        }
    }
}

/// Admission control (`[admission]`): how many `CreateOrder` and `DispatchOrder` calls may be in
/// progress at once, per region and in all, and how fast each listed
/// principal may create; beyond, a call is refused at once with
/// `RESOURCE_EXHAUSTED` and a retry delay.
///
/// ```toml
/// [admission]
/// max_in_flight = 128
/// max_in_flight_per_region = 64
/// [admission.principals."partner:acme"]
/// per_second = 50
/// burst = 100
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdmissionConfig {
    /// In all regions together.
    pub max_in_flight: u32,
    /// In one region while it is the only one busy; busy regions split it
    /// (admission.rs). Below `max_in_flight`, so that a flooding region
    /// leaves slots to the others.
    pub max_in_flight_per_region: u32,
    /// Rates of `CreateOrder` per principal (`partner:acme`,
    /// `call-centre:07`); a principal not listed has none but the caps.
    pub principals: BTreeMap<String, RateConfig>,
}

/// A principal's rate: `per_second` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    /// Calls a second, on average.
    pub per_second: f64,
    /// Calls at once after a quiet spell (at least 1).
    #[serde(default = "one")]
    pub burst: u32,
}

fn one() -> u32 {
    1
}

impl Default for AdmissionConfig {
    /// About what the kernel finishes in 50 ms at its measured intake
    /// (BENCHMARKS.md): more in flight only waits longer.
    fn default() -> Self {
        Self {
            max_in_flight: 128,
            max_in_flight_per_region: 64,
            principals: BTreeMap::new(),
        }
    }
}

/// The plugin sandbox's settings for the whole deployment:
///
/// ```toml
/// [plugins]
/// max_concurrent_calls = 8
/// allow_unsigned = false
/// [[plugins.publishers]]
/// name = "acme"
/// key_file = "/etc/xingji/publishers/acme.pub"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// The most calls one region may have running in one slot at once; a
    /// call beyond it (after at most 25 ms of waiting) is refused with
    /// `RESOURCE_EXHAUSTED`. A region's `limits.<slot>.concurrency`
    /// overrides it (0 counts as 1). Over all regions, the kernel admits
    /// at most its instance pool's 1000 calls less 32 kept for `describe`
    /// (ARCHITECTURE.md, "Plugin calls at once are capped").
    pub max_concurrent_calls: u32,
    /// The largest component `InstallPlugin` takes, in bytes.
    pub max_component_bytes: usize,
    /// How long compiling one component may take before the install is
    /// refused, in seconds.
    pub compile_timeout_seconds: u64,
    /// Accept components with no publisher's signature. Off by default;
    /// the demo turns it on.
    pub allow_unsigned: bool,
    /// The publishers whose signed components this deployment installs.
    pub publishers: Vec<PublisherConfig>,
    /// Keep every dispatch decision with the request it was made from
    /// (`ListOrderDecisions`, `plugins run --replay`). On by default; a
    /// recorded request holds the region's candidates, some KiB a dispatch,
    /// which costs intake throughput (BENCHMARKS.md, "Recorded
    /// decisions"): off, nothing is recorded but shadows' decisions.
    pub record_decisions: bool,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            max_concurrent_calls: 8,
            max_component_bytes: 16 << 20,
            compile_timeout_seconds: 30,
            allow_unsigned: false,
            publishers: Vec::new(),
            record_decisions: true,
        }
    }
}

/// A publisher the deployment trusts: its name, which owns the plugin
/// names it installs first, and its Ed25519 public key (PEM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherConfig {
    /// The publisher's name: `acme`.
    pub name: String,
    /// Its public key, a PEM file (`-----BEGIN PUBLIC KEY-----`).
    pub key_file: std::path::PathBuf,
}
