//! An order's whole life through gRPC: the state machine, who may move it,
//! races, the watch stream, complaints, licences, audits and SLA clocks.

use std::collections::BTreeMap;

use prost_types::Timestamp;
use tonic::Code;
use xingji::config::Config;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::*;
use xingji_core::settings::RegionConfig;
use xingji_tests::Channel;
use xingji_tests::{TestServer, acting, bad_fields, error_info, precondition_failures};

use crate::fixtures::{create_person, engineer, network, repair};

const CALL_CENTRE: &str = "call-centre:07";
const HQ: &str = "hq:ops";
/// The customer-relations system of a partner, which takes orders in.
const PARTNER: &str = "partner:crm";

/// A region with a regional centre, a star centre and two engineers there,
/// and a client.
struct Region {
    orders: OrderServiceClient<Channel>,
    /// The regional centre: an outlet of the region that dispatch on intake
    /// does not pick (it has no engineers).
    centre: String,
    star: String,
    engineers: Vec<String>,
    name: String,
}

async fn region(server: &TestServer, name: &str) -> Region {
    let (centre, star) = network(&mut server.outlets().await, name).await;
    let mut people = server.people().await;
    let mut engineers = Vec::new();
    for who in ["Wang Wei", "Zhao Lei"] {
        engineers.push(
            create_person(&mut people, engineer(name, &star.id, who))
                .await
                .id,
        );
    }
    Region {
        orders: server.orders().await,
        centre: centre.id,
        star: star.id,
        engineers,
        name: name.to_owned(),
    }
}

/// Where no outlet reaches: dispatch on intake refuses, the order waits.
const NOWHERE: GeoPoint = GeoPoint {
    lat: 45.0,
    lon: 90.0,
};

impl Region {
    /// An order left in intake: no outlet reaches the customer.
    async fn create(&mut self) -> Order {
        let mut order = repair(&self.name);
        order.customer.as_mut().unwrap().location = Some(NOWHERE);
        let order = self.create_order(order).await;
        assert_eq!(order.status, OrderStatus::Intake as i32);
        assert_eq!(actions(&order), ["created", "dispatch-refused"]);
        order
    }

    async fn create_order(&mut self, order: Order) -> Order {
        self.orders
            .create_order(acting(
                PARTNER,
                CreateOrderRequest {
                    request_id: xingji_tests::unique("req"),
                    order: Some(order),
                },
            ))
            .await
            .expect("create")
            .into_inner()
    }

    /// A new order, dispatched on intake by the region's dispatch plugin.
    async fn dispatched(&mut self) -> Order {
        let order = self.create_order(repair(&self.name)).await;
        assert_eq!(order.status, OrderStatus::Dispatched as i32);
        assert_eq!(order.history[1].actor, "xingji");
        order
    }

    /// Takes `order` from dispatched through completion, as its outlet and
    /// engineer.
    async fn complete(&mut self, order: &Order, parts: Vec<PartUsed>) -> Order {
        let outlet = format!("outlet:{}", order.outlet_id);
        let engineer = format!("engineer:{}", order.engineer_id);
        let id = || order.id.clone();
        self.orders
            .accept_order(acting(
                &outlet,
                AcceptOrderRequest {
                    id: id(),
                    version: 0,
                },
            ))
            .await
            .expect("accept");
        self.orders
            .contact_customer(acting(
                &engineer,
                ContactCustomerRequest {
                    id: id(),
                    version: 0,
                    appointment_time: Some(in_hours(20)),
                    note: "tomorrow morning".into(),
                },
            ))
            .await
            .expect("contact");
        self.orders
            .arrive_on_site(acting(
                &engineer,
                ArriveOnSiteRequest {
                    id: id(),
                    version: 0,
                },
            ))
            .await
            .expect("arrive");
        self.orders
            .complete_order(acting(
                &engineer,
                CompleteOrderRequest {
                    id: id(),
                    version: 0,
                    report: Some(ServiceReport {
                        diagnosis: "compressor relay burnt".into(),
                        work_done: "replaced the relay, test run 30 minutes".into(),
                        parts,
                        ..ServiceReport::default()
                    }),
                },
            ))
            .await
            .expect("complete")
            .into_inner()
    }
}

fn in_hours(hours: i64) -> Timestamp {
    let mut time = Timestamp::from(std::time::SystemTime::now());
    time.seconds += hours * 3600;
    time
}

fn relay(due_back: bool) -> PartUsed {
    PartUsed {
        part_number: "0064000923".into(),
        name: "compressor start relay".into(),
        quantity: 1,
        old_part_due_return: due_back,
    }
}

fn actions(order: &Order) -> Vec<&str> {
    order.history.iter().map(|e| e.action.as_str()).collect()
}

#[tokio::test]
async fn one_order_lives_from_intake_to_quality_control() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;

    let order = sh.dispatched().await;
    assert_eq!(order.status, OrderStatus::Dispatched as i32);
    assert_eq!(order.outlet_id, sh.star);
    let completed = sh.complete(&order, vec![relay(true)]).await;
    assert_eq!(completed.status, OrderStatus::Completed as i32);
    let report = completed.service_report.clone().unwrap();
    assert!(
        !report.in_warranty,
        "bought in 2021: out of the 3-year warranty"
    );
    let callback = |reached, satisfied| RecordCallbackRequest {
        id: order.id.clone(),
        version: 0,
        callback: Some(Callback {
            reached,
            satisfied,
            ..Callback::default()
        }),
    };
    sh.orders
        .record_callback(acting(CALL_CENTRE, callback(false, false)))
        .await
        .unwrap();
    sh.orders
        .record_callback(acting(CALL_CENTRE, callback(true, true)))
        .await
        .unwrap();
    let checked = sh
        .orders
        .check_quality(acting(
            CALL_CENTRE,
            CheckQualityRequest {
                id: order.id.clone(),
                version: 0,
                old_part_returned: true,
                finding: "relay failure confirmed on the bench".into(),
                finding_agreed: true,
            },
        ))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(checked.status, OrderStatus::QualityChecked as i32);
    assert_eq!(
        actions(&checked),
        [
            "created",
            "dispatched",
            "accepted",
            "contacted",
            "arrived",
            "completed",
            "callback",
            "callback",
            "quality-checked"
        ]
    );
    let history = &checked.history;
    assert_eq!(history[0].actor, PARTNER);
    assert_eq!(history[1].actor, "xingji", "dispatched on intake");
    assert_eq!(history[2].actor, format!("outlet:{}", order.outlet_id));
    assert_eq!(history[4].actor, format!("engineer:{}", order.engineer_id));
    for pair in history.windows(2) {
        assert_eq!(pair[1].from_status, pair[0].status, "{:?}", pair[1].action);
        let (a, b) = (pair[0].time.unwrap(), pair[1].time.unwrap());
        assert!((b.seconds, b.nanos) >= (a.seconds, a.nanos));
    }
    let qc = checked.quality_control.unwrap();
    assert_eq!(qc.callbacks.len(), 2);
    assert!(qc.old_part_returned && qc.finding_agreed);
    assert_eq!(
        checked.version,
        history.len() as i64 - 1,
        "one version per write; intake and its dispatch are one"
    );

    // Every clock stopped in time.
    let sla = checked.sla.unwrap();
    for clock in [sla.dispatch, sla.contact, sla.arrival, sla.completion] {
        let clock = clock.expect("a clock");
        assert!(clock.done_time.is_some() && !clock.overdue, "{clock:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn illegal_transitions_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    let intake = sh.create().await;
    let id = intake.id.clone();

    // From intake, nothing but dispatch, cancel and invalidate, whoever asks.
    let errors = vec![
        sh.orders
            .accept_order(acting(
                HQ,
                AcceptOrderRequest {
                    id: id.clone(),
                    version: 0,
                },
            ))
            .await
            .unwrap_err(),
        sh.orders
            .arrive_on_site(acting(
                HQ,
                ArriveOnSiteRequest {
                    id: id.clone(),
                    version: 0,
                },
            ))
            .await
            .unwrap_err(),
        sh.orders
            .complete_order(acting(
                HQ,
                CompleteOrderRequest {
                    id: id.clone(),
                    version: 0,
                    report: Some(ServiceReport {
                        diagnosis: "x".into(),
                        work_done: "y".into(),
                        ..ServiceReport::default()
                    }),
                },
            ))
            .await
            .unwrap_err(),
        sh.orders
            .check_quality(acting(
                HQ,
                CheckQualityRequest {
                    id: id.clone(),
                    ..CheckQualityRequest::default()
                },
            ))
            .await
            .unwrap_err(),
        sh.orders
            .advance_complaint(acting(
                HQ,
                AdvanceComplaintRequest {
                    id: id.clone(),
                    step: ComplaintStep::Handle as i32,
                    cause: ComplaintCause::Other as i32,
                    ..AdvanceComplaintRequest::default()
                },
            ))
            .await
            .unwrap_err(),
    ];
    for error in &errors {
        assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
        assert_eq!(precondition_failures(error)[0].0, "STATUS", "{error:?}");
    }
    assert!(
        errors[0].message().contains(
            "ORDER_STATUS_INTAKE cannot be accepted; it can be dispatched, cancelled, invalidated"
        ),
        "{}",
        errors[0].message()
    );
    assert!(errors[4].message().contains("only complaint orders"));

    // End states lead nowhere.
    let cancelled = sh
        .orders
        .cancel_order(acting(
            CALL_CENTRE,
            CancelOrderRequest {
                id: id.clone(),
                version: 0,
                reason: "customer fixed it".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, OrderStatus::Cancelled as i32);
    assert_eq!(
        cancelled.history.last().unwrap().reason,
        "customer fixed it"
    );
    let again = sh
        .orders
        .invalidate_order(acting(
            HQ,
            InvalidateOrderRequest {
                id: id.clone(),
                version: 0,
                reason: "duplicate".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(
        again.message().contains("nothing more"),
        "{}",
        again.message()
    );

    // A reason is required, named as the field at fault.
    let other = sh.create().await;
    let no_reason = sh
        .orders
        .cancel_order(acting(
            CALL_CENTRE,
            CancelOrderRequest {
                id: other.id.clone(),
                version: 0,
                reason: " ".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&no_reason), ["reason"]);

    // Nobody moves an order they have no part in: another outlet of the
    // region, the assigned engineer's colleague at the same outlet, the call
    // centre (which does not work orders).
    let order = sh.dispatched().await;
    let colleague = sh
        .engineers
        .iter()
        .find(|e| **e != order.engineer_id)
        .unwrap()
        .clone();
    let accept = || AcceptOrderRequest {
        id: order.id.clone(),
        version: 0,
    };
    for principal in [
        format!("outlet:{}", sh.centre),
        format!("engineer:{colleague}"),
        CALL_CENTRE.to_owned(),
    ] {
        let denied = sh
            .orders
            .accept_order(acting(&principal, accept()))
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{principal}");
        let (reason, metadata) = error_info(&denied);
        assert_eq!(reason, "PERMISSION_MISSING", "{principal}");
        assert_eq!(metadata["principal"], principal);
        assert_eq!(metadata["permission"], "orders.work", "{principal}");
        assert_eq!(metadata["target"], format!("orders/{}", order.id));
    }
    // Nor does a caller with no credential at all.
    let anonymous = OrderServiceClient::new(server.bare_channel().await)
        .accept_order(accept())
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated, "{anonymous:?}");
    // The engineer may not arrive for a colleague.
    let denied = sh
        .orders
        .arrive_on_site(acting(
            &format!("engineer:{colleague}"),
            ArriveOnSiteRequest {
                id: order.id.clone(),
                version: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // A version other than the stored one is refused.
    let stale = sh
        .orders
        .accept_order(acting(
            &format!("outlet:{}", order.outlet_id),
            AcceptOrderRequest {
                id: order.id.clone(),
                version: order.version + 1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);

    // None of it changed the order.
    let unchanged = sh
        .orders
        .get_order(GetOrderRequest {
            id: order.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unchanged.version, order.version);
    assert_eq!(unchanged.history.len(), order.history.len());
    server.stop().await;
}

#[tokio::test]
async fn completion_checks_the_report_and_the_warranty() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    // Bought last January: under the maker's 3-year warranty.
    let this_year = 1970
        + (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 31_556_952) as i32;
    let mut new_fridge = repair("shanghai");
    new_fridge.appliance.as_mut().unwrap().purchase_date = Some(xingji_api::google::r#type::Date {
        year: this_year - 1,
        month: 1,
        day: 1,
    });
    let order = sh.create_order(new_fridge).await;
    let engineer = format!("engineer:{}", order.engineer_id);
    for step in 0..3 {
        let id = order.id.clone();
        match step {
            0 => drop(
                sh.orders
                    .accept_order(acting(&engineer, AcceptOrderRequest { id, version: 0 }))
                    .await
                    .unwrap(),
            ),
            1 => drop(
                sh.orders
                    .contact_customer(acting(
                        &engineer,
                        ContactCustomerRequest {
                            id,
                            version: 0,
                            appointment_time: Some(in_hours(2)),
                            note: String::new(),
                        },
                    ))
                    .await
                    .unwrap(),
            ),
            _ => drop(
                sh.orders
                    .arrive_on_site(acting(&engineer, ArriveOnSiteRequest { id, version: 0 }))
                    .await
                    .unwrap(),
            ),
        }
    }
    let complete = |report: ServiceReport| CompleteOrderRequest {
        id: order.id.clone(),
        version: 0,
        report: Some(report),
    };
    let bad = sh
        .orders
        .complete_order(acting(
            &engineer,
            complete(ServiceReport {
                diagnosis: String::new(),
                work_done: "done".into(),
                parts: vec![PartUsed {
                    part_number: String::new(),
                    quantity: 0,
                    ..relay(false)
                }],
                charge_fen: -1,
                ..ServiceReport::default()
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&bad),
        [
            "report.diagnosis",
            "report.charge_fen",
            "report.parts[0].part_number",
            "report.parts[0].quantity"
        ]
    );
    let charged = sh
        .orders
        .complete_order(acting(
            &engineer,
            complete(ServiceReport {
                diagnosis: "door seal".into(),
                work_done: "replaced".into(),
                charge_fen: 8_000,
                ..ServiceReport::default()
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(charged.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_failures(&charged),
        [("WARRANTY".to_owned(), "report.charge_fen".to_owned())]
    );
    let done = sh
        .orders
        .complete_order(acting(
            &engineer,
            complete(ServiceReport {
                diagnosis: "door seal".into(),
                work_done: "replaced".into(),
                parts: vec![relay(false)],
                ..ServiceReport::default()
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(done.service_report.unwrap().in_warranty);

    // Quality control waits for the customer, or for every attempt to fail;
    // and no old part can come back when none was due.
    let check = |returned| CheckQualityRequest {
        id: order.id.clone(),
        version: 0,
        old_part_returned: returned,
        finding: String::new(),
        finding_agreed: false,
    };
    let early = sh
        .orders
        .check_quality(acting(CALL_CENTRE, check(false)))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&early)[0].0, "CALLBACKS");
    for _ in 0..5 {
        sh.orders
            .record_callback(acting(
                CALL_CENTRE,
                RecordCallbackRequest {
                    id: order.id.clone(),
                    version: 0,
                    callback: Some(Callback::default()),
                },
            ))
            .await
            .unwrap();
    }
    let sixth = sh
        .orders
        .record_callback(acting(
            CALL_CENTRE,
            RecordCallbackRequest {
                id: order.id.clone(),
                version: 0,
                callback: Some(Callback::default()),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&sixth)[0].0, "CALLBACKS");
    let not_due = sh
        .orders
        .check_quality(acting(CALL_CENTRE, check(true)))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&not_due)[0].0, "PARTS");
    let checked = sh
        .orders
        .check_quality(acting(CALL_CENTRE, check(false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(checked.status, OrderStatus::QualityChecked as i32);
    assert!(
        checked
            .history
            .last()
            .unwrap()
            .reason
            .contains("callback not satisfied"),
        "{:?}",
        checked.history.last()
    );
    server.stop().await;
}

#[tokio::test]
async fn of_two_concurrent_transitions_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    for _ in 0..10 {
        let order = sh.dispatched().await;
        let outlet = format!("outlet:{}", order.outlet_id);
        // The outlet accepts while the call centre cancels.
        let mut a = sh.orders.clone();
        let mut b = sh.orders.clone();
        let accept = a.accept_order(acting(
            &outlet,
            AcceptOrderRequest {
                id: order.id.clone(),
                version: 0,
            },
        ));
        let cancel = b.cancel_order(acting(
            CALL_CENTRE,
            CancelOrderRequest {
                id: order.id.clone(),
                version: 0,
                reason: "customer withdrew".into(),
            },
        ));
        let (accepted, cancelled) = tokio::join!(accept, cancel);
        let winners = [accepted.is_ok(), cancelled.is_ok()];
        let won = winners.iter().filter(|ok| **ok).count();
        let stored = sh
            .orders
            .get_order(GetOrderRequest {
                id: order.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        // Accept then cancel is a legal sequence: both may succeed one after
        // the other. What must never happen is a lost update.
        assert!(won >= 1);
        assert_eq!(
            stored.history.len(),
            order.history.len() + won,
            "every success is in the history, nothing else"
        );
        for result in [accepted.err(), cancelled.err()].into_iter().flatten() {
            assert!(
                matches!(result.code(), Code::Aborted | Code::FailedPrecondition),
                "{result:?}"
            );
        }
    }
    // The same transition twice at once: exactly one.
    for _ in 0..10 {
        let order = sh.dispatched().await;
        let outlet = format!("outlet:{}", order.outlet_id);
        let request = || {
            acting(
                &outlet,
                AcceptOrderRequest {
                    id: order.id.clone(),
                    version: 0,
                },
            )
        };
        let mut a = sh.orders.clone();
        let mut b = sh.orders.clone();
        let (first, second) = tokio::join!(a.accept_order(request()), b.accept_order(request()));
        assert_eq!(
            [first.is_ok(), second.is_ok()]
                .iter()
                .filter(|ok| **ok)
                .count(),
            1,
            "{first:?} {second:?}"
        );
        let loser = first.err().or(second.err()).unwrap();
        assert!(matches!(
            loser.code(),
            Code::Aborted | Code::FailedPrecondition
        ));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_refusal_is_recorded_and_the_order_goes_to_someone_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    let order = sh.dispatched().await;
    let first = order.engineer_id.clone();

    // The engineer refuses: the outlet gets it again, with the other engineer.
    let redispatched = sh
        .orders
        .refuse_order(acting(
            &format!("engineer:{first}"),
            RefuseOrderRequest {
                id: order.id.clone(),
                version: 0,
                reason: "on sick leave tomorrow".into(),
                by: RefusedBy::Engineer as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(redispatched.status, OrderStatus::Dispatched as i32);
    assert_eq!(redispatched.outlet_id, sh.star);
    assert_ne!(redispatched.engineer_id, first);
    assert_eq!(
        actions(&redispatched)[1..],
        ["dispatched", "refused", "dispatched"]
    );
    let refused = &redispatched.history[2];
    assert_eq!(refused.reason, "on sick leave tomorrow");
    assert_eq!(refused.status, OrderStatus::Intake as i32);
    assert_eq!(redispatched.refusals.len(), 1);
    assert_eq!(redispatched.refusals[0].engineer_id, first);

    // The outlet refuses: no other outlet is in reach, so the order waits in
    // intake with the plugin's refusal on record.
    let waiting = sh
        .orders
        .refuse_order(acting(
            &format!("outlet:{}", sh.star),
            RefuseOrderRequest {
                id: order.id.clone(),
                version: 0,
                reason: "fully booked".into(),
                by: RefusedBy::Outlet as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(waiting.status, OrderStatus::Intake as i32);
    assert!(waiting.outlet_id.is_empty() && waiting.engineer_id.is_empty());
    assert_eq!(actions(&waiting).last(), Some(&"dispatch-refused"));
    assert_eq!(waiting.refusals.len(), 2);

    // An engineer cannot refuse for the outlet.
    let order = sh.dispatched().await;
    let wrong = sh
        .orders
        .refuse_order(acting(
            &format!("engineer:{}", order.engineer_id),
            RefuseOrderRequest {
                id: order.id.clone(),
                version: 0,
                reason: "no".into(),
                by: RefusedBy::Outlet as i32,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&wrong), ["by"]);
    server.stop().await;
}

#[tokio::test]
async fn a_watch_resumes_from_its_cursor_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    let mut bj = region(&server, "beijing").await;
    let watch = |after: &str| WatchOrdersRequest {
        region: "shanghai".into(),
        after_cursor: after.into(),
        outlet_id: String::new(),
    };

    let first = sh.dispatched().await;
    bj.dispatched().await;
    let mut stream = sh
        .orders
        .clone()
        .watch_orders(watch("0"))
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(stream.message().await.unwrap().unwrap());
    }
    // More happens while the client is connected, then it goes away.
    let second = sh.dispatched().await;
    seen.push(stream.message().await.unwrap().unwrap());
    drop(stream);
    // And more while it is gone, in both regions.
    sh.complete(&first, vec![]).await;
    bj.dispatched().await;
    let third = sh.create().await;

    let cursor = seen.last().unwrap().cursor.clone();
    let mut stream = sh
        .orders
        .clone()
        .watch_orders(watch(&cursor))
        .await
        .unwrap()
        .into_inner();
    // Everything since: the rest of `second`'s dispatch, `first`'s four
    // steps and `third`'s creation and refused dispatch; then the stream
    // follows live.
    let mut expected_more = 1 + 4 + 2;
    while expected_more > 0 {
        seen.push(stream.message().await.unwrap().unwrap());
        expected_more -= 1;
    }
    let live = sh
        .orders
        .cancel_order(acting(
            CALL_CENTRE,
            CancelOrderRequest {
                id: third.id.clone(),
                version: 0,
                reason: "duplicate call".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let event = stream.message().await.unwrap().unwrap();
    assert_eq!(event.order_id, live.id);
    assert_eq!(event.entry.as_ref().unwrap().action, "cancelled");
    assert_eq!(event.version, live.version);
    seen.push(event);

    // The whole log of the region, read afresh, is exactly what was seen.
    let mut replay = sh
        .orders
        .clone()
        .watch_orders(watch("0"))
        .await
        .unwrap()
        .into_inner();
    let mut all = Vec::new();
    while all.len() < seen.len() {
        all.push(replay.message().await.unwrap().unwrap());
    }
    assert_eq!(all, seen, "no gap, no repeat, same order");
    assert!(all.iter().all(|e| e.region == "shanghai"));
    let cursors: Vec<i64> = all.iter().map(|e| e.cursor.parse().unwrap()).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]));
    let by_order = |id: &str| {
        all.iter()
            .filter(|e| e.order_id == id)
            .map(|e| e.entry.as_ref().unwrap().action.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by_order(&first.id),
        [
            "created",
            "dispatched",
            "accepted",
            "contacted",
            "arrived",
            "completed"
        ]
    );
    assert_eq!(by_order(&second.id), ["created", "dispatched"]);

    // A cursor from elsewhere is refused, naming the field.
    let bad = sh
        .orders
        .clone()
        .watch_orders(watch("99999999"))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), ["after_cursor"]);
    server.stop().await;
}

#[tokio::test]
async fn a_complaint_is_linked_to_its_ticket_and_goes_through_three_steps() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    let original = sh.dispatched().await;
    let complaint = sh
        .create_order(Order {
            kind: OrderKind::Complaint as i32,
            complaint: Some(Complaint {
                original_order_id: original.id.clone(),
                summary: "the engineer came two hours late".into(),
                ..Complaint::default()
            }),
            ..repair("shanghai")
        })
        .await;
    assert_eq!(
        complaint.outlet_id, original.outlet_id,
        "counts against the outlet"
    );
    assert_eq!(complaint.engineer_id, original.engineer_id);

    let linked = sh
        .orders
        .list_orders(ListOrdersRequest {
            original_order_id: original.id.clone(),
            ..ListOrdersRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        linked.orders.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&complaint.id]
    );

    let step = |step: ComplaintStep| AdvanceComplaintRequest {
        id: complaint.id.clone(),
        step: step as i32,
        ..AdvanceComplaintRequest::default()
    };
    // Steps go in order, and a work-quality complaint names who is responsible.
    let skipped = sh
        .orders
        .advance_complaint(acting(CALL_CENTRE, step(ComplaintStep::Accept)))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&skipped)[0].0, "STEP");
    let unnamed = sh
        .orders
        .advance_complaint(acting(
            CALL_CENTRE,
            AdvanceComplaintRequest {
                cause: ComplaintCause::WorkQuality as i32,
                ..step(ComplaintStep::Handle)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&unnamed), ["responsible_person_id"]);
    let not_allowed = sh
        .orders
        .advance_complaint(acting(
            &format!("outlet:{}", original.outlet_id),
            AdvanceComplaintRequest {
                cause: ComplaintCause::Timeliness as i32,
                ..step(ComplaintStep::Handle)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(not_allowed.code(), Code::PermissionDenied);
    sh.orders
        .advance_complaint(acting(
            CALL_CENTRE,
            AdvanceComplaintRequest {
                cause: ComplaintCause::WorkQuality as i32,
                responsible_person_id: original.engineer_id.clone(),
                note: "apologised, new visit booked".into(),
                ..step(ComplaintStep::Handle)
            },
        ))
        .await
        .unwrap();
    sh.orders
        .advance_complaint(acting(CALL_CENTRE, step(ComplaintStep::Accept)))
        .await
        .unwrap();
    let no_measure = sh
        .orders
        .advance_complaint(acting(CALL_CENTRE, step(ComplaintStep::Improve)))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&no_measure), ["improvement_measure"]);
    let closed = sh
        .orders
        .advance_complaint(acting(
            CALL_CENTRE,
            AdvanceComplaintRequest {
                improvement_measure: "route planning checked every morning".into(),
                ..step(ComplaintStep::Improve)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.status, OrderStatus::Completed as i32);
    let c = closed.complaint.clone().unwrap();
    assert_eq!(c.step, ComplaintStep::Improve as i32);
    assert_eq!(c.cause, ComplaintCause::WorkQuality as i32);
    assert_eq!(c.responsible_person_id, original.engineer_id);
    assert_eq!(
        actions(&closed),
        [
            "created",
            "complaint-step",
            "complaint-step",
            "complaint-step"
        ]
    );

    // Complaints are not dispatched, and one cannot complain about a complaint.
    let dispatch = sh
        .orders
        .dispatch_order(acting(
            CALL_CENTRE,
            DispatchOrderRequest {
                id: complaint.id.clone(),
                version: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(dispatch.code(), Code::FailedPrecondition);
    let about_complaint = sh
        .orders
        .create_order(CreateOrderRequest {
            request_id: xingji_tests::unique("req"),
            order: Some(Order {
                kind: OrderKind::Complaint as i32,
                complaint: Some(Complaint {
                    original_order_id: complaint.id.clone(),
                    ..Complaint::default()
                }),
                ..repair("shanghai")
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&about_complaint),
        ["order.complaint.original_order_id"]
    );
    server.stop().await;
}

#[tokio::test]
async fn the_licence_follows_its_events_and_an_eliminated_engineer_gets_no_dispatch() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut sh = region(&server, "shanghai").await;
    let mut people = server.people().await;
    let who = sh.engineers[0].clone();
    let record = |kind: LicenceEventKind| RecordLicenceEventRequest {
        person_id: who.clone(),
        event: Some(LicenceEvent {
            kind: kind as i32,
            note: format!("{kind:?}"),
            ..LicenceEvent::default()
        }),
        version: 0,
    };
    let mut states = Vec::new();
    for kind in [
        LicenceEventKind::Delight,
        LicenceEventKind::Delight,
        LicenceEventKind::PromiseBroken,
        LicenceEventKind::RepeatRepair,
        LicenceEventKind::PromiseBroken,
        LicenceEventKind::Overcharging,
    ] {
        let person = people
            .record_licence_event(acting(HQ, record(kind)))
            .await
            .unwrap()
            .into_inner();
        states.push((person.licence_points, person.licence_state));
    }
    use LicenceState::*;
    assert_eq!(
        states,
        [
            (14, Normal as i32),
            (16, Exemplary as i32),
            (13, Normal as i32),
            (11, Normal as i32),
            (8, Normal as i32),
            (2, Warning as i32)
        ]
    );
    let person = people
        .record_licence_event(acting(
            &format!("outlet:{}", sh.star),
            record(LicenceEventKind::NonStandardService),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (person.licence_points, person.licence_state),
        (0, Eliminated as i32)
    );

    // Someone else's outlet (of the same region), or an engineer, may not.
    for principal in [
        format!("outlet:{}", sh.centre),
        format!("engineer:{}", sh.engineers[1]),
    ] {
        let denied = people
            .record_licence_event(acting(&principal, record(LicenceEventKind::Delight)))
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{principal}");
        let (reason, metadata) = error_info(&denied);
        assert_eq!(reason, "PERMISSION_MISSING", "{principal}");
        assert_eq!(metadata["permission"], "licence.record", "{principal}");
    }
    let events = people
        .list_licence_events(ListLicenceEventsRequest {
            person_id: who.clone(),
            ..ListLicenceEventsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 7);
    assert_eq!(events[5].points_delta, -6);
    assert_eq!(events[6].state_after, Eliminated as i32);
    assert_eq!(events[6].actor, format!("outlet:{}", sh.star));

    // Every dispatch now goes to the other engineer.
    for _ in 0..3 {
        let order = sh.dispatched().await;
        assert_eq!(order.engineer_id, sh.engineers[1]);
    }
    // Retraining lifts an elimination, and applies to nothing else.
    let retrain_early = people
        .record_licence_event(acting(
            HQ,
            RecordLicenceEventRequest {
                person_id: sh.engineers[1].clone(),
                ..record(LicenceEventKind::Retrained)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&retrain_early)[0].0, "LICENCE");
    let back = people
        .record_licence_event(acting(HQ, record(LicenceEventKind::Retrained)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (back.licence_points, back.licence_state),
        (12, Normal as i32)
    );
    server.stop().await;
}

#[tokio::test]
async fn mystery_customer_audits_are_kept_per_outlet() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let sh = region(&server, "shanghai").await;
    let mut outlets = server.outlets().await;
    let audit = |score| Audit {
        outlet_id: sh.star.clone(),
        visit_time: Some(in_hours(-24)),
        score,
        failed_standards: vec![ServiceStandard::CreatesDelight as i32],
        findings: "no shoe covers".into(),
        ..Audit::default()
    };
    let recorded = outlets
        .record_audit(acting(
            "auditor:m-17",
            RecordAuditRequest {
                audit: Some(audit(72)),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.region, "shanghai");
    assert_eq!(recorded.actor, "auditor:m-17");
    let denied = outlets
        .record_audit(acting(
            &format!("outlet:{}", sh.star),
            RecordAuditRequest {
                audit: Some(audit(100)),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Code::PermissionDenied,
        "an outlet does not audit itself"
    );
    let bad = outlets
        .record_audit(acting(
            HQ,
            RecordAuditRequest {
                audit: Some(Audit {
                    score: 101,
                    failed_standards: vec![1, 1],
                    visit_time: Some(in_hours(48)),
                    ..audit(0)
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&bad),
        [
            "audit.visit_time",
            "audit.score",
            "audit.failed_standards[1]"
        ]
    );
    let listed = outlets
        .list_audits(ListAuditsRequest {
            outlet_id: sh.star.clone(),
            ..ListAuditsRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.audits, [recorded]);
    server.stop().await;
}

#[tokio::test]
async fn overdue_orders_are_found_by_their_sla_clocks() {
    let dir = tempfile::tempdir().unwrap();
    // Shanghai must dispatch at once; Beijing has the default half hour.
    let strict = RegionConfig {
        sla: xingji_core::settings::SlaTargets {
            dispatch_minutes: 0,
            ..Default::default()
        },
        ..RegionConfig::default()
    };
    // New orders wait in intake, for the dispatch clock to run out.
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        regions: BTreeMap::from([("shanghai".to_owned(), strict)]),
        auto_dispatch: false,
        ..Config::default()
    })
    .await;
    let mut sh = region(&server, "shanghai").await;
    let mut bj = region(&server, "beijing").await;
    let late = sh.create_order(repair("shanghai")).await;
    let on_time = bj.create_order(repair("beijing")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let overdue = |region: &str| ListOrdersRequest {
        region: region.into(),
        overdue_only: true,
        ..ListOrdersRequest::default()
    };
    let found = sh
        .orders
        .list_orders(overdue(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        found.orders.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&late.id]
    );
    let clock = found.orders[0].sla.unwrap().dispatch.unwrap();
    assert!(clock.overdue && clock.done_time.is_none());
    let fresh = bj
        .orders
        .get_order(GetOrderRequest {
            id: on_time.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!fresh.sla.unwrap().dispatch.unwrap().overdue);

    // Dispatched late: the clock stops, still marked late, and the order
    // leaves the overdue list (its next clock is not due yet).
    let dispatched = sh
        .orders
        .dispatch_order(acting(
            CALL_CENTRE,
            DispatchOrderRequest {
                id: late.id.clone(),
                version: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let clock = dispatched.sla.unwrap().dispatch.unwrap();
    assert!(clock.overdue && clock.done_time.is_some());
    let found = sh
        .orders
        .list_orders(overdue("shanghai"))
        .await
        .unwrap()
        .into_inner();
    assert!(found.orders.is_empty());
    server.stop().await;
}
