//! The audit trail's table on a real SQLite file: any row edited behind
//! the store's back (with raw SQL, its guards dropped) is named by the
//! verifier, and while the guards stand the table is append-only. (That
//! every write appends its event, and the chain verifies, is the
//! conformance suite's: `tests/conformance.rs`.)

use prost::Message;
use prost_types::Timestamp;
use xingji_api::v1::{AuditEvent, AuditOutcome};

use super::handle::SqliteStore;
use xingji_store::audit::{ChainBreak, ChainHead, VerifyError, chain_hash, verify_chain};
use xingji_store::{AuditTrail, Store, StoreError};

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
    let rows = AuditTrail::audit_chain(&store, 0, 10).await.expect("chain");
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
    let rows = AuditTrail::audit_chain(&store, 0, 10).await.expect("chain");
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
