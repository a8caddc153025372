//! `xingji-store-sqlite`: the embedded backend of `xingji_store::Store`, one
//! SQLite file in WAL mode with `synchronous=FULL`,
//! so that a write acknowledged to a client survives a crash or power loss.
//!
//! One file per job: `handle` (the store and what it is made of), `open`
//! (the file and its migrations), `intake` (new orders, group-committed),
//! `loads` (the open loads dispatch reads, kept in memory),
//! `stored` and `records` (the record tables), `events` (the order event
//! log), `audit` (the audit trail), `month_close`, `plugins`, and `store`
//! (the `Store` trait: the plugin kv and meta in place, the rest delegated
//! to the files above).
//!
//! What it does not know: the order workflow, SLA rules, gRPC. The kernel
//! gives it the columns lists filter on (an order's `due_at` included).

mod audit;
mod decisions;
mod events;
mod handle;
mod intake;
mod loads;
mod month_close;
mod open;
mod plugins;
mod records;
mod settled;
mod store;
mod stored;

pub use handle::SqliteStore;

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod kv_tests;
#[cfg(test)]
mod loads_tests;
#[cfg(test)]
mod publishers_tests;
#[cfg(test)]
mod tests;
