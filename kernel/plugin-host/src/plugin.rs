//! A loaded plugin: one compiled version, ready to instantiate, and its
//! calls. Every call gets a fresh store and instance, so no state leaks
//! between calls, and runs within its [`Limits`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use crate::bindings::dispatch::exports::xingji::plugins::dispatcher::{Decision, DispatchRequest};
use crate::bindings::host::xingji::plugins::month::MonthFacts;
use crate::bindings::host::xingji::plugins::types::Date;
use crate::bindings::warranty::exports::xingji::plugins::warranty_plans::{
    self, Appliance as WarrantyAppliance,
};
use crate::bindings::{campaign, dispatch, evaluation, settlement, tour, warranty};
use crate::sandbox::{HostLimit, HostServices, HostState, Limits};
use crate::slot::Slot;

/// Who a plugin says it is (its `plugin.describe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Lower case, digits and `-`.
    pub name: String,
    /// A semantic version.
    pub version: String,
    /// What it does.
    pub description: String,
    /// Who made it.
    pub author: String,
}

/// Why a plugin call failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The call ran past its deadline.
    #[error("deadline exceeded: the call ran longer than {0:?}")]
    Deadline(Duration),
    /// The call used all its fuel.
    #[error("fuel exhausted: the call used more than {0} units of fuel")]
    Fuel(u64),
    /// The call tried to use more memory than allowed.
    #[error("{0}")]
    Memory(String),
    /// The call overflowed the wasm stack (runaway recursion).
    #[error("stack overflow: the call recursed too deep")]
    StackOverflow,
    /// The plugin panicked or aborted.
    #[error("the plugin panicked{}", .0.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Panic(Option<String>),
    /// The call logged more than allowed.
    #[error("{0}")]
    Log(String),
    /// The result was larger than allowed.
    #[error("output too large: {bytes} bytes, the limit is {limit}")]
    OutputTooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The result broke the contract (an index out of range, say).
    #[error("invalid result: {0}")]
    InvalidResult(String),
    /// The plugin declined the call, saying why (a bad parameter, say).
    #[error("the plugin refused: {0}")]
    Refused(String),
    /// Another trap.
    #[error("trap: {0}")]
    Trap(String),
    /// The plugin was called for a slot it does not fill.
    #[error("the plugin fills the {0} slot, not this one")]
    WrongSlot(Slot),
    /// The host failed.
    #[error("{0}")]
    Host(String),
}

impl PluginError {
    /// A stable code for the cause, for `google.rpc.ErrorInfo` and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            PluginError::Deadline(_) => "DEADLINE_EXCEEDED",
            PluginError::Fuel(_) => "FUEL_EXHAUSTED",
            PluginError::Memory(_) => "MEMORY_LIMIT",
            PluginError::StackOverflow => "STACK_OVERFLOW",
            PluginError::Panic(_) => "PANIC",
            PluginError::Log(_) => "LOG_LIMIT",
            PluginError::OutputTooLarge { .. } => "OUTPUT_TOO_LARGE",
            PluginError::InvalidResult(_) => "INVALID_RESULT",
            PluginError::Refused(_) => "REFUSED",
            PluginError::Trap(_) => "TRAP",
            PluginError::WrongSlot(_) => "WRONG_SLOT",
            PluginError::Host(_) => "HOST_ERROR",
        }
    }

    /// Whether the host, not the plugin, is at fault.
    pub fn is_host_fault(&self) -> bool {
        matches!(self, PluginError::Host(_) | PluginError::WrongSlot(_))
    }
}

/// What a successful call cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallCost {
    /// Fuel used.
    pub fuel: u64,
    /// Wall-clock time, instantiation included.
    pub duration: Duration,
}

enum Pre {
    Dispatch(dispatch::DispatchPre<HostState>),
    Warranty(warranty::WarrantyPre<HostState>),
    Campaign(campaign::CampaignPre<HostState>),
    Tour(tour::TourPre<HostState>),
    Evaluation(evaluation::EvaluationPre<HostState>),
    Settlement(settlement::SettlementPre<HostState>),
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
    pre: Pre,
}

impl Plugin {
    pub(crate) async fn new(
        instance_pre: wasmtime::component::InstancePre<HostState>,
        slot: Slot,
        wit_version: String,
        sha256: String,
    ) -> Result<Self, crate::LoadError> {
        let engine = instance_pre.engine().clone();
        let host = |error: wasmtime::Error| crate::LoadError::Runtime(format!("{error:#}"));
        let pre = match slot {
            Slot::Dispatch => {
                Pre::Dispatch(dispatch::DispatchPre::new(instance_pre).map_err(host)?)
            }
            Slot::Warranty => {
                Pre::Warranty(warranty::WarrantyPre::new(instance_pre).map_err(host)?)
            }
            Slot::Campaign => {
                Pre::Campaign(campaign::CampaignPre::new(instance_pre).map_err(host)?)
            }
            Slot::Tour => Pre::Tour(tour::TourPre::new(instance_pre).map_err(host)?),
            Slot::Evaluation => {
                Pre::Evaluation(evaluation::EvaluationPre::new(instance_pre).map_err(host)?)
            }
            Slot::Settlement => {
                Pre::Settlement(settlement::SettlementPre::new(instance_pre).map_err(host)?)
            }
        };
        let mut plugin = Plugin {
            manifest: Manifest {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                author: String::new(),
            },
            slot,
            wit_version,
            sha256,
            engine,
            pre,
        };
        plugin.manifest = plugin.describe().await?;
        check_manifest(&plugin.manifest)?;
        Ok(plugin)
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.manifest.name, self.manifest.version)
    }

    fn store(&self, limits: Limits, services: Option<Arc<dyn HostServices>>) -> Store<HostState> {
        let mut store = Store::new(&self.engine, HostState::new(limits, services));
        store.limiter(|state| state);
        // Fuel is on in the engine's config, so this cannot fail.
        let _ = store.set_fuel(limits.fuel);
        let started = Instant::now();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if started.elapsed() >= limits.deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Let other tasks on this thread run, then go on.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    async fn describe(&self) -> Result<Manifest, PluginError> {
        let mut store = self.store(Limits::for_slot(self.slot), None);
        // Every world's `plugin` interface is the same WIT interface, but
        // each world's bindings have their own Rust type for its manifest.
        macro_rules! describe {
            ($pre:expr) => {{
                let result = async {
                    let instance = $pre.instantiate_async(&mut store).await?;
                    instance
                        .xingji_plugins_plugin()
                        .call_describe(&mut store)
                        .await
                }
                .await;
                let info = finish(&mut store, result)?;
                Manifest {
                    name: info.name,
                    version: info.version,
                    description: info.description,
                    author: info.author,
                }
            }};
        }
        Ok(match &self.pre {
            Pre::Dispatch(pre) => describe!(pre),
            Pre::Warranty(pre) => describe!(pre),
            Pre::Campaign(pre) => describe!(pre),
            Pre::Tour(pre) => describe!(pre),
            Pre::Evaluation(pre) => describe!(pre),
            Pre::Settlement(pre) => describe!(pre),
        })
    }

    /// Asks a dispatch plugin to choose for `request`.
    pub async fn dispatch(
        &self,
        request: &DispatchRequest,
        limits: Limits,
    ) -> Result<(Decision, CallCost), PluginError> {
        let Pre::Dispatch(pre) = &self.pre else {
            return Err(PluginError::WrongSlot(self.slot));
        };
        let started = Instant::now();
        let mut store = self.store(limits, None);
        let result = async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance
                .xingji_plugins_dispatcher()
                .call_choose(&mut store, request)
                .await
        }
        .await;
        let decision = finish(&mut store, result)?;
        let (text, bound) = match &decision {
            Decision::Assign(assignment) => {
                let in_range = (assignment.outlet as usize) < request.outlets.len()
                    && request
                        .engineers
                        .get(assignment.engineer as usize)
                        .is_some_and(|e| e.outlet == assignment.outlet);
                if !in_range {
                    return Err(PluginError::InvalidResult(format!(
                        "assigned outlet {} and engineer {}, which are not a candidate outlet and one of its engineers",
                        assignment.outlet, assignment.engineer
                    )));
                }
                (&assignment.reason, limits.output_bytes)
            }
            Decision::Refuse(reason) => (reason, limits.output_bytes),
        };
        if text.len() > bound {
            return Err(PluginError::OutputTooLarge {
                bytes: text.len(),
                limit: bound,
            });
        }
        let cost = CallCost {
            fuel: limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0)),
            duration: started.elapsed(),
        };
        Ok((decision, cost))
    }
}

/// A call to a slot's export that may use the host capabilities: a fresh
/// instance, the call, its failure mapped to a [`PluginError`].
macro_rules! capability_call {
    ($(#[$doc:meta])* fn $name:ident, $variant:ident, $accessor:ident, $call:ident, ($($arg:ident: $ty:ty),*) -> $out:ty) => {
        $(#[$doc])*
        #[allow(clippy::ptr_arg)] // the bindings take WIT lists as Vecs
        #[allow(clippy::too_many_arguments)] // the WIT function's, and the call's limits
        pub async fn $name(
            &self,
            $($arg: $ty,)*
            limits: Limits,
            services: Arc<dyn HostServices>,
        ) -> Result<($out, CallCost), PluginError> {
            let Pre::$variant(pre) = &self.pre else {
                return Err(PluginError::WrongSlot(self.slot));
            };
            let started = Instant::now();
            let mut store = self.store(limits, Some(services));
            let result = async {
                let instance = pre.instantiate_async(&mut store).await?;
                instance.$accessor().$call(&mut store, $($arg),*).await
            }
            .await;
            let answer = finish(&mut store, result)?;
            let cost = CallCost { fuel: limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0)), duration: started.elapsed() };
            Ok((answer, cost))
        }
    };
}

/// The exports of the slots other than dispatch. Their results are bounded
/// by the call's memory limit, which bounds what can be lifted out of it.
impl Plugin {
    capability_call!(
        /// `warranty-plans.quote`: the plans on offer for an appliance.
        fn warranty_quote, Warranty, xingji_plugins_warranty_plans, call_quote,
        (appliance: &WarrantyAppliance, today: Date, params: &Vec<(String, String)>)
            -> Result<Vec<warranty_plans::Plan>, String>
    );

    capability_call!(
        /// `warranty-plans.purchase`: sells a contract.
        fn warranty_purchase, Warranty, xingji_plugins_warranty_plans, call_purchase,
        (request_key: &str, appliance: &WarrantyAppliance, years: u32, customer_phone: &str, today: Date, params: &Vec<(String, String)>)
            -> Result<warranty_plans::Contract, String>
    );

    capability_call!(
        /// `warranty-plans.get-contract`.
        fn warranty_get_contract, Warranty, xingji_plugins_warranty_plans, call_get_contract,
        (id: &str) -> Option<warranty_plans::Contract>
    );

    capability_call!(
        /// `warranty-plans.list-contracts`.
        fn warranty_list_contracts, Warranty, xingji_plugins_warranty_plans, call_list_contracts,
        (after: &str, limit: u32) -> Vec<warranty_plans::Contract>
    );

    capability_call!(
        /// `warranty-plans.claim`: whether a contract covers a repair; counts it.
        fn warranty_claim, Warranty, xingji_plugins_warranty_plans, call_claim,
        (serial: &str, order_id: &str, today: Date) -> Option<warranty_plans::Contract>
    );

    capability_call!(
        /// `birthday-campaign.run`: the birthday visits due in a window.
        fn campaign_run, Campaign, xingji_plugins_birthday_campaign, call_run,
        (window: campaign::exports::xingji::plugins::birthday_campaign::Window, dry_run: bool, params: &Vec<(String, String)>)
            -> Result<Vec<campaign::exports::xingji::plugins::birthday_campaign::Visit>, String>
    );

    capability_call!(
        /// `tour-planner.plan`: one day's routes.
        fn tour_plan, Tour, xingji_plugins_tour_planner, call_plan,
        (request: &tour::exports::xingji::plugins::tour_planner::PlanRequest)
            -> Result<tour::exports::xingji::plugins::tour_planner::TourPlan, String>
    );

    capability_call!(
        /// `evaluator.evaluate`: a month's KPIs, scores, grades and licence charges.
        fn evaluation_evaluate, Evaluation, xingji_plugins_evaluator, call_evaluate,
        (month: &MonthFacts, params: &Vec<(String, String)>)
            -> Result<evaluation::exports::xingji::plugins::evaluator::Evaluation, String>
    );

    capability_call!(
        /// `settler.settle`: a month's statements, R = L × T + Q, and engineer pay.
        fn settlement_settle, Settlement, xingji_plugins_settler, call_settle,
        (month: &MonthFacts, accounts: &Vec<settlement::exports::xingji::plugins::settler::OutletAccount>, params: &Vec<(String, String)>)
            -> Result<settlement::exports::xingji::plugins::settler::Settlement, String>
    );
}

/// The result of a call, or why it failed.
fn finish<T>(store: &mut Store<HostState>, result: wasmtime::Result<T>) -> Result<T, PluginError> {
    result.map_err(|error| {
        let budget = store.data().budget;
        if let Some(limit) = error.downcast_ref::<HostLimit>() {
            return match limit {
                HostLimit::Memory { .. } => PluginError::Memory(limit.to_string()),
                HostLimit::Log { .. } => PluginError::Log(limit.to_string()),
                HostLimit::Capability(message) => PluginError::Trap(message.clone()),
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => PluginError::Deadline(budget.deadline),
            Some(Trap::OutOfFuel) => PluginError::Fuel(budget.fuel),
            Some(Trap::StackOverflow) => PluginError::StackOverflow,
            Some(Trap::UnreachableCodeReached) => PluginError::Panic(store.data().panic_message()),
            Some(trap) => PluginError::Trap(trap.to_string()),
            None => PluginError::Trap(format!("{error:#}")),
        }
    })
}

fn check_manifest(manifest: &Manifest) -> Result<(), crate::LoadError> {
    let bad = |why: String| Err(crate::LoadError::BadManifest(why));
    let name_ok = (2..=64).contains(&manifest.name.len())
        && manifest.name.starts_with(|c: char| c.is_ascii_lowercase())
        && manifest
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return bad(format!(
            "name {:?} must be 2 to 64 characters of a-z, 0-9 and '-', starting with a letter",
            manifest.name
        ));
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
