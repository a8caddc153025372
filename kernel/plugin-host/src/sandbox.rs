//! What a plugin call runs inside: a fresh store whose data is a
//! [`HostState`], with memory, CPU, output and log bounded by [`Limits`].
//!
//! WASI is linked only so that `wasm32-wasip2` standard libraries link: the
//! context is empty (no directories, environment, arguments or sockets),
//! output is discarded, the clocks are frozen at the epoch and randomness is
//! a fixed sequence, so a plugin's result depends only on its input.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};

use crate::bindings::host::xingji::plugins::{log, order_writer, types};

/// The bounds of one call. Set per region and slot; see [`Limits::for_slot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Linear memory, in bytes, over all of the plugin's memories.
    pub memory_bytes: usize,
    /// Wall-clock time the call may run.
    pub deadline: Duration,
    /// Fuel (roughly, wasm instructions): a deterministic bound.
    pub fuel: u64,
    /// The largest result, in bytes of strings and lists.
    pub output_bytes: usize,
    /// Log lines per call.
    pub log_lines: u32,
    /// Log bytes per call.
    pub log_bytes: usize,
}

impl Limits {
    /// Limits with these bounds, and the bounds every slot shares: fuel
    /// unbounded (the deadline bounds CPU by default; a region that wants a
    /// deterministic quota sets fuel), 100 log lines and 64 KiB of log.
    /// Each slot's file sets its defaults with this; see
    /// [`Limits::for_slot`].
    pub(crate) const fn with_bounds(
        deadline: Duration,
        memory_bytes: usize,
        output_bytes: usize,
    ) -> Self {
        Limits {
            memory_bytes,
            deadline,
            fuel: u64::MAX,
            output_bytes,
            log_lines: 100,
            log_bytes: 64 << 10,
        }
    }
}

/// What the kernel provides behind the `records`, `kv` and `order-writer`
/// capabilities, for one call in one region. Errors are messages for the
/// plugin.
#[async_trait::async_trait]
pub trait HostServices: Send + Sync {
    /// `records.get-outlet`.
    async fn get_outlet(&self, id: String) -> Result<Option<types::Outlet>, String>;
    /// `records.list-outlets`.
    async fn list_outlets(&self, after: String, limit: u32) -> Result<Vec<types::Outlet>, String>;
    /// `records.get-person`.
    async fn get_person(&self, id: String) -> Result<Option<types::Person>, String>;
    /// `records.list-people`.
    async fn list_people(
        &self,
        outlet_id: String,
        after: String,
        limit: u32,
    ) -> Result<Vec<types::Person>, String>;
    /// `records.get-order`.
    async fn get_order(&self, id: String) -> Result<Option<types::Order>, String>;
    /// `records.list-orders`.
    async fn list_orders(&self, after: String, limit: u32) -> Result<Vec<types::Order>, String>;
    /// `kv.get`.
    async fn kv_get(&self, key: String) -> Result<Option<Vec<u8>>, String>;
    /// `kv.set`: the inner error is the plugin's to handle (a limit it
    /// hit), the outer one traps (the store failed; a write after one that
    /// was refused for a bound, which fails the call anyway).
    async fn kv_set(&self, key: String, value: Vec<u8>) -> Result<Result<(), String>, String>;
    /// `kv.delete`.
    async fn kv_delete(&self, key: String) -> Result<(), String>;
    /// `kv.list-keys`.
    async fn kv_list_keys(
        &self,
        prefix: String,
        after: String,
        limit: u32,
    ) -> Result<Vec<String>, String>;
    /// `order-writer.create-order`.
    async fn create_order(&self, order: order_writer::NewOrder) -> Result<String, String>;
}

/// A plugin's failure that the host detected (as opposed to a wasm trap).
#[derive(Debug, thiserror::Error)]
pub enum HostLimit {
    /// The call logged more than its budget.
    #[error("log limit exceeded: more than {lines} lines or {bytes} bytes in one call")]
    Log {
        /// The line budget.
        lines: u32,
        /// The byte budget.
        bytes: usize,
    },
    /// The call tried to grow its memory past its budget.
    #[error("memory limit exceeded: tried to grow memory to {desired} bytes; the limit is {limit}")]
    Memory {
        /// The size asked for.
        desired: usize,
        /// The budget.
        limit: usize,
    },
    /// A capability failed in a way the plugin cannot handle.
    #[error("{0}")]
    Capability(String),
}

/// One line a plugin logged during a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level: `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// Its text, as the plugin wrote it.
    pub message: String,
}

impl LogLine {
    pub(crate) fn new(level: log::Level, message: &str) -> Self {
        let level = match level {
            log::Level::Trace => "trace",
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        LogLine {
            level,
            message: message.to_owned(),
        }
    }
}

/// The data of a plugin call's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) budget: Limits,
    stderr: MemoryOutputPipe,
    /// Lines logged so far in this call.
    pub(crate) log_lines: u32,
    /// Bytes logged so far in this call.
    pub(crate) log_bytes: usize,
    services: Option<Arc<dyn HostServices>>,
    /// When the call began: the budget capability counts from here.
    pub(crate) started: std::time::Instant,
    /// The most linear memory asked for at once.
    peak_memory: usize,
    /// The call's log lines, kept for a call by name (`plugins run`); the
    /// kernel's own calls log to tracing only.
    pub(crate) kept_log: Option<Vec<LogLine>>,
}

impl HostState {
    /// A fresh state for one call.
    pub fn new(budget: Limits, services: Option<Arc<dyn HostServices>>) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(Frozen)
            .monotonic_clock(Frozen)
            .secure_random(Deterministic::new(vec![0x5a, 0x17, 0xc3, 0x9e]))
            .insecure_random(Deterministic::new(vec![0x2b, 0x81, 0x64]))
            .insecure_random_seed(0)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            budget,
            stderr,
            log_lines: 0,
            log_bytes: 0,
            services,
            started: std::time::Instant::now(),
            peak_memory: 0,
            kept_log: None,
        }
    }

    /// Keeps the call's log lines, for [`HostState::take_log`].
    pub(crate) fn keep_log(&mut self) {
        self.kept_log = Some(Vec::new());
    }

    /// The log lines kept so far.
    pub(crate) fn take_log(&mut self) -> Vec<LogLine> {
        self.kept_log.take().unwrap_or_default()
    }

    /// The most linear memory the call held at once, in bytes.
    pub(crate) fn peak_memory(&self) -> usize {
        self.peak_memory
    }

    /// The panic message the plugin wrote to standard error, if any: Rust's
    /// "thread … panicked at FILE:LINE:COL:" line and the message after it.
    pub fn panic_message(&self) -> Option<String> {
        let contents = self.stderr.contents();
        let text = String::from_utf8_lossy(&contents);
        let mut lines = text.lines();
        let location = lines.by_ref().find_map(|line| {
            line.split_once("panicked at ")
                .map(|(_, at)| at.trim_end_matches(':').to_owned())
        })?;
        let message = lines.next().unwrap_or_default().trim();
        Some(format!("{message} (at {location})"))
    }

    /// The kernel's services for this call, or a trap if the call has none
    /// (a plugin's `describe`).
    pub(crate) fn services(&self) -> wasmtime::Result<Arc<dyn HostServices>> {
        self.services.clone().ok_or_else(|| {
            wasmtime::Error::new(HostLimit::Capability(
                "this capability is not available in this call".into(),
            ))
        })
    }
}

/// How much of a plugin's standard error is kept, for panic messages.
const STDERR_BYTES: usize = 4096;

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.budget.memory_bytes {
            return Err(wasmtime::Error::new(HostLimit::Memory {
                desired,
                limit: self.budget.memory_bytes,
            }));
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(maximum.is_none_or(|maximum| desired <= maximum))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000 && maximum.is_none_or(|maximum| desired <= maximum))
    }

    fn instances(&self) -> usize {
        16
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        16
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A clock stopped at the epoch.
struct Frozen;

impl HostWallClock for Frozen {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for Frozen {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
