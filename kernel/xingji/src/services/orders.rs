//! `OrderService`: work orders from intake to settlement. Every transition
//! goes through [`OrderApi::transition`], which reads the state machine in
//! [`crate::lifecycle`]; every write goes through [`OrderApi::write`],
//! which appends the one history entry, stamps the SLA clocks and writes at
//! the version read.

use std::pin::Pin;
use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};
use xingji_api::v1::order_service_server::OrderService;
use xingji_api::v1::{
    AcceptOrderRequest, AdvanceComplaintRequest, ArriveOnSiteRequest, Callback, CancelOrderRequest,
    CheckQualityRequest, ComplaintCause, ComplaintStep, CompleteOrderRequest,
    ContactCustomerRequest, CreateOrderRequest, DispatchOrderRequest, GetOrderRequest,
    HistoryEntry, InvalidateOrderRequest, ListOrdersRequest, ListOrdersResponse, Order, OrderEvent,
    OrderKind, OrderStatus, QualityControl, RecordCallbackRequest, Refusal, RefuseOrderRequest,
    RefusedBy, ServiceReport, WatchOrdersRequest,
};
use xingji_plugin_host::Slot;
use xingji_store::{CreateOutcome, EventFilter, OrderFilter};

use super::{
    Kernel, actor, enum_filter, list_scope, new_id, now, region_filter, require_id, text_filter,
};
use crate::lifecycle::{Actor, Step};
use crate::sla::SlaTargets;
use crate::status::{
    DOMAIN, failed_precondition, from_store, invalid_field, permission_denied, version_mismatch,
};
use crate::telemetry::record_region;
use crate::validate::{self, Violations};
use xingji_plugin_host::bindings::dispatch::exports::xingji::plugins::dispatcher::Decision;

/// The longest `request_id`.
pub const MAX_REQUEST_ID: usize = 128;

/// The `OrderService` implementation.
pub struct OrderApi {
    kernel: Arc<Kernel>,
}

impl OrderApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }

    /// Checks what the order refers to: its outlet, engineer and, for a
    /// complaint, the original order; all in the order's region.
    async fn check_references(&self, order: &Order) -> Result<(), Status> {
        if !order.outlet_id.is_empty() {
            self.kernel
                .referenced_outlet("order.outlet_id", &order.outlet_id, &order.region)
                .await?;
        }
        if !order.engineer_id.is_empty() {
            let engineer = self
                .kernel
                .referenced_person("order.engineer_id", &order.engineer_id, &order.region)
                .await?;
            if engineer.outlet_id != order.outlet_id {
                return Err(failed_precondition(
                    "OUTLET",
                    "order.engineer_id",
                    format!(
                        "person {:?} works for outlet {:?}, not {:?}",
                        engineer.id, engineer.outlet_id, order.outlet_id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The original order of a complaint, checked; `None` for other orders.
    async fn complained_about(&self, order: &Order) -> Result<Option<Order>, Status> {
        let Some(complaint) = &order.complaint else {
            return Ok(None);
        };
        let id = &complaint.original_order_id;
        let found = self.kernel.store.get_order(id).await;
        let field = "order.complaint.original_order_id";
        let original = super::referenced(field, "order", id, &order.region, found, |o| &o.region)?;
        if original.kind == OrderKind::Complaint as i32 {
            return Err(invalid_field(
                field,
                format!("order {id:?} is itself a complaint: complain about the service order"),
            ));
        }
        Ok(Some(original))
    }
}

/// A validated order as intake records it: the fingerprint that tells a
/// retry from a reuse of its request id, and the order with its id, status
/// and first history entry.
pub(crate) fn intake(input: Order, actor: String, sla: &SlaTargets) -> (Vec<u8>, Order) {
    let fingerprint = Sha256::digest(input.encode_to_vec()).to_vec();
    let now = now();
    let mut order = Order {
        id: new_id("ord"),
        status: OrderStatus::Intake as i32,
        history: vec![HistoryEntry {
            time: Some(now),
            actor,
            action: "created".to_owned(),
            status: OrderStatus::Intake as i32,
            reason: String::new(),
            from_status: OrderStatus::Unspecified as i32,
        }],
        create_time: Some(now),
        update_time: Some(now),
        ..input
    };
    crate::sla::stamp(&mut order, sla);
    (fingerprint, order)
}

pub(crate) fn check_request_id(request_id: &str) -> Result<(), Status> {
    if request_id.is_empty() {
        return Err(invalid_field(
            "request_id",
            "is required: a client-chosen unique id (a UUID is best) that makes retries safe",
        ));
    }
    if request_id.len() > MAX_REQUEST_ID || !request_id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(invalid_field(
            "request_id",
            format!("must be 1 to {MAX_REQUEST_ID} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request).to_string();
        let CreateOrderRequest { request_id, order } = request.into_inner();
        let Some(input) = order else {
            return Err(invalid_field("order", "is required"));
        };
        record_region(&input.region);
        check_request_id(&request_id)?;
        // Output-only fields are ignored, and the fingerprint covers only
        // what the client decides, so that a retry matches its first try.
        let input = Order {
            id: String::new(),
            status: 0,
            history: Vec::new(),
            version: 0,
            create_time: None,
            update_time: None,
            appointment_time: None,
            service_report: None,
            quality_control: None,
            ..input
        };
        let mut violations = Violations::default();
        validate::order(&mut violations, "order", &input, validate::today());
        violations.into_result()?;
        self.check_references(&input).await?;
        // A complaint counts against the outlet and engineer complained
        // about, so it takes theirs.
        let input = match self.complained_about(&input).await? {
            Some(original) if input.outlet_id.is_empty() => Order {
                outlet_id: original.outlet_id,
                engineer_id: original.engineer_id,
                ..input
            },
            _ => input,
        };

        let sla = self.kernel.region(&input.region).sla;
        let (fingerprint, mut order) = intake(input, actor, &sla);
        // Dispatched before it is stored, so that a new order is one write
        // (a retry of a stored request wastes this choice, and gets the
        // order the first try made).
        self.dispatch_new(&mut order).await;
        let outcome = self
            .kernel
            .store
            .create_order(&request_id, &fingerprint, order)
            .await
            .map_err(|error| from_store(error, "order", ""))?;
        match outcome {
            CreateOutcome::Created(order) => Ok(Response::new(present(order))),
            CreateOutcome::Existing {
                order,
                same_request: true,
            } => Ok(Response::new(present(order))),
            CreateOutcome::Existing {
                order,
                same_request: false,
            } => Err(Status::with_error_details(
                tonic::Code::AlreadyExists,
                format!(
                    "request_id {request_id:?} already made order {:?} from a different request: use a new request_id for a new order",
                    order.id
                ),
                ErrorDetails::with_error_info(
                    "REQUEST_ID_REUSED",
                    DOMAIN,
                    [("order_id".to_owned(), order.id)],
                ),
            )),
        }
    }

    async fn get_order(
        &self,
        request: Request<GetOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let id = request.into_inner().id;
        require_id("id", &id)?;
        let order = self
            .kernel
            .store
            .get_order(&id)
            .await
            .map_err(|error| from_store(error, "order", &id))?;
        record_region(&order.region);
        Ok(Response::new(present(order)))
    }

    async fn list_orders(
        &self,
        request: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let filter = OrderFilter {
            region: region_filter(&request.region)?,
            status: enum_filter(request.status),
            outlet_id: text_filter(request.outlet_id.clone()),
            engineer_id: text_filter(request.engineer_id.clone()),
            kind: enum_filter(request.kind),
            product_line: enum_filter(request.product_line),
            original_order_id: text_filter(request.original_order_id.clone()),
            due_before: request.overdue_only.then(|| now().seconds),
        };
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let (orders, next_page_token) = self
            .kernel
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |o: &Order| &o.id,
                |page| async move { store.list_orders(&filter, &page).await },
            )
            .await?;
        Ok(Response::new(ListOrdersResponse {
            orders: orders.into_iter().map(present).collect(),
            next_page_token,
        }))
    }
    async fn dispatch_order(
        &self,
        request: Request<DispatchOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let DispatchOrderRequest { id, version } = request.into_inner();
        let order = self.load(&id, version, Step::Dispatch, &actor).await?;
        Ok(Response::new(present(self.dispatch(order, &actor).await?)))
    }

    async fn accept_order(
        &self,
        request: Request<AcceptOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let AcceptOrderRequest { id, version } = request.into_inner();
        self.transition(&id, version, Step::Accept, &actor, |_| Ok(String::new()))
            .await
    }

    async fn refuse_order(
        &self,
        request: Request<RefuseOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let RefuseOrderRequest {
            id,
            version,
            reason,
            by,
        } = request.into_inner();
        let mut violations = Violations::default();
        violations.text("reason", &reason, 1, MAX_REASON);
        violations.enumeration::<RefusedBy>("by", by, false);
        violations.into_result()?;
        if let Actor::Engineer(_) = actor
            && by == RefusedBy::Outlet as i32
        {
            return Err(invalid_field(
                "by",
                "an engineer refuses for themselves (REFUSED_BY_ENGINEER); the outlet refuses for the outlet",
            ));
        }
        let refused = self
            .write_transition(&id, version, Step::Refuse, &actor, |order| {
                order.refusals.push(Refusal {
                    time: Some(now()),
                    by,
                    outlet_id: std::mem::take(&mut order.outlet_id),
                    engineer_id: std::mem::take(&mut order.engineer_id),
                    reason: reason.clone(),
                });
                Ok(reason.clone())
            })
            .await?;
        // The refusal stands on its own: if dispatching again fails, the
        // order waits in intake, and the failure is on its history.
        let order = self.dispatch_or_wait(refused).await?;
        Ok(Response::new(present(order)))
    }

    async fn contact_customer(
        &self,
        request: Request<ContactCustomerRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let ContactCustomerRequest {
            id,
            version,
            appointment_time,
            note,
        } = request.into_inner();
        let mut violations = Violations::default();
        violations.text("note", &note, 0, MAX_REASON);
        let now = now();
        match appointment_time {
            None => violations.add("appointment_time", "is required"),
            Some(time) if time.seconds < now.seconds - APPOINTMENT_SKEW_SECONDS => {
                violations.add("appointment_time", "must not be in the past")
            }
            Some(time) if time.seconds > now.seconds + MAX_APPOINTMENT_DAYS * 86_400 => violations
                .add(
                    "appointment_time",
                    format!("must be at most {MAX_APPOINTMENT_DAYS} days ahead"),
                ),
            Some(_) => {}
        }
        violations.into_result()?;
        self.transition(&id, version, Step::Contact, &actor, |order| {
            order.appointment_time = appointment_time;
            Ok(note.clone())
        })
        .await
    }

    async fn arrive_on_site(
        &self,
        request: Request<ArriveOnSiteRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let ArriveOnSiteRequest { id, version } = request.into_inner();
        self.transition(&id, version, Step::Arrive, &actor, |_| Ok(String::new()))
            .await
    }

    async fn complete_order(
        &self,
        request: Request<CompleteOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let CompleteOrderRequest {
            id,
            version,
            report,
        } = request.into_inner();
        let Some(report) = report else {
            return Err(invalid_field("report", "is required"));
        };
        let mut violations = Violations::default();
        validate::service_report(&mut violations, "report", &report);
        violations.into_result()?;
        let today = validate::today();
        let mut order = self.load(&id, version, Step::Complete, &actor).await?;
        let to = self.target(&order, Step::Complete)?;
        let years = self.kernel.region(&order.region).orders.warranty_years;
        let in_warranty = order
            .appliance
            .as_ref()
            .and_then(|a| a.purchase_date.as_ref())
            .and_then(|date| validate::years_later(date, years))
            .is_some_and(|end| today < end);
        let refuse_charge = |why: String| {
            Err(failed_precondition(
                "WARRANTY",
                "report.charge_fen",
                format!("{why}: the customer is not charged"),
            ))
        };
        if in_warranty && report.charge_fen > 0 {
            return refuse_charge(format!(
                "the appliance is under the maker's {years}-year warranty"
            ));
        }
        // Out of the maker's warranty, a Jiujiu contract may cover a repair.
        // One plugin call: with a charge, only ask (a covered repair is then
        // refused, and nothing is counted); without one, claim (once per
        // order, so a retry does not count twice).
        let serial = order
            .appliance
            .as_ref()
            .map(|a| a.serial.clone())
            .unwrap_or_default();
        let sells_jiujiu = self
            .kernel
            .plugins
            .active(&order.region, Slot::Warranty)
            .is_some();
        let mut covered_by = None;
        if sells_jiujiu
            && !in_warranty
            && order.kind == OrderKind::Repair as i32
            && !serial.is_empty()
        {
            let order_id = order.id.clone();
            let claim = |plugin: Arc<xingji_plugin_host::Plugin>, limits, _, services| async move {
                let today = super::warranty::today();
                plugin
                    .warranty_claim(&serial, &order_id, today, limits, services)
                    .await
            };
            let plugins = &self.kernel.plugins;
            let contract = if report.charge_fen > 0 {
                plugins
                    .call_dry(&order.region, Slot::Warranty, claim)
                    .await?
            } else {
                plugins.call(&order.region, Slot::Warranty, claim).await?
            };
            if let Some(contract) = contract {
                if report.charge_fen > 0 {
                    return refuse_charge(format!(
                        "Jiujiu contract {} covers the repair",
                        contract.id
                    ));
                }
                covered_by = Some(contract.id);
            }
        }
        order.service_report = Some(ServiceReport {
            in_warranty,
            warranty_covered: covered_by.is_some(),
            ..report
        });
        let reason = covered_by
            .map(|id| format!("covered by Jiujiu contract {id}"))
            .unwrap_or_default();
        let order = self
            .write(order, &actor, Step::Complete.action(), to as i32, reason)
            .await?;
        Ok(Response::new(present(order)))
    }

    async fn record_callback(
        &self,
        request: Request<RecordCallbackRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let RecordCallbackRequest {
            id,
            version,
            callback,
        } = request.into_inner();
        let Some(callback) = callback else {
            return Err(invalid_field("callback", "is required"));
        };
        let mut violations = Violations::default();
        violations.text("callback.note", &callback.note, 0, MAX_REASON);
        if callback.satisfied && !callback.reached {
            violations.add(
                "callback.satisfied",
                "needs `reached`: only a customer reached can be satisfied",
            );
        }
        violations.into_result()?;
        self.transition(&id, version, Step::Callback, &actor, |order| {
            let attempts = self.kernel.region(&order.region).orders.callback_attempts;
            let qc = order.quality_control.get_or_insert_with(QualityControl::default);
            if qc.callbacks.len() >= attempts as usize {
                return Err(failed_precondition(
                    "CALLBACKS",
                    "callback",
                    format!("all {attempts} callback attempts are used: close quality control with CheckQuality"),
                ));
            }
            qc.callbacks.push(Callback {
                time: Some(now()),
                ..callback.clone()
            });
            Ok(match (callback.reached, callback.satisfied) {
                (false, _) => "customer not reached".to_owned(),
                (true, true) => "customer satisfied".to_owned(),
                (true, false) => "customer not satisfied".to_owned(),
            })
        })
        .await
    }

    async fn check_quality(
        &self,
        request: Request<CheckQualityRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let CheckQualityRequest {
            id,
            version,
            old_part_returned,
            finding,
            finding_agreed,
        } = request.into_inner();
        let mut violations = Violations::default();
        violations.text("finding", &finding, 0, validate::MAX_DESCRIPTION);
        violations.into_result()?;
        self.transition(&id, version, Step::CheckQuality, &actor, |order| {
            let attempts = self.kernel.region(&order.region).orders.callback_attempts;
            let due_back = order
                .service_report
                .as_ref()
                .is_some_and(|r| r.parts.iter().any(|p| p.old_part_due_return));
            if old_part_returned && !due_back {
                return Err(failed_precondition(
                    "PARTS",
                    "old_part_returned",
                    "no part of this order was due back to the warehouse",
                ));
            }
            let qc = order.quality_control.get_or_insert_with(QualityControl::default);
            let reached = qc.callbacks.iter().any(|c| c.reached);
            if !reached && qc.callbacks.len() < attempts as usize {
                return Err(failed_precondition(
                    "CALLBACKS",
                    "id",
                    format!(
                        "the customer was not reached yet, {} of {attempts} callback attempts made: record a callback first",
                        qc.callbacks.len()
                    ),
                ));
            }
            qc.old_part_returned = old_part_returned;
            qc.finding.clone_from(&finding);
            qc.finding_agreed = finding_agreed;
            let satisfied = qc.callbacks.iter().any(|c| c.satisfied);
            Ok(format!(
                "callback {}, old part {}, finding {}",
                if satisfied { "satisfied" } else { "not satisfied" },
                match (due_back, old_part_returned) {
                    (false, _) => "not due",
                    (true, true) => "returned",
                    (true, false) => "not returned",
                },
                if finding_agreed { "agreed" } else { "not agreed" }
            ))
        })
        .await
    }

    async fn cancel_order(
        &self,
        request: Request<CancelOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let CancelOrderRequest {
            id,
            version,
            reason,
        } = request.into_inner();
        self.end(&id, version, Step::Cancel, &actor, reason).await
    }

    async fn invalidate_order(
        &self,
        request: Request<InvalidateOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let InvalidateOrderRequest {
            id,
            version,
            reason,
        } = request.into_inner();
        self.end(&id, version, Step::Invalidate, &actor, reason)
            .await
    }

    async fn advance_complaint(
        &self,
        request: Request<AdvanceComplaintRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let AdvanceComplaintRequest {
            id,
            version,
            step,
            cause,
            responsible_person_id,
            improvement_measure,
            note,
        } = request.into_inner();
        let mut violations = Violations::default();
        violations.enumeration::<ComplaintStep>("step", step, false);
        violations.text("note", &note, 0, MAX_REASON);
        let step = ComplaintStep::try_from(step).unwrap_or_default();
        match step {
            ComplaintStep::Handle => {
                violations.enumeration::<ComplaintCause>("cause", cause, false);
                if cause == ComplaintCause::WorkQuality as i32 && responsible_person_id.is_empty() {
                    violations.add(
                        "responsible_person_id",
                        "is required for a complaint about work quality",
                    );
                }
            }
            ComplaintStep::Improve => violations.text(
                "improvement_measure",
                &improvement_measure,
                1,
                validate::MAX_DESCRIPTION,
            ),
            ComplaintStep::Accept | ComplaintStep::Unspecified => {}
        }
        violations.into_result()?;
        let order = self
            .load(&id, version, Step::AdvanceComplaint, &actor)
            .await?;
        if !responsible_person_id.is_empty() {
            self.kernel
                .referenced_person(
                    "responsible_person_id",
                    &responsible_person_id,
                    &order.region,
                )
                .await?;
        }
        let complaint = order.complaint.clone().unwrap_or_default();
        let expected = complaint.step + 1;
        if step as i32 != expected {
            let next = ComplaintStep::try_from(expected)
                .map_or("none: the complaint is closed", |s| s.as_str_name());
            return Err(failed_precondition(
                "STEP",
                "step",
                format!(
                    "the complaint is at {}; the next step is {next}",
                    ComplaintStep::try_from(complaint.step)
                        .unwrap_or_default()
                        .as_str_name()
                ),
            ));
        }
        // IMPROVE closes the complaint, and with it the complaint order.
        let to = if step == ComplaintStep::Improve {
            OrderStatus::Completed
        } else {
            OrderStatus::Intake
        };
        let mut order = order;
        let c = order.complaint.get_or_insert_with(Default::default);
        c.step = step as i32;
        match step {
            ComplaintStep::Handle => {
                c.cause = cause;
                c.responsible_person_id = responsible_person_id;
            }
            ComplaintStep::Improve => c.improvement_measure = improvement_measure,
            _ => {}
        }
        let reason = if note.is_empty() {
            step.as_str_name().to_owned()
        } else {
            format!("{}: {note}", step.as_str_name())
        };
        let order = self
            .write(
                order,
                &actor,
                Step::AdvanceComplaint.action(),
                to as i32,
                reason,
            )
            .await?;
        Ok(Response::new(present(order)))
    }

    type WatchOrdersStream = Pin<Box<dyn Stream<Item = Result<OrderEvent, Status>> + Send>>;

    async fn watch_orders(
        &self,
        request: Request<WatchOrdersRequest>,
    ) -> Result<Response<Self::WatchOrdersStream>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let store = self.kernel.store.clone();
        // Subscribe before reading, so no commit falls between the two.
        let mut committed = store.order_events();
        let last = *committed.borrow_and_update();
        let after = match request.after_cursor.as_str() {
            "" => last,
            cursor => match cursor.parse::<i64>() {
                Ok(seq) if (0..=last).contains(&seq) => seq,
                Ok(_) => {
                    return Err(invalid_field(
                        "after_cursor",
                        format!("{cursor:?} is ahead of the event log: was the store replaced?"),
                    ));
                }
                Err(_) => {
                    return Err(invalid_field(
                        "after_cursor",
                        format!("{cursor:?} is not a cursor from this server"),
                    ));
                }
            },
        };
        let mut filter = EventFilter {
            after,
            region: region_filter(&request.region)?,
            outlet_id: text_filter(request.outlet_id),
        };
        let mut stopping = self.kernel.stopping.clone();
        let (sender, receiver) = tokio::sync::mpsc::channel(WATCH_BATCH as usize);
        tokio::spawn(async move {
            loop {
                let events = match store.list_order_events(&filter, WATCH_BATCH).await {
                    Ok(events) => events,
                    Err(error) => {
                        let _ = sender.send(Err(from_store(error, "order event", ""))).await;
                        return;
                    }
                };
                if events.is_empty() {
                    let stop = *stopping.borrow_and_update();
                    if stop {
                        let status = Status::unavailable(
                            "the server is shutting down: reconnect with your last cursor",
                        );
                        let _ = sender.send(Err(status)).await;
                        return;
                    }
                    tokio::select! {
                        changed = committed.changed() => if changed.is_err() { return },
                        _ = stopping.changed() => {}
                        _ = sender.closed() => return,
                    }
                    continue;
                }
                for event in events {
                    filter.after = event.cursor.parse().unwrap_or(filter.after);
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}

/// The longest reason or note on a transition.
const MAX_REASON: usize = 500;
/// How far in the past an appointment may be, for clock skew.
const APPOINTMENT_SKEW_SECONDS: i64 = 300;
/// How far ahead an appointment may be.
const MAX_APPOINTMENT_DAYS: i64 = 30;
/// Events a watch reads from the store at a time.
const WATCH_BATCH: u32 = 256;

/// An order as responses show it: its SLA clocks as of now.
fn present(mut order: Order) -> Order {
    crate::sla::refresh(&mut order, &now());
    order
}

impl OrderApi {
    /// Reads order `id` for `step` by `actor`: it must exist, be at
    /// `version` (when non-zero), be one `actor` may move, and be in a
    /// status `step` leaves from.
    async fn load(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
    ) -> Result<Order, Status> {
        require_id("id", id)?;
        let order = self
            .kernel
            .store
            .get_order(id)
            .await
            .map_err(|error| from_store(error, "order", id))?;
        record_region(&order.region);
        if !step.allows(actor, &order) {
            return Err(permission_denied(
                &actor.to_string(),
                step.action(),
                step.who(),
            ));
        }
        if version != 0 && version != order.version {
            return Err(version_mismatch("order", id, order.version));
        }
        self.target(&order, step)?;
        Ok(order)
    }

    /// The status `step` moves `order` to, or FAILED_PRECONDITION saying why not.
    fn target(&self, order: &Order, step: Step) -> Result<OrderStatus, Status> {
        let kind = OrderKind::try_from(order.kind).unwrap_or_default();
        let status = OrderStatus::try_from(order.status).unwrap_or_default();
        step.target(kind, status).map_err(|why| {
            failed_precondition("STATUS", "id", format!("order {:?}: {why}", order.id))
        })
    }

    /// Ends an open order (cancelled or invalid) with a required reason.
    async fn end(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
        reason: String,
    ) -> Result<Response<Order>, Status> {
        let mut violations = Violations::default();
        violations.text("reason", &reason, 1, MAX_REASON);
        violations.into_result()?;
        self.transition(id, version, step, actor, |_| Ok(reason))
            .await
    }

    /// One transition: load, let `change` check and change the order (it
    /// returns the history reason), write.
    async fn transition(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
        change: impl FnOnce(&mut Order) -> Result<String, Status>,
    ) -> Result<Response<Order>, Status> {
        let order = self
            .write_transition(id, version, step, actor, change)
            .await?;
        Ok(Response::new(present(order)))
    }

    /// [`Self::transition`], returning the written order.
    async fn write_transition(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
        change: impl FnOnce(&mut Order) -> Result<String, Status>,
    ) -> Result<Order, Status> {
        let mut order = self.load(id, version, step, actor).await?;
        let to = self.target(&order, step)?;
        let reason = change(&mut order)?;
        self.write(order, actor, step.action(), to as i32, reason)
            .await
    }

    /// Writes `order` with one more history entry, moving it to `status`,
    /// at the version it was read at: a concurrent write makes this fail
    /// with ABORTED, never lose an update.
    pub(crate) async fn write(
        &self,
        mut order: Order,
        actor: &Actor,
        action: &str,
        status: i32,
        reason: String,
    ) -> Result<Order, Status> {
        let targets = self.kernel.region(&order.region).sla;
        crate::lifecycle::append(&mut order, now(), actor, action, status, reason, &targets);
        let id = order.id.clone();
        self.kernel
            .store
            .update_order(order)
            .await
            .map_err(|error| from_store(error, "order", &id))
    }

    /// Whether the kernel dispatches `order` on intake (DOMAIN.md section 3:
    /// "take the demand, generate the dispatch"): not if the deployment
    /// turned that off, it already names an outlet, or something else places
    /// it: complaints go to the outlet complained about, tour visits wait for
    /// a tour plan.
    fn dispatches_on_intake(&self, order: &Order) -> bool {
        let planned_elsewhere = [OrderKind::Complaint, OrderKind::TourVisit]
            .iter()
            .any(|kind| order.kind == *kind as i32);
        self.kernel.auto_dispatch && order.outlet_id.is_empty() && !planned_elsewhere
    }

    /// Dispatches a new order that is not stored yet, in memory: the
    /// decision (or the plugin's failure, after which the order waits in
    /// intake) becomes its second history entry. The order is created
    /// whatever happens here.
    async fn dispatch_new(&self, order: &mut Order) {
        if !self.dispatches_on_intake(order) {
            return;
        }
        let (action, status, reason) = match self.decide(order).await {
            Ok(entry) => entry,
            Err(failure) => dispatch_failed(order, &failure),
        };
        let targets = self.kernel.region(&order.region).sla;
        crate::lifecycle::append(
            order,
            now(),
            &Actor::Kernel,
            action,
            status,
            reason,
            &targets,
        );
    }

    /// Dispatches a stored order that has just been made (by a plugin's
    /// order-writer), as [`Self::dispatch_new`] does for `CreateOrder`.
    pub(crate) async fn dispatch_on_intake(&self, order: Order) -> Result<Order, Status> {
        if !self.dispatches_on_intake(&order) {
            return Ok(order);
        }
        self.dispatch_or_wait(order).await
    }

    /// Dispatches an order by the kernel; if the plugin fails, records the
    /// failure on the order, which waits in intake for `DispatchOrder`.
    async fn dispatch_or_wait(&self, order: Order) -> Result<Order, Status> {
        match self.dispatch(order.clone(), &Actor::Kernel).await {
            Ok(order) => Ok(order),
            Err(status) if status.code() == tonic::Code::Aborted => Err(status),
            Err(failure) => {
                let (action, waiting, reason) = dispatch_failed(&order, &failure);
                self.write(order, &Actor::Kernel, action, waiting, reason)
                    .await
            }
        }
    }

    /// Dispatches an order in intake through its region's dispatch plugin,
    /// skipping the outlets and engineers that refused it and eliminated
    /// engineers. A plugin's refusal is recorded and leaves the order in
    /// intake; a plugin failure writes nothing.
    async fn dispatch(&self, mut order: Order, actor: &Actor) -> Result<Order, Status> {
        let (action, status, reason) = self.decide(&mut order).await?;
        self.write(order, actor, action, status, reason).await
    }

    /// What the region's dispatch plugin decides for `order`, as the
    /// history entry to append (action, status, reason); an assignment also
    /// sets the order's outlet and engineer. A plugin failure changes
    /// nothing.
    async fn decide(&self, order: &mut Order) -> Result<(&'static str, i32, String), Status> {
        let to = self.target(order, Step::Dispatch)?;
        let kernel = &self.kernel;
        let (dispatch, candidates) =
            crate::dispatch::request(kernel.store.as_ref(), &kernel.networks, order)
                .await
                .map_err(|error| from_store(error, "order", &order.id))?;
        let (decision, plugin) = kernel.plugins.dispatch(&order.region, dispatch).await?;
        Ok(match decision {
            Decision::Assign(assignment) => {
                // The plugin host checked that both indices are in range.
                let (Some(outlet), Some(engineer)) = (
                    candidates.outlet(assignment.outlet),
                    candidates.engineer(assignment.engineer),
                ) else {
                    return Err(Status::internal(
                        "the plugin host let an index out of range",
                    ));
                };
                order.outlet_id.clone_from(&outlet.id);
                order.engineer_id.clone_from(&engineer.id);
                let reason = format!(
                    "{plugin} chose {} and {}: {}",
                    outlet.id, engineer.id, assignment.reason
                );
                (Step::Dispatch.action(), to as i32, reason)
            }
            Decision::Refuse(reason) => (
                "dispatch-refused",
                order.status,
                format!("{plugin} refused: {reason}"),
            ),
        })
    }
}

/// The history entry of a dispatch that failed (the plugin, or reading the
/// network): the order waits in intake for `DispatchOrder`.
fn dispatch_failed(order: &Order, failure: &Status) -> (&'static str, i32, String) {
    tracing::warn!(order = %order.id, error = %failure.message(), "dispatch failed; the order waits in intake");
    (
        "dispatch-failed",
        order.status,
        format!("dispatch failed: {}", failure.message()),
    )
}
