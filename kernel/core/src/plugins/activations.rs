//! What each region last activated in each slot: persisted before it takes
//! effect, serialised by one lock so that each activation's `previous` is
//! right.

use std::collections::HashMap;
use std::sync::RwLock;

use xingji_api::v1::{Activation, ActivationAction, AuditEvent};
use xingji_plugin_host::Slot;
use xingji_store::prelude::*;

use crate::audit;
use crate::error::{KernelError, Result};
use crate::plugins::slots::slot_from_proto;

/// The last activation of each region and slot.
#[derive(Default)]
pub struct Activations {
    last: RwLock<HashMap<(String, Slot), Activation>>,
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
        let mut last = HashMap::new();
        for activation in store
            .list_activations()
            .await
            .map_err(|error| error.to_string())?
        {
            if let Some(slot) = slot_from_proto(activation.slot) {
                last.insert((activation.region.clone(), slot), activation);
            }
        }
        *self.write() = last;
        Ok(())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<(String, Slot), Activation>> {
        // Entries are replaced whole: a panic cannot tear the map.
        self.last.write().unwrap_or_else(|p| p.into_inner())
    }

    /// `region`'s last activation in `slot`.
    pub fn last(&self, region: &str, slot: Slot) -> Option<Activation> {
        self.last
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(region.to_owned(), slot))
            .cloned()
    }

    /// Every region's last activation in every slot.
    pub fn current(&self) -> Vec<Activation> {
        self.last
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
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
            _ => "plugins.activate",
        };
        let audit = AuditEvent {
            detail: format!("{}@{}", activation.name, activation.version),
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
        self.write().insert((region, slot), activation.clone());
        Ok(activation)
    }
}
