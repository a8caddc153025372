//! Issue 15, admission control: intake beyond a region's or the kernel's
//! cap is refused at once with `RESOURCE_EXHAUSTED` and a `RetryInfo`,
//! writing nothing, while another region's intake goes on; a principal
//! beyond its configured rate is refused with the wait; and work whose
//! caller stopped waiting is dropped, not done.

use std::time::Duration;

use tokio::task::JoinSet;
use tonic::Code;
use tonic_types::StatusExt;
use xingji::config::Config;
use xingji_api::v1::*;
use xingji_core::settings::{AdmissionConfig, RateConfig};
use xingji_tests::{TestServer, acting, error_info, unique};

use crate::fixtures::repair;
use crate::sandbox_time::{config, outlet, run_in};

/// A computer repair in `region`: in the lab, test-sleeper's dispatch spins
/// on it until the lab's deadline, holding the create's admission slot.
fn computer(region: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: unique(region),
        order: Some(Order {
            appliance: Some(Appliance {
                product_line: ProductLine::Computer as i32,
                ..repair(region).appliance.expect("an appliance")
            }),
            ..repair(region)
        }),
    }
}

async fn count(server: &TestServer, region: &str) -> usize {
    server
        .orders()
        .await
        .list_orders(ListOrdersRequest {
            region: region.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .orders
        .len()
}

/// A server whose regions may each have 2 order calls in progress (4 in
/// all), with test-sleeper dispatching in the lab (its spins held 2 s) and
/// an outlet there; new orders dispatched on intake if `auto_dispatch`.
async fn lab_with_a_share_of_two(dir: &std::path::Path, auto_dispatch: bool) -> TestServer {
    let server = TestServer::start_config(Config {
        auto_dispatch,
        admission: AdmissionConfig {
            max_in_flight: 4,
            max_in_flight_per_region: 2,
            ..AdmissionConfig::default()
        },
        ..config(dir, 2000)
    })
    .await;
    run_in(&server, "lab", "test-sleeper").await;
    outlet(&server, "lab").await;
    server
}

#[tokio::test]
async fn intake_beyond_a_regions_share_is_refused_at_once_and_other_regions_go_on() {
    let dir = tempfile::tempdir().unwrap();
    // New orders dispatched on intake, the lab's spins held 2 s each; two
    // creates per region, four in all.
    let server = lab_with_a_share_of_two(dir.path(), true).await;
    outlet(&server, "east").await;

    let orders = server.orders().await;
    let mut flood = JoinSet::new();
    for _ in 0..8 {
        let mut orders = orders.clone();
        flood.spawn(async move { orders.create_order(computer("lab")).await });
    }
    // While the lab's two admitted creates spin, the east's intake goes on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let east = orders
        .clone()
        .create_order(CreateOrderRequest {
            request_id: unique("east"),
            order: Some(repair("east")),
        })
        .await
        .expect("the east is admitted beside the lab's flood")
        .into_inner();
    assert_eq!(east.status, OrderStatus::Dispatched as i32, "{east:#?}");

    let (mut admitted, mut refused) = (0, 0);
    while let Some(result) = flood.join_next().await {
        match result.expect("a caller") {
            Ok(_) => admitted += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                let (reason, metadata) = error_info(&status);
                assert_eq!(reason, "OVERLOADED");
                assert_eq!(metadata["region"], "lab");
                assert_eq!(metadata["scope"], "region");
                assert_eq!(metadata["limit"], "2");
                let retry = status
                    .get_details_retry_info()
                    .and_then(|info| info.retry_delay)
                    .expect("a RetryInfo with a delay");
                assert!(retry > Duration::ZERO, "{retry:?}");
                assert!(
                    status.message().contains("max_in_flight_per_region"),
                    "{}",
                    status.message()
                );
                refused += 1;
            }
        }
    }
    assert!(
        refused > 0,
        "eight held creates against a share of 2 were all admitted"
    );
    assert!(admitted >= 2, "{admitted} admitted");
    // A refused create wrote nothing: the lab holds the admitted ones only.
    assert_eq!(count(&server, "lab").await, admitted);
    server.stop().await;
}

#[tokio::test]
async fn a_create_whose_caller_stopped_waiting_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(Config {
        auto_dispatch: true,
        ..config(dir.path(), 2000)
    })
    .await;
    run_in(&server, "lab", "test-sleeper").await;
    outlet(&server, "lab").await;
    // The caller gives the create 300 ms (grpc-timeout); the dispatch it
    // waits on spins for 2 s.
    let mut request = tonic::Request::new(computer("lab"));
    request.set_timeout(Duration::from_millis(300));
    let gone = server
        .orders()
        .await
        .create_order(request)
        .await
        .expect_err("the deadline passes first");
    assert!(
        matches!(gone.code(), Code::Cancelled | Code::DeadlineExceeded),
        "{gone:?}"
    );
    // Past the spin, and past any write it could have led to: nothing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        count(&server, "lab").await,
        0,
        "an abandoned create was written"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_principal_beyond_its_rate_is_refused_with_the_wait_and_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut admission = AdmissionConfig::default();
    admission.principals.insert(
        "partner:acme".into(),
        RateConfig {
            per_second: 0.5,
            burst: 2,
        },
    );
    let server = TestServer::start_config(Config {
        admission,
        ..config(dir.path(), 1000)
    })
    .await;
    outlet(&server, "east").await;
    let mut orders = server.orders().await;
    let create = || {
        acting(
            "partner:acme",
            CreateOrderRequest {
                request_id: unique("acme"),
                order: Some(repair("east")),
            },
        )
    };
    orders
        .create_order(create())
        .await
        .expect("the burst's first");
    orders
        .create_order(create())
        .await
        .expect("the burst's second");
    let refused = orders
        .create_order(create())
        .await
        .expect_err("a third at once is beyond 0.5 a second");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let (reason, metadata) = error_info(&refused);
    assert_eq!(reason, "OVERLOADED");
    assert_eq!(metadata["scope"], "principal");
    let retry = refused
        .get_details_retry_info()
        .and_then(|info| info.retry_delay)
        .expect("a RetryInfo with a delay");
    // The next token is up to two seconds away.
    assert!(
        retry > Duration::from_millis(500) && retry <= Duration::from_secs(2),
        "{retry:?}"
    );
    // Headquarters, with no rate of its own, goes on; the refused call
    // wrote nothing.
    orders
        .create_order(CreateOrderRequest {
            request_id: unique("hq"),
            order: Some(repair("east")),
        })
        .await
        .expect("another principal is admitted");
    assert_eq!(count(&server, "east").await, 3);
    server.stop().await;
}

#[tokio::test]
async fn dispatches_beyond_a_regions_share_are_refused_like_creates() {
    let dir = tempfile::tempdir().unwrap();
    // Orders wait in intake; their dispatches spin 2 s each in the lab.
    let server = lab_with_a_share_of_two(dir.path(), false).await;
    let orders = server.orders().await;
    let mut waiting = Vec::new();
    for _ in 0..6 {
        let order = orders
            .clone()
            .create_order(computer("lab"))
            .await
            .expect("a create, one at a time")
            .into_inner();
        waiting.push(order);
    }
    let mut held = JoinSet::new();
    for order in waiting {
        let mut orders = orders.clone();
        held.spawn(async move {
            orders
                .dispatch_order(DispatchOrderRequest {
                    id: order.id,
                    version: order.version,
                })
                .await
        });
    }
    let mut overloaded = 0;
    while let Some(result) = held.join_next().await {
        if let Err(status) = result.expect("a caller")
            && error_info(&status).0 == "OVERLOADED"
        {
            assert_eq!(status.code(), Code::ResourceExhausted);
            assert!(status.get_details_retry_info().is_some(), "{status:?}");
            overloaded += 1;
        }
    }
    assert!(
        overloaded > 0,
        "six held dispatches against a share of 2 were all admitted"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_later_step_beyond_the_regions_share_is_refused_and_goes_through_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = lab_with_a_share_of_two(dir.path(), true).await;
    let orders = server.orders().await;
    // test-sleeper assigns a repair that is not a computer at once.
    let order = orders
        .clone()
        .create_order(CreateOrderRequest {
            request_id: unique("lab"),
            order: Some(repair("lab")),
        })
        .await
        .expect("a repair dispatched")
        .into_inner();
    assert_eq!(order.status, OrderStatus::Dispatched as i32, "{order:#?}");
    // Two computer repairs spin 2 s in dispatch, holding the lab's share.
    let mut held = JoinSet::new();
    for _ in 0..2 {
        let mut orders = orders.clone();
        held.spawn(async move { orders.create_order(computer("lab")).await });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accept = || AcceptOrderRequest {
        id: order.id.clone(),
        version: order.version,
    };
    let refused = orders
        .clone()
        .accept_order(accept())
        .await
        .expect_err("an accept while the region's share is held");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let (reason, metadata) = error_info(&refused);
    assert_eq!(reason, "OVERLOADED");
    assert_eq!(
        (metadata["region"].as_str(), metadata["scope"].as_str()),
        ("lab", "region")
    );
    assert!(refused.get_details_retry_info().is_some(), "{refused:?}");
    while held.join_next().await.is_some() {}
    // The refusal wrote nothing: the retry at the same version goes through.
    let accepted = orders
        .clone()
        .accept_order(accept())
        .await
        .expect("the retry, the share free again")
        .into_inner();
    assert_eq!(accepted.status, OrderStatus::Accepted as i32);
    assert_eq!(accepted.version, order.version + 1);
    server.stop().await;
}
