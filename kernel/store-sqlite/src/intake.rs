//! New orders, written in groups by one committer task, and the bulk
//! import of records made elsewhere.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::sqlite::SqlitePool;
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};
use tokio::sync::{mpsc, oneshot, watch};
use xingji_api::v1::{AuditEvent, Order, Outlet, Person};

use super::events::announce;
use super::handle::{PendingCreate, SqliteStore};
use super::loads::{LoadMove, Loads};
use super::settled::{ORDER_COLUMNS, read_order};
use super::stored::kernel_columns;
use xingji_store::{CreateOutcome, OrderWrite, Result, StoreError};

/// The most new orders one transaction takes.
pub(super) const GROUP_MAX: usize = 256;

/// What the group committer shares with the store.
pub(super) struct Committer {
    pub(super) pool: SqlitePool,
    pub(super) writer: Arc<tokio::sync::Mutex<()>>,
    pub(super) loads: Arc<Loads>,
    pub(super) last_event: watch::Sender<i64>,
}

impl SqliteStore {
    /// Hands a new order to the group committer and waits for its outcome.
    pub(super) async fn create_order(
        &self,
        request_id: &str,
        fingerprint: &[u8],
        order: OrderWrite,
        audit: AuditEvent,
    ) -> Result<CreateOutcome> {
        let (reply, outcome) = oneshot::channel();
        let pending = PendingCreate {
            request_id: request_id.to_owned(),
            fingerprint: fingerprint.to_vec(),
            order,
            audit,
            reply,
        };
        let gone = || StoreError::Unavailable("the store is closing".into());
        self.creates.send(pending).await.map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }

    /// Loads records made elsewhere (a migration from another system, a
    /// benchmark's generated network) in one transaction, as they are:
    /// ids and histories kept, each stored at version 1 with an event for
    /// an order's last history entry, no idempotency keys. Nothing is checked beyond the
    /// schema's own constraints.
    pub async fn import(
        &self,
        outlets: Vec<Outlet>,
        people: Vec<Person>,
        orders: Vec<OrderWrite>,
    ) -> Result<()> {
        let (_writing, mut tx) = self.begin_orders_write().await?;
        for outlet in outlets {
            Self::insert(&mut *tx, outlet).await?;
        }
        for person in people {
            Self::insert(&mut *tx, person).await?;
        }
        let mut last = None;
        for OrderWrite {
            order,
            due_at,
            in_hand,
            decision: _,
        } in orders
        {
            let order = Self::insert_with(&mut *tx, order, kernel_columns(due_at, in_hand)).await?;
            last = Some(Self::append_last_event(&mut tx, &order).await?);
        }
        tx.commit().await?;
        self.network_changed();
        if let Some(seq) = last {
            self.announce(seq);
        }
        Ok(())
    }
}

impl Committer {
    /// Writes new orders in groups: every order that arrived while the
    /// previous transaction committed goes into the next one, so a burst of
    /// `create_order` calls pays one fsync per group, not one per order,
    /// and a handful of statements per group, not several per order (each
    /// statement is a hand-off to sqlx's connection thread and back).
    /// Ends when the last clone of the store is dropped.
    pub(super) async fn run(self, mut queue: mpsc::Receiver<PendingCreate>) {
        let mut group = Vec::with_capacity(GROUP_MAX);
        while queue.recv_many(&mut group, GROUP_MAX).await > 0 {
            // A caller that stopped waiting (its deadline passed, or it
            // hung up) is told nothing: nor is its order written.
            group.retain(|pending| !pending.reply.is_closed());
            match self.commit(&group).await {
                Ok(outcomes) => {
                    for (pending, outcome) in group.drain(..).zip(outcomes) {
                        let _ = pending.reply.send(outcome);
                    }
                }
                // One order may have failed the group's statements (the
                // schema refused it): each alone then, so that it fails
                // alone. A lost database fails them all.
                Err(error) if group.len() > 1 && !matches!(error, StoreError::Unavailable(_)) => {
                    for pending in group.drain(..) {
                        let outcome = self.commit(std::slice::from_ref(&pending)).await;
                        let outcome = match outcome {
                            Ok(mut outcomes) => outcomes.pop().unwrap_or_else(|| {
                                Err(StoreError::Backend("a group of one had no outcome".into()))
                            }),
                            Err(error) => Err(failed(&error)),
                        };
                        let _ = pending.reply.send(outcome);
                    }
                }
                Err(error) => {
                    for pending in group.drain(..) {
                        let _ = pending.reply.send(Err(failed(&error)));
                    }
                }
            }
        }
    }

    /// One transaction for a group of new orders: claims their request ids,
    /// inserts the orders that claimed theirs with an event per history
    /// entry and their audit entries, and finds the earlier order of every
    /// request id used before (appending nothing for those); the outcome of
    /// each, in the group's order. The loads and the event watch follow
    /// after the commit, still under the writer lock.
    async fn commit(&self, group: &[PendingCreate]) -> Result<Vec<Result<CreateOutcome>>> {
        if group.is_empty() {
            return Ok(Vec::new());
        }
        // BEGIN IMMEDIATE takes the write lock up front, so that two requests
        // with one id queue behind each other instead of both inserting.
        let _writing = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let claimed = claim(&mut tx, group).await?;
        let created: Vec<&PendingCreate> = group
            .iter()
            .filter(|pending| claimed.contains(&pending.order.order.id))
            .collect();
        let orders = SqliteStore::insert_orders(&mut tx, &created).await?;
        let mut entries = Vec::with_capacity(2 * orders.len());
        for order in &orders {
            entries.extend(order.history.iter().map(|entry| (order, entry)));
        }
        let last = SqliteStore::append_events(&mut tx, &entries).await?;
        drop(entries);
        let decisions: Vec<_> = created
            .iter()
            .filter_map(|pending| pending.order.decision.as_ref())
            .collect();
        SqliteStore::record_decisions_in(&mut tx, &decisions).await?;
        let audits = created
            .iter()
            .map(|pending| pending.audit.clone())
            .collect();
        SqliteStore::append_audits_in(&mut tx, audits).await?;
        let mut created_orders = orders.into_iter();
        let mut outcomes = Vec::with_capacity(group.len());
        for pending in group {
            if claimed.contains(&pending.order.order.id) {
                let order = created_orders.next().ok_or_else(|| {
                    StoreError::Backend("fewer orders inserted than claimed".into())
                })?;
                outcomes.push(Ok(CreateOutcome::Created(order)));
            } else {
                outcomes.push(existing(&mut tx, pending).await);
            }
        }
        if let Err(error) = tx.commit().await {
            // A failed commit may still have written: read them again.
            self.loads.forget();
            return Err(error.into());
        }
        self.loads.apply(
            created
                .iter()
                .filter(|pending| pending.order.in_hand)
                .map(|pending| LoadMove {
                    region: &pending.order.order.region,
                    outlet: &pending.order.order.outlet_id,
                    engineer: &pending.order.order.engineer_id,
                    delta: 1,
                }),
        );
        if let Some(seq) = last {
            announce(&self.last_event, seq);
        }
        Ok(outcomes)
    }
}

/// Claims the group's request ids in one statement: the ids of the orders
/// that claimed theirs. (Of two in one group with the same request id, the
/// first claims it: rows are inserted in order.)
async fn claim(
    connection: &mut sqlx::SqliteConnection,
    group: &[PendingCreate],
) -> Result<HashSet<String>> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO order_requests (request_id, order_id, fingerprint) ",
    );
    query.push_values(group, |mut row, pending| {
        row.push_bind(pending.request_id.as_str())
            .push_bind(pending.order.order.id.as_str())
            .push_bind(pending.fingerprint.as_slice());
    });
    query.push(" ON CONFLICT (request_id) DO NOTHING RETURNING order_id");
    let claimed: Vec<String> = query
        .build_query_scalar()
        .persistent(false)
        .fetch_all(&mut *connection)
        .await?;
    Ok(claimed.into_iter().collect())
}

/// The order an earlier request with `pending`'s id made, and whether it
/// was the same request.
async fn existing(
    connection: &mut sqlx::SqliteConnection,
    pending: &PendingCreate,
) -> Result<CreateOutcome> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT r.fingerprint, {ORDER_COLUMNS} FROM order_requests r \
         JOIN orders ON orders.id = r.order_id WHERE r.request_id = ?"
    )))
    .bind(&pending.request_id)
    .fetch_one(&mut *connection)
    .await?;
    let stored: &[u8] = row.get("fingerprint");
    Ok(CreateOutcome::Existing {
        same_request: stored == pending.fingerprint.as_slice(),
        order: read_order(&row)?,
    })
}

/// What each caller of a failed group hears, sorted as the failure was (a
/// lost database is Unavailable to every one of them).
fn failed(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(why) => {
            StoreError::Unavailable(format!("group commit failed: {why}"))
        }
        other => StoreError::Backend(format!("group commit failed: {other}")),
    }
}

impl SqliteStore {
    /// Inserts new orders, at version 1, in one statement.
    async fn insert_orders(
        connection: &mut sqlx::SqliteConnection,
        created: &[&PendingCreate],
    ) -> Result<Vec<Order>> {
        let orders: Vec<(Order, _)> = created
            .iter()
            .map(|pending| {
                let write = &pending.order;
                let order = Order {
                    version: 1,
                    ..write.order.clone()
                };
                (order, kernel_columns(write.due_at, write.in_hand))
            })
            .collect();
        Self::insert_all_with(connection, &orders).await?;
        Ok(orders.into_iter().map(|(order, _)| order).collect())
    }
}
