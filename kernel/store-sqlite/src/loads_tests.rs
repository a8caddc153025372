//! The open loads kept in memory (`loads.rs`) agree with the table the
//! triggers keep, after creates (in groups, with a reused request id),
//! dispatches, reassignments, completions and cancels, a write that does
//! not say how it moved them (an import), a month close (which writes no
//! order row, and keeps them) and the update of an order it settled, and
//! a restart.

use std::path::Path;

use xingji_api::v1::{AuditEvent, HistoryEntry, MonthClose, Order, OrderStatus};
use xingji_store::{CreateOutcome, MonthCloseCommit, OrderLog, OrderWrite, ToSettle};

use super::handle::SqliteStore;

/// The loads as the table has them, the slow way.
async fn table(store: &SqliteStore, region: &str) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "SELECT outlet_id, engineer_id, open FROM open_loads \
         WHERE region = ? AND open > 0 ORDER BY outlet_id, engineer_id",
    )
    .bind(region)
    .fetch_all(&store.pool)
    .await
    .expect("open_loads")
}

/// The loads as dispatch gets them.
async fn kept(store: &SqliteStore, region: &str) -> Vec<(String, String, i64)> {
    store
        .open_order_counts(region)
        .await
        .expect("loads")
        .pairs()
}

/// Checks memory against the table in both regions; the pairs of `region`.
async fn agree(store: &SqliteStore) -> Vec<(String, String, i64)> {
    for region in ["sh", "bj"] {
        assert_eq!(
            kept(store, region).await,
            table(store, region).await,
            "{region}"
        );
    }
    kept(store, "sh").await
}

fn order(id: &str, region: &str, status: OrderStatus, outlet: &str, engineer: &str) -> Order {
    Order {
        id: id.into(),
        region: region.into(),
        status: status as i32,
        outlet_id: outlet.into(),
        engineer_id: engineer.into(),
        history: vec![HistoryEntry {
            action: "created".into(),
            status: status as i32,
            ..HistoryEntry::default()
        }],
        ..Order::default()
    }
}

fn write(order: Order) -> OrderWrite {
    OrderWrite {
        in_hand: order.status().is_in_hand(),
        order,
        due_at: None,
        decision: None,
    }
}

fn audit(operation: &str) -> AuditEvent {
    AuditEvent {
        operation: operation.into(),
        principal: "call-centre:07".into(),
        region: "sh".into(),
        ..AuditEvent::default()
    }
}

async fn create(store: &SqliteStore, request: &str, order: Order) -> CreateOutcome {
    store
        .create_order(
            request,
            request.as_bytes(),
            write(order),
            audit("orders.create"),
        )
        .await
        .expect("create")
}

/// `order` (as stored) moved to `status` with `outlet` and `engineer`.
async fn update(store: &SqliteStore, id: &str, status: OrderStatus, outlet: &str, engineer: &str) {
    let mut order = store.get_order(id).await.expect("order");
    order.status = status as i32;
    order.outlet_id = outlet.into();
    order.engineer_id = engineer.into();
    order.history.push(HistoryEntry {
        action: "moved".into(),
        status: status as i32,
        ..HistoryEntry::default()
    });
    store
        .update_order(write(order), audit("orders.update"))
        .await
        .expect("update");
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path).await.expect("open")
}

#[tokio::test]
async fn kept_loads_follow_the_table_through_writes_and_a_restart() {
    use OrderStatus::{Accepted, Cancelled, Completed, Dispatched, Intake, OnSite, QualityChecked};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("loads.db");
    let store = open(&path).await;
    create(&store, "r0", order("o0", "sh", Dispatched, "x", "e1")).await;
    // Kept from here on: what follows moves the memory, not a read.
    assert_eq!(agree(&store).await, [("x".into(), "e1".into(), 1)]);

    // A group: creates sent together, one request id twice.
    let (a, b, c, d, again) = tokio::join!(
        create(&store, "r1", order("o1", "sh", Dispatched, "x", "e1")),
        create(&store, "r2", order("o2", "sh", Accepted, "y", "e2")),
        create(&store, "r3", order("o3", "sh", Intake, "", "")),
        create(&store, "r4", order("o4", "bj", OnSite, "z", "e9")),
        create(&store, "r1", order("o5", "sh", Dispatched, "y", "e3")),
    );
    for outcome in [a, b, c, d] {
        assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    }
    assert!(
        matches!(again, CreateOutcome::Existing { ref order, same_request: true } if order.id == "o1"),
        "{again:?}"
    );
    assert_eq!(
        agree(&store).await,
        [("x".into(), "e1".into(), 2), ("y".into(), "e2".into(), 1)]
    );

    update(&store, "o3", Dispatched, "y", "e2").await; // dispatched
    update(&store, "o2", Accepted, "x", "e1").await; // reassigned
    update(&store, "o1", Completed, "x", "e1").await; // completed
    update(&store, "o0", Cancelled, "x", "e1").await; // cancelled
    assert_eq!(
        agree(&store).await,
        [("x".into(), "e1".into(), 1), ("y".into(), "e2".into(), 1)]
    );

    // A write that does not say how it moves the loads: they are read again.
    store
        .import(
            Vec::new(),
            Vec::new(),
            vec![write(order("o6", "sh", OnSite, "y", "e2"))],
        )
        .await
        .expect("import");
    assert_eq!(
        agree(&store).await,
        [("x".into(), "e1".into(), 1), ("y".into(), "e2".into(), 2)]
    );

    // A month close settles a quality-checked order: no load moves, and
    // what is kept stays kept; then the settled order is taken up again.
    create(&store, "r7", order("o7", "sh", QualityChecked, "y", "e2")).await;
    let settled = store.get_order("o7").await.expect("o7");
    store
        .commit_month_close(MonthCloseCommit {
            close: MonthClose {
                region: "sh".into(),
                month: "2026-10".into(),
                ..MonthClose::default()
            },
            outlets: Vec::new(),
            people: Vec::new(),
            settle: vec![ToSettle::of(&settled)],
            read_after: 0,
            settlement: HistoryEntry {
                action: "settle".into(),
                status: OrderStatus::Settled as i32,
                ..HistoryEntry::default()
            },
            audit: audit("month.close"),
        })
        .await
        .expect("close");
    assert!(store.loads.get("sh").is_some(), "kept across the close");
    assert_eq!(
        agree(&store).await,
        [("x".into(), "e1".into(), 1), ("y".into(), "e2".into(), 2)]
    );
    update(&store, "o7", OnSite, "x", "e1").await;
    let before_restart = agree(&store).await;
    assert_eq!(
        before_restart,
        [("x".into(), "e1".into(), 2), ("y".into(), "e2".into(), 2)]
    );

    drop(store);
    let store = open(&path).await;
    assert_eq!(agree(&store).await, before_restart, "read again on open");
}
