//! A settled order reads back as if it had been written whole: the
//! backends append the settlement to the stored bytes (`SettleTail`)
//! instead of rewriting each order, and no reader may tell.

use prost_types::Timestamp;
use xingji_api::v1::{Appliance, Customer, HistoryEntry, MonthClose, Order, OrderStatus};

use super::fixtures::{
    assert_exists, assert_stale, create, first, last_event_seq, moved, ok, order,
};
use super::harness::Database;
use crate::{EventFilter, MonthCloseCommit, OrderFilter, ToSettle};

/// The settlement: at a whole second, so that its zero nanos must replace
/// the order's own.
fn settlement() -> HistoryEntry {
    HistoryEntry {
        time: Some(Timestamp {
            seconds: 1_790_000_000,
            nanos: 0,
        }),
        actor: "xingji".into(),
        action: "settle".into(),
        status: OrderStatus::Settled as i32,
        from_status: OrderStatus::QualityChecked as i32,
        reason: "month close 2026-10".into(),
        ..HistoryEntry::default()
    }
}

fn commit(month: &str, settle: Vec<ToSettle>, read_after: i64) -> MonthCloseCommit {
    MonthCloseCommit {
        close: MonthClose {
            id: format!("sh/{month}"),
            region: "sh".into(),
            month: month.into(),
            ..MonthClose::default()
        },
        outlets: Vec::new(),
        people: Vec::new(),
        settle,
        read_after,
        settlement: settlement(),
        audit: ok("month.close"),
    }
}

/// A settled order is, on every read path, the order with the settlement
/// appended, its status and update time set from it and its version
/// bumped; an update at that version works and a stale one conflicts; the
/// feed says it was settled; a second close settles nothing again.
pub async fn settled_orders_read_back_whole(db: Database) {
    let store = db.store();
    let made = create(
        store,
        Order {
            status: OrderStatus::QualityChecked as i32,
            outlet_id: "out_1".into(),
            engineer_id: "per_1".into(),
            customer: Some(Customer {
                name: "王芳".into(),
                ..Customer::default()
            }),
            appliance: Some(Appliance {
                serial: "SN-1".into(),
                ..Appliance::default()
            }),
            update_time: Some(Timestamp {
                seconds: 1_780_000_000,
                nanos: 123_456,
            }),
            ..order("ord_1", "sh", 3)
        },
    )
    .await;
    let untouched = create(store, order("ord_2", "sh", 1)).await;
    let seq = last_event_seq(store).await;
    store
        .commit_month_close(commit("2026-10", vec![ToSettle::of(&made)], seq))
        .await
        .expect("close");

    let mut expected = made.clone();
    expected.status = OrderStatus::Settled as i32;
    expected.update_time = settlement().time;
    expected.history.push(settlement());
    expected.version += 1;
    assert_eq!(store.get_order("ord_1").await.expect("get"), expected);
    assert_eq!(store.get_order("ord_2").await.expect("get"), untouched);
    let all = store
        .list_orders(&OrderFilter::in_region("sh"), &first(10))
        .await
        .expect("list");
    assert_eq!(all, [expected.clone(), untouched.clone()], "listed whole");
    let by_status = |status: OrderStatus| OrderFilter {
        status: Some(status as i32),
        ..OrderFilter::in_region("sh")
    };
    let settled = store
        .list_orders(&by_status(OrderStatus::Settled), &first(10))
        .await
        .expect("list");
    assert_eq!(settled, [expected.clone()], "the status filter sees it");
    let checked = store
        .list_orders(&by_status(OrderStatus::QualityChecked), &first(10))
        .await
        .expect("list");
    assert!(checked.is_empty(), "and no longer as quality-checked");

    let events = store
        .list_order_events(
            &EventFilter {
                after: seq,
                ..EventFilter::default()
            },
            10,
        )
        .await
        .expect("events");
    assert_eq!(events.len(), 1, "one event for the settled order");
    let event = &events[0];
    assert_eq!(
        (
            event.order_id.as_str(),
            event.region.as_str(),
            event.outlet_id.as_str(),
            event.engineer_id.as_str(),
            event.version,
            event.entry.as_ref(),
        ),
        ("ord_1", "sh", "out_1", "per_1", 2, Some(&settlement())),
    );

    // A later update works at the version read, whole as the kernel writes it.
    let noted = store
        .update_order(
            moved(expected.clone(), "note", OrderStatus::Settled),
            ok("orders.note"),
        )
        .await
        .expect("update after settle");
    assert_eq!(noted.version, 3);
    assert_eq!(store.get_order("ord_1").await.expect("get"), noted);
    assert_eq!(
        noted.history[..expected.history.len()],
        expected.history[..]
    );
    // A stale one conflicts.
    assert_stale(
        store
            .update_order(
                moved(expected.clone(), "note", OrderStatus::Settled),
                ok("orders.note"),
            )
            .await,
        3,
    );
    let read_settled = ToSettle::of(&expected);
    // Closing again settles nothing twice: the month is closed, and another
    // month's close that read the order before it moved is stale.
    assert_exists(
        store
            .commit_month_close(commit("2026-10", vec![read_settled.clone()], seq))
            .await,
        "month close",
    );
    assert_stale(
        store
            .commit_month_close(commit("2026-11", vec![read_settled], seq))
            .await,
        3,
    );
    let order = store.get_order("ord_1").await.expect("get");
    let settles = order
        .history
        .iter()
        .filter(|e| e.action == "settle")
        .count();
    assert_eq!((settles, order), (1, noted), "settled once");
}
