//! The regions: each one's settings, and which regions exist.
//!
//! A region exists when the deployment declares it (`[regions.<id>]`) or
//! once it has an outlet: a region's network starts with its first outlet,
//! which can only be a regional centre or headquarters, as every other
//! tier needs a parent in the same region. Every request that names a
//! region is checked against this set, so a misspelt region is an error
//! naming the real ones, not an empty answer or a new region by accident.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use xingji_store::prelude::*;

use crate::error::{KernelError, Missing, Result, bounded, quoted};
use crate::settings::RegionConfig;
use crate::validate::Violations;

/// The regions a kernel serves.
pub struct Regions {
    settings: BTreeMap<String, RegionConfig>,
    store: Arc<dyn Store>,
    /// Declared regions and those with outlets, as last read.
    known: RwLock<BTreeSet<String>>,
}

/// The most region names an error lists.
const LISTED: usize = 20;

impl Regions {
    /// The regions of `settings`, and those the store has outlets in.
    pub async fn load(
        settings: BTreeMap<String, RegionConfig>,
        store: Arc<dyn Store>,
    ) -> Result<Self> {
        let regions = Regions {
            settings,
            store,
            known: RwLock::new(BTreeSet::new()),
        };
        regions.reload().await?;
        Ok(regions)
    }

    async fn reload(&self) -> Result<()> {
        let stored = self
            .store
            .regions()
            .await
            .map_err(|error| KernelError::store(error, "region", ""))?;
        let mut known = self.write();
        known.extend(self.settings.keys().cloned());
        known.extend(stored);
        Ok(())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeSet<String>> {
        // The set only grows, one insert at a time: a panic cannot tear it.
        self.known.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeSet<String>> {
        self.known.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The settings of `region` (the defaults for a region not declared).
    pub fn settings(&self, region: &str) -> &RegionConfig {
        static DEFAULT: std::sync::LazyLock<RegionConfig> =
            std::sync::LazyLock::new(Default::default);
        self.settings.get(region).unwrap_or(&DEFAULT)
    }

    /// The declared regions and their settings.
    pub fn declared(&self) -> &BTreeMap<String, RegionConfig> {
        &self.settings
    }

    /// Every known region, in order.
    pub fn known(&self) -> Vec<String> {
        self.read().iter().cloned().collect()
    }

    /// Notes a region that now has an outlet.
    pub fn founded(&self, region: &str) {
        if !self.read().contains(region) {
            self.write().insert(region.to_owned());
        }
    }

    /// Checks that `region`, named by the request's `field`, is a region id
    /// and a known region: `INVALID_ARGUMENT` for a malformed id, `NOT_FOUND`
    /// naming the known regions for one that does not exist. (Another
    /// kernel on the same store may have founded it since: the store is
    /// asked before refusing.)
    pub async fn check(&self, field: &str, region: &str) -> Result<()> {
        record_region(region);
        let mut violations = Violations::default();
        violations.region(field, region);
        violations.into_result()?;
        if self.read().contains(region) {
            return Ok(());
        }
        self.reload().await?;
        if self.read().contains(region) {
            return Ok(());
        }
        Err(self.unknown(region))
    }

    /// Like [`Self::check`], for a list filter: empty means every region.
    pub async fn check_filter(&self, field: &str, region: &str) -> Result<Option<String>> {
        if region.is_empty() {
            return Ok(None);
        }
        self.check(field, region).await?;
        Ok(Some(region.to_owned()))
    }

    fn unknown(&self, region: &str) -> KernelError {
        let known = self.read();
        let mut list: Vec<&str> = known.iter().take(LISTED).map(String::as_str).collect();
        let more = known.len().saturating_sub(LISTED);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        if list.is_empty() {
            list.push("none yet");
        }
        let list = format!("{}{more}", list.join(", "));
        KernelError::NotFound(Missing {
            kind: "region",
            name: bounded(region),
            message: format!(
                "no region {}: the known regions are {list} (a region is declared under [regions.<id>] in the config, or founded by its first outlet, a regional centre)",
                quoted(region)
            ),
            description: format!("known regions: {list}"),
        })
    }
}

/// Records the region of the current request on its tracing span (the
/// server's `rpc` span has a `region` field).
pub fn record_region(region: &str) {
    tracing::Span::current().record("region", region);
}
