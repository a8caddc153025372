//! `xingji-store-postgres`: `xingji_store::Store` on PostgreSQL, for
//! deployments of several kernels on one database.
//!
//! One file per job: `handle` (the store, opening it, its migrations),
//! `commit` (how every write ends: the commit lock, the order events and
//! audit entries it numbers, the counters, NOTIFY), `follow` (hearing other
//! kernels' writes), `stored` (the record tables), `records`, `orders`
//! (with `intake`, new orders in groups), `month_close`, `plugins`, `kv` and
//! `audit`.
//!
//! **Commit order.** An order event's `seq` and an audit entry's `seq` are
//! given as the last step of a write's transaction, under one transaction-
//! scoped advisory lock held until commit ([`commit`]): a transaction that
//! numbers after another cannot start numbering until the other committed
//! and is visible, so `seq` is commit order across every kernel, and a
//! cursor never skips an event that commits late. The price is that commits
//! are serialized at their end (the rows a write changes are not: they are
//! written before the lock); writes of new orders are grouped, so that one
//! commit carries many. The alternatives weighed are in ARCHITECTURE.md.
//!
//! **The change feed.** Every write that moves something other kernels
//! cache sends `NOTIFY xingji_changes` in its transaction; each store also
//! polls three heads every 250 ms (the last event, the network and registry
//! counters), so a lost notification delays a change, never loses it.
//!
//! What it does not know: the order workflow, SLA rules, gRPC. The kernel
//! gives it the columns lists filter on (an order's due time, whether it is
//! in hand).

mod audit;
mod commit;
mod decisions;
mod follow;
mod handle;
mod intake;
mod kv;
mod month_close;
mod orders;
mod plugins;
mod records;
mod stored;

pub use handle::PostgresStore;
