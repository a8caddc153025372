//! [`PluginSets`]: which installed plugin runs in each slot of each region,
//! and how that changes.
//!
//! What a region runs in a slot is, in order: its last activation (persisted
//! in the store's history), else its declaration in the config, else the
//! kernel's default set. An activation swaps one entry of a map under a
//! short write lock: calls already running hold the old `Arc<Plugin>` and
//! finish on it, new calls get the new one, and other regions' entries are
//! not touched.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use xingji_api::v1::{
    Activation, ActivationAction, ActivePlugin, Plugin as PluginRecord, PluginCallStats,
    PluginParam, PluginSource,
};
use xingji_plugin_host::{Limits, ParamsCheck, Plugin, Slot};
use xingji_store::prelude::*;

use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::plugins::activations::{Activations, plugin_id};
use crate::plugins::concurrency::{CallPermits, SHADOW_CALLS};
use crate::plugins::failure::plugin_failed;
use crate::plugins::publishers::Publishers;
use crate::plugins::registry::{Bundled, Registry};

use crate::plugins::slots::slot_to_proto;
use crate::plugins::stats::CallStats;
use crate::regions::Regions;
use crate::settings::PluginsConfig;

/// The plugin registry and every region's plugin set.
pub struct PluginSets {
    pub(crate) registry: Registry,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) regions: Arc<Regions>,
    pub(crate) defaults: HashMap<Slot, String>,
    pub(crate) activations: Activations,
    pub(crate) stats: CallStats,
    /// The deployment's `[plugins]` settings.
    pub(crate) config: PluginsConfig,
    /// The caps on calls running at once.
    pub(crate) permits: CallPermits,
    /// The publishers it trusts.
    pub(crate) publishers: Publishers,
    /// Places for shadow calls (`shadow.rs`).
    pub(crate) shadow_permits: Arc<tokio::sync::Semaphore>,
    /// Shadow calls skipped for want of a place, by region and shadow.
    pub(crate) shadow_skipped: std::sync::Mutex<HashMap<(String, String), u64>>,
}

/// What a call in a region and slot runs with.
pub(crate) struct Resolved {
    pub plugin: Arc<Plugin>,
    /// Its publisher, which with its name owns its key-value data.
    pub publisher: String,
    pub limits: Limits,
    pub params: Vec<(String, String)>,
    /// The most calls at once in this region and slot.
    pub concurrency: usize,
}

impl PluginSets {
    /// Loads the bundled plugins, then every installed one (compiled
    /// artifacts cached in `cache_dir`), and the activation history; checks
    /// the plugins the regions declare.
    pub async fn start(
        store: Arc<dyn Store>,
        cache_dir: PathBuf,
        regions: Arc<Regions>,
        bundled: &Bundled,
        config: &PluginsConfig,
    ) -> Result<Self, String> {
        let publishers = Publishers::load(config)?;
        let registry = Registry::load(store.clone(), cache_dir, bundled, config).await?;
        let activations = Activations::load(store.as_ref()).await?;
        for (region, config) in regions.declared() {
            for (slot, id) in &config.plugins {
                let slot = Slot::from_name(slot)
                    .ok_or_else(|| format!("regions.{region}.plugins: {slot:?} is not a slot"))?;
                match registry.get(id) {
                    Some((_, plugin)) if plugin.slot == slot => {}
                    Some((_, plugin)) => {
                        return Err(format!(
                            "regions.{region}.plugins.{slot}: {id} is a {} plugin",
                            plugin.slot
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
        Ok(PluginSets {
            registry,
            store,
            regions,
            defaults: bundled
                .defaults
                .iter()
                .map(|(slot, id)| (*slot, id.to_string()))
                .collect(),
            activations,
            stats: CallStats::default(),
            config: config.clone(),
            permits: CallPermits::default(),
            publishers,
            shadow_permits: Arc::new(tokio::sync::Semaphore::new(SHADOW_CALLS)),
            shadow_skipped: Default::default(),
        })
    }

    /// Catches up with what other kernels on the same database installed,
    /// uninstalled and activated (see [`Self::follow`]).
    pub async fn refresh(&self) -> Result<(), String> {
        self.registry.sync().await?;
        self.activations.reload(self.store.as_ref()).await
    }

    /// Validates and installs `publisher`'s component (see
    /// [`Registry::install`]).
    pub async fn install(
        &self,
        bytes: &[u8],
        actor: &str,
        publisher: &str,
    ) -> Result<PluginRecord> {
        self.registry.install(bytes, actor, publisher).await
    }

    /// Every installed plugin, by name and version.
    pub fn list(&self) -> Vec<PluginRecord> {
        self.registry.list()
    }

    /// How many times a component's `describe` has run since start: none
    /// for plugins whose artifact (and description) was cached.
    pub fn describes(&self) -> u64 {
        self.registry.describes()
    }

    /// What `region` runs in `slot` (`name@version`), and why; `None` if
    /// nothing.
    pub fn active(&self, region: &str, slot: Slot) -> Option<(String, PluginSource)> {
        if let Some(activation) = self.activations.in_force(region, slot) {
            return Some((plugin_id(&activation), PluginSource::Activation));
        }
        self.configured(region, slot)
    }

    /// The plugin `region` runs in `slot` with no activation in force: its
    /// config's choice, or the default.
    fn configured(&self, region: &str, slot: Slot) -> Option<(String, PluginSource)> {
        if let Some(id) = self
            .regions
            .declared()
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
        Slot::ALL
            .into_iter()
            .filter_map(|slot| {
                let (id, source) = self.active(region, slot)?;
                let (record, _) = self.registry.get(&id)?;
                Some(ActivePlugin {
                    slot: slot_to_proto(slot) as i32,
                    name: record.name,
                    version: record.version,
                    sha256: record.sha256,
                    source: source as i32,
                    shadow: self.shadow_of(region, slot).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The plugin `region` runs in `slot`, with its limits and parameters.
    pub(crate) fn resolve(&self, region: &str, slot: Slot) -> Result<Resolved> {
        let (id, _) = self.active(region, slot).ok_or_else(|| {
            KernelError::precondition(
                "PLUGIN",
                "region",
                format!("region {region:?} has no {slot} plugin: install and activate one"),
            )
        })?;
        let (record, plugin) = self.registry.get(&id).ok_or_else(|| {
            KernelError::Internal(format!(
                "the active {slot} plugin {id} of region {region:?} is not loaded"
            ))
        })?;
        let limits = self.limits(region, slot);
        let mut concurrency = self.config.max_concurrent_calls as usize;
        let config = self.regions.declared().get(region);
        if let Some(cap) = config
            .and_then(|c| c.limits.get(slot.name()))
            .and_then(|overrides| overrides.concurrency)
        {
            concurrency = cap as usize;
        }
        // The activation's parameters, if it brought any; else the config's.
        let params = match self.activations.in_force(region, slot) {
            Some(activation) if !activation.params.is_empty() => activation
                .params
                .into_iter()
                .map(|p| (p.name, p.value))
                .collect(),
            _ => self.configured_params(region, slot),
        };
        Ok(Resolved {
            plugin,
            publisher: record.publisher,
            limits,
            params,
            concurrency,
        })
    }

    /// The bounds of a call in `region`'s `slot`: the slot's, with the
    /// region's overrides.
    pub(crate) fn limits(&self, region: &str, slot: Slot) -> Limits {
        let mut limits = Limits::for_slot(slot);
        let config = self.regions.declared().get(region);
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
        limits
    }

    /// The record of installed plugin `id`, which must fill `slot`.
    pub(crate) fn installed_for(&self, id: &str, slot: Slot) -> Result<PluginRecord> {
        let (record, plugin) = self
            .registry
            .get(id)
            .ok_or_else(|| KernelError::not_found("plugin", id))?;
        if plugin.slot != slot {
            return Err(KernelError::precondition(
                "SLOT",
                "slot",
                format!(
                    "{id} is a {} plugin and cannot run in the {slot} slot",
                    plugin.slot
                ),
            ));
        }
        Ok(record)
    }

    /// Makes `region` run `id` (`name@version`) in `slot`, for `actor`
    /// and why, with `params` (none: the config's). The plugin checks the
    /// parameters it will run with first, if its contract lets it
    /// (`check-params`, WIT 0.3.0); a refusal refuses the activation.
    pub async fn activate(
        &self,
        region: &str,
        slot: Slot,
        id: &str,
        (actor, reason): (&str, &str),
        params: Vec<(String, String)>,
    ) -> Result<Activation> {
        let _changing = self.activations.changing.lock().await;
        let record = self.installed_for(id, slot)?;
        let checked = self.check_params(region, slot, id, &params).await?;
        let previous = self
            .active(region, slot)
            .map(|(id, _)| id)
            .unwrap_or_default();
        let mut activation = self.entry(
            region,
            slot,
            ActivationAction::Activate,
            &record,
            previous,
            (actor, reason),
        );
        activation.params = params
            .into_iter()
            .map(|(name, value)| PluginParam { name, value })
            .collect();
        activation.params_checked = checked;
        self.switch(slot, activation).await
    }

    /// Asks plugin `id` whether it runs with `params`, or the config's
    /// parameters of `region`'s `slot` if none: whether it checked them,
    /// or why not (a refusal, or the check failing).
    async fn check_params(
        &self,
        region: &str,
        slot: Slot,
        id: &str,
        params: &[(String, String)],
    ) -> Result<bool> {
        let Some((_, plugin)) = self.registry.get(id) else {
            return Err(KernelError::not_found("plugin", id));
        };
        let configured = self.configured_params(region, slot);
        let params = if params.is_empty() {
            &configured
        } else {
            params
        };
        match plugin.check_params(params).await {
            Ok(ParamsCheck::Accepted) => Ok(true),
            Ok(ParamsCheck::NotChecked) => Ok(false),
            Ok(ParamsCheck::Refused(why)) => Err(KernelError::precondition(
                "BAD_PARAMS",
                "params",
                format!("{id} refuses the parameters it would run with in {region:?}: {why}"),
            )),
            Err(error) => Err(plugin_failed(&plugin, region, slot, &error)),
        }
    }

    /// `region`'s parameters for `slot` in its config.
    fn configured_params(&self, region: &str, slot: Slot) -> Vec<(String, String)> {
        self.regions
            .declared()
            .get(region)
            .and_then(|c| c.params.get(slot.name()))
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Undoes `region`'s activation in force in `slot`, by `how`: a
    /// rollback returns to what ran before it (the activation below it in
    /// the history, or the config's or default plugin), so each walks back
    /// one; a reset returns to the config's or default plugin, whatever was
    /// activated since.
    pub async fn undo(
        &self,
        region: &str,
        slot: Slot,
        how: ActivationAction,
        actor: &str,
        reason: &str,
    ) -> Result<Activation> {
        let _changing = self.activations.changing.lock().await;
        let current = self.in_force(region, slot, how)?;
        let below = match how {
            ActivationAction::Rollback => self.activations.below(region, slot),
            _ => None,
        };
        let back_to = match below {
            Some(below) => plugin_id(&below),
            None => self.fallback(region, slot)?,
        };
        let record = self.loadable(&back_to)?;
        let activation = self.entry(region, slot, how, &record, current, (actor, reason));
        self.switch(slot, activation).await
    }

    /// The activation in force, as `name@version`; refused when there is
    /// none to undo.
    fn in_force(&self, region: &str, slot: Slot, how: ActivationAction) -> Result<String> {
        let undo = match how {
            ActivationAction::Rollback => "roll back",
            _ => "reset",
        };
        let current = self.activations.in_force(region, slot).ok_or_else(|| {
            KernelError::precondition(
                "ACTIVATION",
                "slot",
                format!("region {region:?} has no activation in force in the {slot} slot to {undo}: it runs its configured or default plugin"),
            )
        })?;
        Ok(plugin_id(&current))
    }

    /// The config's or default plugin of `region`'s `slot`.
    fn fallback(&self, region: &str, slot: Slot) -> Result<String> {
        self.configured(region, slot)
            .map(|(id, _)| id)
            .ok_or_else(|| {
                KernelError::precondition(
                    "ACTIVATION",
                    "slot",
                    format!("the {slot} slot has no configured or default plugin to return to"),
                )
            })
    }

    /// The record of `id`, which the slot returns to.
    fn loadable(&self, id: &str) -> Result<PluginRecord> {
        let (record, _) = self.registry.get(id).ok_or_else(|| {
            KernelError::precondition(
                "ACTIVATION",
                "slot",
                format!("the plugin to return to, {id}, is no longer installed: activate another, or reset the slot"),
            )
        })?;
        Ok(record)
    }

    /// A history entry of `region`'s `slot`: `action` to `plugin` from
    /// `previous`, for `actor` and why.
    pub(crate) fn entry(
        &self,
        region: &str,
        slot: Slot,
        action: ActivationAction,
        plugin: &PluginRecord,
        previous: String,
        (actor, reason): (&str, &str),
    ) -> Activation {
        Activation {
            seq: 0,
            region: region.to_owned(),
            slot: slot_to_proto(slot) as i32,
            action: action as i32,
            name: plugin.name.clone(),
            version: plugin.version.clone(),
            sha256: plugin.sha256.clone(),
            previous,
            actor: actor.to_owned(),
            time: Some(now()),
            reason: reason.to_owned(),
            params: Vec::new(),
            params_checked: false,
        }
    }

    /// Persists `activation`, which then takes effect.
    pub(crate) async fn switch(&self, slot: Slot, activation: Activation) -> Result<Activation> {
        let activation = self
            .activations
            .persist(self.store.as_ref(), slot, activation)
            .await?;
        tracing::info!(region = %activation.region, %slot, plugin = %plugin_id(&activation), previous = %activation.previous, actor = %activation.actor, "plugin activated");
        Ok(activation)
    }

    /// The activation history, newest first, of one region or all.
    pub async fn history(&self, regions: Option<&[String]>) -> Result<Vec<Activation>> {
        let mut all = self
            .store
            .list_activations()
            .await
            .map_err(|error| KernelError::store(error, "activation", ""))?;
        all.retain(|a| regions.is_none_or(|r| r.contains(&a.region)));
        all.reverse();
        Ok(all)
    }

    /// Call counts per region, slot and plugin.
    pub fn stats(&self, regions: Option<&[String]>) -> Vec<PluginCallStats> {
        self.stats.snapshot(regions)
    }
}
