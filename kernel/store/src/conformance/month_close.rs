//! The month close: everything in one transaction, once per region and
//! month, and nothing at all when any record it read has changed.

use xingji_api::v1::{
    HistoryEntry, LicenceEvent, MonthClose, Order, OrderStatus, Outlet, OutletGrade, Person,
};

use super::fixtures::{
    after, assert_exists, assert_not_found, assert_stale, at, eventually, first, last_event_seq,
    moved, ok, operations, order, outlet, person,
};
use super::harness::Database;
use crate::prelude::*;
use crate::{MonthCloseCommit, OrderFilter, OrderWrite, ToSettle};

/// What the cases close: an outlet, a person and three orders, two of
/// them to settle (due, so that settling visibly clears the due time).
struct Network {
    outlet: Outlet,
    person: Person,
    settle: Vec<Order>,
    keep: Order,
    /// The last order event when the orders above were read, as a close
    /// gives it with what it read.
    read_after: i64,
}

async fn network(store: &dyn Store) -> Network {
    let outlet = store
        .create_outlet(outlet("out_1", "sh", "1"), ok("outlets.create"))
        .await
        .expect("outlet");
    let person = store
        .create_person(person("per_1", "sh", "out_1"), ok("people.create"))
        .await
        .expect("person");
    let mut orders = Vec::new();
    for id in ["ord_1", "ord_2", "ord_3"] {
        let request = format!("r-{id}");
        let write = OrderWrite {
            order: Order {
                status: OrderStatus::QualityChecked as i32,
                ..order(id, "sh", 1)
            },
            due_at: Some(100),
            in_hand: false,
            decision: None,
        };
        let made = store
            .create_order(&request, b"fp", write, ok("orders.create"))
            .await
            .expect("order");
        orders.push(super::fixtures::created(Ok(made)));
    }
    let keep = orders.pop().expect("three orders");
    Network {
        outlet,
        person,
        settle: orders,
        keep,
        read_after: last_event_seq(store).await,
    }
}

fn settlement() -> HistoryEntry {
    HistoryEntry {
        time: at(3600),
        actor: "hq:boss".into(),
        action: "settle".into(),
        status: OrderStatus::Settled as i32,
        from_status: OrderStatus::QualityChecked as i32,
        ..HistoryEntry::default()
    }
}

fn close(region: &str, month: &str) -> MonthClose {
    MonthClose {
        id: format!("{region}/{month}"),
        region: region.into(),
        month: month.into(),
        close_time: at(3600),
        actor: "hq:boss".into(),
        total_fen: 12_345,
        settled_orders: 2,
        ..MonthClose::default()
    }
}

fn charge(id: &str) -> LicenceEvent {
    LicenceEvent {
        id: id.into(),
        person_id: "per_1".into(),
        points_delta: -3,
        note: "month close".into(),
        ..LicenceEvent::default()
    }
}

/// The commit of `network` for `region`/`month`: the outlet graded B, the
/// person charged 3 points, the orders settled.
fn commit(network: &Network, region: &str, month: &str) -> MonthCloseCommit {
    MonthCloseCommit {
        close: close(region, month),
        outlets: vec![Outlet {
            grade: OutletGrade::B as i32,
            ..network.outlet.clone()
        }],
        people: vec![(
            Person {
                licence_points: -3,
                ..network.person.clone()
            },
            vec![charge(&format!("lic_{month}"))],
        )],
        settle: network.settle.iter().map(ToSettle::of).collect(),
        read_after: network.read_after,
        settlement: settlement(),
        audit: ok("month.close"),
    }
}

/// A commit writes the close, the outlets, the people with their licence
/// events and the settled orders, with an event per settled order; a
/// second commit of the month is refused; other months and regions close.
pub async fn month_close_writes_everything_once(db: Database) {
    let store = db.store();
    let network = network(store).await;
    let seq = last_event_seq(store).await;
    let version = store.network_version();
    let written = store
        .commit_month_close(commit(&network, "sh", "2026-01"))
        .await
        .expect("close");
    assert_eq!(written, close("sh", "2026-01"));
    assert_eq!(
        store.get_month_close("sh", "2026-01").await.expect("get"),
        close("sh", "2026-01")
    );
    assert_not_found(store.get_month_close("sh", "2026-02").await);
    assert_not_found(store.get_month_close("bj", "2026-01").await);

    let outlet = store.get_outlet("out_1").await.expect("outlet");
    assert_eq!((outlet.version, outlet.grade), (2, OutletGrade::B as i32));
    let person = store.get_person("per_1").await.expect("person");
    assert_eq!((person.version, person.licence_points), (2, -3));
    let charges = store
        .list_licence_events("per_1", &first(10))
        .await
        .expect("charges");
    assert_eq!(charges, [charge("lic_2026-01")]);
    for before in &network.settle {
        let settled = store.get_order(&before.id).await.expect("order");
        assert_eq!(settled.version, before.version + 1);
        assert_eq!(settled.status, OrderStatus::Settled as i32);
        assert_eq!(settled.update_time, settlement().time);
        assert_eq!(settled.history.len(), before.history.len() + 1);
        assert_eq!(settled.history.last(), Some(&settlement()));
        assert_eq!(settled.history[..before.history.len()], before.history[..]);
        assert_eq!(settled.customer, before.customer, "nothing else changes");
    }
    assert_eq!(
        store.get_order("ord_3").await.expect("order"),
        network.keep,
        "an order not settled is untouched"
    );
    let due = OrderFilter {
        due_before: Some(i64::MAX),
        ..OrderFilter::default()
    };
    let due: Vec<String> = store
        .list_orders(&due, &first(10))
        .await
        .expect("due")
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(due, ["ord_3"], "settling clears the due time");
    let settled = OrderFilter {
        status: Some(OrderStatus::Settled as i32),
        ..OrderFilter::default()
    };
    let settled = store.list_orders(&settled, &first(10)).await.expect("list");
    assert_eq!(settled.len(), 2, "the status column follows");

    let filter = crate::EventFilter {
        after: seq,
        ..crate::EventFilter::default()
    };
    let events = store.list_order_events(&filter, 10).await.expect("events");
    let mut settled_ids: Vec<&str> = events.iter().map(|e| e.order_id.as_str()).collect();
    settled_ids.sort_unstable();
    assert_eq!(
        settled_ids,
        ["ord_1", "ord_2"],
        "one event per settled order"
    );
    for event in &events {
        assert_eq!(event.entry.as_ref(), Some(&settlement()));
        assert_eq!(event.version, 2);
    }
    let feed = store.order_events();
    let last = last_event_seq(store).await;
    assert!(
        eventually(|| *feed.borrow() == last).await,
        "the feed moves"
    );
    assert!(
        eventually(|| store.network_version() != version).await,
        "network_version moves"
    );
    let audits = operations(store).await;
    assert_eq!(audits.last().map(String::as_str), Some("month.close"));

    // Once per region and month.
    let network_now = Network {
        outlet,
        person,
        settle: Vec::new(),
        keep: network.keep.clone(),
        read_after: network.read_after,
    };
    assert_exists(
        store
            .commit_month_close(commit(&network_now, "sh", "2026-01"))
            .await,
        "month close",
    );
    assert_eq!(
        operations(store).await,
        audits,
        "a refused close appends nothing"
    );
    assert_eq!(
        store.get_person("per_1").await.expect("person").version,
        2,
        "nor writes anything"
    );
    store
        .commit_month_close(commit(&network_now, "sh", "2026-02"))
        .await
        .expect("the next month");
    store
        .commit_month_close(MonthCloseCommit {
            close: close("bj", "2026-01"),
            outlets: Vec::new(),
            people: Vec::new(),
            settle: Vec::new(),
            read_after: 0,
            settlement: settlement(),
            audit: ok("month.close"),
        })
        .await
        .expect("another region");
    let list = async |regions: Option<&[String]>, page: crate::Page| {
        store
            .list_month_closes(regions, &page)
            .await
            .expect("list")
            .into_iter()
            .map(|c| format!("{}/{}", c.region, c.month))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(None, first(10)).await,
        ["bj/2026-01", "sh/2026-01", "sh/2026-02"],
        "by region, then month"
    );
    let sh = ["sh".to_owned()];
    assert_eq!(
        list(Some(&sh), first(10)).await,
        ["sh/2026-01", "sh/2026-02"]
    );
    assert_eq!(list(Some(&sh), first(1)).await, ["sh/2026-01"]);
    assert_eq!(list(Some(&[]), first(10)).await, Vec::<String>::new());
    let page = list(None, first(2)).await;
    let rest = list(None, after(&page[1], 10)).await;
    assert_eq!(rest, ["sh/2026-02"], "pages continue after the last one");
}

/// A close whose outlet, person or order changed since it was read is
/// refused with `VersionMismatch`, and writes nothing at all.
pub async fn stale_month_close_writes_nothing(db: Database) {
    let store = db.store();
    let network = network(store).await;
    // Each record moves on once after the close read it.
    let outlet = store
        .update_outlet(network.outlet.clone(), ok("outlets.update"))
        .await
        .expect("outlet");
    let person = store
        .update_person(network.person.clone(), ok("people.update"))
        .await
        .expect("person");
    let order = store
        .update_order(
            moved(
                network.settle[1].clone(),
                "note",
                OrderStatus::QualityChecked,
            ),
            ok("orders.note"),
        )
        .await
        .expect("order");
    let fresh = Network {
        outlet: outlet.clone(),
        person: person.clone(),
        settle: vec![network.settle[0].clone(), order.clone()],
        keep: network.keep.clone(),
        // Read before the updates above, as a close that read some orders
        // before and some after them.
        read_after: network.read_after,
    };
    let seq = last_event_seq(store).await;
    let audits = operations(store).await;
    let stale_outlet = Network {
        outlet: network.outlet.clone(),
        ..copy(&fresh)
    };
    let stale_person = Network {
        person: network.person.clone(),
        ..copy(&fresh)
    };
    let stale_order = Network {
        settle: vec![network.settle[0].clone(), network.settle[1].clone()],
        ..copy(&fresh)
    };
    for (what, stale, current) in [
        ("outlet", stale_outlet, 2),
        ("person", stale_person, 2),
        ("order", stale_order, 2),
    ] {
        let refused = store
            .commit_month_close(commit(&stale, "sh", "2026-01"))
            .await;
        assert_stale(refused, current);
        assert_not_found(store.get_month_close("sh", "2026-01").await);
        assert_eq!(
            store.get_outlet("out_1").await.expect("outlet"),
            outlet,
            "{what}"
        );
        assert_eq!(
            store.get_person("per_1").await.expect("person"),
            person,
            "{what}"
        );
        assert!(
            store
                .list_licence_events("per_1", &first(10))
                .await
                .expect("charges")
                .is_empty(),
            "{what}: no licence event"
        );
        assert_eq!(
            store.get_order("ord_1").await.expect("order"),
            network.settle[0],
            "{what}: an order of the close that was current is untouched"
        );
        assert_eq!(
            store.get_order("ord_2").await.expect("order"),
            order,
            "{what}"
        );
        assert_eq!(last_event_seq(store).await, seq, "{what}: no order event");
        assert_eq!(operations(store).await, audits, "{what}: no audit event");
        assert!(
            store
                .list_month_closes(None, &first(10))
                .await
                .expect("list")
                .is_empty()
        );
    }
    // An order that is not there: refused as well, nothing written.
    let mut missing = commit(&fresh, "sh", "2026-01");
    missing.settle.push(ToSettle {
        id: "ord_9".into(),
        version: 1,
        outlet_id: "out_1".into(),
        engineer_id: String::new(),
    });
    assert!(store.commit_month_close(missing).await.is_err());
    assert_not_found(store.get_month_close("sh", "2026-01").await);
    assert_eq!(
        store.get_order("ord_1").await.expect("order"),
        network.settle[0]
    );
    // And with every version current, it commits.
    store
        .commit_month_close(commit(&fresh, "sh", "2026-01"))
        .await
        .expect("a current close");
    assert_eq!(
        store.get_order("ord_2").await.expect("order").version,
        order.version + 1
    );
}

fn copy(network: &Network) -> Network {
    Network {
        outlet: network.outlet.clone(),
        person: network.person.clone(),
        settle: network.settle.clone(),
        keep: network.keep.clone(),
        read_after: network.read_after,
    }
}

/// Two handles commit the same month at once: one close is written, the
/// other is refused with `AlreadyExists("month close")`, and each order is
/// settled once.
pub async fn concurrent_month_closes_commit_once(db: Database) {
    let other = db.open_again().await;
    let network = network(db.store()).await;
    let (a, b) = tokio::join!(
        db.store()
            .commit_month_close(commit(&network, "sh", "2026-01")),
        other.commit_month_close(commit(&network, "sh", "2026-01")),
    );
    let (won, lost) = match (a, b) {
        (Ok(close), lost) | (lost, Ok(close)) => (close, lost),
        (a, b) => panic!("neither close committed: {a:?}, {b:?}"),
    };
    assert_eq!(won, close("sh", "2026-01"));
    assert_exists(lost, "month close");
    for id in ["ord_1", "ord_2"] {
        let order = db.store().get_order(id).await.expect("order");
        let settles = order
            .history
            .iter()
            .filter(|entry| entry.action == "settle")
            .count();
        assert_eq!((settles, order.version), (1, 2), "{id} settled once");
    }
    let closes = operations(&*other)
        .await
        .into_iter()
        .filter(|op| op == "month.close")
        .count();
    assert_eq!(closes, 1, "one close audited");
    let charges = other
        .list_licence_events("per_1", &first(10))
        .await
        .expect("charges");
    assert_eq!(charges.len(), 1);
}

/// A close of more orders than a backend writes in one batch: every order
/// settled, one event each; and one stale order in the last batch undoes
/// the batches before it.
pub async fn big_month_close_settles_across_batches(db: Database) {
    const ORDERS: usize = 1234;
    let store = db.handle();
    let mut creates = tokio::task::JoinSet::new();
    for chunk in 0..ORDERS.div_ceil(100) {
        let store = store.clone();
        creates.spawn(async move {
            let mut made = Vec::new();
            for n in chunk * 100..((chunk + 1) * 100).min(ORDERS) {
                let made_one = Order {
                    status: OrderStatus::QualityChecked as i32,
                    ..order(&format!("ord_{n:05}"), "sh", 1)
                };
                made.push(super::fixtures::create(&*store, made_one).await);
            }
            made
        });
    }
    let mut orders = Vec::new();
    while let Some(made) = creates.join_next().await {
        orders.extend(made.expect("creates"));
    }
    orders.sort_by(|a, b| a.id.cmp(&b.id));
    let last_order = orders.last().cloned().expect("orders");
    let settle: Vec<ToSettle> = orders.iter().map(ToSettle::of).collect();
    let read_after = last_event_seq(&*store).await;
    let empty = |settle: Vec<ToSettle>| MonthCloseCommit {
        close: close("sh", "2026-01"),
        outlets: Vec::new(),
        people: Vec::new(),
        settle,
        read_after,
        settlement: settlement(),
        audit: ok("month.close"),
    };
    // The last order moves on: the close, read before, is stale there.
    store
        .update_order(
            moved(last_order, "note", OrderStatus::QualityChecked),
            ok("orders.note"),
        )
        .await
        .expect("update");
    let seq = last_event_seq(&*store).await;
    assert_stale(store.commit_month_close(empty(settle.clone())).await, 2);
    assert_not_found(store.get_month_close("sh", "2026-01").await);
    assert_eq!(last_event_seq(&*store).await, seq, "no order event");
    let settled = OrderFilter {
        status: Some(OrderStatus::Settled as i32),
        ..OrderFilter::default()
    };
    assert!(
        store
            .list_orders(&settled, &first(10))
            .await
            .expect("list")
            .is_empty(),
        "no order of an earlier batch settled"
    );

    let mut current = settle;
    if let Some(last) = current.last_mut() {
        last.version = 2;
    }
    store
        .commit_month_close(empty(current))
        .await
        .expect("close");
    let mut count = 0;
    let mut page = first(500);
    loop {
        let listed = store.list_orders(&settled, &page).await.expect("list");
        let Some(last) = listed.last() else { break };
        page = after(&last.id, 500);
        for order in &listed {
            assert_eq!(order.history.last(), Some(&settlement()));
        }
        count += listed.len();
    }
    assert_eq!(count, ORDERS, "every order settled");
    let filter = crate::EventFilter {
        after: seq,
        ..crate::EventFilter::default()
    };
    let events = store
        .list_order_events(&filter, 10_000)
        .await
        .expect("events");
    assert_eq!(events.len(), ORDERS, "one event per settled order");
}
