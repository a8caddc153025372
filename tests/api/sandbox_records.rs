//! What a plugin writes into a record is bounded (issue 13, hole 6): a
//! dispatch plugin that refuses every order with nearly 1 MiB of reason
//! once made an order too large for a default client after five
//! dispatches.

use prost::Message;
use xingji::config::Config;
use xingji_api::v1::audit_service_client::AuditServiceClient;
use xingji_api::v1::*;
use xingji_tests::{TestServer, built_plugin};

use crate::fixtures::{create_person, engineer, network, repair};

/// Dispatches after the one on intake.
const RETRIES: u32 = 8;

#[tokio::test]
async fn a_plugins_refusals_cannot_grow_an_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        plugins: xingji_tests::unsigned_allowed(),
        ..Config::default()
    })
    .await;
    for region in ["verbose", "calm"] {
        let (_, star) = network(&mut server.outlets().await, region).await;
        create_person(
            &mut server.people().await,
            engineer(region, &star.id, "Wang Wei"),
        )
        .await;
    }
    let mut plugins = server.plugins().await;
    plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin("test-verbose"),
            ..Default::default()
        })
        .await
        .unwrap();
    plugins
        .activate_plugin(ActivatePluginRequest {
            region: "verbose".into(),
            slot: PluginSlot::Dispatch as i32,
            name: "test-verbose".into(),
            version: "1.0.0".into(),
            reason: "a plugin that writes too much".into(),
            params: Vec::new(),
        })
        .await
        .unwrap();

    // A default client: tonic's 4 MiB decoding limit.
    let mut orders = server.orders().await;
    let create = |region: &str, request_id: &str| CreateOrderRequest {
        request_id: request_id.into(),
        order: Some(repair(region)),
    };
    let order = orders
        .create_order(create("verbose", "verbose-1"))
        .await
        .unwrap()
        .into_inner();
    for _ in 0..RETRIES {
        let again = orders
            .dispatch_order(DispatchOrderRequest {
                id: order.id.clone(),
                version: 0,
            })
            .await
            .expect("a refusal is an answer, and the order still fits")
            .into_inner();
        assert_eq!(again.status, OrderStatus::Intake as i32);
    }

    let order = orders
        .get_order(GetOrderRequest {
            id: order.id.clone(),
        })
        .await
        .expect("the order can still be read")
        .into_inner();
    let actions: Vec<_> = order
        .history
        .iter()
        .map(|e| (e.action.as_str(), e.repeats))
        .collect();
    assert_eq!(actions, [("created", 0), ("dispatch-refused", RETRIES)]);
    let refusal = &order.history[1].reason;
    assert!(refusal.len() <= 1024, "{} bytes", refusal.len());
    assert!(
        refusal.starts_with("test-verbose@1.0.0 refused: 拒绝"),
        "{refusal:.80}"
    );
    assert!(refusal.contains("… (cut from"), "{refusal:.80}");
    assert!(
        order.encoded_len() < 8 << 10,
        "{} bytes",
        order.encoded_len()
    );

    // The audit trail keeps every attempt the history folds.
    let events = AuditServiceClient::new(server.channel().await)
        .list_audit_events(ListAuditEventsRequest {
            region: "verbose".into(),
            operation: "orders.dispatch-refused".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let target = format!("orders/{}", order.id);
    let attempts = events.iter().filter(|e| e.target == target).count();
    assert_eq!(attempts, RETRIES as usize);

    // Another region dispatches as ever.
    let calm = orders
        .create_order(create("calm", "calm-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        calm.status,
        OrderStatus::Dispatched as i32,
        "{:?}",
        calm.history
    );
    server.stop().await;
}
