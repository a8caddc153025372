//! The engine every plugin runs on: compiled once per plugin version (with
//! compiled artifacts cached on disk), checked against its slot's grants,
//! and instantiated afresh for every call.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings;
use crate::plugin::{Plugin, PluginError};
use crate::sandbox::HostState;
use crate::slot::{LINK_ONLY_WASI, SUPPORTED_WIT_VERSIONS, Slot, TYPE_INTERFACES, WIT_PACKAGE};

/// How often the epoch advances: the resolution of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Why a component could not become a plugin. Each message tells the
/// author what to change.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a component this engine can compile.
    #[error(
        "not a WebAssembly component: {0}. Build the plugin for wasm32-wasip2 (cargo build --target wasm32-wasip2), which emits a component"
    )]
    NotAComponent(String),
    /// No slot interface is exported.
    #[error("the component exports no Xingji slot: build it for one of the worlds {worlds} of {WIT_PACKAGE}@{version}", worlds = worlds(), version = SUPPORTED_WIT_VERSIONS[0])]
    NoSlot,
    /// The component targets a WIT version this kernel cannot run.
    #[error("the component was built for {WIT_PACKAGE}@{found}, but this kernel supports {supported}: rebuild it against the wit/ of this kernel", supported = SUPPORTED_WIT_VERSIONS.join(", "))]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// An import outside the slot's grants.
    #[error(
        "the component imports {import}, which the {slot} world does not grant (it grants {grants}): remove the use of that capability"
    )]
    ForbiddenImport {
        /// The import.
        import: String,
        /// The slot.
        slot: Slot,
        /// What the slot grants.
        grants: String,
    },
    /// The manifest is unusable.
    #[error("bad manifest from plugin.describe: {0}")]
    BadManifest(String),
    /// Instantiating or describing failed.
    #[error("{0}")]
    Plugin(#[from] PluginError),
    /// The host failed.
    #[error("runtime error: {0}")]
    Runtime(String),
}

/// An error's chain on one line (wasmparser's errors span several).
fn one_line(error: &wasmtime::Error) -> String {
    format!("{error:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn worlds() -> String {
    Slot::ALL
        .iter()
        .map(|slot| slot.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plugin runtime: one engine, one linker per slot.
pub struct Runtime {
    engine: Engine,
    linkers: HashMap<Slot, Linker<HostState>>,
    cache_dir: Option<PathBuf>,
    pooling: bool,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
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

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (ticking, stop) = (engine.weak(), ticker_stop.clone());
        std::thread::Builder::new()
            .name("xingji-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticking.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|error| LoadError::Runtime(error.to_string()))?;

        let mut linkers = HashMap::new();
        for slot in Slot::ALL {
            linkers.insert(
                slot,
                linker(&engine, slot).map_err(|error| LoadError::Runtime(format!("{error:#}")))?,
            );
        }
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir).map_err(|error| {
                LoadError::Runtime(format!("cache dir {}: {error}", dir.display()))
            })?;
        }
        Ok(Self {
            engine,
            linkers,
            cache_dir,
            pooling,
            ticker_stop,
        })
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// Compiles (or loads from the cache), checks and describes a plugin.
    pub async fn load(&self, bytes: &[u8]) -> Result<Plugin, LoadError> {
        let sha256 = hex(&Sha256::digest(bytes));
        let component = self.compile(bytes, &sha256)?;
        let (slot, wit_version) = self.check(&component)?;
        let linker = &self.linkers[&slot];
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|error| LoadError::Runtime(format!("{error:#}")))?;
        Plugin::new(pre, slot, wit_version, sha256).await
    }

    /// The component, from the artifact cache if a valid artifact for these
    /// bytes and these engine settings is there, else compiled (and cached).
    fn compile(&self, bytes: &[u8], sha256: &str) -> Result<Component, LoadError> {
        let Some(dir) = &self.cache_dir else {
            return Component::new(&self.engine, bytes)
                .map_err(|error| LoadError::NotAComponent(one_line(&error)));
        };
        let mut settings = std::hash::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut settings);
        let key = format!("{sha256}-{:016x}", settings.finish());
        let artifact = dir.join(format!("{key}.cwasm"));
        let checksum = dir.join(format!("{key}.sha256"));
        if let (Ok(compiled), Ok(expected)) =
            (std::fs::read(&artifact), std::fs::read_to_string(&checksum))
        {
            // Deserializing runs native code, so only our own intact artifact
            // is loaded; anything else is recompiled.
            if hex(&Sha256::digest(&compiled)) == expected.trim() {
                // SAFETY: the artifact was written by `serialize` below, for
                // these exact bytes and engine settings, and is intact.
                match unsafe { Component::deserialize(&self.engine, &compiled) } {
                    Ok(component) => return Ok(component),
                    Err(error) => {
                        tracing::warn!(%error, artifact = %artifact.display(), "stale artifact; recompiling")
                    }
                }
            } else {
                tracing::warn!(artifact = %artifact.display(), "artifact does not match its checksum; recompiling");
            }
        }
        let component = Component::new(&self.engine, bytes)
            .map_err(|error| LoadError::NotAComponent(one_line(&error)))?;
        match component.serialize() {
            Ok(compiled) => {
                let written = std::fs::write(&artifact, &compiled)
                    .and_then(|()| std::fs::write(&checksum, hex(&Sha256::digest(&compiled))));
                if let Err(error) = written {
                    tracing::warn!(%error, "cannot cache a compiled plugin");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot serialize a compiled plugin"),
        }
        Ok(component)
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
        let grants = slot.grants();
        for (name, _) in ty.imports(&self.engine) {
            let allowed = match ours(name) {
                Some((interface, v)) => {
                    v == version
                        && (TYPE_INTERFACES.contains(&interface) || grants.contains(&interface))
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
                    grants: grants.join(", "),
                });
            }
        }
        Ok((slot, version))
    }
}

/// `(interface, version)` of an item name of our package.
fn ours(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(WIT_PACKAGE)?.strip_prefix('/')?;
    rest.split_once('@')
}

fn pooling() -> InstanceAllocationStrategy {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(1000)
        .total_core_instances(2000)
        .total_memories(2000)
        .total_tables(2000)
        .max_memory_size(512 << 20)
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

/// The linker for a slot: link-only WASI plus the slot's grants. (The
/// imports a component may use are checked against the grants at load.)
fn linker(engine: &Engine, slot: Slot) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    match slot {
        Slot::Dispatch => {
            bindings::dispatch::Dispatch::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| {
                state
            })?
        }
        Slot::Warranty => {
            bindings::warranty::Warranty::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| {
                state
            })?
        }
        Slot::Campaign => {
            bindings::campaign::Campaign::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| {
                state
            })?
        }
        Slot::Tour => {
            bindings::tour::Tour::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?
        }
        Slot::Evaluation => bindings::evaluation::Evaluation::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |state| state,
        )?,
        Slot::Settlement => bindings::settlement::Settlement::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |state| state,
        )?,
    }
    Ok(linker)
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
