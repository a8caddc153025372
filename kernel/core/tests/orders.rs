//! The order workflow at the core's boundary: typed requests in, records or
//! kernel errors out, on a real store with the real plugins and no gRPC.

mod common;

use prost_types::Timestamp;
use xingji_api::v1::{
    AcceptOrderRequest, AdvanceComplaintRequest, ArriveOnSiteRequest, Callback, CancelOrderRequest,
    CheckQualityRequest, Complaint, ComplaintCause, ComplaintStep, CompleteOrderRequest,
    ContactCustomerRequest, CreateOrderRequest, DispatchOrderRequest, GetOrderRequest,
    ListOrdersRequest, Order, OrderKind, OrderStatus, RecordCallbackRequest, RefuseOrderRequest,
    RefusedBy, ServiceReport,
};
use xingji_core::actor::Actor;
use xingji_core::error::{Conflict, KernelError};
use xingji_core::{Kernel, Options};

use common::{actions, as_engineer, as_outlet, call_centre, create, hq, kernel, network, repair};

const REGION: &str = "shanghai";

fn tomorrow() -> Timestamp {
    let now = xingji_core::calendar::now();
    Timestamp {
        seconds: now.seconds + 86_400,
        nanos: 0,
    }
}

/// The order's engineer turns it down.
async fn refuse(kernel: &Kernel, order: &Order, engineer: String) -> Result<Order, KernelError> {
    let request = RefuseOrderRequest {
        id: order.id.clone(),
        version: 0,
        reason: "busy".into(),
        by: RefusedBy::Engineer as i32,
    };
    kernel
        .orders()
        .refuse(&as_engineer(&engineer, REGION), request)
        .await
}

/// The customer is called (by `by`) for tomorrow, and the engineer arrives.
async fn visit(kernel: &Kernel, order: &Order, by: &Actor) -> Order {
    let orders = kernel.orders();
    let contact = ContactCustomerRequest {
        id: order.id.clone(),
        version: order.version,
        appointment_time: Some(tomorrow()),
        note: "上午十点".into(),
    };
    orders.contact(by, contact).await.expect("contacted");
    let arrive = ArriveOnSiteRequest {
        id: order.id.clone(),
        version: 0,
    };
    let engineer = as_engineer(&order.engineer_id, REGION);
    orders.arrive(&engineer, arrive).await.expect("on site")
}

async fn accept(kernel: &Kernel, order: &Order) -> Result<Order, KernelError> {
    kernel
        .orders()
        .accept(
            &as_outlet(&order.outlet_id, REGION),
            AcceptOrderRequest {
                id: order.id.clone(),
                version: order.version,
            },
        )
        .await
}

#[tokio::test]
async fn an_order_lives_from_intake_to_quality_control() {
    let test = kernel(&[REGION], Options::default()).await;
    let kernel = &test.kernel;
    let net = network(kernel, REGION, 2).await;

    let order = create(kernel, repair(REGION)).await.expect("created");
    assert_eq!(
        order.status(),
        OrderStatus::Dispatched,
        "dispatched on intake"
    );
    assert_eq!(order.outlet_id, net.star.id);
    assert_eq!(actions(&order), ["created", "dispatched"]);
    let outlet = as_outlet(&order.outlet_id, REGION);
    let engineer = as_engineer(&order.engineer_id, REGION);
    let orders = kernel.orders();

    let order = accept(kernel, &order).await.expect("accepted");
    let order = visit(kernel, &order, &outlet).await;
    let order = orders
        .complete(
            &engineer,
            CompleteOrderRequest {
                id: order.id.clone(),
                version: 0,
                report: Some(ServiceReport {
                    diagnosis: "blocked pump".into(),
                    work_done: "replaced the pump".into(),
                    ..ServiceReport::default()
                }),
            },
        )
        .await
        .expect("completed");
    let order = orders
        .record_callback(
            &call_centre(),
            RecordCallbackRequest {
                id: order.id.clone(),
                version: 0,
                callback: Some(Callback {
                    reached: true,
                    satisfied: true,
                    ..Callback::default()
                }),
            },
        )
        .await
        .expect("callback");
    let order = orders
        .check_quality(
            &call_centre(),
            CheckQualityRequest {
                id: order.id.clone(),
                finding_agreed: true,
                ..CheckQualityRequest::default()
            },
        )
        .await
        .expect("quality checked");
    assert_eq!(order.status(), OrderStatus::QualityChecked);
    assert_eq!(
        actions(&order),
        [
            "created",
            "dispatched",
            "accepted",
            "contacted",
            "arrived",
            "completed",
            "callback",
            "quality-checked"
        ]
    );
    let stored = orders
        .get(
            &hq(),
            GetOrderRequest {
                id: order.id.clone(),
            },
        )
        .await
        .expect("read back");
    assert_eq!(stored.version, order.version);
    assert!(stored.history.iter().all(|e| e.time.is_some()));
}

#[tokio::test]
async fn refused_requests_say_why_and_write_nothing() {
    let test = kernel(&[REGION], Options::default()).await;
    let kernel = &test.kernel;
    network(kernel, REGION, 1).await;
    let order = create(kernel, repair(REGION)).await.expect("created");
    let orders = kernel.orders();

    // Not the order's outlet.
    let denied = orders
        .accept(
            &as_outlet("out_someone_else", REGION),
            AcceptOrderRequest {
                id: order.id.clone(),
                version: 0,
            },
        )
        .await;
    assert!(
        matches!(
            &denied,
            Err(KernelError::Denied {
                permission: "orders.work",
                ..
            })
        ),
        "{denied:?}"
    );
    // Not a step the order's status allows.
    let early = orders
        .arrive(
            &as_engineer(&order.engineer_id, REGION),
            ArriveOnSiteRequest {
                id: order.id.clone(),
                version: 0,
            },
        )
        .await;
    assert!(
        matches!(&early, Err(KernelError::Precondition { kind: "STATUS", description, .. })
            if description.contains("cannot be marked on site")),
        "{early:?}"
    );
    // A stale version.
    let stale = orders
        .accept(
            &as_outlet(&order.outlet_id, REGION),
            AcceptOrderRequest {
                id: order.id.clone(),
                version: order.version + 1,
            },
        )
        .await;
    assert!(
        matches!(&stale, Err(KernelError::Conflict(Conflict::Version { current, .. })) if *current == order.version),
        "{stale:?}"
    );
    // Field errors come all at once, by their request paths.
    let invalid = orders
        .cancel(
            &call_centre(),
            CancelOrderRequest {
                id: order.id.clone(),
                version: 0,
                reason: String::new(),
            },
        )
        .await;
    assert!(
        matches!(&invalid, Err(KernelError::Invalid(v)) if v[0].field == "reason"),
        "{invalid:?}"
    );
    let unchanged = orders
        .get(
            &hq(),
            GetOrderRequest {
                id: order.id.clone(),
            },
        )
        .await
        .expect("read back");
    assert_eq!(unchanged.version, order.version, "nothing was written");
    assert_eq!(actions(&unchanged), ["created", "dispatched"]);

    // A region that does not exist, and an id no record can have.
    let elsewhere = kernel
        .orders()
        .create(
            &hq(),
            CreateOrderRequest {
                request_id: "shangai-1".into(),
                order: Some(repair("shangai")),
            },
        )
        .await;
    assert!(
        matches!(&elsewhere, Err(KernelError::NotFound(m)) if m.kind == "region" && m.message.contains("shanghai")),
        "{elsewhere:?}"
    );
    let huge = orders
        .get(
            &hq(),
            GetOrderRequest {
                id: "x".repeat(8000),
            },
        )
        .await;
    assert!(
        matches!(&huge, Err(KernelError::NotFound(m)) if m.message.len() < 120),
        "{huge:?}"
    );
}

#[tokio::test]
async fn of_concurrent_writers_exactly_one_wins_and_retries_make_one_order() {
    let test = kernel(&[REGION], Options::default()).await;
    let kernel = &test.kernel;
    network(kernel, REGION, 1).await;
    let order = create(kernel, repair(REGION)).await.expect("created");

    let (a, b) = tokio::join!(accept(kernel, &order), accept(kernel, &order));
    let won = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{a:?} / {b:?}");
    let lost = if a.is_err() { a } else { b };
    assert!(
        matches!(&lost, Err(KernelError::Conflict(Conflict::Version { .. }))),
        "{lost:?}"
    );

    // Concurrent retries of one create: one order, the same answer.
    let request = CreateOrderRequest {
        request_id: "retry-1".into(),
        order: Some(repair(REGION)),
    };
    let actor = call_centre();
    let orders = kernel.orders();
    let (first, second) = tokio::join!(
        orders.create(&actor, request.clone()),
        orders.create(&actor, request.clone())
    );
    let (first, second) = (first.expect("first"), second.expect("second"));
    assert_eq!(first.id, second.id);
    // The same id with a different order is refused, naming the first.
    let reused = orders
        .create(
            &actor,
            CreateOrderRequest {
                order: Some(Order {
                    description: "something else".into(),
                    ..repair(REGION)
                }),
                ..request
            },
        )
        .await;
    assert!(
        matches!(&reused, Err(KernelError::Conflict(Conflict::RequestReused { order_id, .. })) if *order_id == first.id),
        "{reused:?}"
    );
    let listed = orders
        .list(
            &hq(),
            ListOrdersRequest {
                region: REGION.into(),
                ..ListOrdersRequest::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(listed.orders.len(), 2);
}

#[tokio::test]
async fn a_refused_order_goes_to_someone_else_or_waits() {
    let test = kernel(&[REGION], Options::default()).await;
    let kernel = &test.kernel;
    network(kernel, REGION, 2).await;
    let order = create(kernel, repair(REGION)).await.expect("created");
    let first = order.engineer_id.clone();
    let orders = kernel.orders();
    let refused = refuse(kernel, &order, first.clone())
        .await
        .expect("refused");
    assert_eq!(refused.status(), OrderStatus::Dispatched);
    assert_ne!(refused.engineer_id, first, "dispatched again, to another");
    let second = refused.engineer_id.clone();
    // The other refuses too: no one is left, the order waits in intake.
    let waiting = refuse(kernel, &order, second).await.expect("refused again");
    assert_eq!(waiting.status(), OrderStatus::Intake);
    assert_eq!(
        actions(&waiting),
        [
            "created",
            "dispatched",
            "refused",
            "dispatched",
            "refused",
            "dispatch-refused"
        ]
    );
    // DispatchOrder by HQ tries again, and the plugin still finds no one.
    let again = orders
        .dispatch(
            &hq(),
            DispatchOrderRequest {
                id: order.id.clone(),
                version: 0,
            },
        )
        .await
        .expect("dispatch tried");
    assert_eq!(again.status(), OrderStatus::Intake);
}

#[tokio::test]
async fn a_complaint_goes_through_its_own_steps_and_improve_completes_it() {
    let test = kernel(&[REGION], Options::default()).await;
    let kernel = &test.kernel;
    let net = network(kernel, REGION, 1).await;
    let original = create(kernel, repair(REGION)).await.expect("created");
    let complaint = create(
        kernel,
        Order {
            kind: OrderKind::Complaint as i32,
            complaint: Some(Complaint {
                original_order_id: original.id.clone(),
                summary: "late".into(),
                ..Complaint::default()
            }),
            ..repair(REGION)
        },
    )
    .await
    .expect("complaint");
    assert_eq!(complaint.status(), OrderStatus::Intake, "not dispatched");
    assert_eq!(
        complaint.outlet_id, original.outlet_id,
        "counts against them"
    );
    let step = |step: ComplaintStep| AdvanceComplaintRequest {
        id: complaint.id.clone(),
        step: step as i32,
        cause: ComplaintCause::WorkQuality as i32,
        responsible_person_id: net.engineers[0].id.clone(),
        improvement_measure: "retraining".into(),
        ..AdvanceComplaintRequest::default()
    };
    let orders = kernel.orders();
    let early = orders
        .advance_complaint(&call_centre(), step(ComplaintStep::Improve))
        .await;
    assert!(
        matches!(&early, Err(KernelError::Precondition { kind: "STEP", .. })),
        "{early:?}"
    );
    for s in [ComplaintStep::Handle, ComplaintStep::Accept] {
        let moved = orders
            .advance_complaint(&call_centre(), step(s))
            .await
            .expect("a step");
        assert_eq!(moved.status(), OrderStatus::Intake);
    }
    let closed = orders
        .advance_complaint(&call_centre(), step(ComplaintStep::Improve))
        .await
        .expect("improved");
    assert_eq!(closed.status(), OrderStatus::Completed);
    let after = orders
        .advance_complaint(&call_centre(), step(ComplaintStep::Improve))
        .await;
    assert!(after.is_err(), "a closed complaint has no next step");
}

#[tokio::test]
async fn a_repair_under_the_makers_warranty_charges_nothing() {
    let test = kernel(&[REGION], Options::default()).await;
    let kernel = &test.kernel;
    network(kernel, REGION, 1).await;
    let today = xingji_core::calendar::date_from_days(xingji_core::calendar::today() - 400);
    let mut order = repair(REGION);
    if let Some(appliance) = order.appliance.as_mut() {
        appliance.purchase_date = Some(today);
    }
    let order = create(kernel, order).await.expect("created");
    let order = accept(kernel, &order).await.expect("accepted");
    let engineer = as_engineer(&order.engineer_id, REGION);
    let orders = kernel.orders();
    visit(kernel, &order, &engineer).await;
    let report = |charge_fen| CompleteOrderRequest {
        id: order.id.clone(),
        version: 0,
        report: Some(ServiceReport {
            diagnosis: "d".into(),
            work_done: "w".into(),
            charge_fen,
            ..ServiceReport::default()
        }),
    };
    let charged = orders.complete(&engineer, report(5_000)).await;
    assert!(
        matches!(&charged, Err(KernelError::Precondition { kind: "WARRANTY", subject, .. }) if subject == "report.charge_fen"),
        "{charged:?}"
    );
    let free = orders
        .complete(&engineer, report(0))
        .await
        .expect("completed");
    assert!(free.service_report.is_some_and(|r| r.in_warranty));
}
