use tonic::Code;
use tonic_types::StatusExt;
use xingji_api::google::r#type::Date;
use xingji_api::v1::*;
use xingji_tests::{TestServer, acting, bad_fields, precondition_failures};

use crate::fixtures::{create_person, engineer, network, repair};

/// The call centre of every test region: it takes orders in, and sees their
/// customers in full.
const CALL_CENTRE: &str = "call-centre:07";

fn create(request_id: &str, order: Order) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: request_id.into(),
        order: Some(order),
    }
}

#[tokio::test]
async fn intake_records_the_order_and_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.orders().await;

    let order = client
        .create_order(acting(CALL_CENTRE, create("req-1", repair("shanghai"))))
        .await
        .unwrap()
        .into_inner();
    assert!(order.id.starts_with("ord_"));
    // Dispatched on intake, in the same write; this region has no outlets
    // yet, so the plugin refuses and the order waits in intake, both on its
    // history.
    assert_eq!(order.status, OrderStatus::Intake as i32);
    assert_eq!(order.version, 1);
    assert_eq!(order.history.len(), 2);
    assert_eq!(order.history[0].action, "created");
    assert_eq!(order.history[0].actor, CALL_CENTRE);
    assert_eq!(order.history[0].status, OrderStatus::Intake as i32);
    assert_eq!(order.history[1].action, "dispatch-refused");
    assert_eq!(order.history[1].actor, "xingji");
    // The region's call centre sees the customer in full.
    assert_eq!(order.customer, repair("shanghai").customer);
    assert_eq!(order.appliance, repair("shanghai").appliance);

    let got = client
        .get_order(acting(
            CALL_CENTRE,
            GetOrderRequest {
                id: order.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, order);
    let error = client
        .get_order(GetOrderRequest {
            id: "ord_NOSUCH".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::NotFound);

    // Output-only fields in the request are ignored.
    let sneaky = Order {
        id: "ord_MINE".into(),
        status: OrderStatus::Settled as i32,
        history: vec![HistoryEntry {
            action: "forged".into(),
            ..Default::default()
        }],
        ..repair("shanghai")
    };
    let second = client
        .create_order(create("req-2", sneaky))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(second.id, "ord_MINE");
    assert_eq!(second.status, OrderStatus::Intake as i32);
    assert_eq!(second.history[0].action, "created");
    assert!(second.history.iter().all(|e| e.action != "forged"));
    server.stop().await;
}

#[tokio::test]
async fn create_is_idempotent_on_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.orders().await;

    let first = client
        .create_order(create("req-42", repair("shanghai")))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .create_order(create("req-42", repair("shanghai")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first, "a retry returns the first result");

    // Retries racing each other still make one order.
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                client
                    .create_order(create("req-43", repair("shanghai")))
                    .await
                    .map(|r| r.into_inner().id)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for racer in racers {
        ids.push(racer.await.unwrap().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");

    let all = client
        .list_orders(ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(all.len(), 2, "one order per request id");

    // The same id for a different order is refused, naming the first.
    let other = Order {
        description: "a different request".into(),
        ..repair("shanghai")
    };
    let error = client
        .create_order(create("req-42", other))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::AlreadyExists);
    let details = error.get_error_details();
    let info = details.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "REQUEST_ID_REUSED");
    assert_eq!(info.metadata.get("order_id"), Some(&first.id));

    for bad_id in ["", "has space", &"x".repeat(129)] {
        let error = client
            .create_order(create(bad_id, repair("shanghai")))
            .await
            .unwrap_err();
        assert_eq!(bad_fields(&error), ["request_id"], "{bad_id:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn validation_names_every_bad_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.orders().await;

    let good = repair("shanghai");
    let bad = Order {
        kind: 0,
        customer: Some(Customer {
            name: String::new(),
            phone: "call me".into(),
            address: "x".repeat(201),
            location: Some(GeoPoint {
                lat: -91.0,
                lon: 121.0,
            }),
            vip: true,
        }),
        appliance: Some(Appliance {
            product_line: 42,
            model: "m".repeat(65),
            purchase_date: Some(Date {
                year: 2023,
                month: 2,
                day: 29,
            }),
            price_fen: -1,
            ..good.appliance.clone().unwrap()
        }),
        ..good.clone()
    };
    let error = client.create_order(create("req-1", bad)).await.unwrap_err();
    assert_eq!(
        bad_fields(&error),
        [
            "order.kind",
            "order.customer.name",
            "order.customer.phone",
            "order.customer.address",
            "order.customer.location.lat",
            "order.appliance.product_line",
            "order.appliance.model",
            "order.appliance.purchase_date",
            "order.appliance.price_fen",
        ]
    );

    let future = Order {
        appliance: Some(Appliance {
            purchase_date: Some(Date {
                year: 2999,
                month: 1,
                day: 1,
            }),
            ..good.appliance.clone().unwrap()
        }),
        ..good.clone()
    };
    let error = client
        .create_order(create("req-2", future))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["order.appliance.purchase_date"]);

    let missing = Order {
        customer: None,
        appliance: None,
        region: String::new(),
        ..good.clone()
    };
    let error = client
        .create_order(create("req-3", missing))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&error),
        ["order.region", "order.customer", "order.appliance"]
    );

    let no_location = Order {
        customer: Some(Customer {
            location: None,
            ..good.customer.clone().unwrap()
        }),
        ..good
    };
    let error = client
        .create_order(create("req-4", no_location))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["order.customer.location"]);

    let none = client
        .list_orders(ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(none.is_empty(), "nothing was half-written");
    server.stop().await;
}

#[tokio::test]
async fn references_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut outlets = server.outlets().await;
    let (_, star) = network(&mut outlets, "shanghai").await;
    let (centre, _) = (star.parent_id.clone(), ());
    let (_, beijing_star) = network(&mut outlets, "beijing").await;
    let wang = create_person(
        &mut server.people().await,
        engineer("shanghai", &star.id, "Wang Wei"),
    )
    .await;
    let mut client = server.orders().await;

    let assigned = Order {
        outlet_id: star.id.clone(),
        engineer_id: wang.id.clone(),
        ..repair("shanghai")
    };
    let order = client
        .create_order(create("req-1", assigned))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.engineer_id, wang.id);

    let other_region = Order {
        outlet_id: beijing_star.id.clone(),
        ..repair("shanghai")
    };
    let error = client
        .create_order(create("req-2", other_region))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("REGION".to_owned(), "order.outlet_id".to_owned())]
    );

    let wrong_outlet = Order {
        outlet_id: centre,
        engineer_id: wang.id.clone(),
        ..repair("shanghai")
    };
    let error = client
        .create_order(create("req-3", wrong_outlet))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [("OUTLET".to_owned(), "order.engineer_id".to_owned())]
    );

    let ghost = Order {
        outlet_id: star.id.clone(),
        engineer_id: "per_NOSUCH".into(),
        ..repair("shanghai")
    };
    let error = client
        .create_order(create("req-4", ghost))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["order.engineer_id"]);
    server.stop().await;
}

#[tokio::test]
async fn a_complaint_links_to_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.orders().await;
    let original = client
        .create_order(create("req-1", repair("shanghai")))
        .await
        .unwrap()
        .into_inner();
    let beijing = client
        .create_order(create("req-2", repair("beijing")))
        .await
        .unwrap()
        .into_inner();

    let complaint = |original_order_id: &str| Order {
        kind: OrderKind::Complaint as i32,
        complaint: Some(Complaint {
            original_order_id: original_order_id.into(),
            summary: "the engineer came two hours late".into(),
            ..Complaint::default()
        }),
        ..repair("shanghai")
    };
    let filed = client
        .create_order(create("req-3", complaint(&original.id)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        filed
            .complaint
            .as_ref()
            .map(|c| c.original_order_id.as_str()),
        Some(original.id.as_str())
    );

    let error = client
        .create_order(create("req-4", complaint("ord_NOSUCH")))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["order.complaint.original_order_id"]);
    let error = client
        .create_order(create("req-5", complaint(&beijing.id)))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_failures(&error),
        [(
            "REGION".to_owned(),
            "order.complaint.original_order_id".to_owned()
        )]
    );
    let error = client
        .create_order(create(
            "req-6",
            Order {
                complaint: None,
                ..complaint("")
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["order.complaint"]);

    let complaints = client
        .list_orders(ListOrdersRequest {
            kind: OrderKind::Complaint as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(complaints, vec![filed]);
    server.stop().await;
}

#[tokio::test]
async fn lists_filter_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.orders().await;
    let mut tvs = Vec::new();
    for n in 0..5 {
        let tv = Order {
            appliance: Some(Appliance {
                product_line: ProductLine::FlatPanelTv as i32,
                ..repair("shanghai").appliance.unwrap()
            }),
            ..repair("shanghai")
        };
        tvs.push(
            client
                .create_order(create(&format!("tv-{n}"), tv))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
        client
            .create_order(create(&format!("fridge-{n}"), repair("shanghai")))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_orders(ListOrdersRequest {
                region: "shanghai".into(),
                product_line: ProductLine::FlatPanelTv as i32,
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.orders.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, tvs);
    let intake = client
        .list_orders(ListOrdersRequest {
            status: OrderStatus::Intake as i32,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(intake.len(), 10);
    let error = client
        .list_orders(ListOrdersRequest {
            region: "NOT A REGION".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&error), ["region"]);
    server.stop().await;
}
