//! Call counts per region, slot and plugin, since the kernel started.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use xingji_api::v1::PluginCallStats;
use xingji_plugin_host::Slot;

use crate::plugins::slots::slot_to_proto;

#[derive(Default, Clone, Copy)]
struct Counts {
    calls: i64,
    failures: i64,
    total: Duration,
    max: Duration,
    fuel: u64,
}

/// The counts of every region's plugin calls.
#[derive(Default)]
pub struct CallStats(Mutex<BTreeMap<(String, Slot, String), Counts>>);

impl CallStats {
    /// Counts one call of plugin `id` (`name@version`) that took `elapsed`
    /// and used `fuel`, or failed (`None`).
    pub fn record(
        &self,
        region: &str,
        slot: Slot,
        id: String,
        elapsed: Duration,
        fuel: Option<u64>,
    ) {
        let mut stats = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = stats.entry((region.to_owned(), slot, id)).or_default();
        entry.calls += 1;
        entry.total += elapsed;
        entry.max = entry.max.max(elapsed);
        match fuel {
            Some(fuel) => entry.fuel = entry.fuel.saturating_add(fuel),
            None => entry.failures += 1,
        }
    }

    /// The counts of one region, or of all.
    pub fn snapshot(&self, regions: Option<&[String]>) -> Vec<PluginCallStats> {
        let stats = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        stats
            .iter()
            .filter(|((r, _, _), _)| regions.is_none_or(|wanted| wanted.contains(r)))
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
}
