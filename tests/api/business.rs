//! The business plugins through their services: the Jiujiu warranty (and
//! its cover at completion), birthday campaigns and rural tours, each with
//! the default plugin the kernel embeds.

use prost_types::Timestamp;
use tonic::Code;
use xingji_api::google::r#type::Date;
use xingji_api::v1::campaign_service_client::CampaignServiceClient;
use xingji_api::v1::tour_service_client::TourServiceClient;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::{date_from_days, today};
use xingji_tests::{TestServer, acting, bad_fields, precondition_failures, unique};

use crate::fixtures::{create_outlet, create_person, engineer, network, repair, star_centre};

/// The day `days` from today (China Standard Time).
fn day(days: i64) -> Date {
    date_from_days(today() + days)
}

/// The same day of the month `years` before `date` (28 February for a 29th).
fn years_before(date: Date, years: i32) -> Date {
    let day = if date.month == 2 && date.day == 29 {
        28
    } else {
        date.day
    };
    Date {
        year: date.year - years,
        day,
        ..date
    }
}

fn fridge(serial: &str, bought: Date) -> Appliance {
    Appliance {
        product_line: ProductLine::Refrigerator as i32,
        model: "BCD-458".into(),
        serial: serial.into(),
        purchase_date: Some(bought),
        price_fen: 459_900,
    }
}

#[tokio::test]
async fn jiujiu_is_quoted_sold_listed_and_covers_a_repair() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (_, star) = network(&mut server.outlets().await, "shanghai").await;
    create_person(
        &mut server.people().await,
        engineer("shanghai", &star.id, "Wang Wei"),
    )
    .await;
    let mut warranty = WarrantyServiceClient::new(server.channel().await);

    let young = fridge("SH-YOUNG", years_before(day(0), 1));
    let plans = warranty
        .quote(QuoteRequest {
            region: "shanghai".into(),
            appliance: Some(young.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plans.plugin, "warranty-jiujiu@1.0.0");
    let years: Vec<i32> = plans.plans.iter().map(|p| p.years).collect();
    assert_eq!(years, [1, 2, 3]);
    assert!(
        plans
            .plans
            .windows(2)
            .all(|w| w[0].price_fen < w[1].price_fen)
    );

    let old = fridge("SH-OLD", years_before(day(0), 5));
    let refused = warranty
        .quote(QuoteRequest {
            region: "shanghai".into(),
            appliance: Some(old),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&refused)[0].0, "NOT_OFFERED");
    let bad = warranty
        .quote(QuoteRequest {
            region: "shanghai".into(),
            appliance: Some(Appliance {
                price_fen: 0,
                serial: String::new(),
                ..young.clone()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&bad),
        ["appliance.price_fen", "appliance.serial"]
    );

    let buy = |request_id: &str, appliance: Appliance, sold: Option<Date>| PurchaseRequest {
        region: "shanghai".into(),
        request_id: request_id.into(),
        appliance: Some(appliance),
        years: 2,
        customer_phone: "13912345678".into(),
        sold_date: sold,
    };
    let sold = warranty
        .purchase(buy("jj-1", young.clone(), None))
        .await
        .unwrap()
        .into_inner();
    let again = warranty
        .purchase(buy("jj-1", young.clone(), None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, sold, "a retry returns the same contract");
    assert_eq!(sold.years, 2);
    assert_eq!(sold.price_fen, plans.plans[1].price_fen);
    assert_eq!(
        sold.start_date,
        Some(years_before(day(0), -2)),
        "cover starts when the maker's 3 years end"
    );

    // A contract sold in a shop 1 year after purchase, recorded now, for a
    // fridge bought three and a half years ago: it covers today.
    let bought = date_from_days(today() - 3 * 365 - 180);
    let shop_sale = date_from_days(today() - 2 * 365 - 180);
    let covering = warranty
        .purchase(buy("jj-2", fridge("SH-COVERED", bought), Some(shop_sale)))
        .await
        .unwrap()
        .into_inner();
    let listed = warranty
        .list_contracts(ListContractsRequest {
            region: "shanghai".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.contracts, std::slice::from_ref(&sold));
    let rest = warranty
        .list_contracts(ListContractsRequest {
            region: "shanghai".into(),
            page_size: 1,
            page_token: listed.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.contracts, std::slice::from_ref(&covering));

    // A repair of the covered fridge is free, and counts on the contract.
    let mut orders = server.orders().await;
    let order = orders
        .create_order(CreateOrderRequest {
            request_id: unique("req"),
            order: Some(Order {
                appliance: Some(fridge("SH-COVERED", bought)),
                ..repair("shanghai")
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.status, OrderStatus::Dispatched as i32);
    let engineer = format!("engineer:{}", order.engineer_id);
    orders
        .accept_order(acting(
            &engineer,
            AcceptOrderRequest {
                id: order.id.clone(),
                version: 0,
            },
        ))
        .await
        .unwrap();
    orders
        .contact_customer(acting(
            &engineer,
            ContactCustomerRequest {
                id: order.id.clone(),
                version: 0,
                appointment_time: Some(Timestamp {
                    seconds: Timestamp::from(std::time::SystemTime::now()).seconds + 3600,
                    nanos: 0,
                }),
                note: String::new(),
            },
        ))
        .await
        .unwrap();
    orders
        .arrive_on_site(acting(
            &engineer,
            ArriveOnSiteRequest {
                id: order.id.clone(),
                version: 0,
            },
        ))
        .await
        .unwrap();
    let complete = |charge_fen| CompleteOrderRequest {
        id: order.id.clone(),
        version: 0,
        report: Some(ServiceReport {
            diagnosis: "thermostat".into(),
            work_done: "replaced".into(),
            charge_fen,
            ..ServiceReport::default()
        }),
    };
    let charged = orders
        .complete_order(acting(&engineer, complete(12_000)))
        .await
        .unwrap_err();
    assert_eq!(precondition_failures(&charged)[0].0, "WARRANTY");
    assert!(
        charged.message().contains(&covering.id),
        "{}",
        charged.message()
    );
    let done = orders
        .complete_order(acting(&engineer, complete(0)))
        .await
        .unwrap()
        .into_inner();
    let report = done.service_report.unwrap();
    assert!(report.warranty_covered && !report.in_warranty);
    let claimed = warranty
        .get_contract(GetContractRequest {
            region: "shanghai".into(),
            id: covering.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(claimed.claims, 1, "the refused try did not count");
    let missing = warranty
        .get_contract(GetContractRequest {
            region: "shanghai".into(),
            id: "JJ-999999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_birthday_campaign_finds_the_anniversaries_and_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    network(&mut server.outlets().await, "shanghai").await;
    let mut orders = server.orders().await;
    let in_window = day(5);
    let install = |serial: &str, line: ProductLine, bought: Date, vip: bool| {
        let mut order = repair("shanghai");
        order.kind = OrderKind::Installation as i32;
        order.customer.as_mut().unwrap().vip = vip;
        order.appliance = Some(Appliance {
            product_line: line as i32,
            serial: serial.into(),
            purchase_date: Some(bought),
            ..fridge(serial, bought)
        });
        CreateOrderRequest {
            request_id: unique("req"),
            order: Some(order),
        }
    };
    let due = [
        ("TV-3", ProductLine::Tv, years_before(in_window, 3), false),
        (
            "FRIDGE-5",
            ProductLine::Refrigerator,
            years_before(in_window, 5),
            false,
        ),
        (
            "FLAT-1",
            ProductLine::FlatPanelTv,
            years_before(in_window, 1),
            false,
        ),
        (
            "VIP-2",
            ProductLine::Refrigerator,
            years_before(in_window, 2),
            true,
        ),
    ];
    let not_due = [
        ("TV-2", ProductLine::Tv, years_before(in_window, 2), false),
        (
            "FRIDGE-4",
            ProductLine::Refrigerator,
            years_before(in_window, 4),
            false,
        ),
        (
            "LATER",
            ProductLine::Refrigerator,
            years_before(day(60), 5),
            false,
        ),
    ];
    for (serial, line, bought, vip) in due.iter().chain(&not_due) {
        orders
            .create_order(install(serial, *line, *bought, *vip))
            .await
            .unwrap();
    }

    let mut campaigns = CampaignServiceClient::new(server.channel().await);
    let run = |dry_run| {
        acting(
            "call-centre:07",
            RunBirthdayCampaignRequest {
                region: "shanghai".into(),
                from: Some(day(0)),
                to: Some(day(30)),
                dry_run,
            },
        )
    };
    let dry = campaigns
        .run_birthday_campaign(run(true))
        .await
        .unwrap()
        .into_inner();
    let mut serials: Vec<&str> = dry.visits.iter().map(|v| v.serial.as_str()).collect();
    serials.sort();
    assert_eq!(serials, ["FLAT-1", "FRIDGE-5", "TV-3", "VIP-2"]);
    assert!(
        dry.visits
            .iter()
            .all(|v| v.order_id.is_empty() && v.birthday == Some(in_window))
    );
    assert_eq!(dry.created, 0);
    assert!(
        birthday_visits(&server).await.is_empty(),
        "a dry run creates nothing"
    );

    let first = campaigns
        .run_birthday_campaign(run(false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.created, 4);
    let made = birthday_visits(&server).await;
    assert_eq!(made.len(), 4);
    for order in &made {
        assert_eq!(order.history[0].actor, "plugin:xingji/campaign-birthday");
        assert!(
            order.history.len() >= 2,
            "dispatched on intake like any new order: {:?}",
            order.history
        );
    }
    let second = campaigns
        .run_birthday_campaign(run(false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        second.created, 0,
        "the same window twice creates nothing new"
    );
    assert_eq!(birthday_visits(&server).await.len(), 4);
    let ids = |r: &RunBirthdayCampaignResponse| {
        let mut ids: Vec<String> = r.visits.iter().map(|v| v.order_id.clone()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&first), ids(&second));

    let too_long = campaigns
        .run_birthday_campaign(acting(
            "hq:ops",
            RunBirthdayCampaignRequest {
                region: "shanghai".into(),
                from: Some(day(0)),
                to: Some(day(400)),
                dry_run: true,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&too_long), ["to"]);
    server.stop().await;
}

#[tokio::test]
async fn a_tour_day_is_planned_checked_and_dispatched() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (centre, _) = network(&mut server.outlets().await, "rural").await;
    let depot = GeoPoint {
        lat: 36.0,
        lon: 117.0,
    };
    let township = create_outlet(
        &mut server.outlets().await,
        Outlet {
            location: Some(depot),
            ..star_centre("rural", "SC-TOWN", &centre.id)
        },
    )
    .await;
    let mut people = server.people().await;
    for name in ["Li Lei", "Han Meimei"] {
        create_person(&mut people, engineer("rural", &township.id, name)).await;
    }
    // Tour visits around the township, 5 to 25 km out; one too far to tour.
    let mut orders = server.orders().await;
    let mut ids = Vec::new();
    for (i, (dlat, dlon)) in [
        (0.05, 0.0),
        (0.1, 0.05),
        (-0.08, 0.1),
        (0.15, -0.1),
        (-0.2, -0.05),
        (0.02, 0.2),
        (3.0, 3.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut order = repair("rural");
        order.kind = OrderKind::TourVisit as i32;
        order.customer.as_mut().unwrap().location = Some(GeoPoint {
            lat: depot.lat + dlat,
            lon: depot.lon + dlon,
        });
        order.tour = Some(TourNeeds {
            service_minutes: 40,
            demand: 1 + (i as i32 % 2),
            ..TourNeeds::default()
        });
        let created = orders
            .create_order(CreateOrderRequest {
                request_id: unique("tour"),
                order: Some(order),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            created.status,
            OrderStatus::Intake as i32,
            "tour visits wait for a tour"
        );
        ids.push(created.id);
    }
    let far = ids.pop().unwrap();

    let mut tours = TourServiceClient::new(server.channel().await);
    let plan = |dry_run| {
        acting(
            "call-centre:07",
            PlanToursRequest {
                region: "rural".into(),
                outlet_id: township.id.clone(),
                dates: vec![day(1), day(2)],
                vehicles: Some(Vehicles {
                    count: 2,
                    capacity: 10,
                    speed_kmh: 40.0,
                    shift_start_minute: 8 * 60,
                    shift_end_minute: 17 * 60,
                }),
                dry_run,
            },
        )
    };
    let dry = tours.plan_tours(plan(true)).await.unwrap().into_inner();
    assert_eq!(dry.plugin, "tour-vrptw@1.0.0");
    let mut planned: Vec<&str> = dry
        .itineraries
        .iter()
        .flat_map(|i| i.stops.iter().map(|s| s.order_id.as_str()))
        .collect();
    planned.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(planned, expected, "every visit in reach, once");
    assert!(dry.unassigned_order_ids.is_empty());
    assert!(
        !dry.itineraries
            .iter()
            .flat_map(|i| &i.stops)
            .any(|s| s.order_id == far)
    );
    assert_eq!(
        dry.itineraries.len(),
        1,
        "one vehicle is enough for six visits"
    );

    let done = tours.plan_tours(plan(false)).await.unwrap().into_inner();
    let itinerary = &done.itineraries[0];
    for stop in &itinerary.stops {
        let order = orders
            .get_order(GetOrderRequest {
                id: stop.order_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(order.status, OrderStatus::Dispatched as i32);
        assert_eq!(order.outlet_id, township.id);
        assert_eq!(order.engineer_id, itinerary.engineer_id);
        assert_eq!(order.appointment_time, stop.start_time);
    }
    let again = tours.plan_tours(plan(true)).await.unwrap().into_inner();
    assert!(again.itineraries.is_empty(), "nothing left to tour");
    server.stop().await;
}

async fn birthday_visits(server: &TestServer) -> Vec<Order> {
    server
        .orders()
        .await
        .list_orders(ListOrdersRequest {
            region: "shanghai".into(),
            kind: OrderKind::BirthdayVisit as i32,
            ..ListOrdersRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders
}
