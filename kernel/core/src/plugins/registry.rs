//! The installed plugins: the bundled set and every component installed
//! since, loaded (compiled, or from the artifact cache) and ready to call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use xingji_api::v1::Plugin as PluginRecord;
use xingji_plugin_host::{LoadError, Plugin, Runtime, Shape, Slot};
use xingji_store::{StoreError, prelude::*};

use crate::audit;
use crate::calendar::now;
use crate::error::{Conflict, KernelError, Result, bounded};
use crate::plugins::failure::rejected;
use crate::plugins::publishers::{BUNDLED_PUBLISHER, check_owner, not_the_owner};
use crate::plugins::slots::slot_to_proto;
use crate::settings::PluginsConfig;

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
    runtime: Arc<Runtime>,
    store: Arc<dyn Store>,
    installed: RwLock<HashMap<String, Installed>>,
    /// How long compiling an installed component may take.
    compile_limit: Duration,
}

/// How many plugins the start loads at once: a warm start deserializes
/// artifacts, a cold one compiles (single-threaded each) side by side.
const PARALLEL_LOADS: usize = 4;

impl Registry {
    /// The runtime, with compiled artifacts cached in `cache_dir` and
    /// installs bounded by `config`; the bundled plugins installed, then
    /// every stored one loaded, several at a time.
    pub async fn load(
        store: Arc<dyn Store>,
        cache_dir: PathBuf,
        bundled: &Bundled,
        config: &PluginsConfig,
    ) -> Result<Registry, String> {
        let runtime = Runtime::new(Some(cache_dir))
            .map_err(|error| error.to_string())?
            .with_shape(Shape::default());
        let registry = Registry {
            runtime: Arc::new(runtime),
            store,
            installed: RwLock::new(HashMap::new()),
            compile_limit: Duration::from_secs(config.compile_timeout_seconds),
        };
        let components = bundled.plugins.iter().map(|(_, bytes)| bytes.to_vec());
        let loaded = registry.load_all(components).await;
        for ((name, bytes), loaded) in bundled.plugins.iter().zip(loaded) {
            let plugin = loaded.map_err(|error| format!("bundled plugin {name}: {error}"))?;
            registry
                .record(plugin, bytes, "xingji", BUNDLED_PUBLISHER)
                .await
                .map_err(|error| format!("bundled plugin {name}: {error}"))?;
        }
        registry.sync().await?;
        Ok(registry)
    }

    /// Brings the loaded set to what the store holds: loads (compiling, or
    /// from the artifact cache) what another kernel on the same database
    /// installed, and drops what it uninstalled. At start, every stored
    /// plugin is new.
    pub async fn sync(&self) -> Result<(), String> {
        let stored = self
            .store
            .list_plugins()
            .await
            .map_err(|error| error.to_string())?;
        let ids: std::collections::HashSet<String> = stored
            .iter()
            .map(|record| format!("{}@{}", record.name, record.version))
            .collect();
        self.write().retain(|id, _| ids.contains(id));
        let mut records = Vec::new();
        let mut components = Vec::new();
        for record in stored {
            let id = format!("{}@{}", record.name, record.version);
            if self.read().contains_key(&id) {
                continue;
            }
            let bytes = self
                .store
                .plugin_component(&record.sha256)
                .await
                .map_err(|error| error.to_string())?;
            components.push(bytes);
            records.push((id, record));
        }
        let loaded = self.load_all(components).await;
        for ((id, record), loaded) in records.into_iter().zip(loaded) {
            match loaded {
                Ok(plugin) => {
                    let plugin = Arc::new(plugin);
                    self.write().insert(id, Installed { record, plugin });
                }
                Err(error) => {
                    tracing::warn!(plugin = %id, %error, "an installed plugin no longer loads; it cannot be activated")
                }
            }
        }
        Ok(())
    }

    /// Loads components at most [`PARALLEL_LOADS`] at a time, with no
    /// compile limit (the kernel carries them, or accepted them before);
    /// the results in the order given.
    async fn load_all(
        &self,
        components: impl IntoIterator<Item = Vec<u8>>,
    ) -> Vec<Result<Plugin, LoadError>> {
        let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL_LOADS));
        let loading: Vec<_> = components
            .into_iter()
            .map(|bytes| {
                let (runtime, permits) = (self.runtime.clone(), permits.clone());
                tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    runtime.load(&bytes, None).await
                })
            })
            .collect();
        let mut loaded = Vec::with_capacity(loading.len());
        for task in loading {
            loaded.push(task.await.unwrap_or_else(|error| {
                Err(LoadError::Runtime(format!("loading panicked: {error}")))
            }));
        }
        loaded
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
        let limit = Some(self.compile_limit);
        let plugin = self.runtime.load(bytes, limit).await.map_err(rejected)?;
        self.record(plugin, bytes, actor, publisher).await
    }

    /// Stores a loaded plugin's record and component, and makes it
    /// callable, unless another publisher owns its name.
    async fn record(
        &self,
        plugin: Plugin,
        bytes: &[u8],
        actor: &str,
        publisher: &str,
    ) -> Result<PluginRecord> {
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

    /// Removes the installed plugin `id`: its record and component from
    /// the store, then from the loaded set, then its artifacts. (The caller
    /// has checked that nothing runs it.)
    pub async fn uninstall(&self, record: &PluginRecord, actor: &str) -> Result<PluginRecord> {
        let id = format!("{}@{}", record.name, record.version);
        let audit = audit::event(&actor, "plugins.uninstall", format!("plugins/{id}"), "");
        let removed = self
            .store
            .delete_plugin(&record.name, &record.version, audit)
            .await
            .map_err(|error| KernelError::store(error, "plugin", &id))?;
        self.write().remove(&id);
        // Calls running hold the plugin in memory: its files can go.
        if !self
            .read()
            .values()
            .any(|i| i.record.sha256 == removed.sha256)
        {
            self.runtime.forget(&removed.sha256);
        }
        tracing::info!(plugin = %id, actor, "plugin uninstalled");
        Ok(removed)
    }

    /// How many times a component's `describe` has run since start.
    pub fn describes(&self) -> u64 {
        self.runtime.describes()
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
