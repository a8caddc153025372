//! New orders, written in groups by one committer task, and the bulk
//! import of records made elsewhere.

use std::sync::Arc;

use sqlx::Row;
use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot, watch};
use xingji_api::v1::{AuditEvent, Order, Outlet, Person};

use super::events::announce;
use super::handle::{PendingCreate, SqliteStore};
use super::records::decode;
use super::stored::kernel_columns;
use xingji_store::{CreateOutcome, OrderWrite, Result, StoreError};

/// The most new orders one transaction takes.
pub(super) const GROUP_MAX: usize = 256;

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

    /// Writes new orders in groups: every order that arrived while the
    /// previous transaction committed goes into the next one, so a burst of
    /// `create_order` calls pays one fsync per group, not one per order.
    /// Each order is its own savepoint: one that fails leaves the others.
    /// Ends when the last clone of the store is dropped.
    pub(super) async fn group_commit(
        pool: SqlitePool,
        writer: Arc<tokio::sync::Mutex<()>>,
        last_event: watch::Sender<i64>,
        mut queue: mpsc::Receiver<PendingCreate>,
    ) {
        let mut group = Vec::with_capacity(GROUP_MAX);
        while queue.recv_many(&mut group, GROUP_MAX).await > 0 {
            // A caller that stopped waiting (its deadline passed, or it
            // hung up) is told nothing: nor is its order written.
            group.retain(|pending| !pending.reply.is_closed());
            if group.is_empty() {
                continue;
            }
            match Self::create_group(&pool, &writer, &mut group).await {
                Ok((outcomes, last)) => {
                    if let Some(seq) = last {
                        announce(&last_event, seq);
                    }
                    for (pending, outcome) in group.drain(..).zip(outcomes) {
                        let _ = pending.reply.send(outcome);
                    }
                }
                Err(error) => {
                    // Each caller hears the group's failure, sorted as it was
                    // (a lost database is Unavailable to every one of them).
                    for pending in group.drain(..) {
                        let failure = match &error {
                            StoreError::Unavailable(why) => {
                                StoreError::Unavailable(format!("group commit failed: {why}"))
                            }
                            other => StoreError::Backend(format!("group commit failed: {other}")),
                        };
                        let _ = pending.reply.send(Err(failure));
                    }
                }
            }
        }
    }

    /// One transaction for a group of new orders: the outcome of each, and
    /// the last event written.
    async fn create_group(
        pool: &SqlitePool,
        writer: &tokio::sync::Mutex<()>,
        group: &mut [PendingCreate],
    ) -> Result<(Vec<Result<CreateOutcome>>, Option<i64>)> {
        // BEGIN IMMEDIATE takes the write lock up front, so that two requests
        // with one id queue behind each other instead of both inserting.
        let _writing = writer.lock().await;
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut outcomes = Vec::with_capacity(group.len());
        let mut last = None;
        for pending in group.iter_mut() {
            let mut one = sqlx::Connection::begin(&mut *tx).await?;
            let order = std::mem::replace(
                &mut pending.order,
                OrderWrite {
                    order: Order::default(),
                    due_at: None,
                    in_hand: false,
                },
            );
            let audit = std::mem::take(&mut pending.audit);
            let created = Self::create_in(
                &mut one,
                &pending.request_id,
                &pending.fingerprint,
                order,
                audit,
            )
            .await;
            match created {
                Ok((outcome, seq)) => {
                    one.commit().await?;
                    last = seq.or(last);
                    outcomes.push(Ok(outcome));
                }
                Err(error) => {
                    one.rollback().await?;
                    outcomes.push(Err(error));
                }
            }
        }
        tx.commit().await?;
        Ok((outcomes, last))
    }

    /// Claims `request_id` and inserts the order with an event per history
    /// entry and its audit event, or finds the order the id made before
    /// (and appends nothing).
    async fn create_in(
        tx: &mut sqlx::SqliteConnection,
        request_id: &str,
        fingerprint: &[u8],
        write: OrderWrite,
        audit: AuditEvent,
    ) -> Result<(CreateOutcome, Option<i64>)> {
        let OrderWrite {
            order,
            due_at,
            in_hand,
        } = write;
        let claimed = sqlx::query(
            "INSERT INTO order_requests (request_id, order_id, fingerprint) VALUES (?, ?, ?) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(&order.id)
        .bind(fingerprint)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            let order = Self::insert_with(&mut *tx, order, kernel_columns(due_at, in_hand)).await?;
            let mut last = None;
            for entry in &order.history {
                last = Some(Self::append_event(tx, &order, entry).await?);
            }
            Self::append_audit_in(tx, audit).await?;
            return Ok((CreateOutcome::Created(order), last));
        }
        let row = sqlx::query(
            "SELECT r.fingerprint, o.id, o.body FROM order_requests r \
             JOIN orders o ON o.id = r.order_id WHERE r.request_id = ?",
        )
        .bind(request_id)
        .fetch_one(&mut *tx)
        .await?;
        let stored: &[u8] = row.get("fingerprint");
        let outcome = CreateOutcome::Existing {
            same_request: stored == fingerprint,
            order: decode(row.get("id"), row.get("body"))?,
        };
        Ok((outcome, None))
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
        let (_writing, mut tx) = self.begin_write().await?;
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
