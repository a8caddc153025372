//! Each region's plugin set: which installed plugin runs in each slot of
//! each region, how that changes (activation, rollback), and the calls.
//!
//! What a region runs in a slot is, in order: its last activation (persisted
//! in the store's history), else its declaration in the config, else the
//! kernel's default set. An activation swaps one `Arc<Plugin>` in a map under
//! a short write lock: calls already running hold the old `Arc` and finish
//! on it, new calls get the new one, and other regions' entries are not
//! touched.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use prost_types::Timestamp;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use xingji_api::v1::{
    Activation, ActivationAction, ActivePlugin, Plugin as PluginRecord, PluginCallStats,
    PluginSlot, PluginSource,
};
use xingji_plugin_host::bindings::dispatch::exports::xingji::plugins::dispatcher::{
    Decision, DispatchRequest,
};
use xingji_plugin_host::bindings::host::xingji::plugins::types::Date;
use xingji_plugin_host::bindings::warranty::exports::xingji::plugins::warranty_plans::{
    Appliance as WarrantyAppliance, Plan as WarrantyPlan,
};
use xingji_plugin_host::{
    CallCost, HostServices, Limits, LoadError, Plugin, PluginError, Runtime, Slot,
};
use xingji_store::{Store, StoreError};

use crate::capabilities::Capabilities;
use crate::config::RegionConfig;
use crate::status::{DOMAIN, failed_precondition, from_store, invalid_field, not_found};

/// The proto enum value of a slot.
pub fn slot_to_proto(slot: Slot) -> PluginSlot {
    match slot {
        Slot::Dispatch => PluginSlot::Dispatch,
        Slot::Warranty => PluginSlot::Warranty,
        Slot::Campaign => PluginSlot::Campaign,
        Slot::Tour => PluginSlot::Tour,
        Slot::Evaluation => PluginSlot::Evaluation,
        Slot::Settlement => PluginSlot::Settlement,
    }
}

/// The slot of a proto enum value, if it names one.
pub fn slot_from_proto(value: i32) -> Option<Slot> {
    Slot::ALL
        .into_iter()
        .find(|slot| slot_to_proto(*slot) as i32 == value)
}

struct Installed {
    record: PluginRecord,
    plugin: Arc<Plugin>,
}

#[derive(Default, Clone, Copy)]
struct Stats {
    calls: i64,
    failures: i64,
    total: Duration,
    max: Duration,
    fuel: u64,
}

/// What a call in a region and slot runs with.
struct Resolved {
    plugin: Arc<Plugin>,
    limits: Limits,
    params: Vec<(String, String)>,
}

/// The plugin registry and every region's plugin set.
pub struct PluginSets {
    runtime: Runtime,
    store: Arc<dyn Store>,
    regions: BTreeMap<String, RegionConfig>,
    defaults: HashMap<Slot, String>,
    /// Installed plugins by `name@version`.
    installed: RwLock<HashMap<String, Installed>>,
    /// The last activation of each region and slot.
    activated: RwLock<HashMap<(String, Slot), Activation>>,
    /// Serialises activations, so that each one's `previous` is right.
    changing: tokio::sync::Mutex<()>,
    stats: Mutex<BTreeMap<(String, Slot, String), Stats>>,
}

impl PluginSets {
    /// Loads the bundled plugins, then every installed one (compiled
    /// artifacts cached in `cache_dir`), and the activation history.
    pub async fn start(
        store: Arc<dyn Store>,
        cache_dir: std::path::PathBuf,
        regions: BTreeMap<String, RegionConfig>,
    ) -> Result<Self, String> {
        let runtime = Runtime::new(Some(cache_dir)).map_err(|error| error.to_string())?;
        let sets = PluginSets {
            runtime,
            store,
            regions,
            defaults: crate::bundled::DEFAULT_SET
                .iter()
                .map(|(slot, id)| (*slot, id.to_string()))
                .collect(),
            installed: RwLock::new(HashMap::new()),
            activated: RwLock::new(HashMap::new()),
            changing: tokio::sync::Mutex::new(()),
            stats: Mutex::new(BTreeMap::new()),
        };
        for (name, bytes) in crate::bundled::EMBEDDED {
            sets.install(bytes, "xingji", true)
                .await
                .map_err(|status| format!("bundled plugin {name}: {}", status.message()))?;
        }
        let stored = sets
            .store
            .list_plugins()
            .await
            .map_err(|error| error.to_string())?;
        for record in stored {
            let id = format!("{}@{}", record.name, record.version);
            if sets.read_installed().contains_key(&id) {
                continue;
            }
            let bytes = sets
                .store
                .plugin_component(&record.sha256)
                .await
                .map_err(|error| error.to_string())?;
            match sets.runtime.load(&bytes).await {
                Ok(plugin) => {
                    sets.write_installed().insert(
                        id,
                        Installed {
                            record,
                            plugin: Arc::new(plugin),
                        },
                    );
                }
                Err(error) => {
                    tracing::warn!(plugin = %id, %error, "an installed plugin no longer loads; it cannot be activated")
                }
            }
        }
        for activation in sets
            .store
            .list_activations()
            .await
            .map_err(|error| error.to_string())?
        {
            if let Some(slot) = slot_from_proto(activation.slot) {
                sets.write_activated()
                    .insert((activation.region.clone(), slot), activation);
            }
        }
        for (region, config) in &sets.regions {
            for (slot, id) in &config.plugins {
                let slot = Slot::from_name(slot)
                    .ok_or_else(|| format!("regions.{region}.plugins: {slot:?} is not a slot"))?;
                match sets.read_installed().get(id) {
                    Some(installed) if installed.plugin.slot == slot => {}
                    Some(installed) => {
                        return Err(format!(
                            "regions.{region}.plugins.{slot}: {id} is a {} plugin",
                            installed.plugin.slot
                        ));
                    }
                    None => {
                        return Err(format!(
                            "regions.{region}.plugins.{slot}: {id} is not installed"
                        ));
                    }
                }
            }
        }
        Ok(sets)
    }

    fn read_installed(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Installed>> {
        self.installed
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_installed(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Installed>> {
        self.installed
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read_activated(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<(String, Slot), Activation>> {
        self.activated
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_activated(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<(String, Slot), Activation>> {
        self.activated
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Validates and installs a component. Installing the same bytes again
    /// returns the installed plugin.
    pub async fn install(
        &self,
        bytes: &[u8],
        actor: &str,
        bundled: bool,
    ) -> Result<PluginRecord, Status> {
        let plugin = self.runtime.load(bytes).await.map_err(rejected)?;
        let id = plugin.id();
        let record = PluginRecord {
            name: plugin.manifest.name.clone(),
            version: plugin.manifest.version.clone(),
            slot: slot_to_proto(plugin.slot) as i32,
            wit_version: plugin.wit_version.clone(),
            description: plugin.manifest.description.clone(),
            author: plugin.manifest.author.clone(),
            sha256: plugin.sha256.clone(),
            size_bytes: bytes.len() as i64,
            install_time: Some(Timestamp::from(std::time::SystemTime::now())),
            installed_by: actor.to_owned(),
            bundled,
        };
        let record = self.store.install_plugin(record, bytes).await.map_err(|error| match error {
            StoreError::AlreadyExists(_) => Status::with_error_details(
                Code::AlreadyExists,
                format!("{id} is already installed with different bytes: give the new build a new version"),
                ErrorDetails::with_resource_info("plugin", &id, "", "another component has this name and version"),
            ),
            error => from_store(error, "plugin", &id),
        })?;
        self.write_installed().insert(
            id,
            Installed {
                record: record.clone(),
                plugin: Arc::new(plugin),
            },
        );
        Ok(record)
    }

    /// Every installed plugin, by name and version.
    pub fn list(&self) -> Vec<PluginRecord> {
        let mut records: Vec<PluginRecord> = self
            .read_installed()
            .values()
            .map(|i| i.record.clone())
            .collect();
        records.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        records
    }

    /// What `region` runs in `slot` (`name@version`), and why; `None` if
    /// nothing.
    pub fn active(&self, region: &str, slot: Slot) -> Option<(String, PluginSource)> {
        if let Some(activation) = self.read_activated().get(&(region.to_owned(), slot)) {
            return Some((
                format!("{}@{}", activation.name, activation.version),
                PluginSource::Activation,
            ));
        }
        if let Some(id) = self
            .regions
            .get(region)
            .and_then(|config| config.plugins.get(slot.name()))
        {
            return Some((id.clone(), PluginSource::Config));
        }
        self.defaults
            .get(&slot)
            .map(|id| (id.clone(), PluginSource::Default))
    }

    /// The plugin `region` runs in each slot.
    pub fn region_plugins(&self, region: &str) -> Vec<ActivePlugin> {
        let installed = self.read_installed();
        Slot::ALL
            .into_iter()
            .filter_map(|slot| {
                let (id, source) = self.active(region, slot)?;
                let record = &installed.get(&id)?.record;
                Some(ActivePlugin {
                    slot: slot_to_proto(slot) as i32,
                    name: record.name.clone(),
                    version: record.version.clone(),
                    sha256: record.sha256.clone(),
                    source: source as i32,
                })
            })
            .collect()
    }

    /// Makes `region` run `name@version` in `slot`.
    pub async fn activate(
        &self,
        region: &str,
        slot: Slot,
        id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<Activation, Status> {
        let _changing = self.changing.lock().await;
        let record = {
            let installed = self.read_installed();
            let found = installed.get(id).ok_or_else(|| not_found("plugin", id))?;
            if found.plugin.slot != slot {
                return Err(failed_precondition(
                    "SLOT",
                    "slot",
                    format!(
                        "{id} is a {} plugin and cannot run in the {slot} slot",
                        found.plugin.slot
                    ),
                ));
            }
            found.record.clone()
        };
        let previous = self
            .active(region, slot)
            .map(|(id, _)| id)
            .unwrap_or_default();
        self.record(
            region,
            slot,
            ActivationAction::Activate,
            &record,
            previous,
            actor,
            reason,
        )
        .await
    }

    /// Returns `region`'s `slot` to the plugin it ran before its last
    /// activation.
    pub async fn rollback(
        &self,
        region: &str,
        slot: Slot,
        actor: &str,
        reason: &str,
    ) -> Result<Activation, Status> {
        let _changing = self.changing.lock().await;
        let current = self.read_activated().get(&(region.to_owned(), slot)).cloned().ok_or_else(|| {
            failed_precondition(
                "ACTIVATION",
                "slot",
                format!("region {region:?} has no activation in the {slot} slot to roll back: it runs its configured or default plugin"),
            )
        })?;
        if current.previous.is_empty() {
            return Err(failed_precondition(
                "ACTIVATION",
                "slot",
                "the last activation has no previous plugin to return to",
            ));
        }
        let record = self
            .read_installed()
            .get(&current.previous)
            .map(|installed| installed.record.clone())
            .ok_or_else(|| {
                failed_precondition(
                    "ACTIVATION",
                    "slot",
                    format!(
                        "the previous plugin {} is no longer loadable",
                        current.previous
                    ),
                )
            })?;
        let previous = format!("{}@{}", current.name, current.version);
        self.record(
            region,
            slot,
            ActivationAction::Rollback,
            &record,
            previous,
            actor,
            reason,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        region: &str,
        slot: Slot,
        action: ActivationAction,
        plugin: &PluginRecord,
        previous: String,
        actor: &str,
        reason: &str,
    ) -> Result<Activation, Status> {
        let activation = Activation {
            seq: 0,
            region: region.to_owned(),
            slot: slot_to_proto(slot) as i32,
            action: action as i32,
            name: plugin.name.clone(),
            version: plugin.version.clone(),
            sha256: plugin.sha256.clone(),
            previous,
            actor: actor.to_owned(),
            time: Some(Timestamp::from(std::time::SystemTime::now())),
            reason: reason.to_owned(),
        };
        // Persist first: an activation the store did not take never runs.
        let activation = self
            .store
            .add_activation(activation)
            .await
            .map_err(|error| from_store(error, "activation", region))?;
        self.write_activated()
            .insert((region.to_owned(), slot), activation.clone());
        tracing::info!(region, %slot, plugin = %format!("{}@{}", activation.name, activation.version), previous = %activation.previous, actor, "plugin activated");
        Ok(activation)
    }

    /// The activation history, newest first, of one region or all.
    pub async fn history(&self, region: Option<&str>) -> Result<Vec<Activation>, Status> {
        let mut all = self
            .store
            .list_activations()
            .await
            .map_err(|error| from_store(error, "activation", ""))?;
        all.retain(|a| region.is_none_or(|r| a.region == r));
        all.reverse();
        Ok(all)
    }

    /// Call counts per region, slot and plugin.
    pub fn stats(&self, region: Option<&str>) -> Vec<PluginCallStats> {
        let stats = self
            .stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        stats
            .iter()
            .filter(|((r, _, _), _)| region.is_none_or(|wanted| r == wanted))
            .map(|((region, slot, id), s)| {
                let (name, version) = id.split_once('@').unwrap_or((id, ""));
                PluginCallStats {
                    region: region.clone(),
                    slot: slot_to_proto(*slot) as i32,
                    name: name.to_owned(),
                    version: version.to_owned(),
                    calls: s.calls,
                    failures: s.failures,
                    total_micros: s.total.as_micros() as i64,
                    max_micros: s.max.as_micros() as i64,
                    fuel: s.fuel.min(i64::MAX as u64) as i64,
                }
            })
            .collect()
    }

    /// The plugin `region` runs in `slot`, with its limits and parameters.
    fn resolve(&self, region: &str, slot: Slot) -> Result<Resolved, Status> {
        let (id, _) = self.active(region, slot).ok_or_else(|| {
            failed_precondition(
                "PLUGIN",
                "region",
                format!("region {region:?} has no {slot} plugin: install and activate one"),
            )
        })?;
        let plugin = self
            .read_installed()
            .get(&id)
            .map(|installed| installed.plugin.clone())
            .ok_or_else(|| {
                Status::internal(format!(
                    "the active {slot} plugin {id} of region {region:?} is not loaded"
                ))
            })?;
        let mut limits = Limits::for_slot(slot);
        let config = self.regions.get(region);
        if let Some(overrides) = config.and_then(|c| c.limits.get(slot.name())) {
            if let Some(ms) = overrides.deadline_ms {
                limits.deadline = Duration::from_millis(ms);
            }
            if let Some(mib) = overrides.memory_mib {
                limits.memory_bytes = mib << 20;
            }
            if let Some(fuel) = overrides.fuel {
                limits.fuel = fuel;
            }
        }
        let params = config
            .and_then(|c| c.params.get(slot.name()))
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        Ok(Resolved {
            plugin,
            limits,
            params,
        })
    }

    /// Asks `region`'s dispatch plugin to choose; `request.params` is filled
    /// in from the region's config. Returns the decision and `name@version`.
    pub async fn dispatch(
        &self,
        region: &str,
        mut request: DispatchRequest,
    ) -> Result<(Decision, String), Status> {
        let resolved = self.resolve(region, Slot::Dispatch)?;
        request.params = resolved.params.clone();
        let call = resolved.plugin.dispatch(&request, resolved.limits);
        let decision = self
            .observe(region, Slot::Dispatch, &resolved.plugin, call)
            .await?;
        Ok((decision, resolved.plugin.id()))
    }

    /// Calls `region`'s plugin in `slot` with the host capabilities; keeps
    /// the call's kv writes only if it succeeded.
    pub async fn call<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<T, Status>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        self.call_keeping(region, slot, true, call).await
    }

    /// Like [`Self::call`], but drops the call's kv writes whatever happens:
    /// to ask a plugin what it would do (a warranty's cover) before the
    /// kernel commits to it.
    pub async fn call_dry<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<T, Status>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        self.call_keeping(region, slot, false, call).await
    }

    async fn call_keeping<T, Fut>(
        &self,
        region: &str,
        slot: Slot,
        keep_writes: bool,
        call: impl FnOnce(Arc<Plugin>, Limits, Vec<(String, String)>, Arc<dyn HostServices>) -> Fut,
    ) -> Result<T, Status>
    where
        Fut: Future<Output = Result<(T, CallCost), PluginError>>,
    {
        let Resolved {
            plugin,
            limits,
            params,
        } = self.resolve(region, slot)?;
        let sla = self.regions.get(region).map(|r| r.sla).unwrap_or_default();
        let capabilities =
            Capabilities::new(self.store.clone(), region, &plugin.manifest.name, sla);
        let running = call(plugin.clone(), limits, params, capabilities.clone());
        let answer = self.observe(region, slot, &plugin, running).await?;
        if !keep_writes {
            return Ok(answer);
        }
        capabilities.commit().await.map_err(|error| match error {
            StoreError::Quota { used, limit } => plugin_failed(
                &plugin,
                region,
                slot,
                &PluginError::Trap(format!(
                    "key-value quota exceeded: {used} bytes, the limit is {limit}"
                )),
            ),
            error => from_store(error, "plugin kv", region),
        })?;
        Ok(answer)
    }

    /// Asks `region`'s warranty plugin for the plans on offer for
    /// `appliance` on `today`. `Err(String)` inside is the plugin's refusal.
    pub async fn warranty_quote(
        &self,
        region: &str,
        appliance: WarrantyAppliance,
        today: Date,
    ) -> Result<Result<Vec<WarrantyPlan>, String>, Status> {
        self.call(
            region,
            Slot::Warranty,
            |plugin, limits, params, services| async move {
                plugin
                    .warranty_quote(&appliance, today, &params, limits, services)
                    .await
            },
        )
        .await
    }

    /// Runs a plugin call inside its `plugin_call` span (plugin, version,
    /// region, slot, outcome, fuel, duration), counts it, and turns a
    /// failure into a status.
    async fn observe<T>(
        &self,
        region: &str,
        slot: Slot,
        plugin: &Plugin,
        call: impl Future<Output = Result<(T, CallCost), PluginError>>,
    ) -> Result<T, Status> {
        let span = tracing::info_span!(
            "plugin_call",
            plugin = %plugin.manifest.name,
            version = %plugin.manifest.version,
            region,
            slot = slot.name(),
            outcome = tracing::field::Empty,
            fuel = tracing::field::Empty,
            duration_us = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = tracing::Instrument::instrument(call, span.clone()).await;
        let elapsed = started.elapsed();
        {
            let mut stats = self
                .stats
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let entry = stats
                .entry((region.to_owned(), slot, plugin.id()))
                .or_default();
            entry.calls += 1;
            entry.total += elapsed;
            entry.max = entry.max.max(elapsed);
            match &result {
                Ok((_, cost)) => entry.fuel = entry.fuel.saturating_add(cost.fuel),
                Err(_) => entry.failures += 1,
            }
        }
        span.record("duration_us", elapsed.as_micros() as u64);
        match result {
            Ok((answer, cost)) => {
                span.record("outcome", "ok");
                span.record("fuel", cost.fuel);
                span.in_scope(|| tracing::debug!("plugin call done"));
                Ok(answer)
            }
            Err(error) => {
                span.record("outcome", error.code());
                span.in_scope(|| tracing::warn!(%error, "plugin call failed"));
                Err(plugin_failed(plugin, region, slot, &error))
            }
        }
    }
}

/// `FAILED_PRECONDITION` (the plugin's fault) or `INTERNAL` (the host's),
/// with an ErrorInfo naming the plugin, version, region, slot and cause.
pub fn plugin_failed(plugin: &Plugin, region: &str, slot: Slot, error: &PluginError) -> Status {
    let code = if error.is_host_fault() {
        Code::Internal
    } else {
        Code::FailedPrecondition
    };
    Status::with_error_details(
        code,
        format!(
            "plugin {} ({slot} slot, region {region}) failed: {error}",
            plugin.id()
        ),
        ErrorDetails::with_error_info(
            "PLUGIN_FAILED",
            DOMAIN,
            [
                ("plugin".to_owned(), plugin.manifest.name.clone()),
                ("version".to_owned(), plugin.manifest.version.clone()),
                ("region".to_owned(), region.to_owned()),
                ("slot".to_owned(), slot.name().to_owned()),
                ("cause".to_owned(), error.code().to_owned()),
                ("message".to_owned(), error.to_string()),
            ],
        ),
    )
}

/// `FAILED_PRECONDITION` for a component that cannot be installed.
fn rejected(error: LoadError) -> Status {
    let reason = match &error {
        LoadError::NotAComponent(_) => "NOT_A_COMPONENT",
        LoadError::NoSlot => "NO_SLOT",
        LoadError::UnsupportedVersion { .. } => "UNSUPPORTED_WIT_VERSION",
        LoadError::ForbiddenImport { .. } => "FORBIDDEN_IMPORT",
        LoadError::BadManifest(_) => "BAD_MANIFEST",
        LoadError::Plugin(_) => "DESCRIBE_FAILED",
        LoadError::Runtime(_) => return Status::internal(error.to_string()),
    };
    Status::with_error_details(
        Code::FailedPrecondition,
        format!("plugin rejected: {error}"),
        ErrorDetails::with_error_info(reason, DOMAIN, std::collections::HashMap::new()),
    )
}

/// Checks a region id and slot from a request.
pub fn region_and_slot(region: &str, slot: i32) -> Result<Slot, Status> {
    let mut violations = crate::validate::Violations::default();
    violations.region("region", region);
    let found = slot_from_proto(slot);
    if found.is_none() {
        violations.add("slot", "is required: one of the PLUGIN_SLOT_* values");
    }
    violations.into_result()?;
    found.ok_or_else(|| invalid_field("slot", "is required"))
}
