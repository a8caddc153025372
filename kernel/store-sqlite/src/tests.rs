use xingji_api::v1::{AuditEvent, HistoryEntry, Order, OrderStatus, Outlet};

use super::handle::SqliteStore;
use xingji_store::{CreateOutcome, EventFilter, Result, Store, StoreError};

/// The open-loads triggers count the orders in hand with a status range
/// in SQL: it must be the API's one definition of "in hand".
#[test]
fn the_sql_status_range_is_the_definition_of_in_hand() {
    let sql = include_str!("../../migrations/sqlite/0006_open_loads.sql");
    let ranges: Vec<(i32, i32)> = sql
        .split("BETWEEN ")
        .skip(1)
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let low = words.next().and_then(|w| w.parse().ok());
            let and = words.next();
            let high = words.next().and_then(|w| {
                w.trim_end_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .ok()
            });
            match (low, and, high) {
                (Some(low), Some("AND"), Some(high)) => (low, high),
                _ => panic!("an unreadable range in: BETWEEN {rest}"),
            }
        })
        .collect();
    assert_eq!(ranges.len(), 5, "one range per trigger and the backfill");
    for (low, high) in ranges {
        assert_eq!(low..=high, xingji_api::statuses::IN_HAND);
    }
}

async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("test.db"))
        .await
        .expect("open");
    (dir, store)
}

fn set(key: &str, value: &[u8]) -> (String, Option<Vec<u8>>) {
    (key.to_owned(), Some(value.to_vec()))
}

#[tokio::test]
async fn kv_writes_apply_all_or_none_within_the_quota() {
    let (_dir, store) = store().await;
    // Through the trait, as the kernel calls it: the inherent methods of
    // the same names, visible here, are only its bodies.
    let store: &dyn Store = &store;
    store
        .kv_apply(
            "sh",
            "jiujiu",
            &[set("contract/1", b"one"), set("contract/2", b"two")],
            1000,
            AuditEvent::default(),
        )
        .await
        .expect("apply");
    assert_eq!(
        store
            .kv_get("sh", "jiujiu", "contract/1")
            .await
            .expect("get"),
        Some(b"one".to_vec())
    );
    assert_eq!(
        store
            .kv_get("bj", "jiujiu", "contract/1")
            .await
            .expect("get"),
        None,
        "regions are apart"
    );
    assert_eq!(
        store
            .kv_get("sh", "other", "contract/1")
            .await
            .expect("get"),
        None,
        "plugins are apart"
    );

    // Over the quota: nothing of the batch is written, not even the delete.
    let batch = [
        ("contract/1".to_owned(), None),
        set("contract/3", &[0; 2000]),
    ];
    let refused = store
        .kv_apply("sh", "jiujiu", &batch, 1000, AuditEvent::default())
        .await;
    assert!(
        matches!(refused, Err(StoreError::Quota { limit: 1000, .. })),
        "{refused:?}"
    );
    assert_eq!(
        store
            .kv_get("sh", "jiujiu", "contract/1")
            .await
            .expect("get"),
        Some(b"one".to_vec())
    );
    assert_eq!(
        store
            .kv_get("sh", "jiujiu", "contract/3")
            .await
            .expect("get"),
        None
    );

    store
        .kv_apply(
            "sh",
            "jiujiu",
            &[("contract/1".to_owned(), None), set("index", b"x")],
            1000,
            AuditEvent::default(),
        )
        .await
        .expect("apply");
    let keys = store
        .kv_keys("sh", "jiujiu", "contract/", "", 10)
        .await
        .expect("keys");
    assert_eq!(keys, ["contract/2"]);
    let all = store
        .kv_keys("sh", "jiujiu", "", "contract/2", 10)
        .await
        .expect("keys");
    assert_eq!(all, ["index"], "after skips up to and including the key");
}

#[tokio::test]
async fn stale_updates_are_refused() {
    let (_dir, store) = store().await;
    let outlet = Outlet {
        id: "out_1".into(),
        region: "sh".into(),
        number: "1".into(),
        ..Outlet::default()
    };
    let created = store
        .create_outlet(outlet, AuditEvent::default())
        .await
        .expect("create");
    assert_eq!(created.version, 1);
    let first = store
        .update_outlet(
            Outlet {
                name: "a".into(),
                ..created.clone()
            },
            AuditEvent::default(),
        )
        .await
        .expect("update");
    assert_eq!(first.version, 2);
    let stale = store
        .update_outlet(
            Outlet {
                name: "b".into(),
                ..created
            },
            AuditEvent::default(),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::VersionMismatch { current: 2 })),
        "{stale:?}"
    );
}

/// Open orders per outlet and engineer follow every order write: a
/// create in an open status counts, a move out of one uncounts, a
/// reassignment moves the count, and requests reusing an id in one
/// group commit make one order.
#[tokio::test]
async fn open_loads_follow_order_writes() {
    let (_dir, store) = store().await;
    let order = |id: &str, status: OrderStatus, outlet: &str, engineer: &str| Order {
        id: id.into(),
        region: "sh".into(),
        status: status as i32,
        outlet_id: outlet.into(),
        engineer_id: engineer.into(),
        history: vec![HistoryEntry::default(); 2],
        ..Order::default()
    };
    let loads = |store: SqliteStore| async move {
        let mut loads = store.open_order_counts("sh").await.expect("loads");
        loads.sort();
        loads
    };
    let created = |outcome: Result<CreateOutcome>| match outcome.expect("create") {
        CreateOutcome::Created(order) => order,
        other => panic!("{other:?}"),
    };
    // Through the trait (see above), and sent together, so that they share a
    // group commit.
    let seam: &dyn Store = &store;
    let (a, b, c, again) = tokio::join!(
        seam.create_order(
            "r1",
            b"1",
            order("o1", OrderStatus::Dispatched, "x", "e1"),
            AuditEvent::default()
        ),
        seam.create_order(
            "r2",
            b"2",
            order("o2", OrderStatus::Accepted, "x", "e1"),
            AuditEvent::default()
        ),
        seam.create_order(
            "r3",
            b"3",
            order("o3", OrderStatus::Intake, "", ""),
            AuditEvent::default()
        ),
        seam.create_order(
            "r1",
            b"1",
            order("o4", OrderStatus::Dispatched, "y", "e9"),
            AuditEvent::default()
        ),
    );
    let (a, _b, c) = (created(a), created(b), created(c));
    assert!(
        matches!(again, Ok(CreateOutcome::Existing { ref order, same_request: true }) if order.id == "o1"),
        "{again:?}"
    );
    assert_eq!(
        loads(store.clone()).await,
        vec![("x".into(), "e1".into(), 2)]
    );
    let events = store
        .list_order_events(&EventFilter::default(), 100)
        .await
        .expect("events");
    assert_eq!(
        events.len(),
        6,
        "one event per history entry of each new order"
    );

    store
        .update_order(
            Order {
                status: OrderStatus::Completed as i32,
                ..a
            },
            AuditEvent::default(),
        )
        .await
        .expect("complete");
    store
        .update_order(
            Order {
                status: OrderStatus::Dispatched as i32,
                outlet_id: "y".into(),
                engineer_id: "e2".into(),
                ..c
            },
            AuditEvent::default(),
        )
        .await
        .expect("dispatch");
    assert_eq!(
        loads(store.clone()).await,
        vec![("x".into(), "e1".into(), 1), ("y".into(), "e2".into(), 1)]
    );
}
