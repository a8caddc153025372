//! [`Orders`], the order workflow's handle, and the one path every order
//! write after intake takes: read the order at a version, check the actor
//! and the step, change it, append its one history entry, write it at the
//! version read.

use xingji_api::v1::{Order, OrderStatus};
use xingji_store::{OrderWrite, RecordedDecision};

use crate::access;
use crate::actor::Actor;
use crate::admission::Admitted;
use crate::audit;
use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
use crate::orders::history;
use crate::orders::lifecycle::Step;
use crate::orders::sla;
use crate::privacy;
use crate::records::get;
use crate::regions::record_region;

/// The order workflow of a kernel: intake, dispatch, every transition,
/// completion, complaints, and reading orders.
#[derive(Clone, Copy)]
pub struct Orders<'k> {
    pub(crate) kernel: &'k Kernel,
}

impl Kernel {
    /// The order workflow.
    pub fn orders(&self) -> Orders<'_> {
        Orders { kernel: self }
    }
}

/// The history entry an order write appends.
pub(crate) struct Entry {
    pub action: &'static str,
    pub status: OrderStatus,
    pub reason: String,
    /// The plugin decision it applies, recorded with the write.
    pub decision: Option<RecordedDecision>,
}

impl Orders<'_> {
    /// Reads order `id` for `step` by `actor`: it must exist, be one `actor`
    /// may move, be at `version` (when non-zero), and be in a status `step`
    /// leaves from. Returns it, the status `step` moves it to, and the slot
    /// admission gave the step in the order's region (hold it until the
    /// write: every step is order work, refused at once over capacity).
    pub(crate) async fn load(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
    ) -> Result<(Order, OrderStatus, Admitted)> {
        let store = &self.kernel.store;
        let order: Order = get("id", "order", id, || store.get_order(id)).await?;
        record_region(&order.region);
        access::check_step(step, actor, &order)?;
        if version != 0 && version != order.version {
            return Err(KernelError::version_mismatch("order", id, order.version));
        }
        let status = target(&order, step)?;
        let admitted = self.kernel.admission.admit(&order.region)?;
        Ok((order, status, admitted))
    }

    /// Writes `order` with one more history entry, by `actor`, at the
    /// version it was read at: a concurrent write makes this fail with a
    /// version conflict, never lose an update.
    pub(crate) async fn write(
        &self,
        mut order: Order,
        actor: &Actor,
        entry: Entry,
    ) -> Result<Order> {
        let targets = self.kernel.regions.settings(&order.region).sla;
        history::append(
            &mut order,
            now(),
            actor,
            entry.action,
            entry.status,
            entry.reason,
            &targets,
        );
        let id = order.id.clone();
        let operation = format!("orders.{}", entry.action);
        let audit = audit::event(actor, &operation, format!("orders/{id}"), &order.region);
        self.kernel
            .store
            .update_order(
                OrderWrite {
                    decision: entry.decision,
                    ..crate::orders::indexed(order)
                },
                audit,
            )
            .await
            .map_err(|error| KernelError::store(error, "order", &id))
    }

    /// One transition: load, let `change` check and change the order (it
    /// returns the history reason), write.
    pub(crate) async fn transition(
        &self,
        id: &str,
        version: i64,
        step: Step,
        actor: &Actor,
        change: impl FnOnce(&mut Order) -> Result<String>,
    ) -> Result<Order> {
        let (mut order, status, _admitted) = self.load(id, version, step, actor).await?;
        let reason = change(&mut order)?;
        let entry = Entry {
            action: step.action(),
            status,
            reason,
            decision: None,
        };
        self.write(order, actor, entry).await
    }
}

/// The status `step` moves `order` to, or FAILED_PRECONDITION saying why not.
pub(crate) fn target(order: &Order, step: Step) -> Result<OrderStatus> {
    step.target(order.kind(), order.status()).map_err(|why| {
        KernelError::precondition("STATUS", "id", format!("order {:?}: {why}", order.id))
    })
}

/// An order as answers show `actor` it: its SLA clocks as of now, its
/// customer masked unless `actor` needs them (`privacy`).
pub fn present(actor: &Actor, mut order: Order) -> Order {
    sla::refresh(&mut order, &now());
    privacy::order_for(actor, order)
}
