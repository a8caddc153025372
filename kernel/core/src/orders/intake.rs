//! What an order is at intake, before anything else happens to it: the
//! client's fields (output-only ones cleared), a fingerprint that tells a
//! retry from a reuse of its request id, a new id, INTAKE, the `created`
//! history entry and its SLA clocks. `CreateOrder` and a plugin's
//! `order-writer` both make their orders here.

use prost::Message;
use sha2::{Digest, Sha256};
use xingji_api::v1::{HistoryEntry, Order, OrderStatus};

use crate::calendar::now;
use crate::error::{KernelError, Result};
use crate::ids::new_id;
use crate::orders::sla;
use crate::settings::SlaTargets;

/// The longest `request_id`.
pub const MAX_REQUEST_ID: usize = 128;

/// The order a client sent, without the fields only the kernel sets, so
/// that a retry's fingerprint matches its first try's.
pub fn client_fields(input: Order) -> Order {
    Order {
        id: String::new(),
        status: 0,
        history: Vec::new(),
        version: 0,
        create_time: None,
        update_time: None,
        appointment_time: None,
        service_report: None,
        quality_control: None,
        sla: None,
        refusals: Vec::new(),
        ..input
    }
}

/// A validated order as intake records it: its fingerprint, and the order
/// with its id, status and first history entry, by `actor`.
pub fn new_order(input: Order, actor: String, targets: &SlaTargets) -> (Vec<u8>, Order) {
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
            repeats: 0,
        }],
        create_time: Some(now),
        update_time: Some(now),
        ..input
    };
    sla::stamp(&mut order, targets);
    (fingerprint, order)
}

/// Checks a client's request id: what makes a create safe to retry.
pub fn check_request_id(request_id: &str) -> Result<()> {
    if request_id.is_empty() {
        return Err(KernelError::invalid(
            "request_id",
            "is required: a client-chosen unique id (a UUID is best) that makes retries safe",
        ));
    }
    if request_id.len() > MAX_REQUEST_ID || !request_id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(KernelError::invalid(
            "request_id",
            format!("must be 1 to {MAX_REQUEST_ID} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_has_the_fingerprint_of_its_first_try() {
        let sent = Order {
            region: "shanghai".into(),
            description: "不脱水".into(),
            ..Order::default()
        };
        let targets = SlaTargets::default();
        let (first, order) = new_order(
            client_fields(sent.clone()),
            "call-centre:07".into(),
            &targets,
        );
        // A client may echo back what it got; only its own fields count.
        let (again, _) = new_order(
            client_fields(order.clone()),
            "call-centre:07".into(),
            &targets,
        );
        assert_eq!(first, again);
        let (other, _) = new_order(
            client_fields(Order {
                description: "不制冷".into(),
                ..sent
            }),
            "call-centre:07".into(),
            &targets,
        );
        assert_ne!(first, other);
        assert_eq!(order.status(), OrderStatus::Intake);
        assert_eq!(order.history.len(), 1);
        assert!(order.sla.is_some());
    }
}
