use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest as ReflectionRequestV1;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient as ReflectionV1;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest as RequestV1;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse as ResponseV1;
use tonic_reflection::pb::v1alpha::ServerReflectionRequest as ReflectionRequestV1Alpha;
use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as ReflectionV1Alpha;
use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as RequestV1Alpha;
use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as ResponseV1Alpha;
use xingji_api::v1::*;
use xingji_tests::TestServer;

use crate::fixtures::{create_person, engineer, network, repair};

#[tokio::test]
async fn health_reports_serving() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut health = HealthClient::new(server.bare_channel().await);
    for service in [
        "",
        "xingji.v1.OutletService",
        "xingji.v1.PersonService",
        "xingji.v1.OrderService",
    ] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            response.status,
            ServingStatus::Serving as i32,
            "{service:?}"
        );
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "xingji.v1.Nothing".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn reflection_v1_lists_and_describes_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = ReflectionV1::new(server.bare_channel().await);
    let requests = vec![
        ReflectionRequestV1 {
            message_request: Some(RequestV1::ListServices(String::new())),
            ..Default::default()
        },
        ReflectionRequestV1 {
            message_request: Some(RequestV1::FileContainingSymbol(
                "xingji.v1.OrderService".into(),
            )),
            ..Default::default()
        },
    ];
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();

    let Some(ResponseV1::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for wanted in [
        "xingji.v1.OutletService",
        "xingji.v1.PersonService",
        "xingji.v1.OrderService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "{wanted} not in {names:?}"
        );
    }

    let Some(ResponseV1::FileDescriptorResponse(files)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected file descriptors");
    };
    let files: Vec<prost_types::FileDescriptorProto> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost::Message::decode(bytes.as_slice()).unwrap())
        .collect();
    let order_file = files
        .iter()
        .find(|f| f.name() == "xingji/v1/order.proto")
        .expect("order.proto");
    assert!(
        order_file
            .service
            .iter()
            .any(|s| s.name() == "OrderService")
    );
    server.stop().await;
}

#[tokio::test]
async fn reflection_v1alpha_answers_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = ReflectionV1Alpha::new(server.bare_channel().await);
    let request = ReflectionRequestV1Alpha {
        message_request: Some(RequestV1Alpha::ListServices(String::new())),
        ..Default::default()
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(ResponseV1Alpha::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "xingji.v1.OutletService")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_data_dir_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (centre, star) = network(&mut server.outlets().await, "shanghai").await;
    let wang = create_person(
        &mut server.people().await,
        engineer("shanghai", &star.id, "Wang Wei"),
    )
    .await;
    let mut orders = server.orders().await;
    let order = orders
        .create_order(CreateOrderRequest {
            request_id: "req-1".into(),
            order: Some(repair("shanghai")),
        })
        .await
        .unwrap()
        .into_inner();
    let first_page = server
        .outlets()
        .await
        .list_outlets(ListOutletsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    server.stop().await;

    let server = TestServer::start(dir.path()).await;
    let mut outlets = server.outlets().await;
    assert_eq!(
        outlets
            .get_outlet(GetOutletRequest {
                id: star.id.clone()
            })
            .await
            .unwrap()
            .into_inner(),
        star
    );
    let person = server
        .people()
        .await
        .get_person(GetPersonRequest {
            id: wang.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(person, wang);
    let mut orders = server.orders().await;
    assert_eq!(
        orders
            .get_order(GetOrderRequest {
                id: order.id.clone()
            })
            .await
            .unwrap()
            .into_inner(),
        order
    );

    // Idempotency and page tokens survive the restart too.
    let retry = orders
        .create_order(CreateOrderRequest {
            request_id: "req-1".into(),
            order: Some(repair("shanghai")),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.id, order.id);
    let second_page = outlets
        .list_outlets(ListOutletsRequest {
            page_size: 1,
            page_token: first_page.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first_page.outlets[0].id, centre.id);
    assert_eq!(second_page.outlets[0].id, star.id);
    server.stop().await;
}

#[tokio::test]
async fn the_demo_seeds_a_network_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), true).await;
    let mut outlets = server.outlets().await;
    let all = outlets
        .list_outlets(ListOutletsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .outlets;
    let regions: std::collections::BTreeSet<_> = all.iter().map(|o| o.region.as_str()).collect();
    assert!(regions.len() >= 2, "{regions:?}");
    for tier in [
        OutletTier::RegionalCentre,
        OutletTier::StarCentre,
        OutletTier::SubOutlet,
    ] {
        assert!(all.iter().any(|o| o.tier == tier as i32), "no {tier:?}");
    }
    let people = server
        .people()
        .await
        .list_people(ListPeopleRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .people;
    for level in [
        PersonLevel::Technician,
        PersonLevel::Engineer,
        PersonLevel::Senior,
        PersonLevel::Gold,
    ] {
        assert!(
            people.iter().any(|p| p.level == level as i32),
            "no {level:?}"
        );
    }
    let open = server
        .orders()
        .await
        .list_orders(ListOrdersRequest {
            status: OrderStatus::Intake as i32,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(!open.is_empty());
    server.stop().await;

    // A second start with --demo does not seed again.
    let server = TestServer::start_with(dir.path(), true).await;
    let again = server
        .outlets()
        .await
        .list_outlets(ListOutletsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .outlets;
    assert_eq!(again.len(), all.len());
    server.stop().await;
}
