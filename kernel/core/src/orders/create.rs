//! `CreateOrder`: intake of a new order, idempotent on its request id, and
//! its dispatch.

use xingji_api::v1::{CreateOrderRequest, Order, OrderKind};
use xingji_store::CreateOutcome;

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::audit;
use crate::calendar::today;
use crate::error::{Conflict, KernelError, Result, bounded};
use crate::orders::intake::{check_request_id, client_fields, new_order};
use crate::orders::write::{Orders, present};
use crate::permission::Permission::OrdersCreate;
use crate::regions::record_region;
use crate::validate::{self, Violations};

impl Orders<'_> {
    /// Records a new order by `actor`, once per request id: a retry returns
    /// the first order; the same id with a different order is a conflict.
    pub async fn create(&self, actor: &Actor, request: CreateOrderRequest) -> Result<Order> {
        let CreateOrderRequest { request_id, order } = request;
        let Some(input) = order else {
            return Err(KernelError::invalid("order", "is required"));
        };
        access::check(actor, OrdersCreate, Target::Region(&input.region))?;
        record_region(&input.region);
        check_request_id(&request_id)?;
        let input = client_fields(input);
        let mut violations = Violations::default();
        validate::order(&mut violations, "order", &input, today());
        violations.into_result()?;
        self.kernel
            .regions
            .check("order.region", &input.region)
            .await?;
        // Held until the order is written: a call refused here has done
        // nothing, and one admitted cannot be queued without bound.
        self.kernel.admission.rate(actor, &input.region)?;
        let _admitted = self.kernel.admission.admit(&input.region)?;
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

        let targets = self.kernel.regions.settings(&input.region).sla;
        let (fingerprint, mut order) = new_order(input, actor.to_string(), &targets);
        // Dispatched before it is stored, so that a new order is one write
        // (a retry of a stored request wastes this choice, and gets the
        // order the first try made).
        let decision = self.dispatch_new(&mut order).await;
        let target = format!("orders/{}", order.id);
        let audit = audit::event(actor, "orders.create", target, &order.region);
        let outcome = self
            .kernel
            .store
            .create_order(
                &request_id,
                &fingerprint,
                xingji_store::OrderWrite {
                    decision,
                    ..crate::orders::indexed(order)
                },
                audit,
            )
            .await
            .map_err(|error| KernelError::store(error, "order", ""))?;
        match outcome {
            CreateOutcome::Created(order)
            | CreateOutcome::Existing {
                order,
                same_request: true,
            } => Ok(present(actor, order)),
            CreateOutcome::Existing {
                order,
                same_request: false,
            } => Err(KernelError::Conflict(Conflict::RequestReused {
                request_id: bounded(&request_id),
                order_id: order.id,
            })),
        }
    }

    /// Checks what a new order refers to: its outlet and engineer, in the
    /// order's region, the engineer of that outlet.
    async fn check_references(&self, order: &Order) -> Result<()> {
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
                return Err(KernelError::precondition(
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
    async fn complained_about(&self, order: &Order) -> Result<Option<Order>> {
        let Some(complaint) = &order.complaint else {
            return Ok(None);
        };
        let id = &complaint.original_order_id;
        let field = "order.complaint.original_order_id";
        let original = self
            .kernel
            .referenced_order(field, id, &order.region)
            .await?;
        if original.kind() == OrderKind::Complaint {
            return Err(KernelError::invalid(
                field,
                format!("order {id:?} is itself a complaint: complain about the service order"),
            ));
        }
        Ok(Some(original))
    }
}
