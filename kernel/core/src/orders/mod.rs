//! The order workflow: an order's whole life, from intake to settlement,
//! as `kernel.orders()` ([`Orders`]).
//!
//! - `lifecycle`: the state machine — which step leads where (the one place
//!   transitions are decided);
//! - `history`: the one history entry each write appends, with its SLA stamp;
//! - `sla`: the SLA clocks;
//! - `intake`: what a new order is made of (also for plugins' `order-writer`);
//! - `write`: the [`Orders`] handle and the one write path (load at a
//!   version, check the actor and step, append, write);
//! - `create`, `dispatch` (with `candidates`, what a dispatch plugin is
//!   shown), `transitions`, `completion` (with warranty cover),
//!   `complaints`: the requests;
//! - `queries`, `watch`: reading orders and following their events.
//!
//! Who may take a step is `crate::access`.

pub mod candidates;
mod complaints;
mod completion;
mod create;
mod dispatch;
pub mod history;
pub mod intake;
pub mod lifecycle;
mod queries;
pub mod sla;
mod transitions;
pub mod watch;
pub mod write;

pub use write::{Orders, present};

/// An order as the kernel hands it to the store, with what the store keeps
/// beside it but does not decide: when its first running SLA clock falls
/// due, and whether it is in hand (counts toward a load).
pub fn indexed(order: xingji_api::v1::Order) -> xingji_store::OrderWrite {
    xingji_store::OrderWrite {
        due_at: sla::due_at(&order),
        in_hand: order.status().is_in_hand(),
        order,
        decision: None,
    }
}
