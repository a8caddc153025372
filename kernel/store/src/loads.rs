//! The open loads dispatch reads: how many orders written `in_hand` each
//! outlet and engineer of a region has.

use std::collections::HashMap;

/// A region's open loads, by outlet and engineer pair, with the sums per
/// outlet and per engineer that dispatch shows a plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenLoads {
    pairs: HashMap<(String, String), i64>,
    outlets: HashMap<String, i64>,
    engineers: HashMap<String, i64>,
}

impl OpenLoads {
    /// The loads of `(outlet_id, engineer_id, count)` rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String, i64)>) -> Self {
        let mut loads = OpenLoads::default();
        for (outlet, engineer, count) in rows {
            loads.add(&outlet, &engineer, count);
        }
        loads
    }

    /// Counts `delta` more orders in hand for `outlet` and `engineer`.
    pub fn add(&mut self, outlet: &str, engineer: &str, delta: i64) {
        *self
            .pairs
            .entry((outlet.to_owned(), engineer.to_owned()))
            .or_default() += delta;
        *self.outlets.entry(outlet.to_owned()).or_default() += delta;
        *self.engineers.entry(engineer.to_owned()).or_default() += delta;
    }

    /// The orders in hand at `outlet`.
    pub fn outlet(&self, outlet: &str) -> u32 {
        clamp(self.outlets.get(outlet))
    }

    /// The orders in hand with `engineer`.
    pub fn engineer(&self, engineer: &str) -> u32 {
        clamp(self.engineers.get(engineer))
    }

    /// Every `(outlet_id, engineer_id, count)` with orders in hand, sorted.
    pub fn pairs(&self) -> Vec<(String, String, i64)> {
        let mut pairs: Vec<_> = self
            .pairs
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|((outlet, engineer), count)| (outlet.clone(), engineer.clone(), *count))
            .collect();
        pairs.sort();
        pairs
    }
}

fn clamp(count: Option<&i64>) -> u32 {
    count.map_or(0, |&count| u32::try_from(count.max(0)).unwrap_or(u32::MAX))
}
