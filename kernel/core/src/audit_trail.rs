//! The audit trail as the kernel reads and adds to it outside a write:
//! denials.

use crate::actor::Actor;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;

impl Kernel {
    /// Records in the audit trail that `actor` was denied `rpc`, if
    /// `answer` is a denial.
    pub async fn record_denial<T>(&self, actor: &Actor, rpc: &str, answer: &Result<T>) {
        if let Err(KernelError::Denied {
            permission,
            target,
            reason,
            ..
        }) = answer
        {
            tracing::info!(%actor, rpc, permission, target, reason, "denied");
        }
    }
}
