//! Records and events as the cases make them, and small helpers.

use std::time::Duration;

use prost_types::Timestamp;
use xingji_api::v1::{AuditEvent, AuditOutcome, HistoryEntry, Order, OrderStatus, Outlet, Person};

use crate::audit::{ChainHead, verify_chain};
use crate::prelude::*;
use crate::{CreateOutcome, OrderWrite, Page, Result, StoreError};

/// How soon a write through one handle must be seen through another
/// (the seam's "within a second"), with a little room for a loaded machine.
pub const WITHIN: Duration = Duration::from_millis(1500);

/// Seconds at 2026-01-01T00:00:00Z: the cases' times are after it.
pub const EPOCH_2026: i64 = 1_767_225_600;

/// A time `at` seconds into 2026.
pub fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: EPOCH_2026 + seconds,
        nanos: 0,
    })
}

/// An audit event as a caller fills it in, `at` seconds into 2026.
pub fn event(principal: &str, operation: &str, region: &str, seconds: i64) -> AuditEvent {
    AuditEvent {
        time: at(seconds),
        principal: principal.into(),
        operation: operation.into(),
        target: format!("{operation}/target"),
        region: region.into(),
        outcome: AuditOutcome::Ok as i32,
        ..AuditEvent::default()
    }
}

/// The event of an operation that succeeded, by `hq:boss` in `sh`.
pub fn ok(operation: &str) -> AuditEvent {
    event("hq:boss", operation, "sh", 0)
}

/// An outlet of `region` with the number `number`.
pub fn outlet(id: &str, region: &str, number: &str) -> Outlet {
    Outlet {
        id: id.into(),
        region: region.into(),
        number: number.into(),
        name: format!("outlet {number}"),
        ..Outlet::default()
    }
}

/// A person of `outlet_id` in `region`.
pub fn person(id: &str, region: &str, outlet_id: &str) -> Person {
    Person {
        id: id.into(),
        region: region.into(),
        outlet_id: outlet_id.into(),
        name: format!("person {id}"),
        ..Person::default()
    }
}

/// A history entry: `action` moving the order to `status`.
pub fn entry(action: &str, status: OrderStatus) -> HistoryEntry {
    HistoryEntry {
        time: at(60),
        actor: "call-centre:07".into(),
        action: action.into(),
        status: status as i32,
        ..HistoryEntry::default()
    }
}

/// An order of `region` at intake, with `entries` history entries whose
/// actions are `create-0`, `create-1`, ….
pub fn order(id: &str, region: &str, entries: usize) -> Order {
    Order {
        id: id.into(),
        region: region.into(),
        status: OrderStatus::Intake as i32,
        history: (0..entries)
            .map(|n| entry(&format!("create-{n}"), OrderStatus::Intake))
            .collect(),
        ..Order::default()
    }
}

/// An order write with no SLA clock running, in hand as the kernel's
/// statuses say (the suite stands in for the kernel).
pub fn write(order: Order) -> OrderWrite {
    OrderWrite {
        in_hand: order.status().is_in_hand(),
        order,
        due_at: None,
        decision: None,
    }
}

/// `order` with one more history entry (`action`, to `status`), as the
/// kernel writes an update.
pub fn moved(mut order: Order, action: &str, status: OrderStatus) -> OrderWrite {
    order.status = status as i32;
    order.history.push(entry(action, status));
    write(order)
}

/// The order a create made; panics on anything else.
pub fn created(outcome: Result<CreateOutcome>) -> Order {
    match outcome {
        Ok(CreateOutcome::Created(order)) => order,
        other => panic!("expected a new order, got {other:?}"),
    }
}

/// Creates `order` under request id `r-<order id>`; the stored order.
pub async fn create(store: &dyn Store, order: Order) -> Order {
    let request = format!("r-{}", order.id);
    created(
        store
            .create_order(
                &request,
                request.as_bytes(),
                write(order),
                ok("orders.create"),
            )
            .await,
    )
}

/// The first `limit` records.
pub fn first(limit: u32) -> Page {
    Page { after: None, limit }
}

/// At most `limit` records after `after`.
pub fn after(after: &str, limit: u32) -> Page {
    Page {
        after: Some(after.into()),
        limit,
    }
}

/// Every audit event's operation, in order.
pub async fn operations(store: &dyn Store) -> Vec<String> {
    store
        .list_audit_events(&Default::default(), &first(10_000))
        .await
        .expect("audit events")
        .into_iter()
        .map(|event| event.operation)
        .collect()
}

/// The audit chain as stored, verified.
pub async fn verify(store: &dyn Store) -> std::result::Result<ChainHead, String> {
    verify_chain(
        async |after, limit| store.audit_chain(after, limit).await,
        |_| {},
    )
    .await
    .map_err(|error| error.to_string())
}

/// The seq of the last order event (0 if none).
pub async fn last_event_seq(store: &dyn Store) -> i64 {
    let mut last = 0;
    loop {
        let filter = crate::EventFilter {
            after: last,
            ..Default::default()
        };
        let events = store
            .list_order_events(&filter, 1000)
            .await
            .expect("events");
        match events.last() {
            Some(event) => last = cursor(&event.cursor),
            None => return last,
        }
    }
}

/// An event's cursor as the number it is.
pub fn cursor(cursor: &str) -> i64 {
    cursor
        .parse()
        .unwrap_or_else(|_| panic!("a cursor that is not a seq: {cursor:?}"))
}

/// Whether `check` holds within [`WITHIN`], asking every 10 ms.
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        if check() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Asserts that `result` failed with `VersionMismatch { current }`.
#[track_caller]
pub fn assert_stale<T: std::fmt::Debug>(result: Result<T>, current: i64) {
    assert!(
        matches!(result, Err(StoreError::VersionMismatch { current: c }) if c == current),
        "expected VersionMismatch {{ current: {current} }}, got {result:?}"
    );
}

/// Asserts that `result` failed with `AlreadyExists(what)`.
#[track_caller]
pub fn assert_exists<T: std::fmt::Debug>(result: Result<T>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::AlreadyExists(w)) if w == what),
        "expected AlreadyExists({what:?}), got {result:?}"
    );
}

/// Asserts that `result` failed with `NotFound`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T>) {
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
}

/// Ids of a listing, to compare.
pub fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    records.iter().map(|r| id(r).to_owned()).collect()
}

/// Whether `network_version` moves (within a second) after `write`.
pub async fn moves_network<T>(store: &dyn Store, write: impl Future<Output = T>) -> T {
    let before = store.network_version();
    let done = write.await;
    assert!(
        eventually(|| store.network_version() != before).await,
        "network_version did not move after a network write"
    );
    done
}
