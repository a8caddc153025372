//! A loaded plugin: one compiled version of a component, checked and
//! pre-instantiated for its slot. Its typed calls are in its slot's file
//! (`impl Plugin` in `src/slots/<name>.rs`); each runs in a fresh store
//! (`call.rs`), so no state leaks between calls.

use std::any::Any;
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::InstancePre;

use crate::call::{Call, PluginError};
use crate::sandbox::{HostServices, HostState, Limits};
use crate::slot::Slot;
use crate::ticker::Ticker;
use crate::world::{Manifest, World};

/// What a plugin said of a region's parameters (`plugin.check-params`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamsCheck {
    /// It reads them as they are.
    Accepted,
    /// It would not run with them, saying why (naming the parameter).
    Refused(String),
    /// Its world, at its WIT version, has no `check-params` (0.2.0).
    NotChecked,
}

/// A compiled, checked plugin version.
pub struct Plugin {
    /// Its manifest.
    pub manifest: Manifest,
    /// The slot it fills.
    pub slot: Slot,
    /// The WIT package version it was built for.
    pub wit_version: String,
    /// The SHA-256 of its bytes, in hex.
    pub sha256: String,
    engine: Engine,
    ticker: Ticker,
    /// Its slot world's `World::Pre`. Held as `Any` so that this type needs
    /// no list of slots and each slot's file can add its calls to it.
    pre: Box<dyn Any + Send + Sync>,
    /// The same component untyped, for calls by name (`dynamic.rs`).
    instance: InstancePre<HostState>,
}

impl Plugin {
    /// A plugin of `slot` whose component is `pre`, that slot's
    /// `World::Pre`.
    pub(crate) fn new(
        manifest: Manifest,
        slot: Slot,
        wit_version: String,
        sha256: String,
        ticker: Ticker,
        pre: Box<dyn Any + Send + Sync>,
        instance: InstancePre<HostState>,
    ) -> Self {
        Plugin {
            manifest,
            slot,
            wit_version,
            sha256,
            engine: instance.engine().clone(),
            ticker,
            pre,
            instance,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn ticker(&self) -> &Ticker {
        &self.ticker
    }

    /// The component pre-instantiated for its slot, untyped.
    pub(crate) fn instance_pre(&self) -> &InstancePre<HostState> {
        &self.instance
    }

    /// Asks the plugin whether it runs with `params`, a region's parameters
    /// for its slot, before an activation switches to them.
    pub async fn check_params(
        &self,
        params: &[(String, String)],
    ) -> Result<ParamsCheck, PluginError> {
        match self.slot {
            Slot::Dispatch => self.dispatch_check_params(params).await,
            // The other worlds are at 0.2.0 only, without the export.
            _ => Ok(ParamsCheck::NotChecked),
        }
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.manifest.name, self.manifest.version)
    }

    /// The component as world `W` types it, and a fresh call within
    /// `limits`; [`PluginError::WrongSlot`] if the plugin fills another slot.
    pub(crate) fn call<W: World>(
        &self,
        limits: Limits,
        services: Option<Arc<dyn HostServices>>,
    ) -> Result<(&W::Pre, Call), PluginError> {
        let pre = self
            .pre
            .downcast_ref::<W::Pre>()
            .ok_or(PluginError::WrongSlot(self.slot))?;
        Ok((pre, Call::new(&self.engine, &self.ticker, limits, services)))
    }
}
