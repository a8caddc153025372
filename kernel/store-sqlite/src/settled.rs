//! Settled orders. A month close does not rewrite the orders it settles:
//! it records each in a narrow row of `settled_orders` and the settlement
//! entry once, on its close (migration 0011). Every read of an order goes
//! through [`ORDER_COLUMNS`] and [`read_order`], which present it settled
//! (`xingji_store::settle`); its next update writes it whole and drops the
//! row ([`SqliteStore::unsettle`]).

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use xingji_api::v1::{HistoryEntry, Order, OrderStatus};

use super::handle::SqliteStore;
use super::records::{Condition, decode};
use super::stored::Value;
use xingji_store::{Result, settle};

/// What an order read selects `FROM orders`: its id and stored body, and
/// the settlement of the close that settled it since, if one did.
pub(super) const ORDER_COLUMNS: &str = "orders.id AS id, orders.body AS body, \
     (SELECT c.settlement FROM settled_orders s JOIN month_closes c ON c.id = s.close_id \
      WHERE s.order_id = orders.id) AS settlement";

/// A row of [`ORDER_COLUMNS`] as the order it is.
pub(super) fn read_order(row: &SqliteRow) -> Result<Order> {
    let id: &str = row.try_get("id")?;
    let mut order: Order = decode(id, row.try_get("body")?)?;
    if let Some(entry) = row.try_get::<Option<&[u8]>, _>("settlement")? {
        let entry: HistoryEntry = decode(id, entry)?;
        settle(&mut order, &entry);
    }
    Ok(order)
}

/// Whether the `orders` row was settled since its last write, in SQL.
pub(super) const SETTLED: &str =
    "EXISTS (SELECT 1 FROM settled_orders s WHERE s.order_id = orders.id)";

/// The ends of a condition on an order row: "or it was settled since",
/// "and it was not" (`concat!` takes only literals, hence written out).
const OR_SETTLED: &str =
    " OR EXISTS (SELECT 1 FROM settled_orders s WHERE s.order_id = orders.id))";
const AND_NOT_SETTLED: &str =
    " AND NOT EXISTS (SELECT 1 FROM settled_orders s WHERE s.order_id = orders.id))";

/// `status = ?` as readers see it: an order with a settled row reads as
/// SETTLED whatever its status column says.
pub(super) fn status_is(conditions: &mut Vec<Condition>, status: Option<i32>) {
    let Some(status) = status else { return };
    conditions.push(Condition {
        before: "(status = ",
        value: Value::Int(status.into()),
        after: if status == OrderStatus::Settled as i32 {
            OR_SETTLED
        } else {
            AND_NOT_SETTLED
        },
    });
}

/// `due_at < ?`: a settled order is never due, whatever its column says.
pub(super) fn due_before(conditions: &mut Vec<Condition>, now: Option<i64>) {
    if let Some(now) = now {
        conditions.push(Condition {
            before: "(due_at < ",
            value: Value::Int(now),
            after: AND_NOT_SETTLED,
        });
    }
}

impl SqliteStore {
    /// Before an update of order `id`, which a close settled since its
    /// last write: folds the settlement into its row (the update writes the
    /// body whole, settlement included, as read) by dropping the narrow row
    /// and bumping the version column to the version readers saw.
    pub(super) async fn unsettle(tx: &mut sqlx::SqliteConnection, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM settled_orders WHERE order_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE orders SET version = version + 1 WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}
