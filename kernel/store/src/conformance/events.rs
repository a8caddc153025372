//! The order event log: one event per history entry written, in commit
//! order, listed by cursor; the change feed; and the cursor invariant
//! while writers race on two handles.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use xingji_api::v1::{Order, OrderEvent, OrderStatus};

use super::fixtures::{create, cursor, eventually, last_event_seq, moved, ok, order};
use super::harness::Database;
use crate::EventFilter;
use crate::prelude::*;

async fn events(store: &dyn Store, filter: EventFilter, limit: u32) -> Vec<OrderEvent> {
    store
        .list_order_events(&filter, limit)
        .await
        .expect("events")
}

fn actions(events: &[OrderEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e.order_id,
                e.entry.as_ref().map_or("", |x| &x.action)
            )
        })
        .collect()
}

/// A create appends one event per history entry, an update one for its
/// last entry; each carries the order as written and a cursor; lists go
/// by cursor, region and outlet (as of the event), in seq order.
pub async fn order_events_follow_writes(db: Database) {
    let store = db.store();
    assert!(events(store, EventFilter::default(), 10).await.is_empty());
    let first = create(
        store,
        Order {
            outlet_id: "out_1".into(),
            engineer_id: "eng_1".into(),
            ..order("ord_1", "sh", 3)
        },
    )
    .await;
    let made = events(store, EventFilter::default(), 10).await;
    assert_eq!(made.len(), 3);
    for (event, entry) in made.iter().zip(&first.history) {
        assert_eq!(event.order_id, "ord_1");
        assert_eq!(event.region, "sh");
        assert_eq!(event.outlet_id, "out_1");
        assert_eq!(event.engineer_id, "eng_1");
        assert_eq!(event.version, 1);
        assert_eq!(event.entry.as_ref(), Some(entry), "in history order");
    }
    let seqs: Vec<i64> = made.iter().map(|e| cursor(&e.cursor)).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    let mut moving = moved(first, "transfer", OrderStatus::Dispatched);
    moving.order.outlet_id = "out_2".into();
    let updated = store
        .update_order(moving, ok("orders.transfer"))
        .await
        .expect("update");
    create(store, order("ord_2", "bj", 1)).await;
    let all = events(store, EventFilter::default(), 10).await;
    assert_eq!(
        actions(&all),
        [
            "ord_1:create-0",
            "ord_1:create-1",
            "ord_1:create-2",
            "ord_1:transfer",
            "ord_2:create-0"
        ]
    );
    let update = &all[3];
    assert_eq!((update.version, update.outlet_id.as_str()), (2, "out_2"));
    assert_eq!(update.entry.as_ref(), updated.history.last());
    let seqs: Vec<i64> = all.iter().map(|e| cursor(&e.cursor)).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(all[..3], made[..], "listing again gives the same events");

    let from = |after: i64| EventFilter {
        after,
        ..EventFilter::default()
    };
    assert_eq!(
        actions(&events(store, from(seqs[1]), 10).await),
        actions(&all[2..])
    );
    assert_eq!(
        actions(&events(store, from(seqs[1]), 2).await),
        actions(&all[2..4])
    );
    assert!(events(store, from(seqs[4]), 10).await.is_empty());
    let regions = |regions: &[&str]| EventFilter {
        regions: Some(regions.iter().map(|r| (*r).to_owned()).collect()),
        ..EventFilter::default()
    };
    assert_eq!(
        actions(&events(store, regions(&["bj"]), 10).await),
        ["ord_2:create-0"]
    );
    assert_eq!(events(store, regions(&["sh", "bj"]), 10).await.len(), 5);
    assert!(events(store, regions(&[]), 10).await.is_empty());
    let outlet = |outlet: &str| EventFilter {
        outlet_id: Some(outlet.into()),
        ..EventFilter::default()
    };
    assert_eq!(events(store, outlet("out_1"), 10).await.len(), 3);
    assert_eq!(
        actions(&events(store, outlet("out_2"), 10).await),
        ["ord_1:transfer"]
    );
    let both = EventFilter {
        after: seqs[0],
        regions: Some(vec!["sh".into()]),
        outlet_id: Some("out_1".into()),
    };
    assert_eq!(
        actions(&events(store, both, 10).await),
        ["ord_1:create-1", "ord_1:create-2"]
    );
}

/// `order_events()` follows the last committed event's seq through writes
/// made on this handle.
pub async fn order_events_watch_moves(db: Database) {
    let store = db.store();
    let feed = store.order_events();
    let last = last_event_seq(store).await;
    assert_eq!(*feed.borrow(), last);
    let made = create(store, order("ord_1", "sh", 2)).await;
    let last = last_event_seq(store).await;
    assert!(
        eventually(|| *feed.borrow() == last).await,
        "the feed says {}, the last event is {last}",
        *feed.borrow()
    );
    let mut waiting = store.order_events();
    waiting.borrow_and_update();
    store
        .update_order(
            moved(made, "dispatch", OrderStatus::Dispatched),
            ok("orders.dispatch"),
        )
        .await
        .expect("update");
    tokio::time::timeout(super::fixtures::WITHIN, waiting.changed())
        .await
        .expect("the feed moves after an update")
        .expect("the feed is open");
    let last = last_event_seq(store).await;
    assert_eq!(*waiting.borrow(), last);
}

/// A write through one handle moves another handle's `order_events()`
/// within a second (a cross-process notification).
pub async fn order_events_move_across_handles(db: Database) {
    let other = db.open_again().await;
    let mut feed = other.order_events();
    feed.borrow_and_update();
    create(db.store(), order("ord_1", "sh", 1)).await;
    let last = last_event_seq(db.store()).await;
    assert!(
        eventually(|| *feed.borrow() >= last).await,
        "another handle's feed says {}, the last event is {last}",
        *feed.borrow()
    );
}

/// Writers on two handles create and update orders while a follower pages
/// the log by cursor: it sees every event exactly once, in strictly
/// increasing seq, never one below a cursor it already passed.
pub async fn cursor_invariant_under_concurrency(db: Database) {
    const WRITERS: usize = 6;
    const ORDERS: usize = 12;
    let other = db.open_again().await;
    let done = Arc::new(AtomicBool::new(false));
    let follower = {
        let store = db.handle();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen = HashSet::new();
            let mut last = 0;
            loop {
                // Read `done` before the page: a page read after every
                // writer finished holds whatever is left.
                let finished = done.load(Ordering::Acquire);
                let filter = EventFilter {
                    after: last,
                    ..EventFilter::default()
                };
                let page = events(&*store, filter, 7).await;
                for event in &page {
                    let seq = cursor(&event.cursor);
                    assert!(seq > last, "seq {seq} after cursor {last}");
                    last = seq;
                    let key = (
                        event.order_id.clone(),
                        event.version,
                        event.entry.as_ref().map(|e| e.action.clone()),
                    );
                    assert!(seen.insert(key.clone()), "{key:?} seen twice");
                }
                if page.is_empty() {
                    if finished {
                        return seen;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    };
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let store = if writer % 2 == 0 {
            db.handle()
        } else {
            other.clone()
        };
        writers.spawn(async move {
            for n in 0..ORDERS {
                let id = format!("ord_{writer}_{n:02}");
                let made = create(&*store, order(&id, "sh", 2)).await;
                let dispatched = store
                    .update_order(
                        moved(made, "dispatch", OrderStatus::Dispatched),
                        ok("orders.dispatch"),
                    )
                    .await
                    .expect("dispatch");
                store
                    .update_order(
                        moved(dispatched, "accept", OrderStatus::Accepted),
                        ok("orders.accept"),
                    )
                    .await
                    .expect("accept");
            }
        });
    }
    while let Some(written) = writers.join_next().await {
        written.expect("writer");
    }
    done.store(true, Ordering::Release);
    let seen = follower.await.expect("follower");
    // Two events per create, one per update.
    assert_eq!(seen.len(), WRITERS * ORDERS * 4, "every event seen once");
    let all = events(&*other, EventFilter::default(), 10_000).await;
    assert_eq!(all.len(), seen.len(), "the other handle lists the same log");
}
