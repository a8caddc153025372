//! The audit trail on a real SQLite file: every write appends its event in
//! its own transaction, a failed or idempotent write appends nothing, the
//! chain verifies, and any row edited behind the store's back is named.

use prost::Message;
use prost_types::Timestamp;
use xingji_api::v1::{
    Activation, Audit, AuditEvent, AuditOutcome, HistoryEntry, LicenceEvent, MonthClose, Order,
    Outlet, Person, Plugin,
};

use super::handle::SqliteStore;
use xingji_store::audit::{ChainBreak, ChainHead, VerifyError, chain_hash, verify_chain};
use xingji_store::{AuditEventFilter, CreateOutcome, MonthCloseCommit, Page, Store, StoreError};

async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("test.db"))
        .await
        .expect("open");
    (dir, store)
}

/// An event as a caller fills it in; `at` seconds into 2026.
fn event(principal: &str, operation: &str, region: &str, at: i64) -> AuditEvent {
    AuditEvent {
        time: Some(Timestamp {
            seconds: 1_767_225_600 + at,
            nanos: 0,
        }),
        principal: principal.into(),
        operation: operation.into(),
        target: format!("{operation}/target"),
        region: region.into(),
        outcome: AuditOutcome::Ok as i32,
        ..AuditEvent::default()
    }
}

fn ok(operation: &str) -> AuditEvent {
    event("hq:boss", operation, "sh", 0)
}

async fn verify(store: &SqliteStore) -> Result<ChainHead, VerifyError<StoreError>> {
    let store: &dyn Store = store;
    verify_chain(
        async |after, limit| store.audit_chain(after, limit).await,
        |_| {},
    )
    .await
}

async fn operations(store: &dyn Store) -> Vec<String> {
    let page = Page {
        after: None,
        limit: 1000,
    };
    store
        .list_audit_events(&AuditEventFilter::default(), &page)
        .await
        .expect("list")
        .into_iter()
        .map(|event| event.operation)
        .collect()
}

fn outlet(id: &str, number: &str) -> Outlet {
    Outlet {
        id: id.into(),
        region: "sh".into(),
        number: number.into(),
        ..Outlet::default()
    }
}

fn order(id: &str) -> Order {
    Order {
        id: id.into(),
        region: "sh".into(),
        history: vec![HistoryEntry::default()],
        ..Order::default()
    }
}

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
#[tokio::test]
async fn every_write_appends_its_event_and_the_chain_verifies() {
    let (_dir, sqlite) = store().await;
    let store: &dyn Store = &sqlite;
    let created = store
        .create_outlet(outlet("out_1", "1"), ok("outlets.create"))
        .await
        .expect("outlet");
    store
        .update_outlet(created, ok("outlets.update"))
        .await
        .expect("update outlet");
    let person = Person {
        id: "per_1".into(),
        region: "sh".into(),
        outlet_id: "out_1".into(),
        ..Person::default()
    };
    let person = store
        .create_person(person, ok("people.create"))
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
    let CreateOutcome::Created(first) = store
        .create_order("r1", b"1", order("ord_1"), ok("orders.create"))
        .await
        .expect("order")
    else {
        panic!("a new request id creates");
    };
    store
        .update_order(first, ok("orders.dispatch"))
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
            settle_order: Box::new(|_| true),
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
        "warranty.purchase",
        "month.close",
        "month.close",
    ];
    assert_eq!(operations(store).await, expected);
    assert_eq!(denied.seq, expected.len() as u64);
    let head = verify(&sqlite).await.expect("the chain verifies");
    assert_eq!(head.events, expected.len() as u64);
    assert_eq!(head.hash, denied.hash);
    let chain = store.audit_chain(0, 1000).await.expect("chain");
    assert_eq!(chain.last().map(|row| row.event()), Some(Ok(denied)));
    for pair in chain.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
}

/// A write that fails, or that changes nothing, appends nothing.
#[tokio::test]
async fn a_write_that_fails_or_repeats_appends_nothing() {
    let (_dir, sqlite) = store().await;
    let store: &dyn Store = &sqlite;
    let CreateOutcome::Created(created) = store
        .create_order("r1", b"1", order("ord_1"), ok("orders.create"))
        .await
        .expect("order")
    else {
        panic!("a new request id creates");
    };
    store
        .update_order(created.clone(), ok("orders.dispatch"))
        .await
        .expect("update");
    store
        .create_outlet(outlet("out_1", "1"), ok("outlets.create"))
        .await
        .expect("outlet");
    store
        .install_plugin(plugin("aa"), b"wasm", ok("plugins.install"))
        .await
        .expect("install");
    let before = operations(store).await;

    // `created` is at version 1; the order is at 2 now.
    let stale = store.update_order(created, ok("orders.accept")).await;
    assert!(
        matches!(stale, Err(StoreError::VersionMismatch { current: 2 })),
        "{stale:?}"
    );
    let taken = store
        .create_outlet(outlet("out_2", "1"), ok("outlets.create"))
        .await;
    assert!(
        matches!(taken, Err(StoreError::AlreadyExists(_))),
        "{taken:?}"
    );
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
        .create_order("r1", b"1", order("ord_2"), ok("orders.create"))
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

    assert_eq!(operations(store).await, before);
    assert_eq!(verify(&sqlite).await.expect("verifies").events, 4);
}

/// Orders of one group commit each append their own event, in their own
/// savepoint: a replay in the same group appends nothing.
#[tokio::test]
async fn a_group_commit_appends_one_event_per_created_order() {
    let (_dir, sqlite) = store().await;
    let store: &dyn Store = &sqlite;
    let (a, b, again) = tokio::join!(
        store.create_order("r1", b"1", order("ord_1"), ok("orders.create")),
        store.create_order("r2", b"2", order("ord_2"), ok("orders.create")),
        store.create_order("r1", b"1", order("ord_3"), ok("orders.create")),
    );
    for outcome in [a, b, again] {
        outcome.expect("create");
    }
    assert_eq!(operations(store).await.len(), 2);
    assert_eq!(verify(&sqlite).await.expect("verifies").events, 2);
}

/// Two handles on one file (as the server and `xingji tokens issue` are)
/// both append to one chain: each reads the head inside its transaction.
#[tokio::test]
async fn two_stores_on_one_file_append_to_one_chain() {
    let (dir, first) = store().await;
    let second = SqliteStore::open(&dir.path().join("test.db"))
        .await
        .expect("open again");
    for round in 0..5 {
        let (a, b) = tokio::join!(
            first.append_audit(event("hq:a", "tokens.issue", "", round)),
            second.append_audit(event("hq:b", "tokens.issue", "", round)),
        );
        a.expect("first");
        b.expect("second");
    }
    assert_eq!(verify(&first).await.expect("verifies").events, 10);
}

#[tokio::test]
async fn lists_filter_and_page_by_seq() {
    let (_dir, sqlite) = store().await;
    let store: &dyn Store = &sqlite;
    for (at, (principal, operation, region)) in [
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
            .append_audit(event(principal, operation, region, at as i64 * 60))
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
    assert_eq!(
        list(AuditEventFilter::default(), None, 10).await,
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        list(AuditEventFilter::default(), Some(2), 3).await,
        [3, 4, 5]
    );
    assert_eq!(
        list(AuditEventFilter::in_region("sh"), None, 10).await,
        [1, 2, 6]
    );
    assert_eq!(list(AuditEventFilter::in_region(""), None, 10).await, [4]);
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
    let at = |minutes: i64| {
        Some(Timestamp {
            seconds: 1_767_225_600 + minutes * 60,
            nanos: 0,
        })
    };
    let window = AuditEventFilter {
        since: at(1),
        until: at(3),
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
}

/// A store with six events, and a raw connection to its file.
async fn chain_of_six() -> (tempfile::TempDir, SqliteStore) {
    let (dir, store) = store().await;
    for at in 0..6 {
        store
            .append_audit(event("hq:boss", "outlets.update", "sh", at))
            .await
            .expect("append");
    }
    // What someone with the file in hand does first.
    sqlx::raw_sql("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;")
        .execute(&store.pool)
        .await
        .expect("drop the guards");
    (dir, store)
}

/// Where verification breaks after `sql` ran on a chain of six.
async fn broken_by(sql: &'static str) -> ChainBreak {
    let (_dir, store) = chain_of_six().await;
    sqlx::raw_sql(sql)
        .execute(&store.pool)
        .await
        .expect("tamper");
    match verify(&store).await {
        Err(VerifyError::Broken(broken)) => broken,
        other => panic!("{sql}: {other:?}"),
    }
}

#[tokio::test]
async fn editing_any_row_behind_the_stores_back_is_named() {
    let (_dir, store) = chain_of_six().await;
    assert_eq!(verify(&store).await.expect("sound").events, 6);

    // The body: another principal, encoded as the store would.
    let rows = Store::audit_chain(&store, 0, 10).await.expect("chain");
    let mut forged = AuditEvent::decode(rows[2].body.as_slice()).expect("decodes");
    forged.principal = "hq:someone-else".into();
    sqlx::query("UPDATE audit_events SET body = ?, principal = ? WHERE seq = 3")
        .bind(forged.encode_to_vec())
        .bind(&forged.principal)
        .execute(&store.pool)
        .await
        .expect("edit");
    let Err(VerifyError::Broken(body)) = verify(&store).await else {
        panic!("an edited body verifies");
    };
    assert_eq!(body.seq, 3, "{body}");
    assert!(body.reason.contains("hash"), "{body}");

    let outcome = broken_by("UPDATE audit_events SET outcome = 2 WHERE seq = 2").await;
    assert_eq!(outcome.seq, 2, "{outcome}");
    assert!(outcome.reason.contains("outcome"), "{outcome}");
    let hash = broken_by(
        "UPDATE audit_events SET hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 4",
    )
    .await;
    assert_eq!(hash.seq, 4, "{hash}");
    let deleted = broken_by("DELETE FROM audit_events WHERE seq = 3").await;
    assert_eq!(deleted.seq, 3, "{deleted}");
    assert!(deleted.reason.contains("missing"), "{deleted}");
    let first = broken_by("DELETE FROM audit_events WHERE seq = 1").await;
    assert_eq!(first.seq, 1, "{first}");
    let region = broken_by("UPDATE audit_events SET region = 'bj' WHERE seq = 6").await;
    assert_eq!(region.seq, 6, "{region}");
}

/// Rewriting an entry with a hash of its own that checks out still breaks
/// the chain at the entry after it.
#[tokio::test]
async fn a_rewritten_entry_breaks_the_link_after_it() {
    let (_dir, store) = chain_of_six().await;
    let rows = Store::audit_chain(&store, 0, 10).await.expect("chain");
    let mut forged = AuditEvent::decode(rows[1].body.as_slice()).expect("decodes");
    forged.target = "outlets/out_other".into();
    let body = forged.encode_to_vec();
    sqlx::query("UPDATE audit_events SET body = ?, hash = ? WHERE seq = 2")
        .bind(&body)
        .bind(chain_hash(&rows[1].prev_hash, &body))
        .execute(&store.pool)
        .await
        .expect("rewrite");
    let Err(VerifyError::Broken(broken)) = verify(&store).await else {
        panic!("a rewritten entry verifies");
    };
    assert_eq!(broken.seq, 3, "{broken}");
    assert!(broken.reason.contains("prev_hash"), "{broken}");
}

/// The schema refuses to change or remove an entry while its guards stand.
#[tokio::test]
async fn the_table_is_append_only() {
    let (_dir, store) = store().await;
    store
        .append_audit(ok("tokens.issue"))
        .await
        .expect("append");
    for sql in [
        "UPDATE audit_events SET outcome = 2 WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
    ] {
        let refused = sqlx::raw_sql(sql).execute(&store.pool).await;
        let error = refused.expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{error}");
    }
    assert_eq!(verify(&store).await.expect("sound").events, 1);
}
