//! `OrderService`: work orders. This part is intake (create, get,
//! list); the rest of the order's life comes with the lifecycle.

use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};
use xingji_api::v1::order_service_server::OrderService;
use xingji_api::v1::{
    CreateOrderRequest, DispatchOrderRequest, GetOrderRequest, HistoryEntry, ListOrdersRequest,
    ListOrdersResponse, Order, OrderStatus,
};
use xingji_store::{CreateOutcome, OrderFilter};

use super::{
    Kernel, actor, enum_filter, list_scope, new_id, now, region_filter, require_id, text_filter,
};
use crate::status::{DOMAIN, failed_precondition, from_store, invalid_field, version_mismatch};
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
        if let Some(complaint) = &order.complaint {
            let id = &complaint.original_order_id;
            let found = self.kernel.store.get_order(id).await;
            let field = "order.complaint.original_order_id";
            super::referenced(field, "order", id, &order.region, found, |o| &o.region)?;
        }
        Ok(())
    }
}

/// A validated order as intake records it: the fingerprint that tells a
/// retry from a reuse of its request id, and the order with its id, status
/// and first history entry.
pub(crate) fn intake(input: Order, actor: String) -> (Vec<u8>, Order) {
    let fingerprint = Sha256::digest(input.encode_to_vec()).to_vec();
    let now = now();
    let order = Order {
        id: new_id("ord"),
        status: OrderStatus::Intake as i32,
        history: vec![HistoryEntry {
            time: Some(now),
            actor,
            action: "created".to_owned(),
            status: OrderStatus::Intake as i32,
            reason: String::new(),
        }],
        create_time: Some(now),
        update_time: Some(now),
        ..input
    };
    (fingerprint, order)
}

fn check_request_id(request_id: &str) -> Result<(), Status> {
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
        let actor = actor(&request);
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

        let (fingerprint, order) = intake(input, actor);
        let outcome = self
            .kernel
            .store
            .create_order(&request_id, &fingerprint, order)
            .await
            .map_err(|error| from_store(error, "order", ""))?;
        match outcome {
            CreateOutcome::Created(order) => Ok(Response::new(order)),
            CreateOutcome::Existing {
                order,
                same_request: true,
            } => Ok(Response::new(order)),
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
        Ok(Response::new(order))
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
            orders,
            next_page_token,
        }))
    }
    async fn dispatch_order(
        &self,
        request: Request<DispatchOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let actor = actor(&request);
        let DispatchOrderRequest { id, version } = request.into_inner();
        require_id("id", &id)?;
        let store = &self.kernel.store;
        let mut order = store
            .get_order(&id)
            .await
            .map_err(|error| from_store(error, "order", &id))?;
        record_region(&order.region);
        if version != 0 && version != order.version {
            return Err(version_mismatch("order", &id, order.version));
        }
        if order.status != OrderStatus::Intake as i32 {
            let status = OrderStatus::try_from(order.status).map_or("UNKNOWN", |s| s.as_str_name());
            return Err(failed_precondition(
                "STATUS",
                "id",
                format!(
                    "order {id:?} is {status}: only orders in ORDER_STATUS_INTAKE are dispatched"
                ),
            ));
        }
        let (dispatch, candidates) = crate::dispatch::request(store.as_ref(), &order)
            .await
            .map_err(|error| from_store(error, "order", &id))?;
        let (decision, plugin) = self
            .kernel
            .plugins
            .dispatch(&order.region, dispatch)
            .await?;
        let now = now();
        let entry = match decision {
            Decision::Assign(assignment) => {
                // The plugin host checked that both indices are in range.
                let outlet = &candidates.outlets[assignment.outlet as usize];
                let engineer = &candidates.engineers[assignment.engineer as usize];
                order.outlet_id.clone_from(&outlet.id);
                order.engineer_id.clone_from(&engineer.id);
                order.status = OrderStatus::Dispatched as i32;
                HistoryEntry {
                    time: Some(now),
                    actor,
                    action: "dispatched".to_owned(),
                    status: order.status,
                    reason: format!(
                        "{plugin} chose {} and {}: {}",
                        outlet.id, engineer.id, assignment.reason
                    ),
                }
            }
            Decision::Refuse(reason) => HistoryEntry {
                time: Some(now),
                actor,
                action: "dispatch-refused".to_owned(),
                status: order.status,
                reason: format!("{plugin} refused: {reason}"),
            },
        };
        order.history.push(entry);
        order.update_time = Some(now);
        let order = store
            .update_order(order)
            .await
            .map_err(|error| from_store(error, "order", &id))?;
        Ok(Response::new(order))
    }
}
