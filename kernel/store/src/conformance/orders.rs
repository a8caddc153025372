//! Orders: idempotent creates, versioned updates, lists, the SLA index the
//! kernel hands over, and open loads. (The event log is in `events`.)

use xingji_api::v1::{Appliance, Complaint, Order, OrderKind, OrderStatus, ProductLine};

use super::fixtures::{
    after, assert_not_found, assert_stale, create, created, first, last_event_seq, moved, ok,
    operations, order, write,
};
use super::harness::Database;
use crate::{CreateOutcome, OrderFilter, OrderWrite};

fn ids(orders: &[Order]) -> Vec<String> {
    orders.iter().map(|o| o.id.clone()).collect()
}

/// A request id makes one order: a retry gets it back (`same_request`), a
/// reuse with other content too (`same_request: false`), and neither
/// writes anything.
pub async fn create_order_is_idempotent(db: Database) {
    let store = db.store();
    let first_order = Order {
        version: 9,
        ..order("ord_1", "sh", 2)
    };
    let made = created(
        store
            .create_order(
                "r1",
                b"fp-1",
                write(first_order.clone()),
                ok("orders.create"),
            )
            .await,
    );
    assert_eq!(made.version, 1, "a create stores version 1");
    assert_eq!(
        made,
        Order {
            version: 1,
            ..first_order
        }
    );
    assert_eq!(store.get_order("ord_1").await.expect("get"), made);
    let seq = last_event_seq(store).await;
    let audits = operations(store).await;

    let retry = store
        .create_order(
            "r1",
            b"fp-1",
            write(order("ord_2", "sh", 1)),
            ok("orders.create"),
        )
        .await
        .expect("retry");
    assert!(
        matches!(&retry, CreateOutcome::Existing { order, same_request: true } if *order == made),
        "{retry:?}"
    );
    let reuse = store
        .create_order(
            "r1",
            b"fp-2",
            write(order("ord_3", "bj", 1)),
            ok("orders.create"),
        )
        .await
        .expect("reuse");
    assert!(
        matches!(&reuse, CreateOutcome::Existing { order, same_request: false } if *order == made),
        "{reuse:?}"
    );
    assert_not_found(store.get_order("ord_2").await);
    assert_not_found(store.get_order("ord_3").await);
    assert_eq!(last_event_seq(store).await, seq, "no event appended");
    assert_eq!(operations(store).await, audits, "no audit event appended");
    let all = store
        .list_orders(&OrderFilter::default(), &first(10))
        .await
        .expect("list");
    assert_eq!(all, std::slice::from_ref(&made));

    // The request id names the request, not the order: another id makes
    // another order.
    let second = created(
        store
            .create_order(
                "r2",
                b"fp-1",
                write(order("ord_4", "sh", 1)),
                ok("orders.create"),
            )
            .await,
    );
    assert_eq!(second.id, "ord_4");
    // The order id is the record's key: another request for it fails.
    let clash = store
        .create_order(
            "r3",
            b"fp-3",
            write(order("ord_1", "sh", 1)),
            ok("orders.create"),
        )
        .await;
    assert!(clash.is_err(), "a second order ord_1: {clash:?}");
    assert_eq!(store.get_order("ord_1").await.expect("get"), made);
}

/// Many creates with one request id at once, through one handle and
/// through two, make one order with its events; every caller gets it.
pub async fn concurrent_creates_make_one_order(db: Database) {
    let other = db.open_again().await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..8 {
        let store = if n % 2 == 0 {
            db.handle()
        } else {
            other.clone()
        };
        tasks.spawn(async move {
            let id = format!("ord_{n}");
            store
                .create_order(
                    "shared",
                    b"fp",
                    write(order(&id, "sh", 2)),
                    ok("orders.create"),
                )
                .await
        });
    }
    let mut made = Vec::new();
    let mut existing = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        match outcome.expect("task").expect("create") {
            CreateOutcome::Created(order) => made.push(order),
            CreateOutcome::Existing {
                order,
                same_request,
            } => {
                assert!(same_request);
                existing.push(order);
            }
        }
    }
    assert_eq!(made.len(), 1, "one order made: {made:?}");
    assert_eq!(existing.len(), 7);
    assert!(existing.iter().all(|order| *order == made[0]));
    for store in [db.store(), &*other] {
        let all = store
            .list_orders(&OrderFilter::default(), &first(100))
            .await
            .expect("list");
        assert_eq!(all, made);
        let events = store
            .list_order_events(&Default::default(), 100)
            .await
            .expect("events");
        assert_eq!(events.len(), 2, "one event per history entry, once");
        assert_eq!(operations(store).await, ["orders.create"]);
    }
}

/// An update replaces the order if it is still at the version read, and
/// is refused otherwise with nothing written.
pub async fn update_order_checks_versions(db: Database) {
    let store = db.store();
    let made = create(store, order("ord_1", "sh", 1)).await;
    let seq = last_event_seq(store).await;
    let dispatched = store
        .update_order(
            moved(made.clone(), "dispatch", OrderStatus::Dispatched),
            ok("orders.dispatch"),
        )
        .await
        .expect("update");
    assert_eq!(dispatched.version, 2);
    assert_eq!(dispatched.status, OrderStatus::Dispatched as i32);
    assert_eq!(store.get_order("ord_1").await.expect("get"), dispatched);
    let after_update = last_event_seq(store).await;
    assert!(after_update > seq, "the update appended an event");

    let stale = store
        .update_order(
            moved(made, "cancel", OrderStatus::Cancelled),
            ok("orders.cancel"),
        )
        .await;
    assert_stale(stale, 2);
    assert_eq!(store.get_order("ord_1").await.expect("get"), dispatched);
    assert_eq!(
        last_event_seq(store).await,
        after_update,
        "no event appended"
    );
    let missing = store
        .update_order(
            moved(order("ord_9", "sh", 1), "x", OrderStatus::Cancelled),
            ok("x"),
        )
        .await;
    assert_not_found(missing);
    assert_eq!(last_event_seq(store).await, after_update);
    assert_eq!(
        operations(store).await,
        ["orders.create", "orders.dispatch"]
    );
}

/// Every order filter, paging, and `due_before` on the due time the kernel
/// gives: strictly before, `None` never due, moved by updates.
pub async fn order_lists_filter_and_page(db: Database) {
    let store = db.store();
    let with = |id: &str, region: &str, status: OrderStatus, kind: OrderKind| Order {
        status: status as i32,
        kind: kind as i32,
        ..order(id, region, 1)
    };
    let orders = [
        (
            Order {
                outlet_id: "out_1".into(),
                engineer_id: "eng_1".into(),
                appliance: Some(Appliance {
                    product_line: ProductLine::Tv as i32,
                    ..Appliance::default()
                }),
                ..with("ord_1", "sh", OrderStatus::Dispatched, OrderKind::Repair)
            },
            Some(1000),
        ),
        (
            Order {
                outlet_id: "out_1".into(),
                engineer_id: "eng_2".into(),
                appliance: Some(Appliance {
                    product_line: ProductLine::Refrigerator as i32,
                    ..Appliance::default()
                }),
                ..with(
                    "ord_2",
                    "sh",
                    OrderStatus::Accepted,
                    OrderKind::Installation,
                )
            },
            Some(2000),
        ),
        (
            Order {
                outlet_id: "out_2".into(),
                complaint: Some(Complaint {
                    original_order_id: "ord_1".into(),
                    ..Complaint::default()
                }),
                ..with("ord_3", "bj", OrderStatus::Intake, OrderKind::Complaint)
            },
            None,
        ),
        (
            with("ord_4", "gz", OrderStatus::Completed, OrderKind::Repair),
            Some(500),
        ),
    ];
    for (record, due_at) in orders.iter().rev() {
        let request = format!("r-{}", record.id);
        created(
            store
                .create_order(
                    &request,
                    b"fp",
                    OrderWrite {
                        in_hand: record.status().is_in_hand(),
                        order: record.clone(),
                        due_at: *due_at,
                        decision: None,
                    },
                    ok("orders.create"),
                )
                .await,
        );
    }
    let list = async |filter: OrderFilter, page: crate::Page| {
        ids(&store.list_orders(&filter, &page).await.expect("list"))
    };
    let all = OrderFilter::default();
    assert_eq!(
        list(all.clone(), first(10)).await,
        ["ord_1", "ord_2", "ord_3", "ord_4"]
    );
    assert_eq!(
        list(all.clone(), first(3)).await,
        ["ord_1", "ord_2", "ord_3"]
    );
    assert_eq!(
        list(all.clone(), after("ord_2", 10)).await,
        ["ord_3", "ord_4"]
    );
    assert_eq!(list(all, after("ord_1", 1)).await, ["ord_2"]);
    let listed = store
        .list_orders(&OrderFilter::in_region("bj"), &first(10))
        .await
        .expect("list");
    assert_eq!(
        listed,
        [Order {
            version: 1,
            ..orders[2].0.clone()
        }],
        "records come whole"
    );
    let regions = |regions: &[&str]| OrderFilter {
        regions: Some(regions.iter().map(|r| (*r).to_owned()).collect()),
        ..OrderFilter::default()
    };
    assert_eq!(
        list(regions(&["sh", "gz"]), first(10)).await,
        ["ord_1", "ord_2", "ord_4"]
    );
    assert!(list(regions(&[]), first(10)).await.is_empty());
    let status = OrderFilter {
        status: Some(OrderStatus::Accepted as i32),
        ..OrderFilter::default()
    };
    assert_eq!(list(status, first(10)).await, ["ord_2"]);
    let outlet = OrderFilter {
        outlet_id: Some("out_1".into()),
        ..OrderFilter::default()
    };
    assert_eq!(list(outlet, first(10)).await, ["ord_1", "ord_2"]);
    let engineer = OrderFilter {
        engineer_id: Some("eng_2".into()),
        ..OrderFilter::default()
    };
    assert_eq!(list(engineer, first(10)).await, ["ord_2"]);
    let kind = OrderFilter {
        kind: Some(OrderKind::Repair as i32),
        ..OrderFilter::default()
    };
    assert_eq!(list(kind, first(10)).await, ["ord_1", "ord_4"]);
    let line = OrderFilter {
        product_line: Some(ProductLine::Refrigerator as i32),
        ..OrderFilter::default()
    };
    assert_eq!(list(line, first(10)).await, ["ord_2"]);
    let complaints = OrderFilter {
        original_order_id: Some("ord_1".into()),
        ..OrderFilter::default()
    };
    assert_eq!(list(complaints, first(10)).await, ["ord_3"]);
    let together = OrderFilter {
        regions: Some(vec!["sh".into()]),
        status: Some(OrderStatus::Dispatched as i32),
        outlet_id: Some("out_1".into()),
        engineer_id: Some("eng_1".into()),
        kind: Some(OrderKind::Repair as i32),
        product_line: Some(ProductLine::Tv as i32),
        original_order_id: None,
        due_before: Some(1001),
    };
    assert_eq!(list(together, first(10)).await, ["ord_1"]);

    let due = async |before: i64| {
        let filter = OrderFilter {
            due_before: Some(before),
            ..OrderFilter::default()
        };
        list(filter, first(10)).await
    };
    assert!(due(500).await.is_empty(), "strictly before");
    assert_eq!(due(501).await, ["ord_4"]);
    assert_eq!(due(1001).await, ["ord_1", "ord_4"]);
    assert_eq!(
        due(i64::MAX).await,
        ["ord_1", "ord_2", "ord_4"],
        "None is never due"
    );
    let in_sh = OrderFilter {
        due_before: Some(i64::MAX),
        ..OrderFilter::in_region("sh")
    };
    assert_eq!(list(in_sh, first(10)).await, ["ord_1", "ord_2"]);

    // The kernel moves the due time with an update: clears it, sets it.
    let ord_1 = store.get_order("ord_1").await.expect("get");
    let ord_1 = store
        .update_order(
            moved(ord_1, "complete", OrderStatus::Completed),
            ok("orders.complete"),
        )
        .await
        .expect("update");
    assert_eq!(due(i64::MAX).await, ["ord_2", "ord_4"]);
    let ord_3 = store.get_order("ord_3").await.expect("get");
    store
        .update_order(
            OrderWrite {
                due_at: Some(10),
                ..moved(ord_3, "dispatch", OrderStatus::Dispatched)
            },
            ok("orders.dispatch"),
        )
        .await
        .expect("update");
    assert_eq!(due(11).await, ["ord_3"]);
    assert_eq!(due(i64::MAX).await, ["ord_2", "ord_3", "ord_4"]);
    let status = OrderFilter {
        status: Some(OrderStatus::Completed as i32),
        ..OrderFilter::default()
    };
    assert_eq!(
        list(status, first(10)).await,
        ["ord_1", "ord_4"],
        "status follows updates"
    );
    assert_eq!(ord_1.version, 2);
}

/// `open_order_counts` follows order writes: an order in hand (dispatched
/// to on site) counts for its outlet and engineer, a move out of those
/// statuses uncounts it, a reassignment moves it; requests reusing an id
/// sent together make one order.
pub async fn open_order_counts_follow_in_hand_statuses(db: Database) {
    let store = db.store();
    let order = |id: &str, status: OrderStatus, outlet: &str, engineer: &str| Order {
        status: status as i32,
        outlet_id: outlet.into(),
        engineer_id: engineer.into(),
        ..order(id, "sh", 2)
    };
    let loads = async |region: &str| {
        store
            .open_order_counts(region)
            .await
            .expect("loads")
            .pairs()
    };
    assert!(loads("sh").await.is_empty());
    let (a, b, c, again) = tokio::join!(
        store.create_order(
            "r1",
            b"1",
            write(order("o1", OrderStatus::Dispatched, "x", "e1")),
            ok("orders.create")
        ),
        store.create_order(
            "r2",
            b"2",
            write(order("o2", OrderStatus::Accepted, "x", "e1")),
            ok("orders.create")
        ),
        store.create_order(
            "r3",
            b"3",
            write(order("o3", OrderStatus::Intake, "", "")),
            ok("orders.create")
        ),
        store.create_order(
            "r1",
            b"1",
            write(order("o4", OrderStatus::Dispatched, "y", "e9")),
            ok("orders.create")
        ),
    );
    let (a, b, c) = (created(a), created(b), created(c));
    assert!(
        matches!(again, Ok(CreateOutcome::Existing { ref order, same_request: true }) if order.id == "o1"),
        "{again:?}"
    );
    assert_eq!(loads("sh").await, [("x".into(), "e1".into(), 2)]);
    let events = store
        .list_order_events(&Default::default(), 100)
        .await
        .expect("events");
    assert_eq!(
        events.len(),
        6,
        "one event per history entry of each new order"
    );
    store
        .create_order(
            "r5",
            b"5",
            write(Order {
                region: "bj".into(),
                ..order("o5", OrderStatus::OnSite, "z", "e5")
            }),
            ok("orders.create"),
        )
        .await
        .expect("create");
    assert_eq!(
        loads("sh").await,
        [("x".into(), "e1".into(), 2)],
        "regions apart"
    );
    assert_eq!(loads("bj").await, [("z".into(), "e5".into(), 1)]);

    store
        .update_order(
            moved(a, "complete", OrderStatus::Completed),
            ok("orders.complete"),
        )
        .await
        .expect("complete");
    let mut dispatch = moved(c, "dispatch", OrderStatus::Dispatched);
    dispatch.order.outlet_id = "y".into();
    dispatch.order.engineer_id = "e2".into();
    let dispatched = store
        .update_order(dispatch, ok("orders.dispatch"))
        .await
        .expect("dispatch");
    assert_eq!(dispatched.outlet_id, "y");
    assert_eq!(
        loads("sh").await,
        [("x".into(), "e1".into(), 1), ("y".into(), "e2".into(), 1)]
    );
    // Reassigned within the in-hand statuses: the count moves with it.
    let mut contacted = moved(b, "contact", OrderStatus::Contacted);
    contacted.order.outlet_id = "y".into();
    contacted.order.engineer_id = "e2".into();
    store
        .update_order(contacted, ok("orders.reassign"))
        .await
        .expect("reassign");
    assert_eq!(loads("sh").await, [("y".into(), "e2".into(), 2)]);
    for status in [OrderStatus::Cancelled, OrderStatus::QualityChecked] {
        let current = store.get_order("o3").await.expect("get");
        store
            .update_order(moved(current, "end", status), ok("orders.end"))
            .await
            .expect("end");
    }
    assert_eq!(loads("sh").await, [("y".into(), "e2".into(), 1)]);
}
