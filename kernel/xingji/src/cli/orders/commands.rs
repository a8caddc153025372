//! `xingji orders …`: every command, and the calls they make.

use clap::Subcommand;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::*;

use super::create::{self, CreateOrderArgs};
use crate::cli::args::{PageArgs, enum_arg, page_flags, page_request, time_arg};
use crate::cli::connection::Connection;
use crate::cli::errors::{ClientError, FieldFlags};
use crate::cli::output::Output;

/// `xingji orders …`
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only orders in this status (intake, dispatched, …).
        #[arg(long, value_parser = enum_arg("xingji.v1.OrderStatus"), default_value = "unspecified", hide_default_value = true)]
        status: i32,
        /// Only orders of this outlet.
        #[arg(long, default_value = "", hide_default_value = true)]
        outlet: String,
        /// Only orders of this engineer.
        #[arg(long, default_value = "", hide_default_value = true)]
        engineer: String,
        /// Only orders of this kind (installation, repair, …).
        #[arg(long, value_parser = enum_arg("xingji.v1.OrderKind"), default_value = "unspecified", hide_default_value = true)]
        kind: i32,
        /// Only orders about this product line.
        #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"), default_value = "unspecified", hide_default_value = true)]
        product_line: i32,
        /// Only orders with an SLA clock running past its due time.
        #[arg(long)]
        overdue: bool,
        /// Only complaint orders about this order.
        #[arg(long, default_value = "", hide_default_value = true)]
        complaints_about: String,
    },
    /// Show one order with its history.
    Get {
        /// The order's id.
        id: String,
    },
    /// Record a service request (intake).
    Create(CreateOrderArgs),
    /// Dispatch an order in intake through its region's dispatch plugin
    /// (hq, call-centre, or a partner given orders.dispatch).
    Dispatch {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// The outlet takes a dispatched order (its outlet:, engineer: or hq:).
    Accept {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Turn a dispatched or accepted order down; it is dispatched again at
    /// once, skipping the refuser (its outlet:, engineer: or hq:).
    Refuse {
        /// The order's id.
        id: String,
        /// outlet (dispatch skips the whole outlet) or engineer (only the
        /// engineer).
        #[arg(long, value_parser = enum_arg("xingji.v1.RefusedBy"))]
        by: i32,
        /// Why, 1 to 500 characters.
        #[arg(long)]
        reason: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// The customer was reached and an appointment set; again to move it
    /// (its outlet:, engineer: or hq:).
    Contact {
        /// The order's id.
        id: String,
        /// The appointment, RFC 3339 with its offset
        /// (2026-11-29T10:00:00+08:00): not past, at most 30 days ahead.
        #[arg(long, value_parser = time_arg)]
        appointment: prost_types::Timestamp,
        /// What was agreed, at most 500 characters.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// The engineer arrived at the customer's (its engineer: or hq:).
    Arrive {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// The work is done: the service report (its outlet:, engineer: or
    /// hq:).
    Complete {
        /// The order's id.
        id: String,
        /// What was wrong, 1 to 2000 characters.
        #[arg(long)]
        diagnosis: String,
        /// What was done, 1 to 2000 characters.
        #[arg(long)]
        work_done: String,
        /// A part used, as NUMBER:NAME:QTY, with :return when the old part
        /// is due back to the warehouse (BM-2041:电机:1:return); repeat for
        /// several.
        #[arg(long, value_parser = part_arg)]
        part: Vec<PartUsed>,
        /// What the customer was charged, in fen (0 under warranty).
        #[arg(long, default_value_t = 0)]
        charge_fen: i64,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Record one customer callback on a completed order (call-centre: or
    /// hq:).
    Callback {
        /// The order's id.
        id: String,
        /// The customer was reached.
        #[arg(long)]
        reached: bool,
        /// The customer was satisfied (needs --reached).
        #[arg(long)]
        satisfied: bool,
        /// What the customer said, at most 500 characters.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Close quality control of a completed order (call-centre: or hq:).
    CheckQuality {
        /// The order's id.
        id: String,
        /// The old part is back in the warehouse.
        #[arg(long)]
        old_part_returned: bool,
        /// The quality-improvement finding.
        #[arg(long, default_value = "", hide_default_value = true)]
        finding: String,
        /// The finding agrees with the service report.
        #[arg(long)]
        finding_agreed: bool,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Withdraw an order before completion (call-centre, hq, or the
    /// partner that created it).
    Cancel {
        /// The order's id.
        id: String,
        /// Why, 1 to 500 characters.
        #[arg(long)]
        reason: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Mark an order invalid before completion: a duplicate, a false
    /// request (call-centre: or hq:).
    Invalidate {
        /// The order's id.
        id: String,
        /// Why, 1 to 500 characters.
        #[arg(long)]
        reason: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Take a complaint order's next step: handle, accept, then improve,
    /// which completes it (call-centre: or hq:).
    Complaint {
        /// The complaint order's id.
        id: String,
        /// handle, accept or improve.
        #[arg(long, value_parser = enum_arg("xingji.v1.ComplaintStep"))]
        step: i32,
        /// What it is about (work-quality, timeliness, attitude, charge,
        /// product, other); required with --step handle.
        #[arg(long, value_parser = enum_arg("xingji.v1.ComplaintCause"), default_value = "unspecified", hide_default_value = true)]
        cause: i32,
        /// The person responsible; required with --step handle --cause
        /// work-quality.
        #[arg(long, default_value = "", hide_default_value = true)]
        responsible: String,
        /// What is changed so it does not recur; required with --step
        /// improve.
        #[arg(long, default_value = "", hide_default_value = true)]
        improvement: String,
        /// What was done in this step, at most 500 characters.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
        /// Refuse unless the order is still at this version [default: any
        /// version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
    },
    /// Follow orders' changes, one compact JSON event per line, until
    /// interrupted. Resume with --after <the last cursor you processed>.
    Watch {
        /// Only orders of this region [default: all regions].
        #[arg(long, default_value = "", hide_default_value = true)]
        region: String,
        /// Start after this event's cursor; 0 replays from the beginning
        /// [default: only new events].
        #[arg(long, default_value = "", hide_default_value = true)]
        after: String,
        /// Only orders served by this outlet.
        #[arg(long, default_value = "", hide_default_value = true)]
        outlet: String,
    },
}

/// Parses `NUMBER:NAME:QTY`, with `:return` when the old part is due back:
/// `BM-2041:电机:1:return`. The name may itself contain colons.
fn part_arg(input: &str) -> Result<PartUsed, String> {
    let wrong = || format!("{input:?}: give NUMBER:NAME:QTY[:return], e.g. BM-2041:电机:1:return");
    let (rest, due_back) = match input.strip_suffix(":return") {
        Some(rest) => (rest, true),
        None => (input, false),
    };
    let (part_number, rest) = rest.split_once(':').ok_or_else(wrong)?;
    let (name, quantity) = rest.rsplit_once(':').ok_or_else(wrong)?;
    Ok(PartUsed {
        part_number: part_number.to_owned(),
        name: name.to_owned(),
        quantity: quantity.trim().parse().map_err(|_| wrong())?,
        old_part_due_return: due_back,
    })
}

const LIST: FieldFlags = page_flags![
    ("status", "--status"),
    ("outlet_id", "--outlet"),
    ("engineer_id", "--engineer"),
    ("kind", "--kind"),
    ("product_line", "--product-line"),
    ("original_order_id", "--complaints-about"),
];
const GET: FieldFlags = &[("id", "<ID>")];

/// A transition's table: the order's id and the version it must still be
/// at, which every transition names, then the entries given.
macro_rules! step_flags {
    ($($entry:expr),* $(,)?) => {
        &[("id", "<ID>"), ("version", "--expect-version"), $($entry),*]
    };
}
const STEP: FieldFlags = step_flags![];
const REFUSE: FieldFlags = step_flags![("by", "--by"), ("reason", "--reason")];
const CONTACT: FieldFlags = step_flags![("appointment_time", "--appointment"), ("note", "--note")];
const COMPLETE: FieldFlags = step_flags![
    ("report.diagnosis", "--diagnosis"),
    ("report.work_done", "--work-done"),
    ("report.parts", "--part"),
    ("report.charge_fen", "--charge-fen"),
];
const CALLBACK: FieldFlags = step_flags![
    ("callback.reached", "--reached"),
    ("callback.satisfied", "--satisfied"),
    ("callback.note", "--note"),
];
const CHECK_QUALITY: FieldFlags = step_flags![
    ("old_part_returned", "--old-part-returned"),
    ("finding", "--finding"),
    ("finding_agreed", "--finding-agreed"),
];
const WITHDRAW: FieldFlags = step_flags![("reason", "--reason")];
const COMPLAINT: FieldFlags = step_flags![
    ("step", "--step"),
    ("cause", "--cause"),
    ("responsible_person_id", "--responsible"),
    ("improvement_measure", "--improvement"),
    ("note", "--note"),
];
const WATCH: FieldFlags = &[
    ("region", "--region"),
    ("after_cursor", "--after"),
    ("outlet_id", "--outlet"),
];

impl OrdersCommand {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            OrdersCommand::List { .. } => LIST,
            OrdersCommand::Get { .. } => GET,
            OrdersCommand::Create(_) => create::FLAGS,
            OrdersCommand::Dispatch { .. }
            | OrdersCommand::Accept { .. }
            | OrdersCommand::Arrive { .. } => STEP,
            OrdersCommand::Refuse { .. } => REFUSE,
            OrdersCommand::Contact { .. } => CONTACT,
            OrdersCommand::Complete { .. } => COMPLETE,
            OrdersCommand::Callback { .. } => CALLBACK,
            OrdersCommand::CheckQuality { .. } => CHECK_QUALITY,
            OrdersCommand::Cancel { .. } | OrdersCommand::Invalidate { .. } => WITHDRAW,
            OrdersCommand::Complaint { .. } => COMPLAINT,
            OrdersCommand::Watch { .. } => WATCH,
        }
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client = OrderServiceClient::new(conn.channel());
        match self {
            OrdersCommand::List {
                page,
                status,
                outlet,
                engineer,
                kind,
                product_line,
                overdue,
                complaints_about,
            } => {
                let request = page_request!(
                    page,
                    ListOrdersRequest {
                        status,
                        outlet_id: outlet,
                        engineer_id: engineer,
                        kind,
                        product_line,
                        overdue_only: overdue,
                        original_order_id: complaints_about,
                    }
                );
                out.print(client.list_orders(request)).await
            }
            OrdersCommand::Get { id } => out.print(client.get_order(GetOrderRequest { id })).await,
            OrdersCommand::Create(args) => out.print(client.create_order(args.request())).await,
            OrdersCommand::Dispatch { id, expect_version } => {
                let request = DispatchOrderRequest {
                    id,
                    version: expect_version,
                };
                out.print(client.dispatch_order(request)).await
            }
            OrdersCommand::Accept { id, expect_version } => {
                let request = AcceptOrderRequest {
                    id,
                    version: expect_version,
                };
                out.print(client.accept_order(request)).await
            }
            OrdersCommand::Refuse {
                id,
                by,
                reason,
                expect_version,
            } => {
                let request = RefuseOrderRequest {
                    id,
                    version: expect_version,
                    reason,
                    by,
                };
                out.print(client.refuse_order(request)).await
            }
            OrdersCommand::Contact {
                id,
                appointment,
                note,
                expect_version,
            } => {
                let request = ContactCustomerRequest {
                    id,
                    version: expect_version,
                    appointment_time: Some(appointment),
                    note,
                };
                out.print(client.contact_customer(request)).await
            }
            OrdersCommand::Arrive { id, expect_version } => {
                let request = ArriveOnSiteRequest {
                    id,
                    version: expect_version,
                };
                out.print(client.arrive_on_site(request)).await
            }
            OrdersCommand::Complete {
                id,
                diagnosis,
                work_done,
                part,
                charge_fen,
                expect_version,
            } => {
                let report = ServiceReport {
                    diagnosis,
                    work_done,
                    parts: part,
                    charge_fen,
                    ..ServiceReport::default()
                };
                let request = CompleteOrderRequest {
                    id,
                    version: expect_version,
                    report: Some(report),
                };
                out.print(client.complete_order(request)).await
            }
            OrdersCommand::Callback {
                id,
                reached,
                satisfied,
                note,
                expect_version,
            } => {
                let callback = Callback {
                    reached,
                    satisfied,
                    note,
                    ..Callback::default()
                };
                let request = RecordCallbackRequest {
                    id,
                    version: expect_version,
                    callback: Some(callback),
                };
                out.print(client.record_callback(request)).await
            }
            OrdersCommand::CheckQuality {
                id,
                old_part_returned,
                finding,
                finding_agreed,
                expect_version,
            } => {
                let request = CheckQualityRequest {
                    id,
                    version: expect_version,
                    old_part_returned,
                    finding,
                    finding_agreed,
                };
                out.print(client.check_quality(request)).await
            }
            OrdersCommand::Cancel {
                id,
                reason,
                expect_version,
            } => {
                let request = CancelOrderRequest {
                    id,
                    version: expect_version,
                    reason,
                };
                out.print(client.cancel_order(request)).await
            }
            OrdersCommand::Invalidate {
                id,
                reason,
                expect_version,
            } => {
                let request = InvalidateOrderRequest {
                    id,
                    version: expect_version,
                    reason,
                };
                out.print(client.invalidate_order(request)).await
            }
            OrdersCommand::Complaint {
                id,
                step,
                cause,
                responsible,
                improvement,
                note,
                expect_version,
            } => {
                let request = AdvanceComplaintRequest {
                    id,
                    version: expect_version,
                    step,
                    cause,
                    responsible_person_id: responsible,
                    improvement_measure: improvement,
                    note,
                };
                out.print(client.advance_complaint(request)).await
            }
            OrdersCommand::Watch {
                region,
                after,
                outlet,
            } => {
                let request = WatchOrdersRequest {
                    region,
                    after_cursor: after,
                    outlet_id: outlet,
                };
                out.follow(client.watch_orders(request)).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_number_name_quantity_and_return() {
        let part = part_arg("BM-2041:电机:1:return").expect("parses");
        assert_eq!(
            part,
            PartUsed {
                part_number: "BM-2041".into(),
                name: "电机".into(),
                quantity: 1,
                old_part_due_return: true,
            }
        );
        let part = part_arg("X9:belt: drive:2").expect("parses");
        assert_eq!((part.name.as_str(), part.quantity), ("belt: drive", 2));
        assert!(!part.old_part_due_return);
        assert!(part_arg("X9:2").is_err());
        assert!(part_arg("X9:belt:two").is_err());
    }
}
