//! Shadows and recorded decisions: a plugin set to shadow a region's slot
//! decides beside the active one on live traffic, and is never applied.
//! Its call runs after the active one has answered, on a task of its own
//! (off the answer's path), within the slot's limits and a cap of its own
//! on shadow calls at once (past it, a decision is skipped, not queued:
//! a flood must not grow a backlog of shadow work). Both decisions are
//! recorded with what they were asked; the report counts how often they
//! agree. Dispatch is the only slot with shadows for now: it is the one
//! whose decisions the kernel records.

use std::collections::HashMap;
use std::sync::Arc;

use xingji_api::v1::{
    Activation, ActivationAction, DecisionRole, PluginDecision, PluginSlot, ShadowReport,
};
use xingji_plugin_host::bindings::dispatch_0_3::exports::xingji::plugins::dispatcher::{
    Decision, DispatchRequest,
};
use xingji_plugin_host::record::{RecordedDispatch, decision_json, decisions_agree};
use xingji_plugin_host::{Plugin, Slot};
use xingji_store::{RecordedDecision, Shared};

use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::plugins::activations::plugin_id;
use crate::plugins::sets::PluginSets;
use crate::plugins::slots::slot_to_proto;

/// The order a dispatch decides for: its id and the version it was read
/// at.
#[derive(Debug, Clone, Copy)]
pub struct ForOrder<'a> {
    pub id: &'a str,
    pub version: i64,
}

/// A dispatch decision and what it was made from.
pub struct Dispatched {
    pub decision: Decision,
    /// The plugin that decided, `name@version`.
    pub plugin: String,
    /// Its record, to write with the order (`None` when the deployment
    /// records no decisions).
    pub recorded: Option<RecordedDecision>,
}

impl PluginSets {
    /// Sets `id` (`name@version`) to shadow `region`'s `slot`, or with
    /// `None` ends its shadow.
    pub async fn shadow(
        &self,
        region: &str,
        slot: Slot,
        id: Option<&str>,
        actor: &str,
        reason: &str,
    ) -> Result<Activation> {
        if slot != Slot::Dispatch {
            return Err(KernelError::precondition(
                "SLOT",
                "slot",
                format!("only the dispatch slot takes a shadow; {slot} does not yet"),
            ));
        }
        let _changing = self.activations.changing.lock().await;
        let current = self.activations.shadow(region, slot);
        let (action, record, previous) = match id {
            Some(id) => {
                let record = self.installed_for(id, slot)?;
                let previous = current.as_ref().map(plugin_id).unwrap_or_default();
                (ActivationAction::Shadow, record, previous)
            }
            None => {
                let current = current.ok_or_else(|| {
                    KernelError::precondition(
                        "SHADOW",
                        "name",
                        format!("region {region:?} has no shadow in the {slot} slot to end"),
                    )
                })?;
                let id = plugin_id(&current);
                let record = self
                    .registry
                    .get(&id)
                    .map(|(record, _)| record)
                    .ok_or_else(|| {
                        KernelError::Internal(format!("the shadow {id} is not installed"))
                    })?;
                (ActivationAction::EndShadow, record, id)
            }
        };
        let activation = self.entry(region, slot, action, &record, previous, (actor, reason));
        self.switch(slot, activation).await
    }

    /// The plugin shadowing `region`'s `slot`, as `name@version`.
    pub fn shadow_of(&self, region: &str, slot: Slot) -> Option<String> {
        self.activations.shadow(region, slot).map(|a| plugin_id(&a))
    }

    /// Asks `region`'s dispatch plugin to choose for the order `order`;
    /// `request.params` is filled in from the region's config. Records the
    /// request and decision, and starts the slot's shadow, if it has one.
    pub async fn dispatch(
        &self,
        region: &str,
        request: DispatchRequest,
        order: ForOrder<'_>,
    ) -> Result<Dispatched> {
        let (decision, plugin, request) = self.dispatch_call(region, request).await?;
        let shadow = self.shadow_plugin(region);
        if !self.config.record_decisions && shadow.is_none() {
            return Ok(Dispatched {
                decision,
                plugin: plugin.id(),
                recorded: None,
            });
        }
        let recording = RecordedDispatch::of(&request);
        let answer = decision_json(&decision);
        let decided = PluginDecision {
            order_id: order.id.to_owned(),
            order_version: order.version,
            region: region.to_owned(),
            slot: PluginSlot::Dispatch as i32,
            plugin: plugin.id(),
            role: DecisionRole::Active as i32,
            wit_version: plugin.wit_version.clone(),
            answer_json: answer.to_string(),
            time: Some(now()),
            ..PluginDecision::default()
        };
        let parts = recording.to_parts();
        let recorded = RecordedDecision {
            decision: decided,
            request: parts.own,
            shared: Shared {
                digest: parts.digest,
                body: parts.shared,
            },
        };
        if let Some(shadow) = shadow {
            self.start_shadow(shadow, request, &recorded, answer);
        }
        Ok(Dispatched {
            decision,
            plugin: plugin.id(),
            recorded: self.config.record_decisions.then_some(recorded),
        })
    }

    /// The loaded plugin shadowing `region`'s dispatch, if any.
    fn shadow_plugin(&self, region: &str) -> Option<Arc<Plugin>> {
        let id = self.shadow_of(region, Slot::Dispatch)?;
        self.registry.get(&id).map(|(_, plugin)| plugin)
    }

    /// Runs `shadow` on `request` on a task of its own, and records its
    /// decision beside `active`'s; skipped when
    /// [`SHADOW_CALLS`](crate::plugins::concurrency::SHADOW_CALLS) run.
    fn start_shadow(
        &self,
        shadow: Arc<Plugin>,
        request: DispatchRequest,
        active: &RecordedDecision,
        active_answer: serde_json::Value,
    ) {
        let Ok(permit) = self.shadow_permits.clone().try_acquire_owned() else {
            tracing::debug!(plugin = %shadow.id(), "shadow call skipped: too many running");
            *self
                .skipped()
                .entry((active.decision.region.clone(), shadow.id()))
                .or_default() += 1;
            return;
        };
        let limits = self.limits(&active.decision.region, Slot::Dispatch);
        let services = self.dispatch_services(&active.decision.region, &shadow);
        let store = self.store.clone();
        let mut record = RecordedDecision {
            decision: PluginDecision {
                plugin: shadow.id(),
                role: DecisionRole::Shadow as i32,
                wit_version: shadow.wit_version.clone(),
                active_answer_json: active_answer.to_string(),
                answer_json: String::new(),
                ..active.decision.clone()
            },
            request: active.request.clone(),
            shared: active.shared.clone(),
        };
        tokio::spawn(async move {
            let _permit = permit;
            match shadow.dispatch(&request, limits, services).await {
                Ok((decision, _)) => {
                    let answer = decision_json(&decision);
                    record.decision.agrees = decisions_agree(&answer, &active_answer);
                    record.decision.answer_json = answer.to_string();
                }
                Err(error) => record.decision.error = format!("{}: {error}", error.code()),
            }
            record.decision.time = Some(now());
            if let Err(error) = store.record_decision(record).await {
                tracing::warn!(%error, "a shadow decision was not recorded");
            }
        });
    }

    /// How `region`'s shadow in `slot` (the running one, else the last)
    /// agreed with the active plugin.
    pub async fn shadow_report(
        &self,
        region: &str,
        slot: Slot,
        max_differing: u32,
    ) -> Result<ShadowReport> {
        let shadow = match self.shadow_of(region, slot) {
            Some(id) => id,
            None => self
                .history(Some(&[region.to_owned()]))
                .await?
                .into_iter()
                .find(|a| {
                    a.slot == slot_to_proto(slot) as i32
                        && matches!(
                            a.action(),
                            ActivationAction::Shadow | ActivationAction::EndShadow
                        )
                })
                .map(|a| plugin_id(&a))
                .ok_or_else(|| {
                    KernelError::precondition(
                        "SHADOW",
                        "slot",
                        format!("region {region:?} has had no shadow in the {slot} slot"),
                    )
                })?,
        };
        let proto_slot = slot_to_proto(slot) as i32;
        let skipped = self
            .skipped()
            .get(&(region.to_owned(), shadow.clone()))
            .map_or(0, |n| *n as i64);
        let tally = self
            .store
            .shadow_tally(region, proto_slot, &shadow, max_differing)
            .await
            .map_err(|error| KernelError::store(error, "shadow decisions", region))?;
        Ok(ShadowReport {
            region: region.to_owned(),
            slot: proto_slot,
            shadow,
            decisions: tally.decisions as i64,
            agreed: tally.agreed as i64,
            agreement: if tally.decisions == 0 {
                0.0
            } else {
                tally.agreed as f64 / tally.decisions as f64
            },
            failures: tally.failures as i64,
            differing: tally.differing.into_iter().map(with_request).collect(),
            skipped,
        })
    }

    fn skipped(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), u64>> {
        // Counts only ever go up by one: a panic cannot tear the map.
        self.shadow_skipped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A recorded decision as the API shows it: its request as JSON (empty if
/// it does not read back, which `error` then says).
pub fn with_request(recorded: RecordedDecision) -> PluginDecision {
    let mut decision = recorded.decision;
    let read = if recorded.shared.digest.is_empty() {
        // Recorded whole, before the candidates were kept apart (and before
        // WIT 0.3.0's request): not read back.
        Err("recorded before WIT 0.3.0's dispatch request; it cannot be replayed".to_owned())
    } else {
        RecordedDispatch::from_parts(&recorded.shared.body, &recorded.request)
            .map_err(|error| error.to_string())
    };
    match read {
        Ok(recording) => decision.request_json = recording.to_json().to_string(),
        Err(error) if decision.error.is_empty() => decision.error = error,
        Err(_) => {}
    }
    decision
}
