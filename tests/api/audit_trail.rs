//! The audit trail through `ListAuditEvents`: writes and denials are on it
//! with who, what, to what and how it ended; headquarters reads every
//! region's, a region's IT its own regions' only, the call centre none; it
//! pages.

use tonic::Code;
use xingji_api::v1::audit_service_client::AuditServiceClient;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::Month;
use xingji_tests::{TestServer, unique, with_token};

use crate::fixtures::{create_person, engineer, network, repair};
use crate::principals::{Principal, denial, principal};

/// A server with a network (and an engineer) in shanghai and beijing.
struct Trail {
    _dir: tempfile::TempDir,
    server: TestServer,
    hq: Principal,
    call_centre: Principal,
    it_shanghai: Principal,
}

impl Trail {
    async fn new() -> Trail {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = TestServer::start(dir.path()).await;
        for region in ["shanghai", "beijing"] {
            let (_, star) = network(&mut server.outlets().await, region).await;
            create_person(
                &mut server.people().await,
                engineer(region, &star.id, "Wang Wei"),
            )
            .await;
        }
        Trail {
            _dir: dir,
            server,
            hq: principal("hq", "auditing", &[]),
            call_centre: principal("call-centre", "cc-sh", &["shanghai"]),
            it_shanghai: principal("regional-it", "it-sh", &["shanghai"]),
        }
    }

    async fn audit(&self) -> AuditServiceClient<tonic::transport::Channel> {
        AuditServiceClient::new(self.server.bare_channel().await)
    }

    /// Every event `who` may list with `request` (as one page of 1000).
    async fn events(
        &self,
        who: &Principal,
        request: ListAuditEventsRequest,
    ) -> Result<Vec<AuditEvent>, tonic::Status> {
        let request = ListAuditEventsRequest {
            page_size: 1000,
            ..request
        };
        let answer = self
            .audit()
            .await
            .list_audit_events(with_token(&who.token, request))
            .await?
            .into_inner();
        assert!(answer.next_page_token.is_empty(), "more than one page");
        Ok(answer.events)
    }

    /// An order of `region` created by the call centre of shanghai.
    async fn order_by_call_centre(&self, region: &str) -> Order {
        OrderServiceClient::new(self.server.bare_channel().await)
            .create_order(with_token(
                &self.call_centre.token,
                CreateOrderRequest {
                    request_id: unique("trail"),
                    order: Some(repair(region)),
                },
            ))
            .await
            .expect("the call centre creates orders in its region")
            .into_inner()
    }
}

fn previous_month() -> String {
    Month::containing(xingji_core::calendar::now().seconds)
        .previous()
        .to_string()
}

#[tokio::test]
async fn a_write_and_a_denial_are_on_the_trail() {
    let trail = Trail::new().await;
    let order = trail.order_by_call_centre("shanghai").await;
    let refused = MonthCloseServiceClient::new(trail.server.bare_channel().await)
        .close_month(with_token(
            &trail.call_centre.token,
            CloseMonthRequest {
                region: "shanghai".into(),
                month: previous_month(),
                dry_run: true,
            },
        ))
        .await
        .expect_err("the call centre does not close months");
    assert!(denial(&refused).is_ok(), "{refused:?}");

    let events = trail
        .events(
            &trail.hq,
            ListAuditEventsRequest {
                principal: trail.call_centre.name.clone(),
                ..ListAuditEventsRequest::default()
            },
        )
        .await
        .expect("hq reads the trail");
    let written = events
        .iter()
        .find(|e| e.target == format!("orders/{}", order.id))
        .unwrap_or_else(|| panic!("the order's creation is not on the trail: {events:#?}"));
    assert_eq!(written.principal, "call-centre:cc-sh");
    assert_eq!(written.operation, "orders.create");
    assert_eq!(written.region, "shanghai");
    assert_eq!(written.outcome, AuditOutcome::Ok as i32);
    assert!(written.time.is_some());

    let denied = events
        .iter()
        .find(|e| e.outcome == AuditOutcome::Denied as i32)
        .unwrap_or_else(|| panic!("the denial is not on the trail: {events:#?}"));
    assert_eq!(denied.principal, "call-centre:cc-sh");
    assert_eq!(denied.operation, "month.close");
    assert_eq!(denied.target, "regions/shanghai");
    assert_eq!(denied.region, "shanghai");
    assert!(!denied.detail.is_empty(), "a denial says why");
    assert!(denied.seq > written.seq, "in the order they happened");

    // The outcome filter finds it alone.
    let only_denials = trail
        .events(
            &trail.hq,
            ListAuditEventsRequest {
                outcome: AuditOutcome::Denied as i32,
                ..ListAuditEventsRequest::default()
            },
        )
        .await
        .expect("hq reads the trail");
    assert_eq!(
        only_denials.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [denied.seq]
    );
    trail.server.stop().await;
}

#[tokio::test]
async fn regional_it_reads_its_regions_trail_and_the_call_centre_none() {
    let trail = Trail::new().await;
    trail.order_by_call_centre("shanghai").await;
    let everything = trail
        .events(&trail.hq, ListAuditEventsRequest::default())
        .await
        .expect("hq reads every region's trail");
    for region in ["shanghai", "beijing"] {
        assert!(
            everything.iter().any(|e| e.region == region),
            "hq sees {region}'s events"
        );
    }

    let own = trail
        .events(&trail.it_shanghai, ListAuditEventsRequest::default())
        .await
        .expect("shanghai's IT reads shanghai's trail");
    assert!(own.iter().any(|e| e.operation == "orders.create"));
    assert!(own.iter().any(|e| e.operation == "outlets.create"));
    let foreign: Vec<&AuditEvent> = own.iter().filter(|e| e.region != "shanghai").collect();
    assert!(foreign.is_empty(), "not shanghai's: {foreign:#?}");
    let shanghai = trail
        .events(
            &trail.it_shanghai,
            ListAuditEventsRequest {
                region: "shanghai".into(),
                ..ListAuditEventsRequest::default()
            },
        )
        .await
        .expect("naming its region");
    assert_eq!(
        shanghai.iter().map(|e| e.seq).collect::<Vec<_>>(),
        own.iter().map(|e| e.seq).collect::<Vec<_>>()
    );

    for (who, region) in [
        (&trail.it_shanghai, "beijing"),
        (&trail.call_centre, ""),
        (&trail.call_centre, "shanghai"),
    ] {
        let refused = trail
            .events(
                who,
                ListAuditEventsRequest {
                    region: region.into(),
                    ..ListAuditEventsRequest::default()
                },
            )
            .await
            .expect_err("not theirs to read");
        let (principal, permission, _) = denial(&refused).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(principal, who.name);
        assert_eq!(permission, "audit-trail.read");
    }
    trail.server.stop().await;
}

#[tokio::test]
async fn the_trail_pages_without_gaps_or_repeats() {
    let trail = Trail::new().await;
    for _ in 0..4 {
        trail.order_by_call_centre("shanghai").await;
    }
    let whole = trail
        .events(&trail.hq, ListAuditEventsRequest::default())
        .await
        .expect("one page");
    assert!(whole.len() > 7, "enough events to page: {}", whole.len());
    let mut paged = Vec::new();
    let mut token = String::new();
    let mut audit = trail.audit().await;
    loop {
        let page = audit
            .list_audit_events(with_token(
                &trail.hq.token,
                ListAuditEventsRequest {
                    page_size: 3,
                    page_token: token.clone(),
                    ..ListAuditEventsRequest::default()
                },
            ))
            .await
            .expect("a page")
            .into_inner();
        assert!(page.events.len() <= 3);
        paged.extend(page.events);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(paged.len() <= whole.len(), "the pages go on past the end");
    }
    let seqs: Vec<u64> = paged.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, whole.iter().map(|e| e.seq).collect::<Vec<_>>());
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {seqs:?}"
    );
    // A token is for the filters it was made with.
    let page = audit
        .list_audit_events(with_token(
            &trail.hq.token,
            ListAuditEventsRequest {
                page_size: 3,
                ..ListAuditEventsRequest::default()
            },
        ))
        .await
        .expect("a page")
        .into_inner();
    let misused = audit
        .list_audit_events(with_token(
            &trail.hq.token,
            ListAuditEventsRequest {
                page_size: 3,
                page_token: page.next_page_token,
                region: "beijing".into(),
                ..ListAuditEventsRequest::default()
            },
        ))
        .await
        .expect_err("a token of other filters");
    assert_eq!(misused.code(), Code::InvalidArgument);
    trail.server.stop().await;
}

#[tokio::test]
async fn a_denial_on_an_order_is_on_its_regions_trail() {
    // A denial is filed under its target's region (AuditEvent.region: "the
    // region of the target"), so that the region's IT, who reads its
    // regions' trail, sees who was refused what on its orders.
    let trail = Trail::new().await;
    let order = trail.order_by_call_centre("shanghai").await;
    let refused = OrderServiceClient::new(trail.server.bare_channel().await)
        .accept_order(with_token(
            &trail.call_centre.token,
            AcceptOrderRequest {
                id: order.id.clone(),
                version: 0,
            },
        ))
        .await
        .expect_err("the call centre does not accept orders");
    assert!(denial(&refused).is_ok(), "{refused:?}");
    let target = format!("orders/{}", order.id);
    let find = |events: Vec<AuditEvent>| {
        events
            .into_iter()
            .find(|e| e.target == target && e.outcome == AuditOutcome::Denied as i32)
    };
    let everything = trail
        .events(&trail.hq, ListAuditEventsRequest::default())
        .await
        .expect("hq reads the trail");
    let denied = find(everything).expect("the denial is on the trail");
    assert_eq!(denied.principal, "call-centre:cc-sh");
    assert_eq!(denied.operation, "orders.work");
    assert_eq!(denied.region, "shanghai", "{denied:#?}");
    let regional = trail
        .events(&trail.it_shanghai, ListAuditEventsRequest::default())
        .await
        .expect("shanghai's IT reads shanghai's trail");
    assert!(
        find(regional).is_some(),
        "shanghai's IT sees the denial on a shanghai order"
    );
    trail.server.stop().await;
}
