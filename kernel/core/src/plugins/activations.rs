//! What each region has activated in each slot, as a deployment history:
//! an activation goes on top, a rollback takes the top one off (back to
//! the one below, or to the config's or default plugin), a reset takes
//! them all off. Beside the stack, a slot may have a shadow: a plugin
//! that decides beside the active one and is never applied, set and ended
//! by entries of the same history. Persisted before it takes effect,
//! serialised by one lock so that each activation's `previous` is right.

use std::collections::HashMap;
use std::sync::RwLock;

use xingji_api::v1::{Activation, ActivationAction, AuditEvent};
use xingji_plugin_host::Slot;
use xingji_store::prelude::*;

use crate::audit;
use crate::error::{KernelError, Result};
use crate::plugins::slots::slot_from_proto;

/// The history applied: each region and slot's stack of activations in
/// force, oldest first, and its shadow's entry, if it has one.
#[derive(Default)]
struct Stacks {
    stacks: HashMap<(String, Slot), Vec<Activation>>,
    shadows: HashMap<(String, Slot), Activation>,
}

/// The activations in force in each region and slot, and the shadows.
#[derive(Default)]
pub struct Activations {
    stacks: RwLock<Stacks>,
    /// Held while an activation is decided and persisted.
    pub(crate) changing: tokio::sync::Mutex<()>,
}

impl Activations {
    /// The stored history's last activation per region and slot.
    pub async fn load(store: &dyn Store) -> Result<Activations, String> {
        let activations = Activations::default();
        activations.reload(store).await?;
        Ok(activations)
    }

    /// Reads the history again, for the activations other kernels on the
    /// same database made. Waits for an activation of this kernel being
    /// persisted, so the two never interleave.
    pub async fn reload(&self, store: &dyn Store) -> Result<(), String> {
        let _changing = self.changing.lock().await;
        let mut stacks = Stacks::default();
        for activation in store
            .list_activations()
            .await
            .map_err(|error| error.to_string())?
        {
            if let Some(slot) = slot_from_proto(activation.slot) {
                apply(&mut stacks, slot, activation);
            }
        }
        *self.write() = stacks;
        Ok(())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Stacks> {
        // Stacks are changed by whole entries: a panic cannot tear the map.
        self.stacks.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Stacks> {
        self.stacks.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The activation `region` runs in `slot`: the top of its history;
    /// `None` when it runs its configured or default plugin.
    pub fn in_force(&self, region: &str, slot: Slot) -> Option<Activation> {
        let stacks = self.read();
        stacks
            .stacks
            .get(&(region.to_owned(), slot))?
            .last()
            .cloned()
    }

    /// The entry that set `region`'s `slot`'s shadow, if it has one.
    pub fn shadow(&self, region: &str, slot: Slot) -> Option<Activation> {
        self.read().shadows.get(&(region.to_owned(), slot)).cloned()
    }

    /// The activation a rollback of `region`'s `slot` returns to: the one
    /// below the top; `None` for the configured or default plugin.
    pub fn below(&self, region: &str, slot: Slot) -> Option<Activation> {
        let stacks = self.read();
        let stack = stacks.stacks.get(&(region.to_owned(), slot))?;
        stack.len().checked_sub(2).map(|i| stack[i].clone())
    }

    /// Every region's activation in force in every slot, and every
    /// shadow's. (Those a rollback would return to are not: a version may
    /// be uninstalled under them, and that rollback is then refused, naming
    /// it.)
    pub fn current(&self) -> Vec<Activation> {
        let state = self.read();
        state
            .stacks
            .values()
            .filter_map(|stack| stack.last())
            .chain(state.shadows.values())
            .cloned()
            .collect()
    }

    /// Stores `activation` in the history, then makes it the region's
    /// current one. (Call with `changing` held.)
    pub async fn persist(
        &self,
        store: &dyn Store,
        slot: Slot,
        activation: Activation,
    ) -> Result<Activation> {
        let region = activation.region.clone();
        let operation = match activation.action() {
            ActivationAction::Rollback => "plugins.rollback",
            ActivationAction::Reset => "plugins.reset",
            ActivationAction::Shadow | ActivationAction::EndShadow => "plugins.shadow",
            _ => "plugins.activate",
        };
        let audit = AuditEvent {
            detail: plugin_id(&activation),
            ..audit::event(
                &activation.actor,
                operation,
                format!("regions/{region}/slots/{slot}"),
                &region,
            )
        };
        // Persist first: an activation the store did not take never runs.
        let activation = store
            .add_activation(activation, audit)
            .await
            .map_err(|error| KernelError::store(error, "activation", &region))?;
        apply(&mut self.write(), slot, activation.clone());
        Ok(activation)
    }
}

/// The plugin `activation` made current, as `name@version`.
pub(crate) fn plugin_id(activation: &Activation) -> String {
    format!("{}@{}", activation.name, activation.version)
}

/// One entry of the history applied to the stacks. A rollback returns to
/// what ran before the top one (its `previous`); a history written before
/// rollbacks walked back (when a rollback swapped the last two) may name
/// another plugin, which then goes on top, so that what ran is what runs.
fn apply(state: &mut Stacks, slot: Slot, activation: Activation) {
    let key = (activation.region.clone(), slot);
    match activation.action() {
        ActivationAction::Shadow => {
            state.shadows.insert(key, activation);
            return;
        }
        ActivationAction::EndShadow => {
            state.shadows.remove(&key);
            return;
        }
        _ => {}
    }
    let stack = state.stacks.entry(key).or_default();
    match activation.action() {
        ActivationAction::Reset => stack.clear(),
        ActivationAction::Rollback => {
            let popped = stack.pop();
            let now = plugin_id(&activation);
            if popped.is_none_or(|top| top.previous != now) {
                stack.push(activation);
            }
        }
        _ => stack.push(activation),
    }
}
