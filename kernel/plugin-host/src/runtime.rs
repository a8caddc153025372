//! The engine every plugin runs on: compiled once per plugin version (with
//! compiled artifacts cached on disk), checked against its slot's grants,
//! and instantiated afresh for every call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::cache::{ArtifactCache, Described, hex};
use crate::grant::{LINK_ONLY_WASI, TYPE_INTERFACES, linker};
use crate::load_error::LoadError;
use crate::plugin::Plugin;
use crate::registry::prepare;
use crate::sandbox::HostState;
use crate::shape::{Shape, check_shape};
use crate::slot::{SUPPORTED_WIT_VERSIONS, Slot, WIT_PACKAGE};
use crate::ticker::Ticker;
use crate::world::Manifest;

/// An error's chain on one line (wasmparser's errors span several).
fn one_line(error: &wasmtime::Error) -> String {
    format!("{error:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plugin runtime: one engine, one linker per slot and WIT version.
pub struct Runtime {
    engine: Engine,
    linkers: HashMap<(Slot, &'static str), Linker<HostState>>,
    cache: Option<ArtifactCache>,
    pooling: bool,
    ticker: Ticker,
    shape: Shape,
    /// One install's compile at a time: it takes one core (no parallel
    /// compilation), and the others stay with the regions' calls.
    compiling: Arc<tokio::sync::Semaphore>,
    describes: AtomicU64,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker.stop();
    }
}

impl Runtime {
    /// A runtime that caches compiled artifacts in `cache_dir`, if given.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self, LoadError> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(true)
            .parallel_compilation(false)
            .max_wasm_stack(1 << 20);
        let (engine, pooling) = match Engine::new(config.clone().allocation_strategy(pooling())) {
            Ok(engine) => (engine, true),
            Err(error) => {
                tracing::warn!(%error, "the pooling allocator is not available here; instantiating on demand");
                let engine =
                    Engine::new(config.allocation_strategy(InstanceAllocationStrategy::OnDemand))
                        .map_err(|error| LoadError::Runtime(error.to_string()))?;
                (engine, false)
            }
        };

        let ticker =
            Ticker::start(&engine).map_err(|error| LoadError::Runtime(error.to_string()))?;

        let mut linkers = HashMap::new();
        for slot in Slot::ALL {
            for &version in slot.wit_versions() {
                linkers.insert(
                    (slot, version),
                    linker(&engine, version, slot.grants(version))
                        .map_err(|error| LoadError::Runtime(format!("{error:#}")))?,
                );
            }
        }
        let cache = cache_dir
            .map(|dir| ArtifactCache::new(dir, &engine))
            .transpose()?;
        Ok(Self {
            engine,
            linkers,
            cache,
            pooling,
            ticker,
            shape: Shape::default(),
            compiling: Arc::new(tokio::sync::Semaphore::new(1)),
            describes: AtomicU64::new(0),
        })
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// The bounds a component's shape must keep to be compiled.
    pub fn with_shape(mut self, shape: Shape) -> Self {
        self.shape = shape;
        self
    }

    /// How many times a component's `describe` has run: a restart over a
    /// warm artifact cache runs none.
    pub fn describes(&self) -> u64 {
        self.describes.load(Ordering::Relaxed)
    }

    /// Compiles (or loads from the cache), checks and describes a plugin.
    /// A compile is refused past `compile_limit` (`None`: no limit, for
    /// components the kernel already trusts). The artifact is cached only
    /// once every check has passed: a refused component leaves nothing on
    /// disk.
    pub async fn load(
        &self,
        bytes: &[u8],
        compile_limit: Option<Duration>,
    ) -> Result<Plugin, LoadError> {
        let sha256 = hex(&Sha256::digest(bytes));
        let cached = self
            .cache
            .as_ref()
            .and_then(|cache| cache.load(&self.engine, &sha256));
        if let Some((component, described)) = cached {
            let (slot, wit_version) = self.check(&component)?;
            let manifest = described
                .filter(|d| d.slot == slot && d.wit_version == wit_version)
                .map(|d| d.manifest);
            let fresh = manifest.is_none();
            let plugin = self
                .ready(&component, slot, wit_version, sha256, manifest)
                .await?;
            if fresh {
                self.keep(&component, &plugin);
            }
            return Ok(plugin);
        }
        check_shape(bytes, &self.shape)?;
        let component = self.compile(bytes, compile_limit).await?;
        let (slot, wit_version) = self.check(&component)?;
        let plugin = self
            .ready(&component, slot, wit_version, sha256, None)
            .await?;
        self.keep(&component, &plugin);
        Ok(plugin)
    }

    /// Removes the cached artifacts of the component with this SHA-256.
    pub fn forget(&self, sha256: &str) {
        if let Some(cache) = &self.cache {
            cache.remove(sha256);
        }
    }

    /// The checked component pre-instantiated and typed for its slot, with
    /// its manifest: `manifest` if cached, else from a call of `describe`.
    async fn ready(
        &self,
        component: &Component,
        slot: Slot,
        wit_version: String,
        sha256: String,
        manifest: Option<Manifest>,
    ) -> Result<Plugin, LoadError> {
        let instance = self
            .linkers
            .get(&(slot, wit_version.as_str()))
            .ok_or_else(|| LoadError::UnsupportedVersion {
                found: wit_version.clone(),
            })?
            .instantiate_pre(component)
            .map_err(|error| LoadError::Runtime(format!("{error:#}")))?;
        if manifest.is_none() {
            self.describes.fetch_add(1, Ordering::Relaxed);
        }
        let (pre, manifest) = prepare(slot, &wit_version, instance.clone(), &self.ticker, manifest)
            .await
            .map_err(|error| match error {
                LoadError::ShapeMismatch { detail, .. } => LoadError::ShapeMismatch {
                    version: wit_version.clone(),
                    detail,
                },
                error => error,
            })?;
        check_manifest(&manifest)?;
        Ok(Plugin::new(
            manifest,
            slot,
            wit_version,
            sha256,
            self.ticker.clone(),
            pre,
            instance,
        ))
    }

    /// Caches a plugin that passed every check, with its description.
    fn keep(&self, component: &Component, plugin: &Plugin) {
        if let Some(cache) = &self.cache {
            let described = Described {
                slot: plugin.slot,
                wit_version: plugin.wit_version.clone(),
                manifest: plugin.manifest.clone(),
            };
            cache.store(&plugin.sha256, component, &described);
        }
    }

    /// Compiles on the blocking pool within `limit` (waiting for the
    /// compiler included), one bounded compile at a time. A compile cannot be
    /// cancelled: past the limit it runs on, holding the compiler, and its
    /// result is dropped unseen.
    async fn compile(&self, bytes: &[u8], limit: Option<Duration>) -> Result<Component, LoadError> {
        let compiling = async {
            // Only a bounded compile (an install) waits for the one
            // compiler; the start's loads, before any call is served, run
            // side by side.
            let permit = match limit {
                Some(_) => Some(
                    self.compiling
                        .clone()
                        .acquire_owned()
                        .await
                        .map_err(|_| LoadError::Runtime("the compiler has stopped".into()))?,
                ),
                None => None,
            };
            let (engine, bytes) = (self.engine.clone(), bytes.to_vec());
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                Component::new(&engine, &bytes)
            })
            .await
            .map_err(|error| LoadError::Runtime(format!("the compile failed: {error}")))?
            .map_err(|error| LoadError::NotAComponent(one_line(&error)))
        };
        match limit {
            None => compiling.await,
            Some(limit) => tokio::time::timeout(limit, compiling).await.unwrap_or(Err(
                LoadError::CompileTimeout {
                    seconds: limit.as_secs_f64(),
                },
            )),
        }
    }

    /// The slot and WIT version a component targets, after checking that it
    /// imports nothing beyond its slot's grants.
    fn check(&self, component: &Component) -> Result<(Slot, String), LoadError> {
        let ty = component.component_type();
        let mut found = None;
        for (name, _) in ty.exports(&self.engine) {
            let Some((interface, version)) = ours(name) else {
                continue;
            };
            if let Some(slot) = Slot::ALL
                .into_iter()
                .find(|slot| slot.export() == interface)
            {
                found = Some((slot, version.to_owned()));
            }
        }
        let (slot, version) = found.ok_or(LoadError::NoSlot)?;
        if !SUPPORTED_WIT_VERSIONS.contains(&version.as_str()) {
            return Err(LoadError::UnsupportedVersion { found: version });
        }
        if !slot.wit_versions().contains(&version.as_str()) {
            return Err(LoadError::SlotNotAtVersion {
                slot,
                found: version,
            });
        }
        check_imports(
            slot,
            &version,
            ty.imports(&self.engine).map(|(name, _)| name),
        )?;
        Ok((slot, version))
    }
}

/// Refuses the first import that `slot` does not grant: an interface of
/// our package other than the slot's grants and the type-only interfaces
/// (or of another version than `version`), or WASI beyond the link-only
/// interfaces.
fn check_imports<'a>(
    slot: Slot,
    version: &str,
    imports: impl IntoIterator<Item = &'a str>,
) -> Result<(), LoadError> {
    let grants = slot.grants(version);
    for name in imports {
        let allowed = match ours(name) {
            Some((interface, v)) => {
                v == version
                    && (TYPE_INTERFACES.contains(&interface)
                        || grants.iter().any(|grant| grant.interface() == interface))
            }
            None => {
                let unversioned = name.split('@').next().unwrap_or(name);
                LINK_ONLY_WASI.contains(&unversioned)
            }
        };
        if !allowed {
            return Err(LoadError::ForbiddenImport {
                import: name.to_owned(),
                slot,
                grants: grants
                    .iter()
                    .map(|grant| grant.interface())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(())
}

/// `(interface, version)` of an item name of our package.
fn ours(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(WIT_PACKAGE)?.strip_prefix('/')?;
    rest.split_once('@')
}

/// The largest linear memory the pooling allocator reserves: no slot's
/// memory limit may exceed it.
const POOL_MAX_MEMORY: usize = 512 << 20;

/// The component instances the pool holds: plugin calls and `describe`s
/// alive at once. The kernel admits at most this many less
/// [`POOL_DESCRIBE_HEADROOM`] calls at once (its last guard over the
/// per-region caps), so the pool cannot run out under calls.
pub const POOL_INSTANCES: u32 = 1000;

/// Instances of the pool kept for `describe` at load and install, which
/// the kernel's call guard does not count.
pub const POOL_DESCRIBE_HEADROOM: u32 = 32;

/// Core instances, memories and tables one plugin may have. Every bundled
/// plugin, a Rust `wasm32-wasip2` component, has 3 core modules (its own,
/// wit-component's shim and fixups), each instantiated once, with 1
/// memory and 2 tables defined among them (counted in their binaries; and
/// 650 held calls took the old pool's 2,000 core instances, issue 13);
/// these leave room for other toolchains. A component that needs more fails its
/// own calls; the pool's totals are these times [`POOL_INSTANCES`], so no
/// mix of components can exhaust one kind of slot before the instances.
const POOL_CORE_INSTANCES_PER_PLUGIN: u32 = 8;
const POOL_MEMORIES_PER_PLUGIN: u32 = 2;
const POOL_TABLES_PER_PLUGIN: u32 = 4;

fn pooling() -> InstanceAllocationStrategy {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOL_INSTANCES)
        .max_core_instances_per_component(POOL_CORE_INSTANCES_PER_PLUGIN)
        .max_memories_per_component(POOL_MEMORIES_PER_PLUGIN)
        .max_tables_per_component(POOL_TABLES_PER_PLUGIN)
        .total_core_instances(POOL_INSTANCES * POOL_CORE_INSTANCES_PER_PLUGIN)
        .total_memories(POOL_INSTANCES * POOL_MEMORIES_PER_PLUGIN)
        .total_tables(POOL_INSTANCES * POOL_TABLES_PER_PLUGIN)
        .max_memory_size(POOL_MAX_MEMORY)
        // Every call ends its instance. Without these the slot's touched
        // pages are given back with madvise and faulted in again by the
        // next call: half of a small dispatch call's time was the kernel's
        // (BENCHMARKS.md, dispatch call). Zeroing the low pages by memset
        // instead keeps them resident; 128 KiB covers a dispatch plugin's
        // stack (64 KiB, its build.rs), data and a region's candidates.
        .linear_memory_keep_resident(128 << 10)
        .table_keep_resident(16 << 10);
    InstanceAllocationStrategy::Pooling(pool)
}

/// Refuses a manifest the kernel cannot show or version.
/// Refuses a plugin name that is not 2 to 64 characters of a-z, 0-9 and
/// `-` starting with a letter, saying so.
pub fn check_plugin_name(name: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "name {name:?} must be 2 to 64 characters of a-z, 0-9 and '-', starting with a letter"
        ))
    }
}

fn check_manifest(manifest: &Manifest) -> Result<(), LoadError> {
    let bad = |why: String| Err(LoadError::BadManifest(why));
    if let Err(why) = check_plugin_name(&manifest.name) {
        return bad(why);
    }
    if semver::Version::parse(&manifest.version).is_err() {
        return bad(format!(
            "version {:?} is not a semantic version like 1.0.0",
            manifest.version
        ));
    }
    if manifest.description.len() > 1000 || manifest.author.len() > 200 {
        return bad("description (1000) or author (200) too long".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::Grant;
    use crate::sandbox::Limits;

    const V: &str = "0.2.0";

    fn ours_at(interface: &str, version: &str) -> String {
        format!("{WIT_PACKAGE}/{interface}@{version}")
    }

    #[test]
    fn each_slot_admits_exactly_its_grants_at_each_version() {
        for slot in Slot::ALL {
            for &version in slot.wit_versions() {
                for grant in Grant::ALL {
                    let import = ours_at(grant.interface(), version);
                    let result = check_imports(slot, version, [import.as_str()]);
                    assert_eq!(
                        result.is_ok(),
                        slot.grants(version).contains(&grant),
                        "{slot}@{version} and {grant}: {result:?}"
                    );
                }
            }
        }
        // What 0.3.0 changed: dispatch may read records.
        assert!(!Slot::Dispatch.grants("0.2.0").contains(&Grant::Records));
        assert!(Slot::Dispatch.grants("0.3.0").contains(&Grant::Records));
    }

    #[test]
    fn every_slot_admits_the_type_interfaces_and_link_only_wasi() {
        for slot in Slot::ALL {
            let types: Vec<_> = TYPE_INTERFACES.iter().map(|i| ours_at(i, V)).collect();
            let wasi = LINK_ONLY_WASI.iter().map(|i| format!("{i}@0.2.6"));
            let imports: Vec<_> = types.into_iter().chain(wasi).collect();
            let result = check_imports(slot, V, imports.iter().map(String::as_str));
            assert!(result.is_ok(), "{slot}: {result:?}");
        }
    }

    #[test]
    fn a_forbidden_import_is_named_with_the_grants() {
        let kv = ours_at("kv", V);
        let error = check_imports(Slot::Dispatch, V, [ours_at("log", V).as_str(), &kv])
            .expect_err("dispatch does not grant kv")
            .to_string();
        assert!(error.contains("dispatch world does not grant"), "{error}");
        assert!(error.contains(&kv), "{error}");
        assert!(error.contains("(it grants log)"), "{error}");

        let error = check_imports(Slot::Warranty, V, ["wasi:sockets/tcp@0.2.6"])
            .expect_err("no slot grants sockets")
            .to_string();
        assert!(error.contains("wasi:sockets/tcp@0.2.6"), "{error}");
        assert!(error.contains("(it grants log, records, kv)"), "{error}");
    }

    #[test]
    fn an_import_of_another_package_version_is_refused() {
        let log = ours_at("log", "0.1.0");
        let result = check_imports(Slot::Dispatch, V, [log.as_str()]);
        assert!(
            matches!(result, Err(LoadError::ForbiddenImport { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn a_component_the_shape_admits_fits_the_pool() {
        let shape = crate::shape::Shape::default();
        assert!(shape.max_modules <= POOL_CORE_INSTANCES_PER_PLUGIN as usize);
    }

    #[test]
    fn every_slot_fits_in_a_pooled_memory() {
        for slot in Slot::ALL {
            let limits = Limits::for_slot(slot);
            assert!(limits.memory_bytes <= POOL_MAX_MEMORY, "{slot}: {limits:?}");
            assert!(
                limits.memory_bytes > 0 && limits.output_bytes > 0,
                "{slot}: {limits:?}"
            );
        }
    }

    #[test]
    fn manifests_are_checked() {
        let manifest = |name: &str, version: &str| Manifest {
            name: name.into(),
            version: version.into(),
            description: String::new(),
            author: String::new(),
        };
        assert!(check_manifest(&manifest("dispatch-nearest", "1.0.0")).is_ok());
        assert!(check_manifest(&manifest("Dispatch", "1.0.0")).is_err());
        assert!(check_manifest(&manifest("dispatch-nearest", "1.0")).is_err());
    }
}
