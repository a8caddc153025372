//! Bad input the kernel must refuse: undecodable bytes, ids too long to
//! echo, impossible times, out-of-range fields and regions nobody declared.
//! Each test tries all its cases and then fails with every case that went
//! wrong, so that one run shows the whole gap, not just the first case.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Buf, BufMut};
use prost_types::Timestamp;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use xingji::config::Config;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::Month;
use xingji_core::settings::RegionConfig;
use xingji_tests::{TestServer, acting, unique};

use crate::fixtures::{create_outlet, create_person, engineer, network, regional_centre, repair};

/// The cases of one test that went wrong, each with what the server
/// answered. The test fails at the end with all of them.
#[derive(Default)]
struct Faults(Vec<String>);

impl Faults {
    fn add(&mut self, case: &str, what: impl Into<String>) {
        self.0.push(format!("{case}: {}", what.into()));
    }

    /// `result` must be a success; returns it.
    fn ok<T>(&mut self, case: &str, result: Result<T, Status>) -> Option<T> {
        result
            .map_err(|status| self.add(case, format!("answered {}, wanted OK", show(&status))))
            .ok()
    }

    /// `result` must be INVALID_ARGUMENT whose google.rpc.BadRequest names
    /// `field`, and only it.
    fn invalid<T>(&mut self, case: &str, result: Result<T, Status>, field: &str) {
        let wanted = format!("wanted INVALID_ARGUMENT naming {field}");
        match result {
            Ok(_) => self.add(case, format!("answered OK, {wanted}")),
            Err(status) => {
                let fields = bad_request_fields(&status);
                if status.code() != Code::InvalidArgument || fields != [field] {
                    self.add(
                        case,
                        format!(
                            "answered {} with BadRequest fields {fields:?}, {wanted}",
                            show(&status)
                        ),
                    );
                }
            }
        }
    }

    /// `result` must be INVALID_ARGUMENT (undecodable requests carry no
    /// field: the decoder fails before there is a message).
    fn undecodable<T>(&mut self, case: &str, result: Result<T, Status>) {
        match result {
            Ok(_) => self.add(case, "answered OK, wanted INVALID_ARGUMENT"),
            Err(status) if status.code() == Code::InvalidArgument => {}
            Err(status) => self.add(
                case,
                format!("answered {}, wanted INVALID_ARGUMENT", show(&status)),
            ),
        }
    }

    /// `result` must be NOT_FOUND, and the whole status small: the message
    /// and the encoded details under 2 KiB, whatever the request held.
    fn small_not_found<T>(&mut self, case: &str, result: Result<T, Status>) {
        match result {
            Ok(_) => self.add(case, "answered OK, wanted NOT_FOUND"),
            Err(status) => {
                let size = status.message().len() + status.details().len();
                if status.code() != Code::NotFound || size >= 2048 {
                    self.add(
                        case,
                        format!(
                            "answered {} ({size} bytes of message and details), wanted NOT_FOUND under 2048 bytes",
                            show(&status)
                        ),
                    );
                }
            }
        }
    }

    /// `result` must be NOT_FOUND with a google.rpc.ResourceInfo of type
    /// `region` naming `region`, and a message naming every `known` region.
    fn unknown_region<T>(
        &mut self,
        case: &str,
        result: Result<T, Status>,
        region: &str,
        known: &[&str],
    ) {
        let status = match result {
            Ok(_) => {
                return self.add(
                    case,
                    format!("answered OK, wanted NOT_FOUND for {region:?}"),
                );
            }
            Err(status) => status,
        };
        let mut wrong = Vec::new();
        if status.code() != Code::NotFound {
            wrong.push("the code is not NOT_FOUND".to_owned());
        }
        match status.get_error_details().resource_info() {
            None => wrong.push("no ResourceInfo".to_owned()),
            Some(info) if info.resource_type != "region" || info.resource_name != region => wrong
                .push(format!(
                    "ResourceInfo names {:?} {:?}",
                    info.resource_type, info.resource_name
                )),
            Some(_) => {}
        }
        for name in known {
            if !status.message().contains(name) {
                wrong.push(format!("the message does not name {name}"));
            }
        }
        if !wrong.is_empty() {
            self.add(
                case,
                format!("answered {}: {}", show(&status), wrong.join(", ")),
            );
        }
    }

    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} case(s) went wrong:\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

/// A status in a line: its code and the start of its message (which may be
/// megabytes long, which is one of the faults these tests look for).
fn show(status: &Status) -> String {
    let message: String = status.message().chars().take(160).collect();
    let more = if message.len() < status.message().len() {
        format!("… ({} bytes)", status.message().len())
    } else {
        String::new()
    };
    format!("{:?} {message:?}{more}", status.code())
}

/// The fields a google.rpc.BadRequest in `status` names; none without one.
pub(crate) fn bad_request_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A codec that sends a request's bytes as they are and returns a reply's
/// bytes undecoded: how a broken or hostile client looks to the server.
struct Raw;

struct RawEncoder;

struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Calls the unary method `path` with `body` as the request message.
async fn call_raw(server: &TestServer, path: &'static str, body: &[u8]) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(format!("the channel is not ready: {error}")))?;
    grpc.unary(
        Request::new(body.to_vec()),
        PathAndQuery::from_static(path),
        Raw,
    )
    .await
    .map(|response| response.into_inner())
}

const GET_ORDER: &str = "/xingji.v1.OrderService/GetOrder";
const CREATE_ORDER: &str = "/xingji.v1.OrderService/CreateOrder";
const LIST_ORDERS: &str = "/xingji.v1.OrderService/ListOrders";
const LIST_OUTLETS: &str = "/xingji.v1.OutletService/ListOutlets";
const CREATE_PERSON: &str = "/xingji.v1.PersonService/CreatePerson";
const ACTIVATE_PLUGIN: &str = "/xingji.v1.PluginService/ActivatePlugin";

#[tokio::test]
async fn undecodable_requests_are_the_clients_fault() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut faults = Faults::default();

    // The raw path reaches the service: a well-formed GetOrderRequest
    // { id: "ord" } gets the service's own answer.
    match call_raw(&server, GET_ORDER, &[0x0a, 0x03, b'o', b'r', b'd']).await {
        Err(status) if status.code() == Code::NotFound => {}
        Ok(_) => faults.add("well-formed GetOrder", "answered OK, wanted NOT_FOUND"),
        Err(status) => faults.add(
            "well-formed GetOrder",
            format!("answered {}, wanted NOT_FOUND", show(&status)),
        ),
    }

    let cases: [(&str, &'static str, &[u8]); 11] = [
        // Field 1 (id), then a length whose varint never ends.
        (
            "GetOrder, id's length a truncated varint",
            GET_ORDER,
            &[0x0a, 0x80],
        ),
        // Field 2 (page_size), a varint cut off after two bytes.
        (
            "ListOrders, page_size a truncated varint",
            LIST_ORDERS,
            &[0x10, 0xff, 0xff],
        ),
        // Field 1 (id) says 5 bytes follow; 2 do.
        (
            "GetOrder, id's length past the end",
            GET_ORDER,
            &[0x0a, 0x05, b'o', b'r'],
        ),
        // Field 1 (person) says 16 bytes follow; 2 do.
        (
            "CreatePerson, person's length past the end",
            CREATE_PERSON,
            &[0x0a, 0x10, 0x12, 0x00],
        ),
        // Field 1 (id, a string) sent as a varint.
        (
            "GetOrder, id with the varint wire type",
            GET_ORDER,
            &[0x08, 0x01],
        ),
        // Field 2 (order, a message) sent as a varint.
        (
            "CreateOrder, order with the varint wire type",
            CREATE_ORDER,
            &[0x10, 0x01],
        ),
        // Field 2 (page_size, an int32) sent length-delimited.
        (
            "ListOutlets, page_size with the length-delimited wire type",
            LIST_OUTLETS,
            &[0x12, 0x01, 0x00],
        ),
        // Field 2 (slot, an enum) sent as a fixed64.
        (
            "ActivatePlugin, slot with the fixed64 wire type",
            ACTIVATE_PLUGIN,
            &[0x11, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
        (
            "GetOrder, id not UTF-8",
            GET_ORDER,
            &[0x0a, 0x02, 0xff, 0xfe],
        ),
        (
            "ListOutlets, region not UTF-8",
            LIST_OUTLETS,
            &[0x0a, 0x02, 0xff, 0xfe],
        ),
        // Field 2 (order) holding field 2 (region) of two bytes 0xff 0xfe.
        (
            "CreateOrder, order.region not UTF-8",
            CREATE_ORDER,
            &[0x12, 0x04, 0x12, 0x02, 0xff, 0xfe],
        ),
    ];
    for (case, path, body) in cases {
        faults.undecodable(case, call_raw(&server, path, body).await);
    }
    faults.finish();
    server.stop().await;
}

/// `prefix` padded with `X` to `len` characters.
fn long_id(prefix: &str, len: usize) -> String {
    format!("{prefix}{}", "X".repeat(len - prefix.len()))
}

#[tokio::test]
async fn errors_do_not_echo_unbounded_ids() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut orders = server.orders().await;
    // An outlet that exists: a credential for one that does not is refused
    // before any order is looked up.
    let outlet = create_outlet(
        &mut server.outlets().await,
        regional_centre("shanghai", "RC-1"),
    )
    .await;
    let mut faults = Faults::default();

    // Short enough for any transport: what the error itself holds.
    faults.small_not_found(
        "GetOrder, a 1,000-character id",
        orders
            .get_order(GetOrderRequest {
                id: long_id("ord_", 1_000),
            })
            .await,
    );
    let order_id = long_id("ord_", 8_000);
    faults.small_not_found(
        "GetOrder, an 8,000-character id",
        orders
            .get_order(GetOrderRequest {
                id: order_id.clone(),
            })
            .await,
    );
    faults.small_not_found(
        "GetOutlet, an 8,000-character id",
        server
            .outlets()
            .await
            .get_outlet(GetOutletRequest {
                id: long_id("out_", 8_000),
            })
            .await,
    );
    faults.small_not_found(
        "GetPerson, an 8,000-character id",
        server
            .people()
            .await
            .get_person(GetPersonRequest {
                id: long_id("per_", 8_000),
            })
            .await,
    );
    faults.small_not_found(
        "AcceptOrder, an 8,000-character id",
        orders
            .accept_order(acting(
                &format!("outlet:{}", outlet.id),
                AcceptOrderRequest {
                    id: order_id,
                    version: 0,
                },
            ))
            .await,
    );
    faults.small_not_found(
        "GetOrder, a 3 MB id",
        orders
            .get_order(GetOrderRequest {
                id: long_id("ord_", 3_000_000),
            })
            .await,
    );
    faults.finish();
    server.stop().await;
}

/// `seconds` and `nanos` after the epoch.
fn at(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// 0001-01-01T00:00:00Z, the first second a Timestamp may hold.
const YEAR_1: i64 = -62_135_596_800;

/// 9999-01-01T00:00:00Z.
const YEAR_9999: i64 = 253_370_764_800;

#[tokio::test]
async fn impossible_times_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_, star) = network(&mut server.outlets().await, "shanghai").await;
    create_person(
        &mut server.people().await,
        engineer("shanghai", &star.id, "Wang Wei"),
    )
    .await;
    let mut outlets = server.outlets().await;
    let mut faults = Faults::default();

    let audit = |visit_time: Option<Timestamp>| {
        acting(
            "auditor:x",
            RecordAuditRequest {
                audit: Some(Audit {
                    outlet_id: star.id.clone(),
                    visit_time,
                    score: 80,
                    ..Audit::default()
                }),
            },
        )
    };
    let hour_ago = now_seconds() - 3600;
    faults.ok(
        "RecordAudit, an hour ago",
        outlets.record_audit(audit(at(hour_ago, 0))).await,
    );
    for (case, time) in [
        ("RecordAudit, visit_time in year 1", at(YEAR_1, 0)),
        (
            "RecordAudit, visit_time at i64::MIN seconds",
            at(i64::MIN, 0),
        ),
        ("RecordAudit, visit_time nanos -1", at(hour_ago, -1)),
        (
            "RecordAudit, visit_time nanos 2,000,000,000",
            at(hour_ago, 2_000_000_000),
        ),
    ] {
        faults.invalid(
            case,
            outlets.record_audit(audit(time)).await,
            "audit.visit_time",
        );
    }
    // One stored impossible time would break every later listing.
    let listed = faults.ok(
        "ListAudits after the attempts",
        outlets
            .list_audits(ListAuditsRequest {
                region: "shanghai".into(),
                ..ListAuditsRequest::default()
            })
            .await,
    );
    if let Some(listed) = listed {
        let count = listed.into_inner().audits.len();
        if count != 1 {
            faults.add(
                "ListAudits after the attempts",
                format!("{count} audits, wanted only the one of an hour ago"),
            );
        }
    }

    let mut orders = server.orders().await;
    let order = orders
        .create_order(CreateOrderRequest {
            request_id: unique("req"),
            order: Some(repair("shanghai")),
        })
        .await
        .expect("create")
        .into_inner();
    assert_eq!(order.status, OrderStatus::Dispatched as i32, "{order:?}");
    orders
        .accept_order(acting(
            &format!("outlet:{}", order.outlet_id),
            AcceptOrderRequest {
                id: order.id.clone(),
                version: 0,
            },
        ))
        .await
        .expect("accept");
    faults.invalid(
        "ContactCustomer, appointment_time nanos -1",
        orders
            .contact_customer(acting(
                &format!("engineer:{}", order.engineer_id),
                ContactCustomerRequest {
                    id: order.id.clone(),
                    version: 0,
                    appointment_time: at(now_seconds() + 86_400, -1),
                    note: String::new(),
                },
            ))
            .await,
        "appointment_time",
    );
    let after = faults.ok(
        "GetOrder after the refused contact",
        orders
            .get_order(GetOrderRequest {
                id: order.id.clone(),
            })
            .await,
    );
    if let Some(after) = after {
        let status = after.into_inner().status;
        if status != OrderStatus::Accepted as i32 {
            faults.add(
                "GetOrder after the refused contact",
                format!("status {status}, wanted still ACCEPTED"),
            );
        }
    }

    faults.invalid(
        "CreateOrder, tour.available_from in year 9999",
        orders
            .create_order(tour_order(TourNeeds {
                available_from: at(YEAR_9999, 0),
                ..TourNeeds::default()
            }))
            .await,
        "order.tour.available_from",
    );
    faults.finish();
    server.stop().await;
}

/// A request for a tour-visit order in shanghai with `tour`.
fn tour_order(tour: TourNeeds) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: unique("tour"),
        order: Some(Order {
            kind: OrderKind::TourVisit as i32,
            tour: Some(tour),
            ..repair("shanghai")
        }),
    }
}

#[tokio::test]
async fn tour_needs_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    create_outlet(
        &mut server.outlets().await,
        regional_centre("shanghai", "RC-1"),
    )
    .await;
    let mut orders = server.orders().await;
    let mut faults = Faults::default();

    let tomorrow = now_seconds() + 86_400;
    let good = TourNeeds {
        service_minutes: 60,
        demand: 2,
        available_from: at(tomorrow, 0),
        available_to: at(tomorrow + 3 * 3600, 0),
    };
    faults.ok(
        "CreateOrder, a tour visit in bounds",
        orders.create_order(tour_order(good)).await,
    );
    for (case, tour, field) in [
        (
            "CreateOrder, tour.service_minutes -1",
            TourNeeds {
                service_minutes: -1,
                ..good
            },
            "order.tour.service_minutes",
        ),
        (
            "CreateOrder, tour.demand 2147483647",
            TourNeeds {
                demand: i32::MAX,
                ..good
            },
            "order.tour.demand",
        ),
        (
            "CreateOrder, tour.available_from after available_to",
            TourNeeds {
                available_from: at(tomorrow + 3600, 0),
                available_to: at(tomorrow, 0),
                ..good
            },
            "order.tour.available_to",
        ),
    ] {
        faults.invalid(case, orders.create_order(tour_order(tour)).await, field);
    }
    faults.finish();
    server.stop().await;
}

#[tokio::test]
async fn plugin_change_reasons_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    create_outlet(
        &mut server.outlets().await,
        regional_centre("shanghai", "RC-1"),
    )
    .await;
    let mut plugins = server.plugins().await;
    let mut faults = Faults::default();

    let activate = |reason: String| {
        acting(
            "hq:x",
            ActivatePluginRequest {
                region: "shanghai".into(),
                slot: PluginSlot::Dispatch as i32,
                name: "dispatch-balanced".into(),
                version: "1.0.0".into(),
                reason,
                params: Vec::new(),
            },
        )
    };
    let mebibyte = "x".repeat(1 << 20);
    faults.invalid(
        "ActivatePlugin, a 1 MiB reason",
        plugins.activate_plugin(activate(mebibyte.clone())).await,
        "reason",
    );
    // 500 characters, of three bytes each: the bound counts characters.
    faults.ok(
        "ActivatePlugin, a 500-character reason",
        plugins.activate_plugin(activate("切换".repeat(250))).await,
    );
    faults.invalid(
        "RollbackPlugin, a 1 MiB reason",
        plugins
            .rollback_plugin(acting(
                "hq:x",
                RollbackPluginRequest {
                    region: "shanghai".into(),
                    slot: PluginSlot::Dispatch as i32,
                    reason: mebibyte,
                },
            ))
            .await,
        "reason",
    );
    faults.finish();
    server.stop().await;
}

#[tokio::test]
async fn unknown_enum_values_in_list_filters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut outlets = server.outlets().await;
    let mut orders = server.orders().await;
    let mut people = server.people().await;
    let mut faults = Faults::default();

    faults.ok(
        "ListOutlets, status ACTIVE",
        outlets
            .list_outlets(ListOutletsRequest {
                status: OutletStatus::Active as i32,
                ..ListOutletsRequest::default()
            })
            .await,
    );
    faults.invalid(
        "ListOutlets, status 999",
        outlets
            .list_outlets(ListOutletsRequest {
                status: 999,
                ..ListOutletsRequest::default()
            })
            .await,
        "status",
    );
    faults.invalid(
        "ListOutlets, tier 999",
        outlets
            .list_outlets(ListOutletsRequest {
                tier: 999,
                ..ListOutletsRequest::default()
            })
            .await,
        "tier",
    );
    faults.invalid(
        "ListOrders, status 999",
        orders
            .list_orders(ListOrdersRequest {
                status: 999,
                ..ListOrdersRequest::default()
            })
            .await,
        "status",
    );
    faults.invalid(
        "ListOrders, kind 999",
        orders
            .list_orders(ListOrdersRequest {
                kind: 999,
                ..ListOrdersRequest::default()
            })
            .await,
        "kind",
    );
    faults.invalid(
        "ListPeople, level 999",
        people
            .list_people(ListPeopleRequest {
                level: 999,
                ..ListPeopleRequest::default()
            })
            .await,
        "level",
    );
    faults.invalid(
        "ListPeople, licence_state 999",
        people
            .list_people(ListPeopleRequest {
                licence_state: 999,
                ..ListPeopleRequest::default()
            })
            .await,
        "licence_state",
    );
    faults.finish();
    server.stop().await;
}

/// The regions of the demo network (kernel/xingji/src/demo.rs).
const DEMO_REGIONS: [&str; 3] = ["beijing", "qingdao", "shanghai"];

/// The month before this one, which has ended.
fn last_month() -> String {
    Month::containing(now_seconds()).previous().to_string()
}

#[tokio::test]
async fn requests_naming_an_unknown_region_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), true).await;
    let mut outlets = server.outlets().await;
    let mut orders = server.orders().await;
    let mut people = server.people().await;
    let mut plugins = server.plugins().await;
    let mut faults = Faults::default();

    let shanghai = outlets
        .list_outlets(ListOutletsRequest {
            region: "shanghai".into(),
            page_size: 1,
            ..ListOutletsRequest::default()
        })
        .await
        .expect("the demo's shanghai outlets")
        .into_inner()
        .outlets;
    let Some(shanghai_outlet) = shanghai.first() else {
        panic!("the demo has no outlet in shanghai");
    };

    faults.unknown_region(
        "ListOutlets in shangai",
        outlets
            .list_outlets(ListOutletsRequest {
                region: "shangai".into(),
                ..ListOutletsRequest::default()
            })
            .await,
        "shangai",
        &DEMO_REGIONS,
    );
    faults.unknown_region(
        "ListOrders in shangai",
        orders
            .list_orders(ListOrdersRequest {
                region: "shangai".into(),
                ..ListOrdersRequest::default()
            })
            .await,
        "shangai",
        &DEMO_REGIONS,
    );
    faults.unknown_region(
        "ListPeople in shangai",
        people
            .list_people(ListPeopleRequest {
                region: "shangai".into(),
                ..ListPeopleRequest::default()
            })
            .await,
        "shangai",
        &DEMO_REGIONS,
    );
    faults.unknown_region(
        "CreateOrder in shangai",
        orders
            .create_order(CreateOrderRequest {
                request_id: unique("req"),
                order: Some(repair("shangai")),
            })
            .await,
        "shangai",
        &DEMO_REGIONS,
    );
    // Everything else about this person is right, the outlet included:
    // only the region is misspelt.
    faults.unknown_region(
        "CreatePerson in shangai",
        people
            .create_person(CreatePersonRequest {
                person: Some(engineer("shangai", &shanghai_outlet.id, "Wang Wei")),
            })
            .await,
        "shangai",
        &DEMO_REGIONS,
    );
    faults.unknown_region(
        "ActivatePlugin for qindao",
        plugins
            .activate_plugin(acting(
                "hq:x",
                ActivatePluginRequest {
                    region: "qindao".into(),
                    slot: PluginSlot::Dispatch as i32,
                    name: "dispatch-balanced".into(),
                    version: "1.0.0".into(),
                    reason: "a typo".into(),
                    params: Vec::new(),
                },
            ))
            .await,
        "qindao",
        &DEMO_REGIONS,
    );
    faults.unknown_region(
        "GetRegionPlugins for qindao",
        plugins
            .get_region_plugins(GetRegionPluginsRequest {
                region: "qindao".into(),
            })
            .await,
        "qindao",
        &DEMO_REGIONS,
    );
    faults.unknown_region(
        "CloseMonth of shangai",
        MonthCloseServiceClient::new(server.channel().await)
            .close_month(acting(
                "hq:x",
                CloseMonthRequest {
                    region: "shangai".into(),
                    month: last_month(),
                    dry_run: false,
                },
            ))
            .await,
        "shangai",
        &DEMO_REGIONS,
    );

    // A stream may refuse at once or as its first item; either way no
    // event is coming, so a stream still open after a while is a failure.
    let watch = orders
        .watch_orders(WatchOrdersRequest {
            region: "shangai".into(),
            ..WatchOrdersRequest::default()
        })
        .await;
    match watch {
        Ok(stream) => {
            match tokio::time::timeout(Duration::from_secs(3), stream.into_inner().message()).await
            {
                Err(_) => faults.add(
                    "WatchOrders of shangai",
                    "the stream stayed open 3 s without an answer, wanted NOT_FOUND",
                ),
                Ok(first) => {
                    faults.unknown_region("WatchOrders of shangai", first, "shangai", &DEMO_REGIONS)
                }
            }
        }
        Err(status) => faults.unknown_region(
            "WatchOrders of shangai",
            Err::<(), _>(status),
            "shangai",
            &DEMO_REGIONS,
        ),
    }

    // The known ones still answer.
    for region in DEMO_REGIONS {
        faults.ok(
            &format!("GetRegionPlugins for {region}"),
            plugins
                .get_region_plugins(GetRegionPluginsRequest {
                    region: region.into(),
                })
                .await,
        );
    }
    faults.finish();
    server.stop().await;
}

#[tokio::test]
async fn a_region_declared_in_the_config_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_config(Config {
        data_dir: dir.path().to_owned(),
        regions: BTreeMap::from([("hangzhou".to_owned(), RegionConfig::default())]),
        ..Config::default()
    })
    .await;
    let mut plugins = server.plugins().await;
    let mut faults = Faults::default();

    faults.ok(
        "GetRegionPlugins for hangzhou, declared, no outlets",
        plugins
            .get_region_plugins(GetRegionPluginsRequest {
                region: "hangzhou".into(),
            })
            .await,
    );
    faults.ok(
        "ListOutlets in hangzhou, declared, no outlets",
        server
            .outlets()
            .await
            .list_outlets(ListOutletsRequest {
                region: "hangzhou".into(),
                ..ListOutletsRequest::default()
            })
            .await,
    );
    faults.unknown_region(
        "GetRegionPlugins for suzhou, undeclared",
        plugins
            .get_region_plugins(GetRegionPluginsRequest {
                region: "suzhou".into(),
            })
            .await,
        "suzhou",
        &["hangzhou"],
    );
    faults.finish();
    server.stop().await;
}

#[tokio::test]
async fn a_regional_centre_brings_its_region_into_being() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut outlets = server.outlets().await;
    let mut plugins = server.plugins().await;
    let mut faults = Faults::default();
    let list_wuhan = || ListOutletsRequest {
        region: "wuhan".into(),
        ..ListOutletsRequest::default()
    };

    faults.unknown_region(
        "ListOutlets in wuhan, before its first outlet",
        outlets.list_outlets(list_wuhan()).await,
        "wuhan",
        &[],
    );
    let centre = faults.ok(
        "CreateOutlet, wuhan's regional centre",
        outlets
            .create_outlet(CreateOutletRequest {
                outlet: Some(regional_centre("wuhan", "RC-1")),
            })
            .await,
    );
    if let Some(centre) = centre {
        let centre = centre.into_inner();
        match faults.ok(
            "ListOutlets in wuhan, after its first outlet",
            outlets.list_outlets(list_wuhan()).await,
        ) {
            Some(listed) if listed.get_ref().outlets != [centre.clone()] => faults.add(
                "ListOutlets in wuhan, after its first outlet",
                format!("listed {:?}, wanted the centre", listed.get_ref().outlets),
            ),
            _ => {}
        }
    }
    faults.ok(
        "GetRegionPlugins for wuhan, after its first outlet",
        plugins
            .get_region_plugins(GetRegionPluginsRequest {
                region: "wuhan".into(),
            })
            .await,
    );
    faults.unknown_region(
        "GetRegionPlugins for suzhou, no outlet",
        plugins
            .get_region_plugins(GetRegionPluginsRequest {
                region: "suzhou".into(),
            })
            .await,
        "suzhou",
        &["wuhan"],
    );
    faults.finish();
    server.stop().await;
}
