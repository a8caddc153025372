//! The installed plugins: the bundled set and every component installed
//! since, loaded (compiled, or from the artifact cache) and ready to call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use xingji_api::v1::Plugin as PluginRecord;
use xingji_plugin_host::{Plugin, Runtime, Slot};
use xingji_store::{Store, StoreError};

use crate::audit;
use crate::calendar::now;
use crate::error::{Conflict, KernelError, Result, bounded};
use crate::plugins::failure::rejected;
use crate::plugins::publishers::{BUNDLED_PUBLISHER, check_owner, not_the_owner};
use crate::plugins::slots::slot_to_proto;

/// The plugins a kernel binary carries: installed at every start, and
/// the default of each slot.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    /// `(name, component bytes)`.
    pub plugins: &'static [(&'static str, &'static [u8])],
    /// The plugin a region runs in each slot unless its config or an
    /// activation says otherwise: `(slot, name@version)`.
    pub defaults: &'static [(Slot, &'static str)],
}

struct Installed {
    record: PluginRecord,
    plugin: Arc<Plugin>,
}

/// Installed plugins by `name@version`.
pub struct Registry {
    runtime: Runtime,
    store: Arc<dyn Store>,
    installed: RwLock<HashMap<String, Installed>>,
}

impl Registry {
    /// The runtime, with compiled artifacts cached in `cache_dir`; the
    /// bundled plugins installed, then every stored one loaded.
    pub async fn load(
        store: Arc<dyn Store>,
        cache_dir: PathBuf,
        bundled: &Bundled,
    ) -> Result<Registry, String> {
        let runtime = Runtime::new(Some(cache_dir)).map_err(|error| error.to_string())?;
        let registry = Registry {
            runtime,
            store,
            installed: RwLock::new(HashMap::new()),
        };
        for (name, bytes) in bundled.plugins {
            registry
                .install(bytes, "xingji", BUNDLED_PUBLISHER)
                .await
                .map_err(|error| format!("bundled plugin {name}: {error}"))?;
        }
        let stored = registry
            .store
            .list_plugins()
            .await
            .map_err(|error| error.to_string())?;
        for record in stored {
            let id = format!("{}@{}", record.name, record.version);
            if registry.read().contains_key(&id) {
                continue;
            }
            let bytes = registry
                .store
                .plugin_component(&record.sha256)
                .await
                .map_err(|error| error.to_string())?;
            match registry.runtime.load(&bytes).await {
                Ok(plugin) => {
                    let plugin = Arc::new(plugin);
                    registry.write().insert(id, Installed { record, plugin });
                }
                Err(error) => {
                    tracing::warn!(plugin = %id, %error, "an installed plugin no longer loads; it cannot be activated")
                }
            }
        }
        Ok(registry)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Installed>> {
        // Entries are only ever inserted whole: a panic cannot tear the map.
        self.installed.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Installed>> {
        self.installed.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Validates and installs `publisher`'s component. Installing the same
    /// bytes again returns the installed plugin. A name another publisher
    /// owns is refused.
    pub async fn install(
        &self,
        bytes: &[u8],
        actor: &str,
        publisher: &str,
    ) -> Result<PluginRecord> {
        let plugin = self.runtime.load(bytes).await.map_err(rejected)?;
        let id = plugin.id();
        let name = &plugin.manifest.name;
        // The very bytes installed already change nothing, whoever sends them.
        if let Some((record, _)) = self.get(&id)
            && record.sha256 == plugin.sha256
        {
            return Ok(record);
        }
        check_owner(self.store.as_ref(), actor, name, publisher).await?;
        let record = PluginRecord {
            name: plugin.manifest.name.clone(),
            version: plugin.manifest.version.clone(),
            slot: slot_to_proto(plugin.slot) as i32,
            wit_version: plugin.wit_version.clone(),
            description: plugin.manifest.description.clone(),
            author: plugin.manifest.author.clone(),
            sha256: plugin.sha256.clone(),
            size_bytes: bytes.len() as i64,
            install_time: Some(now()),
            installed_by: actor.to_owned(),
            bundled: publisher == BUNDLED_PUBLISHER,
            publisher: publisher.to_owned(),
        };
        let audit = audit::event(&actor, "plugins.install", format!("plugins/{id}"), "");
        let record = self
            .store
            .install_plugin(record, bytes, audit)
            .await
            .map_err(|error| match error {
                // Another publisher's install of the name came first.
                StoreError::AlreadyExists("plugin name of another publisher") => {
                    not_the_owner(actor, name, "another publisher", publisher)
                }
                StoreError::AlreadyExists(_) => KernelError::Conflict(Conflict::Exists {
                    kind: "plugin",
                    name: bounded(&id),
                    message: format!(
                        "{id} is already installed with different bytes: give the new build a new version"
                    ),
                    description: "another component has this name and version".to_owned(),
                }),
                error => KernelError::store(error, "plugin", &id),
            })?;
        let plugin = Arc::new(plugin);
        self.write().insert(
            id,
            Installed {
                record: record.clone(),
                plugin,
            },
        );
        Ok(record)
    }

    /// Every installed plugin, by name and version.
    pub fn list(&self) -> Vec<PluginRecord> {
        let mut records: Vec<PluginRecord> =
            self.read().values().map(|i| i.record.clone()).collect();
        records.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        records
    }

    /// The installed plugin `id` (`name@version`): its record and code.
    pub fn get(&self, id: &str) -> Option<(PluginRecord, Arc<Plugin>)> {
        self.read()
            .get(id)
            .map(|i| (i.record.clone(), i.plugin.clone()))
    }
}
