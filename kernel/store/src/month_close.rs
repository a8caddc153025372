//! The month close: everything one close writes, in one transaction.

use async_trait::async_trait;
use prost::Message;
use xingji_api::v1::{AuditEvent, HistoryEntry, LicenceEvent, MonthClose, Order, Outlet, Person};

use crate::{Page, Result};

/// Everything a month close writes, in one transaction.
pub struct MonthCloseCommit {
    /// The close, stored under its region and month.
    pub close: MonthClose,
    /// Outlets with their new grade and status, at the version read.
    pub outlets: Vec<Outlet>,
    /// People with their new licence points and state, at the version
    /// read, and the licence events that moved them.
    pub people: Vec<(Person, Vec<LicenceEvent>)>,
    /// The orders to settle, each as it was read: `VersionMismatch` if one
    /// moved since, `NotFound` if one is gone. Their bodies are never read
    /// back nor rewritten (see [`settle`]).
    pub settle: Vec<ToSettle>,
    /// The last order event the close had seen before it read the orders
    /// ([`crate::OrderLog::order_events`]): an order it read can only have
    /// moved since through an event after this one, so a backend that
    /// commits events in order may check those events instead of every
    /// order's version.
    pub read_after: i64,
    /// What settling makes of each of [`Self::settle`], as the kernel made
    /// it: see [`settle`]. It is no longer due nor in hand. Each settled
    /// order appends the entry's event, as for any order write.
    pub settlement: HistoryEntry,
    /// The audit event of the close (one for the whole close).
    pub audit: AuditEvent,
}

/// One order a close settles, as the close read it: its version, and the
/// outlet and engineer its settlement event names.
#[derive(Clone, Debug, PartialEq)]
pub struct ToSettle {
    pub id: String,
    pub version: i64,
    pub outlet_id: String,
    pub engineer_id: String,
}

impl ToSettle {
    /// `order` as read now.
    pub fn of(order: &Order) -> Self {
        ToSettle {
            id: order.id.clone(),
            version: order.version,
            outlet_id: order.outlet_id.clone(),
            engineer_id: order.engineer_id.clone(),
        }
    }
}

/// What settling makes of `order`: `settlement` appended to its history,
/// its status and update time set from it, its version bumped. Every read
/// path of a backend presents a settled order so, however it stores it:
/// PostgreSQL appends [`SettleTail`] to the stored bytes, SQLite keeps a
/// narrow row per settled order and applies this when it reads one.
pub fn settle(order: &mut Order, settlement: &HistoryEntry) {
    order.status = settlement.status;
    if settlement.time.is_some() {
        order.update_time = settlement.time;
    }
    order.history.push(settlement.clone());
    order.version += 1;
}

/// What settling appends to an order's stored body, as protobuf merges a
/// concatenation: `status` and `update_time` from the settlement entry (last
/// wins), the entry itself (a repeated field appends) and the version after
/// `read_at`. A backend may write a settled order as `body || tail`, so a
/// close of a million orders never decodes nor re-encodes one: the stored
/// bytes decode to [`settle`] of the order, exactly as an update writing
/// that order whole would store it.
pub struct SettleTail {
    /// Status, update time and history entry: the same for every order.
    common: Vec<u8>,
}

impl SettleTail {
    /// The tail of `settlement`, the history entry a close appends.
    pub fn new(settlement: &HistoryEntry) -> Self {
        use prost::encoding::{self, WireType};
        let mut common = Order {
            status: settlement.status,
            history: vec![settlement.clone()],
            ..Order::default()
        }
        .encode_to_vec();
        if let Some(time) = settlement.time {
            // Both fields always, zeros too: a merge keeps any field the
            // tail leaves out, so an omitted zero `nanos` would keep the
            // order's old nanos.
            let len = encoding::int64::encoded_len(1, &time.seconds)
                + encoding::int32::encoded_len(2, &time.nanos);
            encoding::encode_key(UPDATE_TIME, WireType::LengthDelimited, &mut common);
            encoding::encode_varint(len as u64, &mut common);
            encoding::int64::encode(1, &time.seconds, &mut common);
            encoding::int32::encode(2, &time.nanos, &mut common);
        }
        SettleTail { common }
    }

    /// What to append to the body of an order read at version `read_at`.
    pub fn tail(&self, read_at: i64) -> Vec<u8> {
        let mut tail = self.common.clone();
        // Never left out as a default: the version after any read is at
        // least 1.
        let version = Order {
            version: read_at + 1,
            ..Order::default()
        };
        version.encode_raw(&mut tail);
        tail
    }
}

/// `Order.update_time`'s field number (order.proto): written by hand so
/// that a zero `nanos` is not left out.
const UPDATE_TIME: u32 = 13;

impl std::fmt::Debug for MonthCloseCommit {
    // Not derived: a big close's records would fill a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonthCloseCommit")
            .field("close", &self.close.id)
            .field("outlets", &self.outlets.len())
            .field("people", &self.people.len())
            .field("settle", &self.settle.len())
            .finish_non_exhaustive()
    }
}

/// Month closes.
#[async_trait]
pub trait MonthCloses: Send + Sync + 'static {
    /// The close of `month` (`YYYY-MM`) in `region`.
    async fn get_month_close(&self, region: &str, month: &str) -> Result<MonthClose>;
    /// Stored closes by region, then month, of `regions` (`None`: all).
    async fn list_month_closes(
        &self,
        regions: Option<&[String]>,
        page: &Page,
    ) -> Result<Vec<MonthClose>>;
    /// Writes a month close, all or nothing, once: `AlreadyExists("month
    /// close")` if the month is closed already (also when another process
    /// sharing the database closes it at the same moment), `VersionMismatch`
    /// if any record changed since it was read. Appends `commit.audit`.
    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::Timestamp;
    use xingji_api::v1::{Appliance, OrderStatus};

    fn at(seconds: i64, nanos: i32) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos })
    }

    fn entry(time: Option<Timestamp>, status: OrderStatus, reason: &str) -> HistoryEntry {
        HistoryEntry {
            time,
            status: status as i32,
            reason: reason.to_owned(),
            ..HistoryEntry::default()
        }
    }

    /// The appended bytes decode to what settling the decoded order and
    /// encoding it whole would give, zero nanos over non-zero ones too.
    #[test]
    fn a_tail_merges_into_the_settled_order() {
        let order = Order {
            id: "ord-1".into(),
            status: OrderStatus::QualityChecked as i32,
            appliance: Some(Appliance {
                serial: "S1".into(),
                ..Appliance::default()
            }),
            history: vec![
                entry(at(10, 5), OrderStatus::Intake, "in"),
                entry(at(20, 7), OrderStatus::QualityChecked, "checked"),
            ],
            version: 7,
            update_time: at(20, 7),
            ..Order::default()
        };
        for time in [at(30, 0), at(30, 9), None] {
            let settlement = entry(time, OrderStatus::Settled, "month close 2026-10");
            let mut body = order.encode_to_vec();
            body.extend(SettleTail::new(&settlement).tail(order.version));
            let mut expected = order.clone();
            settle(&mut expected, &settlement);
            assert_eq!(expected.update_time, settlement.time.or(order.update_time));
            assert_eq!(
                (expected.status, expected.version, expected.history.len()),
                (
                    settlement.status,
                    order.version + 1,
                    order.history.len() + 1
                )
            );
            assert_eq!(Order::decode(body.as_slice()).ok(), Some(expected));
        }
    }
}
