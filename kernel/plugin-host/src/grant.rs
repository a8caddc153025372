//! The host capabilities a slot may be granted: for each, its WIT
//! interface, how it is added to a slot's linker, and its implementation
//! on [`HostState`]. A slot's grants (its file's `World::GRANTS`) drive
//! both its linker ([`linker`]) and the install check of its plugins.

use std::fmt;

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker, Resource};
use wasmtime_wasi::p2::DynPollable;

use crate::bindings::host::xingji::plugins::{
    budget, kv, log, month, order_writer, records, types,
};
use crate::bindings::host_0_3::xingji::plugins as v0_3;
use crate::sandbox::{HostLimit, HostState, LogLine};

/// A host capability: one interface of the WIT package that a world may
/// import and the kernel implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// `log`: lines into the kernel's logs, bounded per call.
    Log,
    /// `records`: read-only queries over the calling region.
    Records,
    /// `kv`: a key-value store private to the plugin in its region.
    Kv,
    /// `order-writer`: creating orders in the calling region.
    OrderWriter,
    /// `budget`: the time left for the call.
    Budget,
}

impl Grant {
    /// Every capability.
    pub const ALL: [Grant; 5] = [
        Grant::Log,
        Grant::Records,
        Grant::Kv,
        Grant::OrderWriter,
        Grant::Budget,
    ];

    /// Its interface's name in the WIT package: `order-writer`.
    pub fn interface(self) -> &'static str {
        match self {
            Grant::Log => "log",
            Grant::Records => "records",
            Grant::Kv => "kv",
            Grant::OrderWriter => "order-writer",
            Grant::Budget => "budget",
        }
    }

    /// Adds the host's implementation of the interface at WIT `version`
    /// to `linker`.
    pub(crate) fn add_to_linker(
        self,
        version: &str,
        linker: &mut Linker<HostState>,
    ) -> wasmtime::Result<()> {
        if version == "0.3.0" {
            return match self {
                Grant::Log => v0_3::log::add_to_linker::<_, HasSelf<_>>(linker, |state| state),
                Grant::Records => {
                    v0_3::records::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
                }
                _ => wasmtime::bail!("WIT 0.3.0 has no interface {self}"),
            };
        }
        match self {
            Grant::Log => log::add_to_linker::<_, HasSelf<_>>(linker, |state| state),
            Grant::Records => records::add_to_linker::<_, HasSelf<_>>(linker, |state| state),
            Grant::Kv => kv::add_to_linker::<_, HasSelf<_>>(linker, |state| state),
            Grant::OrderWriter => {
                order_writer::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
            }
            Grant::Budget => budget::add_to_linker::<_, HasSelf<_>>(linker, |state| state),
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// The interfaces of the package that hold only types: every world may
/// import them, as they grant nothing. Every slot's linker links them.
pub const TYPE_INTERFACES: &[&str] = &["types", "month"];

/// WASI interfaces a component built for `wasm32-wasip2` imports just to
/// link its standard library. They are satisfied, but give nothing: no
/// preopened directories, no environment or arguments, discarded output,
/// clocks frozen at the epoch and a fixed random sequence.
pub const LINK_ONLY_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

/// The monotonic clock's interface under the exact name wasmtime-wasi
/// defines it (its `wit/deps/clocks.wit`). The linker's semver matching
/// resolves every `@0.2.x` import to it, so shadowing its functions here
/// covers components built against any WASI 0.2 release. [`linker`] fails
/// if wasmtime-wasi stops defining this name, so an upgrade cannot leave
/// the clock's waiting unshadowed.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// The trap a plugin gets for waiting on the clock.
fn frozen_clock(function: &str) -> wasmtime::Error {
    wasmtime::Error::new(HostLimit::Capability(format!(
        "the sandbox's clock is frozen: a plugin cannot sleep or wait ({}.{function})",
        MONOTONIC_CLOCK.split('@').next().unwrap_or(MONOTONIC_CLOCK)
    )))
}

/// Makes waiting on WASI trap at once. The sandbox's clocks are frozen
/// (`sandbox.rs`), so a pollable on the monotonic clock could never fire
/// by the plugin's reckoning, and wasmtime-wasi's would sleep on the real
/// clock, where the epoch deadline cannot reach: a plugin that sleeps
/// (`std::thread::sleep`) or polls with a timeout would hold its call and
/// its pool slot. The clock's `subscribe-duration` and `subscribe-instant`
/// are the only pollables that wait on time; the other pollables a
/// link-only plugin can make are on its streams (an empty stdin, a
/// discarded stdout, a bounded in-memory stderr), which are always ready,
/// and it has no files or sockets. So `wasi:io/poll`'s `poll` and `block`
/// never wait.
fn freeze_waiting(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    let trap_duration = |_: wasmtime::StoreContextMut<'_, HostState>,
                         (_,): (u64,)|
     -> wasmtime::Result<(Resource<DynPollable>,)> {
        Err(frozen_clock("subscribe-duration"))
    };
    let trap_instant = |_: wasmtime::StoreContextMut<'_, HostState>,
                        (_,): (u64,)|
     -> wasmtime::Result<(Resource<DynPollable>,)> {
        Err(frozen_clock("subscribe-instant"))
    };
    // Without shadowing, defining the function again fails exactly when
    // wasmtime-wasi defined it under this name.
    if linker
        .instance(MONOTONIC_CLOCK)?
        .func_wrap("subscribe-duration", trap_duration)
        .is_ok()
    {
        wasmtime::bail!(
            "wasmtime-wasi does not define {MONOTONIC_CLOCK}: update MONOTONIC_CLOCK in grant.rs"
        );
    }
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap("subscribe-duration", trap_duration)?;
    clock.func_wrap("subscribe-instant", trap_instant)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The linker for a slot's world at WIT `version`: link-only WASI (with
/// waiting on the clock trapping, [`freeze_waiting`]), that version's
/// type-only interfaces and exactly `grants`. (The imports a component may
/// use are checked against the same grants at load.)
pub(crate) fn linker(
    engine: &Engine,
    version: &str,
    grants: &[Grant],
) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    freeze_waiting(&mut linker)?;
    // Instances with no functions: a world that uses their types imports
    // them, and its component cannot link without them.
    if version == "0.3.0" {
        // Only `types` is in 0.3.0 (whose worlds use no `month`); its Rust
        // module is 0.2.0's, so its instance is named here.
        linker.instance("xingji:plugins/types@0.3.0")?;
    } else {
        types::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        month::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
    }
    for grant in grants {
        grant.add_to_linker(version, &mut linker)?;
    }
    Ok(linker)
}

impl types::Host for HostState {}

impl month::Host for HostState {}

impl budget::Host for HostState {
    async fn remaining_ms(&mut self) -> wasmtime::Result<u32> {
        let left = self.budget.deadline.saturating_sub(self.started.elapsed());
        Ok(u32::try_from(left.as_millis()).unwrap_or(u32::MAX))
    }
}

impl log::Host for HostState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        self.log_line(level, message)
    }
}

impl v0_3::log::Host for HostState {
    async fn log(&mut self, level: v0_3::log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            v0_3::log::Level::Trace => log::Level::Trace,
            v0_3::log::Level::Debug => log::Level::Debug,
            v0_3::log::Level::Info => log::Level::Info,
            v0_3::log::Level::Warn => log::Level::Warn,
            v0_3::log::Level::Error => log::Level::Error,
        };
        self.log_line(level, message)
    }
}

impl HostState {
    /// A plugin's log line, at any WIT version, within the call's bounds.
    fn log_line(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        self.log_lines += 1;
        self.log_bytes += message.len();
        if self.log_lines > self.budget.log_lines || self.log_bytes > self.budget.log_bytes {
            return Err(wasmtime::Error::new(HostLimit::Log {
                lines: self.budget.log_lines,
                bytes: self.budget.log_bytes,
            }));
        }
        if let Some(kept) = &mut self.kept_log {
            kept.push(LogLine::new(level, &message));
        }
        // The call's span carries the plugin, version, region and slot. The
        // message is the plugin's text, escaped so that it stays on its line.
        let message = escaped(&message);
        match level {
            log::Level::Trace => tracing::trace!(target: "xingji::plugin", "{message}"),
            log::Level::Debug => tracing::debug!(target: "xingji::plugin", "{message}"),
            log::Level::Info => tracing::info!(target: "xingji::plugin", "{message}"),
            log::Level::Warn => tracing::warn!(target: "xingji::plugin", "{message}"),
            log::Level::Error => tracing::error!(target: "xingji::plugin", "{message}"),
        }
        Ok(())
    }
}

/// A plugin's log message with every control character escaped visibly
/// (`\n`, `\r`, `\t`, `\u{1b}`), and `\` as `\\` so an escape cannot be
/// forged either: the text log gets one line per message, and no plugin
/// can write a line that looks like the kernel's, move the cursor or
/// recolour a terminal. Unicode's line and paragraph separators and
/// bidirectional overrides, which some viewers also act on, are escaped
/// too.
pub(crate) fn escaped(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
    out
}

/// Turns a service's error message into a trap.
fn trap(message: String) -> wasmtime::Error {
    wasmtime::Error::new(HostLimit::Capability(message))
}

/// `records` on the calling region's services: the same at 0.2.0 and
/// 0.3.0, whose records are the same Rust types.
macro_rules! records_host {
    ($records:path) => {
        impl $records for HostState {
            async fn get_outlet(&mut self, id: String) -> wasmtime::Result<Option<types::Outlet>> {
                self.services()?.get_outlet(id).await.map_err(trap)
            }
            async fn list_outlets(
                &mut self,
                after: String,
                limit: u32,
            ) -> wasmtime::Result<Vec<types::Outlet>> {
                self.services()?
                    .list_outlets(after, limit)
                    .await
                    .map_err(trap)
            }
            async fn get_person(&mut self, id: String) -> wasmtime::Result<Option<types::Person>> {
                self.services()?.get_person(id).await.map_err(trap)
            }
            async fn list_people(
                &mut self,
                outlet_id: String,
                after: String,
                limit: u32,
            ) -> wasmtime::Result<Vec<types::Person>> {
                self.services()?
                    .list_people(outlet_id, after, limit)
                    .await
                    .map_err(trap)
            }
            async fn get_order(&mut self, id: String) -> wasmtime::Result<Option<types::Order>> {
                self.services()?.get_order(id).await.map_err(trap)
            }
            async fn list_orders(
                &mut self,
                after: String,
                limit: u32,
            ) -> wasmtime::Result<Vec<types::Order>> {
                self.services()?
                    .list_orders(after, limit)
                    .await
                    .map_err(trap)
            }
        }
    };
}
records_host!(records::Host);
records_host!(v0_3::records::Host);

impl kv::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        self.services()?.kv_get(key).await.map_err(trap)
    }
    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), String>> {
        self.services()?.kv_set(key, value).await.map_err(trap)
    }
    async fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        self.services()?.kv_delete(key).await.map_err(trap)
    }
    async fn list_keys(
        &mut self,
        prefix: String,
        after: String,
        limit: u32,
    ) -> wasmtime::Result<Vec<String>> {
        self.services()?
            .kv_list_keys(prefix, after, limit)
            .await
            .map_err(trap)
    }
}

impl order_writer::Host for HostState {
    async fn create_order(
        &mut self,
        order: order_writer::NewOrder,
    ) -> wasmtime::Result<Result<String, String>> {
        Ok(self.services()?.create_order(order).await)
    }
}

#[cfg(test)]
mod tests {
    use super::escaped;

    #[test]
    fn log_messages_cannot_break_their_line() {
        let forged = "done\n2026-01-01T00:00:00Z  INFO xingji: forged\r\x1b[2Jx\u{7f}\u{2028}";
        let line = escaped(forged);
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert_eq!(
            line,
            "done\\n2026-01-01T00:00:00Z  INFO xingji: forged\\r\\u{1b}[2Jx\\u{7f}\\u{2028}"
        );
        // A backslash is escaped, so a plugin cannot write what looks like
        // an escape, and the text reads back unambiguously.
        assert_eq!(escaped("a\\nb"), "a\\\\nb");
        assert_eq!(escaped("plain text, 中文 ok"), "plain text, 中文 ok");
    }
}
