//! The conformance suite: what every backend of [`Store`](crate::Store)
//! must do, written against the traits alone (no SQL, no driver), so that
//! SQLite and PostgreSQL are held to one definition.
//!
//! # Running it on a backend
//!
//! In a test file of the backend's crate (with `xingji-store`'s feature
//! `conformance` among its dev-dependencies):
//!
//! ```ignore
//! async fn open_fresh() -> (Arc<dyn Store>, MyDatabase) { … }
//! async fn open_again(database: &MyDatabase) -> Arc<dyn Store> { … }
//! xingji_store::conformance_tests!(open_fresh, open_again);
//! ```
//!
//! The contract of the two functions (any expressions callable so):
//!
//! - `open_fresh()` makes a **new, empty** database (a file in a temp dir, a
//!   database created on a throwaway cluster), opens a handle on it and
//!   returns it with a value `D: Send + Sync + 'static` that keeps the
//!   database alive and says where it is. Each case gets its own; `D` is
//!   dropped when the case ends. It panics if it cannot.
//! - `open_again(&D)` opens **another handle on the same database**: a new
//!   store with a pool of its own, as a second kernel process would. Its
//!   future must be `Send`. Cases use it to test what must hold across
//!   processes: one order per request id, one close per month, one audit
//!   chain, the cursor invariant, `meta_get_or_init` once.
//!
//! The macro makes one `#[test]` per case, named as the case. Each runs on
//! a runtime of its own with two worker threads (see [`run`]), under a
//! timeout. Cases are also public functions (`case(Database)`), to run one
//! by hand.
//!
//! A backend whose change feed is in-process (SQLite's `watch` and
//! counters: one kernel per file) writes
//! `conformance_tests!(open_fresh, open_again, feed = in_process)`, which
//! leaves out exactly the cases that need a write through one handle to be
//! *notified* to another (`network_version`, `order_events()`,
//! `registry_version()` across handles). Every other cross-handle property
//! is still tested.

mod audit_cases;
mod decisions;
mod events;
mod fixtures;
mod harness;
mod kv;
mod licences;
mod month_close;
mod orders;
mod plugins;
mod records;
mod settled;

pub use harness::{BoxFuture, CASE_TIMEOUT, Database, run};

/// The cases, by concern. Public so that the macro (expanded in a
/// backend's crate) can name them, and one can be run by hand.
pub mod cases {
    pub use super::audit_cases::*;
    pub use super::decisions::*;
    pub use super::events::*;
    pub use super::kv::*;
    pub use super::licences::*;
    pub use super::month_close::*;
    pub use super::orders::*;
    pub use super::plugins::*;
    pub use super::records::*;
    pub use super::settled::*;
}

/// One `#[test]` per conformance case, on the backend given by `open_fresh`
/// and `open_again` (see [the module's documentation](crate::conformance)
/// for their contract). With `feed = in_process`, the cases of
/// cross-handle notifications are left out.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:expr, $again:expr $(,)?) => {
        $crate::conformance_tests!(@common $fresh, $again);
        $crate::conformance_tests!(@cases $fresh, $again;
            // Notifications across handles: within a second.
            network_version_moves_across_handles,
            order_events_move_across_handles,
            registry_version_moves_across_handles,
        );
    };
    ($fresh:expr, $again:expr, feed = in_process $(,)?) => {
        $crate::conformance_tests!(@common $fresh, $again);
    };
    (@common $fresh:expr, $again:expr) => {
        $crate::conformance_tests!(@cases $fresh, $again;
            // Records.
            outlets_have_versions_and_unique_numbers,
            outlet_lists_filter_and_page,
            children_and_regions,
            people_have_versions_filters_and_pages,
            licence_events_are_atomic_with_their_person,
            audits_are_listed_by_region_and_outlet,
            // Orders.
            create_order_is_idempotent,
            concurrent_creates_make_one_order,
            update_order_checks_versions,
            order_lists_filter_and_page,
            open_order_counts_follow_in_hand_statuses,
            // The order event log.
            order_events_follow_writes,
            order_events_watch_moves,
            cursor_invariant_under_concurrency,
            // Month closes.
            month_close_writes_everything_once,
            stale_month_close_writes_nothing,
            concurrent_month_closes_commit_once,
            big_month_close_settles_across_batches,
            settled_orders_read_back_whole,
            // Plugins.
            plugins_install_once_per_version_and_publisher,
            plugins_delete_keeps_history,
            activations_keep_their_order,
            registry_version_moves,
            // Plugin key-value stores.
            kv_applies_all_or_none_within_the_quota,
            kv_usage_follows_sets_overwrites_and_deletes,
            kv_refused_batch_leaves_usage,
            // Recorded plugin decisions.
            decisions_are_recorded_with_their_writes_and_tallied,
            // The audit trail and meta.
            every_write_appends_its_audit_event,
            a_refused_or_repeated_write_appends_nothing,
            concurrent_creates_append_one_event_each,
            two_handles_append_to_one_chain,
            audit_lists_filter_and_page_by_seq,
            meta_is_initialised_once,
        );
    };
    (@cases $fresh:expr, $again:expr; $($case:ident),* $(,)?) => {$(
        #[test]
        fn $case() {
            $crate::conformance::run(
                async {
                    let (store, database) = ($fresh)().await;
                    let database = ::std::sync::Arc::new(database);
                    $crate::conformance::Database::new(store, move || {
                        let database = ::std::sync::Arc::clone(&database);
                        ::std::boxed::Box::pin(async move { ($again)(&*database).await })
                            as $crate::conformance::BoxFuture<
                                ::std::sync::Arc<dyn $crate::Store>,
                            >
                    })
                },
                $crate::conformance::cases::$case,
            );
        }
    )*};
}
