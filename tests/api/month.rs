//! The month close through gRPC, on the demo's two lived months: every
//! order went through the lifecycle (written with the same transition
//! function as the RPCs), and one sub-outlet per region served badly.

use tonic::Code;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::Month;
use xingji_tests::{TestServer, acting, bad_fields, error_info, precondition_failures};

const HQ: &str = "hq:finance";

fn months_ago(n: usize) -> String {
    let mut month = Month::containing(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    );
    for _ in 0..n {
        month = month.previous();
    }
    month.to_string()
}

fn close(region: &str, month: &str, dry_run: bool) -> tonic::Request<CloseMonthRequest> {
    acting(
        HQ,
        CloseMonthRequest {
            region: region.into(),
            month: month.into(),
            dry_run,
        },
    )
}

async fn count(server: &TestServer, region: &str, status: OrderStatus) -> usize {
    let mut orders = server.orders().await;
    let mut token = String::new();
    let mut total = 0;
    loop {
        let page = orders
            .list_orders(ListOrdersRequest {
                region: region.into(),
                status: status as i32,
                page_size: 1000,
                page_token: token,
                ..ListOrdersRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        total += page.orders.len();
        if page.next_page_token.is_empty() {
            return total;
        }
        token = page.next_page_token;
    }
}

/// Checks what the kernel promises of every close: each statement adds up
/// exactly, and the close's total is the statements' sum.
fn assert_adds_up(close: &MonthClose) {
    let mut total = 0;
    for outlet in &close.outlets {
        let s = outlet.statement.as_ref().expect("a statement per outlet");
        let lines: i64 = s.lines.iter().map(|l| l.amount_fen).sum();
        assert_eq!(lines, s.total_fen, "{}", outlet.outlet_id);
        assert_eq!(
            s.labour_fen + s.adjustment_fen + s.incentives_fen,
            s.total_fen
        );
        for line in s.lines.iter().filter(|l| l.count > 0) {
            assert_eq!(
                i64::from(line.count) * line.unit_fen,
                line.amount_fen,
                "{line:?}"
            );
        }
        total += s.total_fen;
    }
    assert_eq!(total, close.total_fen);
    for pay in &close.engineers {
        assert_eq!(
            pay.base_fen + pay.commission_fen + pay.timely_bonus_fen,
            pay.total_fen
        );
    }
}

#[tokio::test]
async fn the_demo_months_close_on_the_lifecycle_records() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), true).await;
    let mut months = MonthCloseServiceClient::new(server.channel().await);
    let (older, last) = (months_ago(2), months_ago(1));
    let checked_before = count(&server, "shanghai", OrderStatus::QualityChecked).await;
    let settled_before = count(&server, "shanghai", OrderStatus::Settled).await;
    assert!(
        checked_before > 40,
        "the demo lived two months: {checked_before}"
    );

    // A dry run computes everything and writes nothing.
    let dry = months
        .close_month(close("shanghai", &older, true))
        .await
        .unwrap()
        .into_inner();
    assert!(dry.dry_run);
    assert!(dry.settled_orders > 0);
    assert_adds_up(&dry);
    assert_eq!(
        count(&server, "shanghai", OrderStatus::QualityChecked).await,
        checked_before
    );
    let missing = months
        .get_month_close(GetMonthCloseRequest {
            region: "shanghai".into(),
            month: older.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let first = months
        .close_month(close("shanghai", &older, false))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.dry_run);
    assert_eq!(first.id, format!("shanghai/{older}"));
    assert_eq!(first.evaluation_plugin, "evaluation-standard@1.0.0");
    assert_eq!(first.settlement_plugin, "settlement-standard@1.0.0");
    assert_adds_up(&first);
    assert_eq!(first.outlets.len(), 10, "every outlet of the region");
    assert!(first.total_fen > 0);
    // The demo's orders of that month are settled, and only they.
    let settled = count(&server, "shanghai", OrderStatus::Settled).await;
    assert_eq!(settled, settled_before + first.settled_orders as usize);
    assert_eq!(
        count(&server, "shanghai", OrderStatus::QualityChecked).await,
        checked_before - first.settled_orders as usize
    );
    // Other regions are untouched.
    assert!(count(&server, "qingdao", OrderStatus::QualityChecked).await > 40);

    // Grades are applied to the outlets; the bad sub-outlet is graded C.
    let mut outlets = server.outlets().await;
    let graded: Vec<_> = first
        .outlets
        .iter()
        .filter(|o| o.grade == OutletGrade::C as i32)
        .collect();
    assert!(
        !graded.is_empty(),
        "the demo's bad outlet: {:#?}",
        first.outlets
    );
    let bad = graded[0].outlet_id.clone();
    let outlet = outlets
        .get_outlet(GetOutletRequest { id: bad.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outlet.grade, OutletGrade::C as i32);
    assert_eq!(outlet.status, OutletStatus::Active as i32, "one C month");

    // Closing again changes nothing and returns the same close.
    let again = months
        .close_month(close("shanghai", &older, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(
        count(&server, "shanghai", OrderStatus::Settled).await,
        settled
    );

    // The second C month in the year suspends the bad outlet.
    let second = months
        .close_month(close("shanghai", &last, false))
        .await
        .unwrap()
        .into_inner();
    assert_adds_up(&second);
    let bad_month = second
        .outlets
        .iter()
        .find(|o| o.outlet_id == bad)
        .expect("the bad outlet");
    assert_eq!(bad_month.grade, OutletGrade::C as i32, "{bad_month:#?}");
    assert_eq!(bad_month.c_months, 2);
    assert_eq!(bad_month.status_after, OutletStatus::Suspended as i32);
    let outlet = outlets
        .get_outlet(GetOutletRequest { id: bad.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outlet.status, OutletStatus::Suspended as i32);
    // Its late arrivals became licence violations on its engineers.
    assert!(
        second
            .charges
            .iter()
            .any(|c| c.kind == LicenceEventKind::PromiseBroken as i32),
        "{:?}",
        second.charges
    );

    // Stored, retrievable and listable.
    let stored = months
        .get_month_close(GetMonthCloseRequest {
            region: "shanghai".into(),
            month: last.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored, second);
    let listed = months
        .list_month_closes(ListMonthClosesRequest {
            region: "shanghai".into(),
            ..ListMonthClosesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .closes
            .iter()
            .map(|c| (c.month.as_str(), c.total_fen, c.outlets.len()))
            .collect::<Vec<_>>(),
        [
            (older.as_str(), first.total_fen, 0),
            (last.as_str(), second.total_fen, 0)
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn demo_regions_settle_with_their_own_variant() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), true).await;
    let mut months = MonthCloseServiceClient::new(server.channel().await);
    let month = months_ago(1);
    let shanghai = months
        .close_month(close("shanghai", &month, true))
        .await
        .unwrap()
        .into_inner();
    let qingdao = months
        .close_month(close("qingdao", &month, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shanghai.settlement_plugin, "settlement-standard@1.0.0");
    assert_eq!(qingdao.settlement_plugin, "settlement-flat@1.0.0");
    assert_adds_up(&qingdao);
    // Flat rates: one rate per kind whatever the product line, so every
    // repair line of Qingdao has the same unit; Shanghai's differ by line.
    let units = |close: &MonthClose| {
        let mut units: Vec<i64> = close
            .outlets
            .iter()
            .flat_map(|o| o.statement.as_ref().unwrap().lines.clone())
            .filter(|l| l.item.starts_with("labour/") && l.item.ends_with("/repair"))
            .map(|l| l.unit_fen)
            .collect();
        units.sort();
        units.dedup();
        units
    };
    assert_eq!(units(&qingdao).len(), 1, "{:?}", units(&qingdao));
    assert!(units(&shanghai).len() > 1, "{:?}", units(&shanghai));
    let active = server
        .plugins()
        .await
        .get_region_plugins(GetRegionPluginsRequest {
            region: "qingdao".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let dispatch = active
        .plugins
        .iter()
        .find(|p| p.slot == PluginSlot::Dispatch as i32)
        .unwrap();
    assert_eq!(dispatch.name, "dispatch-balanced");

    // Swapping the settlement plugin of one region works as for dispatch:
    // Shanghai switches to flat rates, Qingdao is untouched, and back.
    let mut plugins = server.plugins().await;
    plugins
        .activate_plugin(acting(
            "hq:it",
            ActivatePluginRequest {
                region: "shanghai".into(),
                slot: PluginSlot::Settlement as i32,
                name: "settlement-flat".into(),
                version: "1.0.0".into(),
                reason: "try flat rates".into(),
                params: Vec::new(),
            },
        ))
        .await
        .unwrap();
    let swapped = months
        .close_month(close("shanghai", &month, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(swapped.settlement_plugin, "settlement-flat@1.0.0");
    assert_eq!(units(&swapped).len(), 1);
    plugins
        .rollback_plugin(acting(
            "hq:it",
            RollbackPluginRequest {
                region: "shanghai".into(),
                slot: PluginSlot::Settlement as i32,
                reason: "back".into(),
            },
        ))
        .await
        .unwrap();
    let back = months
        .close_month(close("shanghai", &month, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(back.settlement_plugin, "settlement-standard@1.0.0");
    assert_eq!(back.total_fen, shanghai.total_fen);
    server.stop().await;
}

#[tokio::test]
async fn a_close_is_refused_for_the_wrong_month_or_actor() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), true).await;
    let mut months = MonthCloseServiceClient::new(server.channel().await);
    let current = months
        .close_month(close("shanghai", &months_ago(0), false))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&current)[0].0, "MONTH");
    let malformed = months
        .close_month(close("shanghai", "2026-13", false))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&malformed), ["month"]);
    // A real outlet of the region: its staff do not close months.
    let outlet = server
        .outlets()
        .await
        .list_outlets(ListOutletsRequest {
            region: "shanghai".into(),
            ..ListOutletsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .outlets
        .remove(0);
    let outlet = format!("outlet:{}", outlet.id);
    let denied = months
        .close_month(acting(
            &outlet,
            CloseMonthRequest {
                region: "shanghai".into(),
                month: months_ago(1),
                dry_run: true,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let (reason, metadata) = error_info(&denied);
    assert_eq!(reason, "PERMISSION_MISSING");
    assert_eq!(metadata["principal"], outlet);
    assert_eq!(metadata["permission"], "month.close");
    let empty = months
        .close_month(close("nowhere", &months_ago(1), false))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&empty)[0].0, "REGION");
    server.stop().await;
}
