//! The audit trail: every write appends its event in its own transaction,
//! a refused or repeated write appends nothing, the chain verifies however
//! many handles append; lists filter and page by seq. And `Meta`.

use xingji_api::v1::{
    Activation, Audit, AuditEvent, AuditOutcome, LicenceEvent, MonthClose, OrderStatus, Plugin,
};

use super::fixtures::{
    at, created, event, moved, ok, operations, order, outlet, person, verify, write,
};
use super::harness::Database;
use crate::audit::AuditEventFilter;
use crate::{CreateOutcome, MonthCloseCommit, Page, StoreError};

fn plugin(sha256: &str) -> Plugin {
    Plugin {
        name: "dispatch-nearest".into(),
        version: "1.0.0".into(),
        sha256: sha256.into(),
        ..Plugin::default()
    }
}

/// Every write method appends the event it was given, in call order; the
/// chain links them and verifies.
pub async fn every_write_appends_its_audit_event(db: Database) {
    let store = db.store();
    let created_outlet = store
        .create_outlet(outlet("out_1", "sh", "1"), ok("outlets.create"))
        .await
        .expect("outlet");
    store
        .update_outlet(created_outlet, ok("outlets.update"))
        .await
        .expect("update outlet");
    let person = store
        .create_person(person("per_1", "sh", "out_1"), ok("people.create"))
        .await
        .expect("person");
    let person = store
        .update_person(person, ok("people.update"))
        .await
        .expect("update person");
    let licence = LicenceEvent {
        id: "lic_1".into(),
        person_id: "per_1".into(),
        ..LicenceEvent::default()
    };
    store
        .record_licence_event(person, licence, ok("people.licence-event"))
        .await
        .expect("licence event");
    let audit = Audit {
        id: "aud_1".into(),
        outlet_id: "out_1".into(),
        region: "sh".into(),
        ..Audit::default()
    };
    store
        .create_audit(audit, ok("outlets.audit"))
        .await
        .expect("mystery audit");
    let first = created(
        store
            .create_order(
                "r1",
                b"1",
                write(order("ord_1", "sh", 1)),
                ok("orders.create"),
            )
            .await,
    );
    store
        .update_order(
            moved(first, "dispatch", OrderStatus::Dispatched),
            ok("orders.dispatch"),
        )
        .await
        .expect("update order");
    store
        .install_plugin(plugin("aa"), b"wasm", ok("plugins.install"))
        .await
        .expect("install");
    store
        .add_activation(Activation::default(), ok("plugins.activate"))
        .await
        .expect("activate");
    store
        .delete_plugin("dispatch-nearest", "1.0.0", ok("plugins.delete"))
        .await
        .expect("delete");
    store
        .kv_apply(
            "sh",
            "jiujiu",
            &[("k".into(), Some(b"v".to_vec()))],
            100,
            ok("warranty.purchase"),
        )
        .await
        .expect("kv");
    let close = MonthClose {
        region: "sh".into(),
        month: "2026-01".into(),
        ..MonthClose::default()
    };
    store
        .commit_month_close(MonthCloseCommit {
            close,
            outlets: Vec::new(),
            people: Vec::new(),
            settle: Vec::new(),
            read_after: 0,
            settlement: Default::default(),
            audit: ok("month.close"),
        })
        .await
        .expect("close");
    let denied = store
        .append_audit(AuditEvent {
            outcome: AuditOutcome::Denied as i32,
            detail: "outlets may not close months".into(),
            ..ok("month.close")
        })
        .await
        .expect("denial");

    let expected = [
        "outlets.create",
        "outlets.update",
        "people.create",
        "people.update",
        "people.licence-event",
        "outlets.audit",
        "orders.create",
        "orders.dispatch",
        "plugins.install",
        "plugins.activate",
        "plugins.delete",
        "warranty.purchase",
        "month.close",
        "month.close",
    ];
    assert_eq!(operations(store).await, expected);
    assert_eq!(denied.seq, expected.len() as u64);
    assert_eq!(denied.outcome, AuditOutcome::Denied as i32);
    let head = verify(store).await.expect("the chain verifies");
    assert_eq!(head.events, expected.len() as u64);
    assert_eq!(head.hash, denied.hash);
    let chain = store.audit_chain(0, 1000).await.expect("chain");
    assert_eq!(chain.last().map(|row| row.event()), Some(Ok(denied)));
    for pair in chain.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    let rest = store.audit_chain(12, 1000).await.expect("chain");
    assert_eq!(rest, chain[12..], "the chain after a seq");
    assert_eq!(store.audit_chain(0, 2).await.expect("chain"), chain[..2]);
}

/// A write that fails, or that changes nothing, appends nothing.
pub async fn a_refused_or_repeated_write_appends_nothing(db: Database) {
    let store = db.store();
    let made = created(
        store
            .create_order(
                "r1",
                b"1",
                write(order("ord_1", "sh", 1)),
                ok("orders.create"),
            )
            .await,
    );
    store
        .update_order(
            moved(made.clone(), "dispatch", OrderStatus::Dispatched),
            ok("orders.dispatch"),
        )
        .await
        .expect("update");
    store
        .create_outlet(outlet("out_1", "sh", "1"), ok("outlets.create"))
        .await
        .expect("outlet");
    store
        .install_plugin(plugin("aa"), b"wasm", ok("plugins.install"))
        .await
        .expect("install");
    let before = operations(store).await;

    // `made` is at version 1; the order is at 2 now.
    let stale = store
        .update_order(
            moved(made, "accept", OrderStatus::Accepted),
            ok("orders.accept"),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::VersionMismatch { current: 2 })),
        "{stale:?}"
    );
    let taken = store
        .create_outlet(outlet("out_2", "sh", "1"), ok("outlets.create"))
        .await;
    assert!(
        matches!(taken, Err(StoreError::AlreadyExists(_))),
        "{taken:?}"
    );
    let missing = store
        .update_person(person("per_9", "sh", "out_1"), ok("people.update"))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let over = store
        .kv_apply(
            "sh",
            "jiujiu",
            &[("k".into(), Some(vec![0; 200]))],
            100,
            ok("warranty.purchase"),
        )
        .await;
    assert!(matches!(over, Err(StoreError::Quota { .. })), "{over:?}");
    let replay = store
        .create_order(
            "r1",
            b"1",
            write(order("ord_2", "sh", 1)),
            ok("orders.create"),
        )
        .await
        .expect("replay");
    assert!(
        matches!(replay, CreateOutcome::Existing { .. }),
        "{replay:?}"
    );
    store
        .install_plugin(plugin("aa"), b"wasm", ok("plugins.install"))
        .await
        .expect("the same bytes again");
    let clash = store
        .install_plugin(plugin("bb"), b"other", ok("plugins.install"))
        .await;
    assert!(
        matches!(clash, Err(StoreError::AlreadyExists(_))),
        "{clash:?}"
    );
    let gone = store
        .delete_plugin("never", "1.0.0", ok("plugins.delete"))
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");

    assert_eq!(operations(store).await, before);
    assert_eq!(verify(store).await.expect("verifies").events, 4);
}

/// Creates sent together each append their own event; a replay among them
/// appends none.
pub async fn concurrent_creates_append_one_event_each(db: Database) {
    let store = db.store();
    let (a, b, again) = tokio::join!(
        store.create_order(
            "r1",
            b"1",
            write(order("ord_1", "sh", 1)),
            ok("orders.create")
        ),
        store.create_order(
            "r2",
            b"2",
            write(order("ord_2", "sh", 1)),
            ok("orders.create")
        ),
        store.create_order(
            "r1",
            b"1",
            write(order("ord_3", "sh", 1)),
            ok("orders.create")
        ),
    );
    for outcome in [a, b, again] {
        outcome.expect("create");
    }
    assert_eq!(operations(store).await, ["orders.create", "orders.create"]);
    assert_eq!(verify(store).await.expect("verifies").events, 2);
}

/// Two handles (as the server and `xingji tokens issue` are, or two
/// kernels) append to one chain, with their own writes and with bare
/// events, at the same time: the chain has every entry once and verifies.
pub async fn two_handles_append_to_one_chain(db: Database) {
    let other = db.open_again().await;
    let mut tasks = tokio::task::JoinSet::new();
    for (n, store) in [db.handle(), other.clone()].into_iter().enumerate() {
        tasks.spawn(async move {
            for round in 0..10 {
                store
                    .append_audit(event(&format!("hq:{n}"), "tokens.issue", "", round))
                    .await
                    .expect("append");
                let id = format!("ord_{n}_{round}");
                store
                    .create_order(&id, b"fp", write(order(&id, "sh", 1)), ok("orders.create"))
                    .await
                    .expect("create");
                store
                    .kv_apply(
                        "sh",
                        &format!("plugin-{n}"),
                        &[(format!("k{round}"), Some(vec![1]))],
                        1 << 20,
                        ok("kv.apply"),
                    )
                    .await
                    .expect("kv");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    for store in [db.store(), &*other] {
        let head = verify(store).await.expect("the chain verifies");
        assert_eq!(head.events, 60);
    }
    let principals = |operations: Vec<AuditEvent>| {
        let mut principals: Vec<String> = operations.into_iter().map(|e| e.principal).collect();
        principals.sort();
        principals
    };
    let issued = AuditEventFilter {
        operation: Some("tokens.issue".into()),
        ..AuditEventFilter::default()
    };
    let listed = other
        .list_audit_events(
            &issued,
            &Page {
                after: None,
                limit: 100,
            },
        )
        .await
        .expect("list");
    let expected: Vec<String> = ["hq:0"; 10]
        .into_iter()
        .chain(["hq:1"; 10])
        .map(String::from)
        .collect();
    assert_eq!(principals(listed), expected);
}

/// Lists filter by region, principal, operation, outcome and time, and
/// page by seq; a listed event is its chain entry with its hashes.
pub async fn audit_lists_filter_and_page_by_seq(db: Database) {
    let store = db.store();
    for (n, (principal, operation, region)) in [
        ("hq:boss", "outlets.create", "sh"),
        ("call-centre:07", "orders.accept", "sh"),
        ("it:qd", "plugins.activate", "qd"),
        ("hq:boss", "plugins.install", ""),
        ("call-centre:07", "orders.accept", "qd"),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .append_audit(event(principal, operation, region, n as i64 * 60))
            .await
            .expect("append");
    }
    store
        .append_audit(AuditEvent {
            outcome: AuditOutcome::Denied as i32,
            ..event("outlet:out_1", "month.close", "sh", 600)
        })
        .await
        .expect("denial");
    let list = async |filter: AuditEventFilter, after: Option<u64>, limit: u32| {
        let page = Page {
            after: after.map(|seq| seq.to_string()),
            limit,
        };
        store
            .list_audit_events(&filter, &page)
            .await
            .expect("list")
            .into_iter()
            .map(|event| event.seq)
            .collect::<Vec<_>>()
    };
    let all = AuditEventFilter::default();
    assert_eq!(list(all.clone(), None, 10).await, [1, 2, 3, 4, 5, 6]);
    assert_eq!(list(all.clone(), Some(2), 3).await, [3, 4, 5]);
    assert!(list(all, Some(6), 3).await.is_empty());
    assert_eq!(
        list(AuditEventFilter::in_region("sh"), None, 10).await,
        [1, 2, 6]
    );
    assert_eq!(list(AuditEventFilter::in_region(""), None, 10).await, [4]);
    let regions = AuditEventFilter {
        regions: Some(vec!["sh".into(), "qd".into()]),
        ..AuditEventFilter::default()
    };
    assert_eq!(list(regions, None, 10).await, [1, 2, 3, 5, 6]);
    let none = AuditEventFilter {
        regions: Some(Vec::new()),
        ..AuditEventFilter::default()
    };
    assert!(list(none, None, 10).await.is_empty());
    let of = |principal: &str| AuditEventFilter {
        principal: Some(principal.into()),
        ..AuditEventFilter::default()
    };
    assert_eq!(list(of("call-centre:07"), None, 10).await, [2, 5]);
    assert_eq!(list(of("call-centre:07"), Some(2), 10).await, [5]);
    let operation = AuditEventFilter {
        operation: Some("orders.accept".into()),
        regions: Some(vec!["qd".into()]),
        ..AuditEventFilter::default()
    };
    assert_eq!(list(operation, None, 10).await, [5]);
    let denied = AuditEventFilter {
        outcome: Some(AuditOutcome::Denied as i32),
        ..AuditEventFilter::default()
    };
    assert_eq!(list(denied, None, 10).await, [6]);
    let window = AuditEventFilter {
        since: at(60),
        until: at(180),
        ..AuditEventFilter::default()
    };
    assert_eq!(
        list(window, None, 10).await,
        [2, 3],
        "since is in, until out"
    );

    let listed = store
        .list_audit_events(
            &AuditEventFilter::default(),
            &Page {
                after: None,
                limit: 1,
            },
        )
        .await
        .expect("list");
    let chain = store.audit_chain(0, 1).await.expect("chain");
    assert_eq!(Some(&listed[0]), chain[0].event().as_ref().ok());
    assert_eq!(
        listed[0].target, "outlets.create/target",
        "events come whole"
    );
}

/// `meta_get_or_init` sets a key once: later calls, and handles racing
/// for it, all get the first value.
pub async fn meta_is_initialised_once(db: Database) {
    let store = db.store();
    assert_eq!(
        store.meta_get_or_init("key", b"first").await.expect("meta"),
        b"first"
    );
    assert_eq!(
        store
            .meta_get_or_init("key", b"second")
            .await
            .expect("meta"),
        b"first"
    );
    assert_eq!(
        store.meta_get_or_init("other", b"").await.expect("meta"),
        b""
    );
    let other = db.open_again().await;
    assert_eq!(
        other.meta_get_or_init("key", b"third").await.expect("meta"),
        b"first"
    );

    let mut racers = tokio::task::JoinSet::new();
    for n in 0..8u8 {
        let store = if n % 2 == 0 {
            db.handle()
        } else {
            other.clone()
        };
        racers.spawn(async move { store.meta_get_or_init("raced", &[n]).await });
    }
    let mut values = Vec::new();
    while let Some(value) = racers.join_next().await {
        values.push(value.expect("task").expect("meta"));
    }
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
    assert_eq!(
        store
            .meta_get_or_init("raced", b"late")
            .await
            .expect("meta"),
        values[0]
    );
}
