//! [`Kernel`]: what every part of the core works on — the store, the
//! regions, the plugin sets — and how it starts.

use std::sync::Arc;

use tokio::sync::watch;
use xingji_store::prelude::*;

use crate::admission::Admission;
use crate::error::{KernelError, Result};
use crate::orders::candidates::Networks;
use crate::paging::PageTokens;
use crate::plugins::sets::PluginSets;
use crate::regions::Regions;
use crate::settings::AdmissionConfig;

/// The kernel: the records, the regions and their plugins. The gRPC
/// services, the demo and the tests all drive it through its parts:
/// `kernel.orders()`, `kernel.outlets()`, `kernel.people()`,
/// `kernel.month_closes()`, `kernel.warranty()`, `kernel.campaigns()`,
/// `kernel.tours()` and `kernel.plugins`.
pub struct Kernel {
    /// Where records live.
    pub store: Arc<dyn Store>,
    /// Signs and checks page tokens.
    pub tokens: PageTokens,
    /// Which plugin each region runs in each slot, and the calls.
    pub plugins: PluginSets,
    /// The regions, and each one's settings.
    pub regions: Arc<Regions>,
    /// Whether new orders are dispatched at once (see [`Options`]).
    pub auto_dispatch: bool,
    /// How many orders may be in intake at once, per region and in all.
    pub admission: Admission,
    /// Each region's outlets and people, as dispatch last read them.
    pub(crate) networks: Networks,
    /// Turns true when the kernel is shutting down, to end the streams that
    /// would otherwise hold it open.
    pub stopping: watch::Receiver<bool>,
}

/// How a kernel behaves, beyond its regions' settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Dispatch every new order at once through its region's dispatch
    /// plugin. Off (a deployment whose dispatch another system drives, or
    /// tests of `DispatchOrder` itself), orders wait in intake.
    pub auto_dispatch: bool,
    /// Admission control's caps.
    pub admission: AdmissionConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            auto_dispatch: true,
            admission: AdmissionConfig::default(),
        }
    }
}

impl Kernel {
    /// Follows what other kernels sharing the store change: when the
    /// store's registry version moves (an install, an uninstall, an
    /// activation or a rollback, through any kernel), reloads the plugin
    /// sets. The task holds the kernel weakly and ends with it, or when the
    /// kernel stops. (The cached networks follow `network_version` when
    /// read; regions founded elsewhere are looked up when first named.)
    pub fn follow_shared_state(kernel: &Arc<Kernel>) {
        let mut registry = kernel.store.registry_version();
        let mut stopping = kernel.stopping.clone();
        let kernel = Arc::downgrade(kernel);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = registry.changed() => if changed.is_err() { return },
                    _ = stopping.wait_for(|stop| *stop) => return,
                }
                let Some(kernel) = kernel.upgrade() else {
                    return;
                };
                if let Err(error) = kernel.plugins.refresh().await {
                    // The next change, or the store's own poll, tries again.
                    tracing::warn!(%error, "reloading the plugin sets failed");
                }
            }
        });
    }

    /// A kernel over `store`, with its `regions` and their `plugins`; the
    /// page-token key is made once and kept in the store.
    pub async fn new(
        store: Arc<dyn Store>,
        regions: Arc<Regions>,
        plugins: PluginSets,
        options: Options,
        stopping: watch::Receiver<bool>,
    ) -> Result<Kernel> {
        let key = store
            .meta_get_or_init("page_token_key", &random_key()?)
            .await
            .map_err(|error| KernelError::store(error, "meta", "page_token_key"))?;
        Ok(Kernel {
            store,
            tokens: PageTokens::new(key),
            plugins,
            regions,
            auto_dispatch: options.auto_dispatch,
            admission: Admission::new(options.admission),
            networks: Networks::default(),
            stopping,
        })
    }
}

fn random_key() -> Result<[u8; 32]> {
    let mut key = [0; 32];
    getrandom::fill(&mut key).map_err(|error| {
        KernelError::Internal(format!("no randomness for the page-token key: {error}"))
    })?;
    Ok(key)
}
