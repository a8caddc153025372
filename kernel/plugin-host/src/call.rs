//! The generic call machinery, with no knowledge of any slot: a fresh store
//! for each call, bounded by its [`Limits`] (fuel, an epoch deadline, the
//! limiter), and the mapping of its failure to a [`PluginError`]. The typed
//! calls in `slots/` wrap each export's call in a [`Call`], through
//! [`call_export!`] (and [`export_call!`], which writes the whole method).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use crate::sandbox::{HostLimit, HostServices, HostState, Limits};
use crate::slot::Slot;
use crate::ticker::{Running, Ticker};

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

/// Epoch ticks (`EPOCH_TICK`, 100 µs) a call runs before it first yields.
const FIRST_SLICE_TICKS: u64 = 10;

/// One call in progress: its own store, so no state leaks between calls.
pub(crate) struct Call {
    store: Store<HostState>,
    limits: Limits,
    started: Instant,
    /// Keeps the epoch advancing while the call lives.
    _running: Running,
}

impl Call {
    /// A fresh store on `engine` for one call within `limits`, with the
    /// kernel's `services` behind the capabilities (none for `describe`).
    pub(crate) fn new(
        engine: &Engine,
        ticker: &Ticker,
        limits: Limits,
        services: Option<Arc<dyn HostServices>>,
    ) -> Self {
        let running = ticker.running();
        let mut store = Store::new(engine, HostState::new(limits, services));
        store.limiter(|state| state);
        // Fuel is on in the engine's config, so this cannot fail.
        let _ = store.set_fuel(limits.fuel);
        let started = Instant::now();
        // A call of ordinary length (a dispatch takes tens of microseconds)
        // runs to its end without yielding, so it is not queued again; a
        // long one yields every tick after its first slice, so that it
        // shares its worker thread with other requests.
        store.set_epoch_deadline(FIRST_SLICE_TICKS);
        store.epoch_deadline_callback(move |_| {
            if started.elapsed() >= limits.deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Let other tasks on this thread run, then go on.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        Self {
            store,
            limits,
            started,
            _running: running,
        }
    }

    /// The call's store, to instantiate the plugin in and call it with.
    pub(crate) fn store(&mut self) -> &mut Store<HostState> {
        &mut self.store
    }

    /// The result of the call and what it cost, or why it failed.
    pub(crate) fn finish<T>(
        mut self,
        result: wasmtime::Result<T>,
    ) -> Result<(T, CallCost), PluginError> {
        let answer = map_failure(&mut self.store, result)?;
        let cost = CallCost {
            fuel: self
                .limits
                .fuel
                .saturating_sub(self.store.get_fuel().unwrap_or(0)),
            duration: self.started.elapsed(),
        };
        Ok((answer, cost))
    }
}

/// How long after its deadline a call is dropped if it has not ended.
/// The epoch interrupt ends running wasm at the deadline itself; this
/// outer bound is for a call that waits rather than runs (in a host
/// function or a pollable), where no epoch can reach it.
pub const OUTER_GRACE: Duration = Duration::from_millis(50);

/// Runs `call` (instantiation and the call, or a `describe`) and drops it
/// if it has not ended [`OUTER_GRACE`] after `limits.deadline`: dropping
/// it drops its store, which gives its instance back to the pool, so a
/// guest that waits can hold neither the caller nor a pool slot.
pub(crate) async fn bounded<T, E: From<PluginError>>(
    limits: Limits,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    tokio::time::timeout(limits.deadline.saturating_add(OUTER_GRACE), call)
        .await
        .unwrap_or_else(|_| Err(PluginError::Deadline(limits.deadline).into()))
}

/// The result of a call, or why it failed.
fn map_failure<T>(
    store: &mut Store<HostState>,
    result: wasmtime::Result<T>,
) -> Result<T, PluginError> {
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

/// Calls function `$func` of the exported interface `$interface` (the
/// bindings' accessor, `xingji_plugins_tour_planner`) of `$plugin`, typed
/// as world `$world`, with `$args`: instantiated afresh in a new [`Call`]
/// within `$limits`, with `$services` behind the capabilities, the whole
/// of it [`bounded`] by the deadline. Evaluates to the function's result
/// and its [`CallCost`], or the [`PluginError`].
macro_rules! call_export {
    ($plugin:expr, $world:ty, $limits:expr, $services:expr, $interface:ident . $func:ident ($($args:expr),* $(,)?)) => {{
        let limits: $crate::sandbox::Limits = $limits;
        $crate::call::bounded(limits, async {
            let (pre, mut call) = $plugin.call::<$world>(limits, $services)?;
            let result = async {
                let instance = pre.instantiate_async(call.store()).await?;
                instance.$interface().$func(call.store(), $($args),*).await
            }
            .await;
            call.finish(result)
        })
        .await
    }};
}
pub(crate) use call_export;

/// A typed call on `Plugin` whose answer is the export's result as it is:
/// `pub async fn $name(&self, $args…, limits, services)`, calling
/// `$interface.$func($args…)` of world `$world` with [`call_export!`]. The
/// attributes (docs, lint allowances) go on the method.
macro_rules! export_call {
    (
        $(#[$attr:meta])*
        $vis:vis async fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $answer:ty
        = $world:ty, $interface:ident . $func:ident;
    ) => {
        $(#[$attr])*
        $vis async fn $name(
            &self,
            $($arg: $ty,)*
            limits: $crate::sandbox::Limits,
            services: std::sync::Arc<dyn $crate::sandbox::HostServices>,
        ) -> Result<($answer, $crate::call::CallCost), $crate::call::PluginError> {
            $crate::call::call_export!(
                self,
                $world,
                limits,
                Some(services),
                $interface.$func($($arg),*)
            )
        }
    };
}
pub(crate) use export_call;
