//! The epoch ticker: advances the engine's epoch every [`EPOCH_TICK`] while
//! a plugin call is running, and sleeps (parked) while none is. The epoch
//! only matters to a running store (its deadline and its yields); ticking
//! for ever woke the thread 10,000 times a second, which on a loaded
//! two-core server was about 8 % of its CPU in sleeps and their context
//! switches (BENCHMARKS.md, overload).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::Thread;
use std::time::Duration;

use wasmtime::Engine;

/// How often the epoch advances: the resolution of call deadlines, and the
/// slice a long call runs between yields (`call.rs`). Short slices keep a
/// region's spinning plugin from holding a worker thread while other
/// regions' requests wait behind it (with 1 ms, eight spinning calls made
/// another region's CreateOrder p50 ten times its baseline; BENCHMARKS.md).
pub const EPOCH_TICK: Duration = Duration::from_micros(100);

/// The ticker of one engine. Cheap to clone; [`Ticker::stop`] ends it, as
/// does dropping the engine.
#[derive(Clone, Debug)]
pub(crate) struct Ticker {
    shared: Arc<Shared>,
    thread: Thread,
}

#[derive(Debug, Default)]
struct Shared {
    running: AtomicUsize,
    stop: AtomicBool,
}

/// A call running: the epoch advances until the last one is dropped.
#[derive(Debug)]
pub(crate) struct Running {
    shared: Arc<Shared>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shared.running.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Ticker {
    /// Starts the ticker thread of `engine`.
    pub(crate) fn start(engine: &Engine) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let (ticking, state) = (engine.weak(), shared.clone());
        let handle = std::thread::Builder::new()
            .name("xingji-epoch".into())
            .spawn(move || {
                while !state.stop.load(Ordering::Acquire) {
                    if state.running.load(Ordering::Acquire) == 0 {
                        // An unpark between the load and the park is kept
                        // as the thread's token: park returns at once.
                        std::thread::park();
                        continue;
                    }
                    std::thread::sleep(EPOCH_TICK);
                    match ticking.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(Self {
            shared,
            thread: handle.thread().clone(),
        })
    }

    /// A call starts: the epoch advances while it runs.
    pub(crate) fn running(&self) -> Running {
        if self.shared.running.fetch_add(1, Ordering::AcqRel) == 0 {
            self.thread.unpark();
        }
        Running {
            shared: self.shared.clone(),
        }
    }

    /// Ends the thread.
    pub(crate) fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
