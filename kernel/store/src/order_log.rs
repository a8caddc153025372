//! Orders and their event log, with the change feed `WatchOrders` follows.

use std::sync::Arc;

use async_trait::async_trait;
use xingji_api::v1::{AuditEvent, HistoryEntry, Order, OrderEvent};

use crate::{EventFilter, OpenLoads, OrderFilter, Page, RecordedDecision, Result};

/// What [`OrderLog::create_order`] did.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    /// The order was created.
    Created(Order),
    /// The request id was used before; this is the order it made.
    /// `same_request` tells whether the earlier request had the same
    /// fingerprint.
    Existing {
        /// The order the first request made.
        order: Order,
        /// Whether this request repeats the first one exactly.
        same_request: bool,
    },
}

/// An order as the kernel writes it, with what the store indexes of it but
/// does not decide.
#[derive(Debug, Clone)]
pub struct OrderWrite {
    /// The order.
    pub order: Order,
    /// When its earliest running SLA clock falls due (Unix seconds), or
    /// `None` when no clock runs: what `OrderFilter::due_before` finds. The
    /// kernel's SLA rules say; the store keeps it beside the record.
    pub due_at: Option<i64>,
    /// Whether it counts toward its outlet's and engineer's load, as
    /// [`OrderLog::open_order_counts`] gives them (the kernel's "in hand").
    pub in_hand: bool,
    /// The plugin decision this write applies (a dispatch), recorded in
    /// the same transaction ([`crate::Decisions`]).
    pub decision: Option<RecordedDecision>,
}

/// The event an order write appends for one of its history entries, as
/// every backend stores it (its `cursor` is the backend's `seq`, set when
/// read).
pub fn order_event(order: &Order, entry: Option<&HistoryEntry>) -> OrderEvent {
    OrderEvent {
        cursor: String::new(),
        order_id: order.id.clone(),
        region: order.region.clone(),
        outlet_id: order.outlet_id.clone(),
        engineer_id: order.engineer_id.clone(),
        version: order.version,
        entry: entry.cloned(),
    }
}

/// Orders, their event log, and the loads dispatch reads.
///
/// Every order write appends events in the same transaction, so the event
/// log and the orders never disagree: [`OrderLog::create_order`] one per
/// history entry of the new order, [`OrderLog::update_order`] one for the
/// last entry (an update must append exactly one history entry).
///
/// **The cursor invariant**: an event's `seq` is its commit order, on every
/// backend and across every process sharing the database. A reader that has
/// seen every event up to `seq` N never later finds one below N, so resuming
/// from a cursor neither skips nor repeats an event.
#[async_trait]
pub trait OrderLog: Send + Sync + 'static {
    /// Creates an order, once per `request_id`: if the id was used before
    /// (through any process sharing the database, even at the same moment),
    /// nothing is written (`audit` included) and the first order is
    /// returned. `fingerprint` identifies the request's content, to tell a
    /// retry from a reuse. A caller that stops waiting (drops the future:
    /// its deadline passed) before the order is written may find it was
    /// not: a backend that queues writes skips those nobody waits for.
    async fn create_order(
        &self,
        request_id: &str,
        fingerprint: &[u8],
        order: OrderWrite,
        audit: AuditEvent,
    ) -> Result<CreateOutcome>;
    /// Returns an order.
    async fn get_order(&self, id: &str) -> Result<Order>;
    /// Lists orders.
    async fn list_orders(&self, filter: &OrderFilter, page: &Page) -> Result<Vec<Order>>;
    /// Replaces an order, if it is still at `order.version`, appending the
    /// event of its last history entry.
    async fn update_order(&self, order: OrderWrite, audit: AuditEvent) -> Result<Order>;
    /// Order events in commit order, with their cursors, at most `limit`.
    async fn list_order_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<OrderEvent>>;
    /// Follows the sequence number of the last committed order event: it
    /// moves after every order write through this store, and within a second
    /// of one through any other process sharing its database.
    fn order_events(&self) -> tokio::sync::watch::Receiver<i64>;
    /// How many orders written `in_hand` each outlet and engineer of
    /// `region` has, kept as orders are written, not counted when asked.
    /// Dispatch asks with every order: a backend may keep them in memory
    /// where it sees every write to its database.
    async fn open_order_counts(&self, region: &str) -> Result<Arc<OpenLoads>>;
}
