//! The parts of the deployment tests (`main.rs`): where the repository's
//! files, the kernel binary and the system's tools are, kernel replicas and
//! HAProxy as real processes, and the bytes of HAProxy's gRPC health check.

pub mod h2check;
pub mod processes;
pub mod tools;

/// Held by each test that runs kernels: on two cores, kernels of several
/// tests at once would starve each other and make time limits (a
/// replica's start, the 1 s plugin propagation) meaningless.
pub async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}
