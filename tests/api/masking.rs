//! Customers' personal data (PIPL), role by role, as the policy says: an
//! order's customer phone, address and location are in full only for the
//! call centre of the order's region, and for the order's own outlet and
//! engineer while it is open; everyone else sees `139****5678`, the first
//! six characters of the address and `****`, the location to 2 decimals.
//! A warranty contract's phone is in full only for the call centre of its
//! region.

use prost_types::Timestamp;
use tonic::Code;
use xingji_api::google::r#type::Date;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::{date_from_days, today};
use xingji_tests::{TestServer, unique, with_token};

use crate::fixtures::{create_person, engineer, network, repair};
use crate::principals::{Principal, denial, principal};

const PHONE: &str = "13912345678";
const MASKED_PHONE: &str = "139****5678";
/// Thirteen characters: the masked form keeps the first six.
const ADDRESS: &str = "上海市徐汇区漕溪北路88号";
const MASKED_ADDRESS: &str = "上海市徐汇区****";
const SPOT: GeoPoint = GeoPoint {
    lat: 31.188_512,
    lon: 121.436_487,
};
const BLURRED_SPOT: GeoPoint = GeoPoint {
    lat: 31.19,
    lon: 121.44,
};

/// A customer of shanghai near the star centre of `network`.
fn customer(phone: &str, address: &str) -> Customer {
    Customer {
        name: "Li Na".into(),
        phone: phone.into(),
        address: address.into(),
        location: Some(SPOT),
        vip: false,
    }
}

fn in_hours(hours: i64) -> Timestamp {
    let mut time = Timestamp::from(std::time::SystemTime::now());
    time.seconds += hours * 3600;
    time
}

/// How a customer must look to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Full,
    Masked,
}

/// What differs between `customer` and how `view` shows the one of
/// [`customer`]`(PHONE, ADDRESS)`; empty if nothing.
fn differences(customer: Option<&Customer>, view: View) -> Vec<String> {
    let Some(customer) = customer else {
        return vec!["no customer".to_owned()];
    };
    let (phone, address, spot) = match view {
        View::Full => (PHONE, ADDRESS, SPOT),
        View::Masked => (MASKED_PHONE, MASKED_ADDRESS, BLURRED_SPOT),
    };
    let mut wrong = Vec::new();
    if customer.phone != phone {
        wrong.push(format!("phone {:?}, not {phone:?}", customer.phone));
    }
    if customer.address != address {
        wrong.push(format!("address {:?}, not {address:?}", customer.address));
    }
    if customer.location != Some(spot) {
        wrong.push(format!("location {:?}, not {spot:?}", customer.location));
    }
    if customer.name != "Li Na" {
        wrong.push(format!("name {:?}: names are not masked", customer.name));
    }
    wrong
}

/// Shanghai with a star centre and its engineer, and the principals of
/// every role in shanghai (the outlet and engineer those two).
struct Shanghai {
    _dir: tempfile::TempDir,
    server: TestServer,
    principals: Vec<Principal>,
}

impl Shanghai {
    async fn new() -> Shanghai {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = TestServer::start(dir.path()).await;
        let (_, star) = network(&mut server.outlets().await, "shanghai").await;
        let person = create_person(
            &mut server.people().await,
            engineer("shanghai", &star.id, "Wang Wei"),
        )
        .await;
        let principals = vec![
            principal("hq", "boss", &[]),
            principal("regional-it", "it-sh", &["shanghai"]),
            principal("call-centre", "cc-sh", &["shanghai"]),
            principal("outlet", &star.id, &[]),
            principal("engineer", &person.id, &[]),
            principal("auditor", "aud-sh", &["shanghai"]),
            principal("partner", "crm-sh", &["shanghai"]),
        ];
        Shanghai {
            _dir: dir,
            server,
            principals,
        }
    }

    fn who(&self, role: &str) -> &Principal {
        self.principals
            .iter()
            .find(|p| p.role == role)
            .unwrap_or_else(|| panic!("no {role}"))
    }

    async fn orders(&self) -> OrderServiceClient<tonic::transport::Channel> {
        OrderServiceClient::new(self.server.bare_channel().await)
    }

    /// A new order of `customer`, dispatched on intake to the star centre
    /// and its engineer.
    async fn dispatched(&self, customer: Customer) -> Order {
        let mut order = repair("shanghai");
        order.customer = Some(customer);
        let order = self
            .server
            .orders()
            .await
            .create_order(CreateOrderRequest {
                request_id: unique("mask"),
                order: Some(order),
            })
            .await
            .expect("create")
            .into_inner();
        assert_eq!(order.status, OrderStatus::Dispatched as i32, "{order:?}");
        order
    }

    /// Takes `order` to COMPLETED as its own outlet and engineer; returns
    /// what the engineer's CompleteOrder answered.
    async fn complete(&self, order: &Order) -> Order {
        let mut orders = self.orders().await;
        let outlet = &self.who("outlet").token;
        let engineer = &self.who("engineer").token;
        let id = || order.id.clone();
        orders
            .accept_order(with_token(
                outlet,
                AcceptOrderRequest {
                    id: id(),
                    version: 0,
                },
            ))
            .await
            .expect("accept");
        orders
            .contact_customer(with_token(
                engineer,
                ContactCustomerRequest {
                    id: id(),
                    version: 0,
                    appointment_time: Some(in_hours(20)),
                    note: String::new(),
                },
            ))
            .await
            .expect("contact");
        orders
            .arrive_on_site(with_token(
                engineer,
                ArriveOnSiteRequest {
                    id: id(),
                    version: 0,
                },
            ))
            .await
            .expect("arrive");
        let report = ServiceReport {
            diagnosis: "thermostat stuck".into(),
            work_done: "replaced the thermostat".into(),
            ..ServiceReport::default()
        };
        orders
            .complete_order(with_token(
                engineer,
                CompleteOrderRequest {
                    id: id(),
                    version: 0,
                    report: Some(report),
                },
            ))
            .await
            .expect("complete")
            .into_inner()
    }

    /// Takes a completed `order` through quality control as the call
    /// centre.
    async fn quality_check(&self, order: &Order) {
        let mut orders = self.orders().await;
        let call_centre = &self.who("call-centre").token;
        orders
            .record_callback(with_token(
                call_centre,
                RecordCallbackRequest {
                    id: order.id.clone(),
                    version: 0,
                    callback: Some(Callback {
                        reached: true,
                        satisfied: true,
                        ..Callback::default()
                    }),
                },
            ))
            .await
            .expect("callback");
        let checked = orders
            .check_quality(with_token(
                call_centre,
                CheckQualityRequest {
                    id: order.id.clone(),
                    version: 0,
                    old_part_returned: false,
                    finding: String::new(),
                    finding_agreed: true,
                },
            ))
            .await
            .expect("quality check")
            .into_inner();
        assert_eq!(checked.status, OrderStatus::QualityChecked as i32);
    }

    /// What each role sees of `order` by GetOrder and by ListOrders, against
    /// `views` (by role; `None`: may not read orders at all). Returns the
    /// differences.
    async fn check(&self, order: &Order, views: &[(&str, Option<View>)]) -> Vec<String> {
        let mut wrong = Vec::new();
        let mut orders = self.orders().await;
        for (role, view) in views {
            let who = self.who(role);
            let got = orders
                .get_order(with_token(
                    &who.token,
                    GetOrderRequest {
                        id: order.id.clone(),
                    },
                ))
                .await;
            let listed = orders
                .list_orders(with_token(
                    &who.token,
                    ListOrdersRequest {
                        region: "shanghai".into(),
                        page_size: 1000,
                        ..ListOrdersRequest::default()
                    },
                ))
                .await;
            let status = order.status().as_str_name();
            let Some(view) = view else {
                for (rpc, denied) in [
                    ("GetOrder", got.err().map(|s| denial(&s).is_ok())),
                    ("ListOrders", listed.err().map(|s| denial(&s).is_ok())),
                ] {
                    if denied != Some(true) {
                        wrong.push(format!("{role} {rpc} {status}: not denied"));
                    }
                }
                continue;
            };
            match got {
                Ok(got) => {
                    for difference in differences(got.get_ref().customer.as_ref(), *view) {
                        wrong.push(format!("{role} GetOrder {status}: {difference}"));
                    }
                }
                Err(status) => wrong.push(format!("{role} GetOrder: {status:?}")),
            }
            match listed {
                Ok(listed) => {
                    let listed = listed.into_inner().orders;
                    match listed.iter().find(|o| o.id == order.id) {
                        Some(found) => {
                            for difference in differences(found.customer.as_ref(), *view) {
                                wrong.push(format!("{role} ListOrders {status}: {difference}"));
                            }
                        }
                        None => wrong.push(format!("{role} ListOrders: the order is not listed")),
                    }
                }
                Err(status) => wrong.push(format!("{role} ListOrders: {status:?}")),
            }
        }
        wrong
    }
}

#[tokio::test]
async fn each_role_sees_a_customer_in_full_or_masked_as_the_policy_says() {
    let shanghai = Shanghai::new().await;
    let open = shanghai.dispatched(customer(PHONE, ADDRESS)).await;
    let done = shanghai.dispatched(customer(PHONE, ADDRESS)).await;
    use View::*;
    // While open, its own outlet and engineer need the customer.
    let while_open = [
        ("hq", Some(Masked)),
        ("regional-it", Some(Masked)),
        ("call-centre", Some(Full)),
        ("outlet", Some(Full)),
        ("engineer", Some(Full)),
        ("auditor", None),
        ("partner", Some(Masked)),
    ];
    // Once it is not open, only the call centre does.
    let once_closed = [
        ("hq", Some(Masked)),
        ("regional-it", Some(Masked)),
        ("call-centre", Some(Full)),
        ("outlet", Some(Masked)),
        ("engineer", Some(Masked)),
        ("auditor", None),
        ("partner", Some(Masked)),
    ];
    let mut wrong = shanghai.check(&open, &while_open).await;
    wrong.extend(shanghai.check(&done, &while_open).await);

    let completed = shanghai.complete(&done).await;
    assert_eq!(completed.status, OrderStatus::Completed as i32);
    for difference in differences(completed.customer.as_ref(), Masked) {
        wrong.push(format!("the engineer's CompleteOrder answer: {difference}"));
    }
    wrong.extend(shanghai.check(&completed, &once_closed).await);
    shanghai.quality_check(&completed).await;
    let checked = Order {
        status: OrderStatus::QualityChecked as i32,
        ..completed
    };
    wrong.extend(shanghai.check(&checked, &once_closed).await);
    // The open order is as it was.
    wrong.extend(shanghai.check(&open, &while_open).await);
    shanghai.server.stop().await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_short_address_keeps_at_most_half_and_a_landline_its_ends() {
    // An address keeps its first six characters, and never more than half
    // of it: an address of eight keeps four, so a short one's street and
    // number stay hidden. A landline shows its first three and last four
    // digits.
    let shanghai = Shanghai::new().await;
    let order = shanghai
        .dispatched(customer("021-64871234", "徐汇区漕溪路9号"))
        .await;
    let seen = shanghai
        .orders()
        .await
        .get_order(with_token(
            &shanghai.who("hq").token,
            GetOrderRequest {
                id: order.id.clone(),
            },
        ))
        .await
        .expect("hq reads orders")
        .into_inner();
    shanghai.server.stop().await;
    let customer = seen.customer.expect("a customer");
    assert_eq!(
        (customer.phone.as_str(), customer.address.as_str()),
        ("021****1234", "徐汇区漕****")
    );
}

/// A fridge bought a year ago, which the Jiujiu plugin covers.
fn fridge() -> Appliance {
    let bought: Date = date_from_days(today() - 365);
    Appliance {
        product_line: ProductLine::Refrigerator as i32,
        model: "BCD-458".into(),
        serial: unique("SN"),
        purchase_date: Some(bought),
        price_fen: 459_900,
    }
}

#[tokio::test]
async fn a_warranty_buyers_phone_is_in_full_only_for_the_call_centre() {
    let shanghai = Shanghai::new().await;
    let mut warranty = WarrantyServiceClient::new(shanghai.server.bare_channel().await);
    let buy = || PurchaseRequest {
        region: "shanghai".into(),
        request_id: unique("jj"),
        appliance: Some(fridge()),
        years: 2,
        customer_phone: PHONE.into(),
        sold_date: None,
    };
    let mut wrong = Vec::new();
    let mut expect = |what: String, phone: &str, want: &str| {
        if phone != want {
            wrong.push(format!("{what}: {phone:?}, not {want:?}"));
        }
    };
    let by_call_centre = warranty
        .purchase(with_token(&shanghai.who("call-centre").token, buy()))
        .await
        .expect("the call centre sells")
        .into_inner();
    expect(
        "call-centre Purchase".into(),
        &by_call_centre.customer_phone,
        PHONE,
    );
    for seller in ["hq", "outlet"] {
        let sold = warranty
            .purchase(with_token(&shanghai.who(seller).token, buy()))
            .await
            .unwrap_or_else(|s| panic!("{seller} sells: {s:?}"))
            .into_inner();
        expect(
            format!("{seller} Purchase"),
            &sold.customer_phone,
            MASKED_PHONE,
        );
    }
    for (role, want) in [
        ("call-centre", PHONE),
        ("hq", MASKED_PHONE),
        ("regional-it", MASKED_PHONE),
    ] {
        let token = &shanghai.who(role).token;
        let got = warranty
            .get_contract(with_token(
                token,
                GetContractRequest {
                    region: "shanghai".into(),
                    id: by_call_centre.id.clone(),
                },
            ))
            .await
            .unwrap_or_else(|s| panic!("{role} reads contracts: {s:?}"))
            .into_inner();
        expect(format!("{role} GetContract"), &got.customer_phone, want);
        let listed = warranty
            .list_contracts(with_token(
                token,
                ListContractsRequest {
                    region: "shanghai".into(),
                    ..ListContractsRequest::default()
                },
            ))
            .await
            .unwrap_or_else(|s| panic!("{role} lists contracts: {s:?}"))
            .into_inner();
        assert_eq!(listed.contracts.len(), 3);
        for contract in listed.contracts {
            expect(
                format!("{role} ListContracts"),
                &contract.customer_phone,
                want,
            );
        }
    }
    // The outlet sells, but does not read contracts.
    let refused = warranty
        .get_contract(with_token(
            &shanghai.who("outlet").token,
            GetContractRequest {
                region: "shanghai".into(),
                id: by_call_centre.id.clone(),
            },
        ))
        .await
        .expect_err("an outlet does not read contracts");
    assert_eq!(refused.code(), Code::PermissionDenied);
    shanghai.server.stop().await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
