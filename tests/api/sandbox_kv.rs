//! Issue 13, holes 2 and 3: a plugin call's key-value writes are bounded
//! while it runs. A hostile warranty plugin (plugins/test-hoarder), active in
//! the lab, deletes keys of 32 MiB and sets 15,000 values of 64 KiB: each is
//! refused at once with the limit named, the lab's store is left as it was,
//! and another region's orders are taken meanwhile. A call at exactly the
//! limits, and a store filled exactly to its quota, are fine.

use std::time::Duration;

use tokio::sync::watch;
use tonic::Code;
use xingji_api::google::r#type::Date;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;
use xingji_tests::{Channel, TestServer, built_plugin, error_info, unique};

use crate::fixtures::repair;

/// A deadline for one hoarder call: far under the 19 s the unbounded
/// commit took, far over what a bounded call needs.
const DEADLINE: Duration = Duration::from_secs(5);

/// A server whose `region` runs the hoarder in its warranty slot.
async fn hoarder_in(dir: &std::path::Path, regions: &[&str]) -> TestServer {
    let server = TestServer::start(dir).await;
    let mut plugins = server.plugins().await;
    plugins
        .install_plugin(InstallPluginRequest {
            component: built_plugin("test-hoarder"),
            ..Default::default()
        })
        .await
        .unwrap();
    for region in regions {
        plugins
            .activate_plugin(ActivatePluginRequest {
                region: (*region).into(),
                slot: PluginSlot::Warranty as i32,
                name: "test-hoarder".into(),
                version: "1.0.0".into(),
                reason: String::new(),
                params: Vec::new(),
            })
            .await
            .unwrap();
    }
    server
}

/// Asks the hoarder in `region` to do `command` (the appliance's serial);
/// returns the keys and bytes its store holds after, as it saw them.
async fn hoard(
    warranty: &mut WarrantyServiceClient<Channel>,
    region: &str,
    command: &str,
) -> Result<(i32, i64), tonic::Status> {
    let mut request = tonic::Request::new(QuoteRequest {
        region: region.into(),
        appliance: Some(Appliance {
            product_line: ProductLine::Refrigerator as i32,
            model: "BCD-458".into(),
            serial: command.into(),
            purchase_date: Some(Date {
                year: 2025,
                month: 6,
                day: 18,
            }),
            price_fen: 459_900,
        }),
    });
    request.set_timeout(DEADLINE);
    let plans = warranty.quote(request).await?.into_inner().plans;
    Ok((plans[0].years, plans[0].price_fen))
}

/// Asserts that `error` is the hoarder's call failing on `limit`.
fn refused_for(error: &tonic::Status, limit: &str) {
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    let (reason, metadata) = error_info(error);
    assert_eq!(reason, "PLUGIN_FAILED");
    assert_eq!(metadata["plugin"], "test-hoarder");
    assert_eq!(metadata["cause"], "TRAP", "{}", error.message());
    assert!(
        error.message().contains(limit),
        "{:?} does not name {limit:?}",
        error.message()
    );
}

/// Creates orders in `region` until `stop` says so; returns how many, each
/// of which succeeded.
async fn take_orders(server: &TestServer, region: &str, mut stop: watch::Receiver<bool>) -> usize {
    let mut orders = server.orders().await;
    let mut taken = 0;
    while !*stop.borrow_and_update() {
        let mut request = tonic::Request::new(CreateOrderRequest {
            request_id: unique("meanwhile"),
            order: Some(repair(region)),
        });
        request.set_timeout(DEADLINE);
        orders
            .create_order(request)
            .await
            .expect("another region's order, taken while the lab hoards");
        taken += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    taken
}

#[tokio::test]
async fn hoarded_writes_are_refused_at_once_and_nothing_else_waits() {
    let dir = tempfile::tempdir().unwrap();
    let server = hoarder_in(dir.path(), &["lab"]).await;
    let mut warranty = WarrantyServiceClient::new(server.channel().await);
    let earlier = hoard(&mut warranty, "lab", "seed").await.unwrap();
    assert_eq!(earlier, (1, 4 + 12), "the earlier data: `seed`");

    let (stop, stopped) = watch::channel(false);
    let meanwhile = take_orders(&server, "shanghai", stopped);
    let hostile = async {
        // The host refuses the first over-long key, which fails the call.
        let error = hoard(&mut warranty, "lab", "delete-huge:60:33554432")
            .await
            .unwrap_err();
        refused_for(&error, "a kv key is 1 to 256 bytes, not 33554432");
        // Refused at the 16th set (1 MiB per call); the plugin writes on
        // regardless, and its next write ends the call with that refusal.
        let error = hoard(&mut warranty, "lab", "set:15000:65536")
            .await
            .unwrap_err();
        refused_for(
            &error,
            "a call writes at most 1048576 bytes of kv keys and values, not 1048688; \
             the call wrote on after that refusal",
        );
        // 1,001 keys of nothing: the call's key count is a bound too. The
        // last write is refused, and the call, ending then, fails with it.
        let error = hoard(&mut warranty, "lab", "set:1001:0").await.unwrap_err();
        refused_for(&error, "a call writes at most 1000 kv keys");
        stop.send(true).unwrap();
    };
    let ((), taken) = tokio::join!(hostile, meanwhile);
    assert!(taken > 0, "no order was taken meanwhile");

    // Nothing of the refused calls was written: the store is as it was.
    assert_eq!(hoard(&mut warranty, "lab", "check").await.unwrap(), earlier);

    // A call at exactly the limits: a key of 256 bytes to a value of 64 KiB,
    // 1,000 keys, 1 MiB of keys and values.
    let exact = hoard(&mut warranty, "lab", "exact:1048576:1000")
        .await
        .unwrap();
    assert_eq!(exact, (earlier.0 + 1000, earlier.1 + (1 << 20)));
    assert_eq!(hoard(&mut warranty, "lab", "check").await.unwrap(), exact);

    // Nothing large was ever written: the WAL did not grow past the
    // store's journal size limit (it reached 1.27 GB before the bound).
    let wal = dir.path().join("xingji.db-wal");
    let wal_bytes = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(wal_bytes <= 64 << 20, "the WAL holds {wal_bytes} bytes");
    server.stop().await;
}

#[tokio::test]
async fn the_quota_is_reached_exactly_and_refused_one_byte_past() {
    let dir = tempfile::tempdir().unwrap();
    let server = hoarder_in(dir.path(), &["lab", "rural"]).await;
    let mut warranty = WarrantyServiceClient::new(server.channel().await);
    // 16 calls of 1 MiB: the lab's 16 MiB, exactly.
    for tag in 0..16 {
        let held = hoard(&mut warranty, "lab", &format!("fill:{tag}"))
            .await
            .unwrap();
        assert_eq!(held, (16 * (tag + 1), (i64::from(tag) + 1) << 20));
    }
    // One key of 7 bytes more is over the quota, refused at once.
    let error = hoard(&mut warranty, "lab", "set:1:0").await.unwrap_err();
    refused_for(
        &error,
        "key-value quota exceeded: 16777223 bytes, the limit is 16777216",
    );
    assert_eq!(
        hoard(&mut warranty, "lab", "check").await.unwrap(),
        (256, 16 << 20),
        "the lab's store as it was"
    );
    // The quota is the plugin's in the lab: in another region it writes.
    assert_eq!(
        hoard(&mut warranty, "rural", "fill:0").await.unwrap(),
        (16, 1 << 20)
    );
    server.stop().await;
}
