//! New orders, written in groups by one committer task per kernel: every
//! `create_order` that arrives while a transaction commits goes into the
//! next one, a few multi-row statements for the whole group.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use prost::Message;
use sqlx::postgres::PgPool;
use tokio::sync::{mpsc, oneshot};
use xingji_api::v1::{AuditEvent, Order};

use super::commit::{Appends, finish, move_loads};
use super::handle::{Feed, PostgresStore};
use super::stored::{NOT_DUE, decode, original_order_id, product_line, unique_violation};
use xingji_store::{CreateOutcome, OrderWrite, Result, StoreError};

/// The most new orders one transaction takes.
pub(super) const GROUP_MAX: usize = 256;

/// One `create_order` waiting for the group committer.
pub(super) struct PendingCreate {
    request_id: String,
    fingerprint: Vec<u8>,
    order: OrderWrite,
    audit: AuditEvent,
    reply: oneshot::Sender<Result<CreateOutcome>>,
}

impl PostgresStore {
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
}

/// The committer: one transaction per group, until the queue closes.
pub(super) async fn group_commit(
    pool: PgPool,
    feed: Arc<Feed>,
    mut queue: mpsc::Receiver<PendingCreate>,
) {
    let mut group = Vec::with_capacity(GROUP_MAX);
    while queue.recv_many(&mut group, GROUP_MAX).await > 0 {
        // A caller that stopped waiting (its deadline passed, or it hung
        // up) is told nothing: nor is its order written.
        group.retain(|pending| !pending.reply.is_closed());
        if group.is_empty() {
            continue;
        }
        let pending = std::mem::take(&mut group);
        let (requests, replies): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .map(|p| {
                (
                    Request {
                        request_id: p.request_id,
                        fingerprint: p.fingerprint,
                        order: p.order,
                        audit: p.audit,
                    },
                    p.reply,
                )
            })
            .unzip();
        match create_group(&pool, &feed, requests).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                // Each caller hears the group's failure, sorted as it was
                // (a lost database is Unavailable to every one of them; a
                // retry with the same request id is safe either way).
                for reply in replies {
                    let failure = match &error {
                        StoreError::Unavailable(why) => {
                            StoreError::Unavailable(format!("group commit failed: {why}"))
                        }
                        StoreError::AlreadyExists(what) => StoreError::AlreadyExists(what),
                        other => StoreError::Backend(format!("group commit failed: {other}")),
                    };
                    let _ = reply.send(Err(failure));
                }
            }
        }
    }
}

/// A new order as the committer takes it.
struct Request {
    request_id: String,
    fingerprint: Vec<u8>,
    order: OrderWrite,
    audit: AuditEvent,
}

/// One transaction for a group: the outcome of each request, in order.
async fn create_group(
    pool: &PgPool,
    feed: &Feed,
    requests: Vec<Request>,
) -> Result<Vec<CreateOutcome>> {
    // The first request of each id claims it; later ones in the group are
    // answered from the first.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut leaders = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        if !first.contains_key(request.request_id.as_str()) {
            first.insert(&request.request_id, index);
            leaders.push(index);
        }
    }
    // Claimed in request-id order: two kernels' groups never wait on each
    // other's keys in a cycle.
    leaders.sort_by(|a, b| requests[*a].request_id.cmp(&requests[*b].request_id));
    feed.reachable()?;
    let mut tx = pool.begin().await?;
    let claimed: HashSet<String> = sqlx::query_scalar(
        "INSERT INTO order_requests (request_id, region, order_id, fingerprint) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bytea[]) \
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
    )
    .bind(
        leaders
            .iter()
            .map(|&i| requests[i].request_id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        leaders
            .iter()
            .map(|&i| requests[i].order.order.region.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        leaders
            .iter()
            .map(|&i| requests[i].order.order.id.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        leaders
            .iter()
            .map(|&i| requests[i].fingerprint.clone())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();

    let mut created: HashMap<usize, Order> = HashMap::new();
    let mut rows = OrderRows::default();
    let mut loads = BTreeMap::new();
    let mut appends = Appends::default();
    for &index in &leaders {
        let request = &requests[index];
        if !claimed.contains(&request.request_id) {
            continue;
        }
        let mut order = request.order.order.clone();
        order.version = 1;
        rows.push(&order, request.order.due_at, request.order.in_hand);
        if request.order.in_hand {
            *loads
                .entry((
                    order.region.clone(),
                    order.outlet_id.clone(),
                    order.engineer_id.clone(),
                ))
                .or_insert(0) += 1;
        }
        for entry in &order.history {
            appends.event(&order, Some(entry));
        }
        appends.audits.push(request.audit.clone());
        appends.decisions.extend(request.order.decision.clone());
        created.insert(index, order);
    }
    rows.insert(&mut tx).await?;
    move_loads(&mut tx, loads).await?;

    // The orders earlier requests made, for ids not claimed now.
    let taken: Vec<String> = leaders
        .iter()
        .map(|&i| &requests[i].request_id)
        .filter(|id| !claimed.contains(*id))
        .cloned()
        .collect();
    let mut existing: HashMap<String, (Vec<u8>, Order)> = HashMap::new();
    if !taken.is_empty() {
        let found: Vec<(String, Vec<u8>, String, Vec<u8>)> = sqlx::query_as(
            "SELECT r.request_id, r.fingerprint, o.id, o.body FROM order_requests r \
             JOIN orders o ON o.region = r.region AND o.id = r.order_id \
             WHERE r.request_id = ANY($1)",
        )
        .bind(&taken)
        .fetch_all(&mut *tx)
        .await?;
        for (request_id, fingerprint, id, body) in found {
            existing.insert(request_id, (fingerprint, decode(&id, &body)?));
        }
    }
    finish(feed, tx, appends).await?;

    requests
        .iter()
        .enumerate()
        .map(|(index, request)| {
            let leader = first[request.request_id.as_str()];
            if leader == index
                && let Some(order) = created.get(&index)
            {
                return Ok(CreateOutcome::Created(order.clone()));
            }
            let (fingerprint, order) = match created.get(&leader) {
                Some(order) => (&requests[leader].fingerprint, order),
                None => {
                    let (fingerprint, order) =
                        existing
                            .get(&request.request_id)
                            .ok_or_else(|| StoreError::Corrupt {
                                id: format!("order request {}", request.request_id),
                                reason: "its order is missing".to_owned(),
                            })?;
                    (fingerprint, order)
                }
            };
            Ok(CreateOutcome::Existing {
                order: order.clone(),
                same_request: *fingerprint == request.fingerprint,
            })
        })
        .collect()
}

/// New orders as columns, for one multi-row insert.
#[derive(Default)]
pub(super) struct OrderRows {
    region: Vec<String>,
    id: Vec<String>,
    kind: Vec<i32>,
    status: Vec<i32>,
    outlet_id: Vec<String>,
    engineer_id: Vec<String>,
    product_line: Vec<i32>,
    original_order_id: Vec<String>,
    due_at: Vec<i64>,
    in_hand: Vec<bool>,
    version: Vec<i64>,
    body: Vec<Vec<u8>>,
}

impl OrderRows {
    pub(super) fn push(&mut self, order: &Order, due_at: Option<i64>, in_hand: bool) {
        self.region.push(order.region.clone());
        self.id.push(order.id.clone());
        self.kind.push(order.kind);
        self.status.push(order.status);
        self.outlet_id.push(order.outlet_id.clone());
        self.engineer_id.push(order.engineer_id.clone());
        self.product_line.push(product_line(order));
        self.original_order_id.push(original_order_id(order));
        self.due_at.push(due_at.unwrap_or(NOT_DUE));
        self.in_hand.push(in_hand);
        self.version.push(order.version);
        self.body.push(order.encode_to_vec());
    }

    /// Inserts the rows (new orders) or, with `replace`, writes them over
    /// the stored ones of the same key.
    async fn write(self, tx: &mut sqlx::PgConnection, replace: bool) -> Result<()> {
        if self.id.is_empty() {
            return Ok(());
        }
        let conflict = if replace {
            " ON CONFLICT (region, id) DO UPDATE SET kind = excluded.kind, \
             status = excluded.status, outlet_id = excluded.outlet_id, \
             engineer_id = excluded.engineer_id, product_line = excluded.product_line, \
             original_order_id = excluded.original_order_id, due_at = excluded.due_at, \
             in_hand = excluded.in_hand, version = excluded.version, body = excluded.body"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO orders (region, id, kind, status, outlet_id, engineer_id, product_line, \
             original_order_id, due_at, in_hand, version, body) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::integer[], $4::integer[], \
             $5::text[], $6::text[], $7::integer[], $8::text[], $9::bigint[], $10::boolean[], \
             $11::bigint[], $12::bytea[]){conflict}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.region)
            .bind(self.id)
            .bind(self.kind)
            .bind(self.status)
            .bind(self.outlet_id)
            .bind(self.engineer_id)
            .bind(self.product_line)
            .bind(self.original_order_id)
            .bind(self.due_at)
            .bind(self.in_hand)
            .bind(self.version)
            .bind(self.body)
            .execute(&mut *tx)
            .await
            .map_err(|error| unique_violation(error, "order"))?;
        Ok(())
    }

    pub(super) async fn insert(self, tx: &mut sqlx::PgConnection) -> Result<()> {
        self.write(tx, false).await
    }
}
