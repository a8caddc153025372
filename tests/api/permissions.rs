//! The access policy of issue 12 (`briefs/authz-policy.md`) through gRPC:
//! every RPC of every service, called by every role, on a target of the
//! caller's own (its region; for an outlet its outlet, for an engineer the
//! orders assigned to them), of another region, with no region (lists and
//! the watch), and of a peer (another outlet and engineer of the same
//! region). What each call must do is [`POLICY`], written by hand from the
//! policy file — not from the kernel's table (`xingji_core::access`), so
//! that a wrong rule in the kernel fails here. Every mismatch is collected
//! and printed as one table, and the test fails once, at the end.
//!
//! "Allow" is any answer but PERMISSION_DENIED or UNAUTHENTICATED (the
//! requests are otherwise valid, so it is nearly always OK; other answers
//! are printed as notes). "Deny" is PERMISSION_DENIED with ErrorInfo reason
//! `PERMISSION_MISSING` naming the caller and the permission. A list with
//! no region must return nothing of another region (nor, to an outlet or
//! engineer, of another outlet or engineer).

use std::fmt::Write as _;
use std::time::Duration;

use prost_types::{FieldMask, Timestamp};
use tonic::transport::Channel as Bare;
use tonic::{Code, Request, Status};
use xingji_api::google::r#type::Date;
use xingji_api::v1::audit_service_client::AuditServiceClient;
use xingji_api::v1::campaign_service_client::CampaignServiceClient;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::tour_service_client::TourServiceClient;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;
use xingji_core::calendar::{Month, date_from_days, today};
use xingji_tests::{Channel, TestServer, built_plugin, unique, with_token};

use crate::fixtures::{
    create_outlet, create_person, engineer, regional_centre, repair, star_centre,
};
use crate::principals::{Principal, denial, principal};

/// What a call must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Allow,
    Deny,
    /// The cell does not apply (the RPC has no such target).
    NotApplicable,
}

/// What a call is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The caller's own: a record of shanghai, where the region roles act;
    /// the outlet's own outlet, people and orders; the engineer's orders.
    Own,
    /// A record of beijing, where none of them acts.
    Other,
    /// No region: a list or watch that names none.
    NoRegion,
    /// Another outlet's, and another engineer's, record of shanghai.
    Peer,
}

const TARGETS: [Target; 4] = [Target::Own, Target::Other, Target::NoRegion, Target::Peer];

/// The roles, in the order of [`POLICY`]'s columns.
const ROLES: [&str; 7] = [
    "hq",
    "regional-it",
    "call-centre",
    "outlet",
    "engineer",
    "auditor",
    "partner",
];

/// Every RPC of the API, and a second way to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    GetOutlet,
    ListOutlets,
    ListAudits,
    GetPerson,
    ListPeople,
    ListLicenceEvents,
    GetOrder,
    ListOrders,
    WatchOrders,
    GetMonthClose,
    ListMonthCloses,
    GetContract,
    ListContracts,
    Quote,
    ListPlugins,
    GetRegionPlugins,
    ListActivations,
    GetPluginStats,
    ListAuditEvents,
    CreateOutlet,
    UpdateOutlet,
    RecordAudit,
    CreatePerson,
    UpdatePerson,
    RecordLicenceEvent,
    CreateOrder,
    DispatchOrder,
    AcceptOrder,
    RefuseOrder,
    ContactCustomer,
    ArriveOnSite,
    CompleteOrder,
    RecordCallback,
    CheckQuality,
    InvalidateOrder,
    AdvanceComplaint,
    /// CancelOrder on an order the caller created (a partner cancels only
    /// those); for everyone else an order like any other.
    CancelOrder,
    /// CancelOrder on an order headquarters created.
    CancelOrderCreatedByOther,
    CloseMonth,
    Purchase,
    RunBirthdayCampaign,
    PlanTours,
    InstallPlugin,
    UninstallPlugin,
    ActivatePlugin,
    RollbackPlugin,
    ResetPlugin,
    ShadowPlugin,
}

use Rpc::*;

/// The policy, by hand: each RPC, the permission a denial names, and for
/// each role (columns: hq, regional-it, call-centre, outlet, engineer,
/// auditor, partner) what a call on each target does, as four letters for
/// own, other region, no region, peer: `A` allowed, `D` denied, `-` no such
/// target. The partner is the harness's: orders.create, orders.read,
/// orders.dispatch, orders.cancel, campaigns.run, month.close. Reads come
/// first; writes then act on records made for each call.
#[rustfmt::skip]
const POLICY: &[(Rpc, &str, [&str; 7])] = &[
    //                                        hq      reg-it  call-c  outlet  engin.  auditor partner
    (GetOutlet,           "network.read",     ["AA-A", "AD-A", "AD-A", "AD-D", "DD-D", "AD-A", "DD-D"]),
    (ListOutlets,         "network.read",     ["AAA-", "ADA-", "ADA-", "ADA-", "DDD-", "ADA-", "DDD-"]),
    (ListAudits,          "network.read",     ["AAAA", "ADAA", "ADAA", "ADAD", "DDDD", "ADAA", "DDDD"]),
    (GetPerson,           "network.read",     ["AA-A", "AD-A", "AD-A", "AD-D", "DD-D", "AD-A", "DD-D"]),
    (ListPeople,          "network.read",     ["AAAA", "ADAA", "ADAA", "ADAD", "DDDD", "ADAA", "DDDD"]),
    (ListLicenceEvents,   "network.read",     ["AA-A", "AD-A", "AD-A", "AD-D", "DD-D", "AD-A", "DD-D"]),
    (GetOrder,            "orders.read",      ["AA-A", "AD-A", "AD-A", "AD-D", "AD-D", "DD-D", "AD-A"]),
    (ListOrders,          "orders.read",      ["AAAA", "ADAA", "ADAA", "ADAD", "ADAD", "DDDD", "ADAA"]),
    // The watch has no engineer filter: an engineer naming an outlet sees
    // only its own orders of it, which the policy leaves open.
    (WatchOrders,         "orders.read",      ["AAAA", "ADAA", "ADAA", "ADAD", "ADA-", "DDDD", "ADAA"]),
    (GetMonthClose,       "month.read",       ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
    (ListMonthCloses,     "month.read",       ["AAA-", "ADA-", "DDD-", "DDD-", "DDD-", "DDD-", "DDD-"]),
    (GetContract,         "warranty.read",    ["AA--", "AD--", "AD--", "DD--", "DD--", "DD--", "DD--"]),
    (ListContracts,       "warranty.read",    ["AA--", "AD--", "AD--", "DD--", "DD--", "DD--", "DD--"]),
    (Quote,               "warranty.sell",    ["AA--", "DD--", "AD--", "AD--", "DD--", "DD--", "DD--"]),
    // The registry belongs to no region: its one target is "no region".
    (ListPlugins,         "plugins.read",     ["--A-", "--A-", "--D-", "--D-", "--D-", "--D-", "--D-"]),
    (GetRegionPlugins,    "plugins.read",     ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
    (ListActivations,     "plugins.read",     ["AAA-", "ADA-", "DDD-", "DDD-", "DDD-", "DDD-", "DDD-"]),
    (GetPluginStats,      "plugins.read",     ["AAA-", "ADA-", "DDD-", "DDD-", "DDD-", "DDD-", "DDD-"]),
    (ListAuditEvents,     "audit-trail.read", ["AAA-", "ADA-", "DDD-", "DDD-", "DDD-", "DDD-", "DDD-"]),
    (CreateOutlet,        "outlets.write",    ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
    (UpdateOutlet,        "outlets.write",    ["AA-A", "AD-A", "DD-D", "DD-D", "DD-D", "DD-D", "DD-D"]),
    (RecordAudit,         "audits.record",    ["AA-A", "DD-D", "DD-D", "DD-D", "DD-D", "AD-A", "DD-D"]),
    (CreatePerson,        "people.write",     ["AA-A", "AD-A", "DD-D", "AD-D", "DD-D", "DD-D", "DD-D"]),
    (UpdatePerson,        "people.write",     ["AA-A", "AD-A", "DD-D", "AD-D", "DD-D", "DD-D", "DD-D"]),
    (RecordLicenceEvent,  "licence.record",   ["AA-A", "DD-D", "AD-A", "AD-D", "DD-D", "DD-D", "DD-D"]),
    (CreateOrder,         "orders.create",    ["AA--", "DD--", "AD--", "DD--", "DD--", "DD--", "AD--"]),
    (DispatchOrder,       "orders.dispatch",  ["AA-A", "DD-D", "AD-A", "DD-D", "DD-D", "DD-D", "AD-A"]),
    (AcceptOrder,         "orders.work",      ["AA-A", "DD-D", "DD-D", "AD-D", "AD-D", "DD-D", "DD-D"]),
    (RefuseOrder,         "orders.work",      ["AA-A", "DD-D", "DD-D", "AD-D", "AD-D", "DD-D", "DD-D"]),
    (ContactCustomer,     "orders.work",      ["AA-A", "DD-D", "DD-D", "AD-D", "AD-D", "DD-D", "DD-D"]),
    (ArriveOnSite,        "orders.arrive",    ["AA-A", "DD-D", "DD-D", "DD-D", "AD-D", "DD-D", "DD-D"]),
    (CompleteOrder,       "orders.work",      ["AA-A", "DD-D", "DD-D", "AD-D", "AD-D", "DD-D", "DD-D"]),
    (RecordCallback,      "orders.follow-up", ["AA-A", "DD-D", "AD-A", "DD-D", "DD-D", "DD-D", "DD-D"]),
    (CheckQuality,        "orders.follow-up", ["AA-A", "DD-D", "AD-A", "DD-D", "DD-D", "DD-D", "DD-D"]),
    (InvalidateOrder,     "orders.follow-up", ["AA-A", "DD-D", "AD-A", "DD-D", "DD-D", "DD-D", "DD-D"]),
    (AdvanceComplaint,    "orders.follow-up", ["AA-A", "DD-D", "AD-A", "DD-D", "DD-D", "DD-D", "DD-D"]),
    (CancelOrder,         "orders.cancel",    ["AA-A", "DD-D", "AD-A", "DD-D", "DD-D", "DD-D", "AD-A"]),
    (CancelOrderCreatedByOther, "orders.cancel", ["A---", "D---", "A---", "D---", "D---", "D---", "D---"]),
    (CloseMonth,          "month.close",      ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "AD--"]),
    (Purchase,            "warranty.sell",    ["AA--", "DD--", "AD--", "AD--", "DD--", "DD--", "DD--"]),
    (RunBirthdayCampaign, "campaigns.run",    ["AA--", "DD--", "AD--", "DD--", "DD--", "DD--", "AD--"]),
    (PlanTours,           "tours.plan",       ["AA-A", "DD-D", "AD-A", "AD-D", "DD-D", "DD-D", "DD-D"]),
    (InstallPlugin,       "plugins.install",  ["--A-", "--D-", "--D-", "--D-", "--D-", "--D-", "--D-"]),
    (UninstallPlugin,     "plugins.install",  ["--A-", "--D-", "--D-", "--D-", "--D-", "--D-", "--D-"]),
    (ActivatePlugin,      "plugins.activate", ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
    (RollbackPlugin,      "plugins.activate", ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
    (ResetPlugin,         "plugins.activate", ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
    (ShadowPlugin,        "plugins.activate", ["AA--", "AD--", "DD--", "DD--", "DD--", "DD--", "DD--"]),
];

/// The cell of `role` (a column) for `target`.
fn want(cells: &[&str; 7], role: usize, target: Target) -> Want {
    let at = TARGETS.iter().position(|t| *t == target).unwrap_or(0);
    match cells[role].as_bytes().get(at) {
        Some(b'A') => Want::Allow,
        Some(b'D') => Want::Deny,
        Some(b'-') => Want::NotApplicable,
        other => panic!("a malformed POLICY cell {:?} ({other:?})", cells[role]),
    }
}

/// Where a target's records are: a star centre with one engineer on duty,
/// and where its customers live (the only outlet in their reach, so that
/// dispatch sends their orders to it).
struct Site {
    region: String,
    centre: Outlet,
    star: Outlet,
    engineer: Person,
    near: GeoPoint,
    /// A dispatched order of the site, for the reads.
    order: Order,
    /// A warranty contract of the site's region.
    contract: String,
}

/// The server, its records and the principals: shanghai's own site and a
/// peer site 55 km away, beijing's site.
struct World {
    _dir: tempfile::TempDir,
    server: TestServer,
    /// Headquarters' channel, for setting records up.
    hq: Channel,
    /// A channel without a credential: each call brings its own token.
    bare: Bare,
    own: Site,
    peer: Site,
    other: Site,
    /// By [`ROLES`].
    principals: Vec<Principal>,
    /// Closed in shanghai and beijing before the rows run.
    closed_month: String,
    /// Ended, not closed: dry runs close it.
    open_month: String,
}

/// What a list or watch returned: the regions, outlets and engineers of its
/// records (outlets and engineers only where they scope an outlet's or an
/// engineer's view).
#[derive(Debug, Default)]
struct Seen {
    regions: Vec<String>,
    outlets: Vec<String>,
    engineers: Vec<String>,
}

/// How far an order is taken before a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// In intake, its outlet and engineer given at creation.
    Intake,
    Dispatched,
    Accepted,
    Contacted,
    OnSite,
    Completed,
    /// Completed, and the customer reached and satisfied.
    Called,
}

fn point(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint { lat, lon }
}

fn in_hours(hours: i64) -> Timestamp {
    let mut time = Timestamp::from(std::time::SystemTime::now());
    time.seconds += hours * 3600;
    time
}

fn day(days: i64) -> Date {
    date_from_days(today() + days)
}

/// A fridge bought a year ago: the Jiujiu plugin offers it plans.
fn young_fridge() -> Appliance {
    let bought = day(-365);
    Appliance {
        product_line: ProductLine::Refrigerator as i32,
        model: "BCD-458".into(),
        serial: unique("SN"),
        purchase_date: Some(bought),
        price_fen: 459_900,
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A call's answer, reduced to what the table checks.
type Answer = Result<Seen, Status>;

fn seen_nothing<T>(result: Result<tonic::Response<T>, Status>) -> Answer {
    result.map(|_| Seen::default())
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = TestServer::start(dir.path()).await;
        let hq = server.channel().await;
        let bare = server.bare_channel().await;
        let mut outlets = OutletServiceClient::new(hq.clone());
        let mut people = PersonServiceClient::new(hq.clone());
        // No daily capacity (unlimited for the default dispatch plugin):
        // hundreds of orders go to each star centre.
        let star = |region: &str, number: &str, parent: &str, at: GeoPoint| Outlet {
            daily_capacity: 0,
            location: Some(at),
            ..star_centre(region, number, parent)
        };
        let here = point(31.23, 121.47);
        let north = point(31.73, 121.47);
        let sh_centre = create_outlet(&mut outlets, regional_centre("shanghai", "SH-RC")).await;
        let sh_star =
            create_outlet(&mut outlets, star("shanghai", "SH-1", &sh_centre.id, here)).await;
        let peer_star =
            create_outlet(&mut outlets, star("shanghai", "SH-2", &sh_centre.id, north)).await;
        let bj_centre = create_outlet(&mut outlets, regional_centre("beijing", "BJ-RC")).await;
        let bj_star =
            create_outlet(&mut outlets, star("beijing", "BJ-1", &bj_centre.id, here)).await;
        let site = |region: &str, centre: &Outlet, star: Outlet, engineer: Person, near| Site {
            region: region.to_owned(),
            centre: centre.clone(),
            star,
            engineer,
            near,
            order: Order::default(),
            contract: String::new(),
        };
        let sh_engineer =
            create_person(&mut people, engineer("shanghai", &sh_star.id, "Wang Wei")).await;
        let peer_engineer =
            create_person(&mut people, engineer("shanghai", &peer_star.id, "Zhao Lei")).await;
        let bj_engineer =
            create_person(&mut people, engineer("beijing", &bj_star.id, "Li Lei")).await;
        let principals = ROLES
            .iter()
            .map(|&role| match role {
                "hq" => principal("hq", "perm", &[]),
                "outlet" => principal("outlet", &sh_star.id, &[]),
                "engineer" => principal("engineer", &sh_engineer.id, &[]),
                _ => principal(role, &format!("{role}-sh"), &["shanghai"]),
            })
            .collect();
        let this_month = Month::containing(xingji_core::calendar::now().seconds);
        let mut world = World {
            _dir: dir,
            server,
            hq,
            bare,
            own: site(
                "shanghai",
                &sh_centre,
                sh_star,
                sh_engineer,
                point(31.22, 121.46),
            ),
            peer: site(
                "shanghai",
                &sh_centre,
                peer_star,
                peer_engineer,
                point(31.72, 121.46),
            ),
            other: site(
                "beijing",
                &bj_centre,
                bj_star,
                bj_engineer,
                point(31.22, 121.46),
            ),
            principals,
            closed_month: this_month.previous().previous().to_string(),
            open_month: this_month.previous().to_string(),
        };
        world.records().await;
        world
    }

    /// What the reads read: an order per site, a contract and a mystery
    /// audit per region, a closed month and plugin activations in both
    /// regions.
    async fn records(&mut self) {
        for target in [Target::Own, Target::Peer, Target::Other] {
            let order = self
                .order_at(self.site(target), Stage::Dispatched)
                .await
                .expect("a dispatched order");
            self.site_mut(target).order = order;
        }
        let mut warranty = WarrantyServiceClient::new(self.hq.clone());
        let mut outlets = OutletServiceClient::new(self.hq.clone());
        let mut months = MonthCloseServiceClient::new(self.hq.clone());
        let mut plugins = PluginServiceClient::new(self.hq.clone());
        for target in [Target::Own, Target::Other] {
            let region = self.site(target).region.clone();
            let contract = warranty
                .purchase(PurchaseRequest {
                    region: region.clone(),
                    request_id: unique("setup"),
                    appliance: Some(young_fridge()),
                    years: 2,
                    customer_phone: "13912345678".into(),
                    sold_date: None,
                })
                .await
                .expect("a contract")
                .into_inner();
            self.site_mut(target).contract = contract.id.clone();
            if target == Target::Own {
                self.peer.contract = contract.id;
            }
            months
                .close_month(CloseMonthRequest {
                    region: region.clone(),
                    month: self.closed_month.clone(),
                    dry_run: false,
                })
                .await
                .expect("a closed month");
            for rollback in [false, true] {
                if rollback {
                    plugins
                        .rollback_plugin(RollbackPluginRequest {
                            region: region.clone(),
                            slot: PluginSlot::Settlement as i32,
                            reason: "setup".into(),
                        })
                        .await
                        .expect("a rollback");
                } else {
                    plugins
                        .activate_plugin(ActivatePluginRequest {
                            region: region.clone(),
                            slot: PluginSlot::Settlement as i32,
                            name: "settlement-flat".into(),
                            version: "1.0.0".into(),
                            reason: "setup".into(),
                            params: Vec::new(),
                        })
                        .await
                        .expect("an activation");
                }
            }
        }
        for target in [Target::Own, Target::Peer, Target::Other] {
            outlets
                .record_audit(RecordAuditRequest {
                    audit: Some(self.audit_of(target)),
                })
                .await
                .expect("a mystery audit");
        }
    }

    fn site(&self, target: Target) -> &Site {
        match target {
            Target::Own => &self.own,
            Target::Peer => &self.peer,
            Target::Other => &self.other,
            Target::NoRegion => panic!("no site has no region"),
        }
    }

    fn site_mut(&mut self, target: Target) -> &mut Site {
        match target {
            Target::Own => &mut self.own,
            Target::Peer => &mut self.peer,
            Target::Other => &mut self.other,
            Target::NoRegion => panic!("no site has no region"),
        }
    }

    /// The region a request names for `target` (none for no region).
    fn region(&self, target: Target) -> String {
        match target {
            Target::NoRegion => String::new(),
            target => self.site(target).region.clone(),
        }
    }

    /// The star centre a filter names for `target` (none for no region).
    fn star_id(&self, target: Target) -> String {
        match target {
            Target::NoRegion => String::new(),
            target => self.site(target).star.id.clone(),
        }
    }

    fn engineer_id(&self, target: Target) -> String {
        match target {
            Target::NoRegion => String::new(),
            target => self.site(target).engineer.id.clone(),
        }
    }

    fn audit_of(&self, target: Target) -> Audit {
        Audit {
            outlet_id: self.site(target).star.id.clone(),
            visit_time: Some(in_hours(-2)),
            score: 85,
            findings: "clean counter, quick answer".into(),
            ..Audit::default()
        }
    }

    fn hq_orders(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.hq.clone())
    }

    /// A new repair order of a customer near `site`, made by headquarters
    /// or `by`; given the site's outlet and engineer at creation if
    /// `assigned` (then it waits in intake), else dispatched on intake.
    async fn create(
        &self,
        site: &Site,
        assigned: bool,
        by: Option<&Principal>,
    ) -> Result<Order, String> {
        let mut order = repair(&site.region);
        if let Some(customer) = order.customer.as_mut() {
            customer.location = Some(site.near);
        }
        if assigned {
            order.outlet_id.clone_from(&site.star.id);
            order.engineer_id.clone_from(&site.engineer.id);
        }
        let request = CreateOrderRequest {
            request_id: unique("perm"),
            order: Some(order),
        };
        let request = match by {
            Some(who) => with_token(&who.token, request),
            None => Request::new(request),
        };
        let who = by.map_or("hq", |p| p.name.as_str());
        self.hq_orders()
            .create_order(request)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| format!("setup: {who} could not create an order: {status:?}"))
    }

    /// A new order of `site`'s, taken by headquarters to `stage`.
    async fn order_at(&self, site: &Site, stage: Stage) -> Result<Order, String> {
        if stage == Stage::Intake {
            return self.create(site, true, None).await;
        }
        let order = self.create(site, false, None).await?;
        if order.status != OrderStatus::Dispatched as i32
            || order.outlet_id != site.star.id
            || order.engineer_id != site.engineer.id
        {
            return Err(format!(
                "setup: order {} was not dispatched to {} and {}: {:?}",
                order.id, site.star.id, site.engineer.id, order.history
            ));
        }
        let mut orders = self.hq_orders();
        let id = order.id.clone();
        let failed = |what: &str, status: Status| format!("setup: {what} {id}: {status:?}");
        if stage >= Stage::Accepted {
            let request = AcceptOrderRequest {
                id: id.clone(),
                version: 0,
            };
            orders
                .accept_order(request)
                .await
                .map_err(|s| failed("accept", s))?;
        }
        if stage >= Stage::Contacted {
            let request = ContactCustomerRequest {
                id: id.clone(),
                version: 0,
                appointment_time: Some(in_hours(20)),
                note: String::new(),
            };
            orders
                .contact_customer(request)
                .await
                .map_err(|s| failed("contact", s))?;
        }
        if stage >= Stage::OnSite {
            let request = ArriveOnSiteRequest {
                id: id.clone(),
                version: 0,
            };
            orders
                .arrive_on_site(request)
                .await
                .map_err(|s| failed("arrive", s))?;
        }
        if stage >= Stage::Completed {
            orders
                .complete_order(complete(&id))
                .await
                .map_err(|s| failed("complete", s))?;
        }
        if stage >= Stage::Called {
            orders
                .record_callback(callback(&id))
                .await
                .map_err(|s| failed("call back", s))?;
        }
        Ok(order)
    }

    /// A complaint about a new order of `site`'s, in intake.
    async fn complaint(&self, site: &Site) -> Result<Order, String> {
        let original = self.order_at(site, Stage::Dispatched).await?;
        let mut order = repair(&site.region);
        order.kind = OrderKind::Complaint as i32;
        if let Some(customer) = order.customer.as_mut() {
            customer.location = Some(site.near);
        }
        order.complaint = Some(Complaint {
            original_order_id: original.id,
            summary: "the engineer came a day late".into(),
            ..Complaint::default()
        });
        self.hq_orders()
            .create_order(CreateOrderRequest {
                request_id: unique("complaint"),
                order: Some(order),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| format!("setup: a complaint: {status:?}"))
    }

    /// Makes the call of the cell (`rpc`, `who`, `target`): `Err` if its
    /// records could not be set up.
    async fn call(&self, rpc: Rpc, who: &Principal, target: Target) -> Result<Answer, String> {
        macro_rules! req {
            ($message:expr) => {
                with_token(&who.token, $message)
            };
        }
        let bare = self.bare.clone();
        let region = self.region(target);
        let mut orders = OrderServiceClient::new(bare.clone());
        let mut outlets = OutletServiceClient::new(bare.clone());
        let mut people = PersonServiceClient::new(bare.clone());
        let mut months = MonthCloseServiceClient::new(bare.clone());
        let mut warranty = WarrantyServiceClient::new(bare.clone());
        let mut plugins = PluginServiceClient::new(bare.clone());
        // The order a write acts on, made for this call.
        let fresh = |stage| async move {
            let order = self.order_at(self.site(target), stage).await?;
            Ok::<String, String>(order.id)
        };
        Ok(match rpc {
            GetOutlet => seen_nothing(
                outlets
                    .get_outlet(req!(GetOutletRequest {
                        id: self.star_id(target),
                    }))
                    .await,
            ),
            ListOutlets => outlets
                .list_outlets(req!(ListOutletsRequest {
                    region,
                    page_size: 1000,
                    ..ListOutletsRequest::default()
                }))
                .await
                .map(|answer| Seen {
                    regions: answer
                        .into_inner()
                        .outlets
                        .into_iter()
                        .map(|o| o.region)
                        .collect(),
                    ..Seen::default()
                }),
            ListAudits => outlets
                .list_audits(req!(ListAuditsRequest {
                    region,
                    outlet_id: self.star_id(target),
                    page_size: 1000,
                    page_token: String::new(),
                }))
                .await
                .map(|answer| {
                    let audits = answer.into_inner().audits;
                    Seen {
                        regions: audits.iter().map(|a| a.region.clone()).collect(),
                        outlets: audits.into_iter().map(|a| a.outlet_id).collect(),
                        engineers: Vec::new(),
                    }
                }),
            GetPerson => seen_nothing(
                people
                    .get_person(req!(GetPersonRequest {
                        id: self.engineer_id(target),
                    }))
                    .await,
            ),
            ListPeople => people
                .list_people(req!(ListPeopleRequest {
                    region,
                    outlet_id: self.star_id(target),
                    page_size: 1000,
                    ..ListPeopleRequest::default()
                }))
                .await
                .map(|answer| {
                    let found = answer.into_inner().people;
                    Seen {
                        regions: found.iter().map(|p| p.region.clone()).collect(),
                        outlets: found.into_iter().map(|p| p.outlet_id).collect(),
                        engineers: Vec::new(),
                    }
                }),
            ListLicenceEvents => seen_nothing(
                people
                    .list_licence_events(req!(ListLicenceEventsRequest {
                        person_id: self.engineer_id(target),
                        ..ListLicenceEventsRequest::default()
                    }))
                    .await,
            ),
            GetOrder => seen_nothing(
                orders
                    .get_order(req!(GetOrderRequest {
                        id: self.site(target).order.id.clone(),
                    }))
                    .await,
            ),
            ListOrders => orders
                .list_orders(req!(ListOrdersRequest {
                    region,
                    outlet_id: self.star_id(target),
                    engineer_id: self.engineer_id(target),
                    page_size: 1000,
                    ..ListOrdersRequest::default()
                }))
                .await
                .map(|answer| orders_seen(&answer.into_inner().orders)),
            WatchOrders => {
                let request = WatchOrdersRequest {
                    region,
                    after_cursor: "0".into(),
                    outlet_id: self.star_id(target),
                };
                match orders.watch_orders(req!(request)).await {
                    Ok(stream) => Ok(watched(stream.into_inner()).await),
                    Err(status) => Err(status),
                }
            }
            GetMonthClose => seen_nothing(
                months
                    .get_month_close(req!(GetMonthCloseRequest {
                        region,
                        month: self.closed_month.clone(),
                    }))
                    .await,
            ),
            ListMonthCloses => months
                .list_month_closes(req!(ListMonthClosesRequest {
                    region,
                    page_size: 1000,
                    page_token: String::new(),
                }))
                .await
                .map(|answer| Seen {
                    regions: answer
                        .into_inner()
                        .closes
                        .into_iter()
                        .map(|c| c.region)
                        .collect(),
                    ..Seen::default()
                }),
            GetContract => seen_nothing(
                warranty
                    .get_contract(req!(GetContractRequest {
                        region,
                        id: self.site(target).contract.clone(),
                    }))
                    .await,
            ),
            ListContracts => seen_nothing(
                warranty
                    .list_contracts(req!(ListContractsRequest {
                        region,
                        ..ListContractsRequest::default()
                    }))
                    .await,
            ),
            Quote => seen_nothing(
                warranty
                    .quote(req!(QuoteRequest {
                        region,
                        appliance: Some(young_fridge()),
                    }))
                    .await,
            ),
            ListPlugins => seen_nothing(
                plugins
                    .list_plugins(req!(ListPluginsRequest::default()))
                    .await,
            ),
            GetRegionPlugins => seen_nothing(
                plugins
                    .get_region_plugins(req!(GetRegionPluginsRequest { region }))
                    .await,
            ),
            ListActivations => plugins
                .list_activations(req!(ListActivationsRequest {
                    region,
                    page_size: 1000,
                    page_token: String::new(),
                }))
                .await
                .map(|answer| Seen {
                    regions: answer
                        .into_inner()
                        .activations
                        .into_iter()
                        .map(|a| a.region)
                        .collect(),
                    ..Seen::default()
                }),
            GetPluginStats => plugins
                .get_plugin_stats(req!(GetPluginStatsRequest { region }))
                .await
                .map(|answer| Seen {
                    regions: answer
                        .into_inner()
                        .stats
                        .into_iter()
                        .map(|s| s.region)
                        .collect(),
                    ..Seen::default()
                }),
            ListAuditEvents => AuditServiceClient::new(bare.clone())
                .list_audit_events(req!(ListAuditEventsRequest {
                    region,
                    page_size: 1000,
                    ..ListAuditEventsRequest::default()
                }))
                .await
                .map(|answer| Seen {
                    // Global events (no region) belong to no region.
                    regions: answer
                        .into_inner()
                        .events
                        .into_iter()
                        .map(|e| e.region)
                        .filter(|r| !r.is_empty())
                        .collect(),
                    ..Seen::default()
                }),
            CreateOutlet => {
                // Far from every customer, and without engineers: dispatch
                // never sends it anything.
                let outlet = Outlet {
                    daily_capacity: 0,
                    location: Some(point(30.0, 118.0)),
                    ..star_centre(&region, &unique("N"), &self.site(target).centre.id)
                };
                seen_nothing(
                    outlets
                        .create_outlet(req!(CreateOutletRequest {
                            outlet: Some(outlet),
                        }))
                        .await,
                )
            }
            UpdateOutlet => seen_nothing(
                outlets
                    .update_outlet(req!(UpdateOutletRequest {
                        outlet: Some(Outlet {
                            id: self.star_id(target),
                            name: format!("{} ({})", self.site(target).star.name, who.role),
                            ..Outlet::default()
                        }),
                        update_mask: mask(&["name"]),
                    }))
                    .await,
            ),
            RecordAudit => seen_nothing(
                outlets
                    .record_audit(req!(RecordAuditRequest {
                        audit: Some(self.audit_of(target)),
                    }))
                    .await,
            ),
            CreatePerson => {
                // Off duty and unskilled: dispatch never chooses them.
                let person = Person {
                    on_duty: false,
                    skills: Vec::new(),
                    level: PersonLevel::Technician as i32,
                    ..engineer(&region, &self.star_id(target), "Sun Li")
                };
                seen_nothing(
                    people
                        .create_person(req!(CreatePersonRequest {
                            person: Some(person),
                        }))
                        .await,
                )
            }
            UpdatePerson => seen_nothing(
                people
                    .update_person(req!(UpdatePersonRequest {
                        person: Some(Person {
                            id: self.engineer_id(target),
                            name: format!("{} ({})", self.site(target).engineer.name, who.role),
                            ..Person::default()
                        }),
                        update_mask: mask(&["name"]),
                    }))
                    .await,
            ),
            RecordLicenceEvent => seen_nothing(
                people
                    .record_licence_event(req!(RecordLicenceEventRequest {
                        person_id: self.engineer_id(target),
                        event: Some(LicenceEvent {
                            kind: LicenceEventKind::SmallImprovement as i32,
                            note: format!("recorded by {}", who.name),
                            ..LicenceEvent::default()
                        }),
                        version: 0,
                    }))
                    .await,
            ),
            CreateOrder => {
                let mut order = repair(&region);
                if let Some(customer) = order.customer.as_mut() {
                    customer.location = Some(self.site(target).near);
                }
                seen_nothing(
                    orders
                        .create_order(req!(CreateOrderRequest {
                            request_id: unique("perm"),
                            order: Some(order),
                        }))
                        .await,
                )
            }
            DispatchOrder => {
                let id = fresh(Stage::Intake).await?;
                seen_nothing(
                    orders
                        .dispatch_order(req!(DispatchOrderRequest { id, version: 0 }))
                        .await,
                )
            }
            AcceptOrder => {
                let id = fresh(Stage::Dispatched).await?;
                seen_nothing(
                    orders
                        .accept_order(req!(AcceptOrderRequest { id, version: 0 }))
                        .await,
                )
            }
            RefuseOrder => {
                let id = fresh(Stage::Dispatched).await?;
                // An engineer refuses for themselves.
                let by = if who.role == "engineer" {
                    RefusedBy::Engineer
                } else {
                    RefusedBy::Outlet
                };
                seen_nothing(
                    orders
                        .refuse_order(req!(RefuseOrderRequest {
                            id,
                            version: 0,
                            reason: "no spare compressor this week".into(),
                            by: by as i32,
                        }))
                        .await,
                )
            }
            ContactCustomer => {
                let id = fresh(Stage::Accepted).await?;
                seen_nothing(
                    orders
                        .contact_customer(req!(ContactCustomerRequest {
                            id,
                            version: 0,
                            appointment_time: Some(in_hours(20)),
                            note: "tomorrow morning".into(),
                        }))
                        .await,
                )
            }
            ArriveOnSite => {
                let id = fresh(Stage::Contacted).await?;
                seen_nothing(
                    orders
                        .arrive_on_site(req!(ArriveOnSiteRequest { id, version: 0 }))
                        .await,
                )
            }
            CompleteOrder => {
                let id = fresh(Stage::OnSite).await?;
                let request = complete(&id).into_inner();
                seen_nothing(orders.complete_order(req!(request)).await)
            }
            RecordCallback => {
                let id = fresh(Stage::Completed).await?;
                let request = callback(&id).into_inner();
                seen_nothing(orders.record_callback(req!(request)).await)
            }
            CheckQuality => {
                let id = fresh(Stage::Called).await?;
                seen_nothing(
                    orders
                        .check_quality(req!(CheckQualityRequest {
                            id,
                            version: 0,
                            old_part_returned: false,
                            finding: "relay wear, as reported".into(),
                            finding_agreed: true,
                        }))
                        .await,
                )
            }
            InvalidateOrder => {
                let id = fresh(Stage::Intake).await?;
                seen_nothing(
                    orders
                        .invalidate_order(req!(InvalidateOrderRequest {
                            id,
                            version: 0,
                            reason: "a duplicate of an earlier call".into(),
                        }))
                        .await,
                )
            }
            AdvanceComplaint => {
                let id = self.complaint(self.site(target)).await?.id;
                seen_nothing(
                    orders
                        .advance_complaint(req!(AdvanceComplaintRequest {
                            id,
                            version: 0,
                            step: ComplaintStep::Handle as i32,
                            cause: ComplaintCause::Timeliness as i32,
                            note: "apologised, visit moved up".into(),
                            ..AdvanceComplaintRequest::default()
                        }))
                        .await,
                )
            }
            CancelOrder | CancelOrderCreatedByOther => {
                // A partner cancels the orders it created: its own are
                // made by it (where it may create them at all).
                let site = self.site(target);
                let by_itself =
                    rpc == CancelOrder && who.role == "partner" && target != Target::Other;
                let order = self.create(site, true, by_itself.then_some(who)).await?;
                seen_nothing(
                    orders
                        .cancel_order(req!(CancelOrderRequest {
                            id: order.id,
                            version: 0,
                            reason: "the customer fixed it".into(),
                        }))
                        .await,
                )
            }
            CloseMonth => seen_nothing(
                months
                    .close_month(req!(CloseMonthRequest {
                        region,
                        month: self.open_month.clone(),
                        dry_run: true,
                    }))
                    .await,
            ),
            Purchase => seen_nothing(
                warranty
                    .purchase(req!(PurchaseRequest {
                        region,
                        request_id: unique("perm"),
                        appliance: Some(young_fridge()),
                        years: 2,
                        customer_phone: "13912345678".into(),
                        sold_date: None,
                    }))
                    .await,
            ),
            RunBirthdayCampaign => seen_nothing(
                CampaignServiceClient::new(bare.clone())
                    .run_birthday_campaign(req!(RunBirthdayCampaignRequest {
                        region,
                        from: Some(day(0)),
                        to: Some(day(30)),
                        dry_run: true,
                    }))
                    .await,
            ),
            PlanTours => seen_nothing(
                TourServiceClient::new(bare.clone())
                    .plan_tours(req!(PlanToursRequest {
                        region,
                        outlet_id: self.star_id(target),
                        dates: vec![day(1)],
                        vehicles: Some(Vehicles {
                            count: 1,
                            capacity: 10,
                            speed_kmh: 40.0,
                            shift_start_minute: 8 * 60,
                            shift_end_minute: 17 * 60,
                        }),
                        dry_run: true,
                    }))
                    .await,
            ),
            InstallPlugin => {
                // Bytes the kernel already holds: installing them again
                // changes nothing.
                let component = built_plugin("settlement-flat");
                seen_nothing(
                    plugins
                        .install_plugin(req!(InstallPluginRequest {
                            component,
                            ..Default::default()
                        }))
                        .await,
                )
            }
            // A bundled plugin: refused (FAILED_PRECONDITION) once allowed,
            // so that the call changes nothing.
            UninstallPlugin => seen_nothing(
                plugins
                    .uninstall_plugin(req!(UninstallPluginRequest {
                        name: "settlement-flat".into(),
                        version: "1.0.0".into(),
                    }))
                    .await,
            ),
            ActivatePlugin => seen_nothing(
                plugins
                    .activate_plugin(req!(ActivatePluginRequest {
                        region,
                        slot: PluginSlot::Settlement as i32,
                        name: "settlement-flat".into(),
                        version: "1.0.0".into(),
                        reason: format!("tried by {}", who.name),
                        params: Vec::new(),
                    }))
                    .await,
            ),
            RollbackPlugin => seen_nothing(
                plugins
                    .rollback_plugin(req!(RollbackPluginRequest {
                        region,
                        slot: PluginSlot::Settlement as i32,
                        reason: format!("tried by {}", who.name),
                    }))
                    .await,
            ),
            ResetPlugin => seen_nothing(
                plugins
                    .reset_plugin(req!(ResetPluginRequest {
                        region,
                        slot: PluginSlot::Settlement as i32,
                        reason: format!("tried by {}", who.name),
                    }))
                    .await,
            ),
            // The settlement slot takes no shadow: refused once allowed.
            ShadowPlugin => seen_nothing(
                plugins
                    .shadow_plugin(req!(ShadowPluginRequest {
                        region,
                        slot: PluginSlot::Settlement as i32,
                        name: "settlement-flat".into(),
                        version: "1.0.0".into(),
                        reason: format!("tried by {}", who.name),
                    }))
                    .await,
            ),
        })
    }
}

fn complete(id: &str) -> Request<CompleteOrderRequest> {
    Request::new(CompleteOrderRequest {
        id: id.to_owned(),
        version: 0,
        report: Some(ServiceReport {
            diagnosis: "compressor relay burnt".into(),
            work_done: "replaced the relay, test run 30 minutes".into(),
            ..ServiceReport::default()
        }),
    })
}

fn callback(id: &str) -> Request<RecordCallbackRequest> {
    Request::new(RecordCallbackRequest {
        id: id.to_owned(),
        version: 0,
        callback: Some(Callback {
            reached: true,
            satisfied: true,
            ..Callback::default()
        }),
    })
}

fn orders_seen(orders: &[Order]) -> Seen {
    Seen {
        regions: orders.iter().map(|o| o.region.clone()).collect(),
        outlets: orders.iter().map(|o| o.outlet_id.clone()).collect(),
        engineers: orders.iter().map(|o| o.engineer_id.clone()).collect(),
    }
}

/// The events a watch replays from the start, until it is quiet.
async fn watched(mut stream: tonic::Streaming<OrderEvent>) -> Seen {
    let mut seen = Seen::default();
    while let Ok(Ok(Some(event))) =
        tokio::time::timeout(Duration::from_millis(300), stream.message()).await
    {
        seen.regions.push(event.region);
        seen.outlets.push(event.outlet_id);
        seen.engineers.push(event.engineer_id);
    }
    seen
}

/// What went wrong with a call, if anything, against what the policy says.
fn judge(want: Want, answer: &Answer, who: &Principal, permission: &str) -> Option<String> {
    match (want, answer) {
        (Want::Allow, Ok(_)) | (Want::NotApplicable, _) => None,
        (Want::Allow, Err(status))
            if matches!(
                status.code(),
                Code::PermissionDenied | Code::Unauthenticated
            ) =>
        {
            Some(format!("{:?}: {}", status.code(), status.message()))
        }
        (Want::Allow, Err(_)) => None,
        (Want::Deny, Ok(_)) => Some("allowed".to_owned()),
        (Want::Deny, Err(status)) => match denial(status) {
            Err(other) => Some(other),
            Ok((principal, named, _)) if principal != who.name || named != permission => Some(
                format!("denied, but naming principal {principal:?} and permission {named:?}"),
            ),
            Ok(_) => None,
        },
    }
}

impl World {
    /// What a list with no region showed `role` that it must not: records
    /// of a region it does not act in, or (an outlet, an engineer) of
    /// another outlet or engineer. For headquarters, the list must show
    /// beijing's records too (else the check proves nothing).
    fn leaks(&self, rpc: Rpc, role: usize, seen: &Seen) -> Option<String> {
        let role_name = ROLES[role];
        if role_name == "hq" {
            let beijing = seen.regions.iter().any(|r| r == "beijing");
            return (!beijing).then(|| format!("setup: hq saw no beijing record in {seen:?}"));
        }
        let foreign: Vec<&String> = seen.regions.iter().filter(|r| *r != "shanghai").collect();
        if !foreign.is_empty() {
            return Some(format!("returned records of {foreign:?}"));
        }
        let scoped = matches!(rpc, ListOrders | WatchOrders | ListPeople | ListAudits);
        let (own, ids, what) = match role_name {
            "outlet" if scoped => (&self.own.star.id, &seen.outlets, "outlets"),
            "engineer" if matches!(rpc, ListOrders | WatchOrders) => {
                (&self.own.engineer.id, &seen.engineers, "engineers")
            }
            _ => return None,
        };
        let others: Vec<&String> = ids.iter().filter(|id| *id != own).collect();
        (!others.is_empty()).then(|| format!("returned records of other {what}: {others:?}"))
    }
}

fn is_list(rpc: Rpc) -> bool {
    matches!(
        rpc,
        ListOutlets
            | ListAudits
            | ListPeople
            | ListOrders
            | WatchOrders
            | ListMonthCloses
            | ListActivations
            | GetPluginStats
            | ListAuditEvents
    )
}

fn target_name(target: Target) -> &'static str {
    match target {
        Target::Own => "own",
        Target::Other => "other region",
        Target::NoRegion => "no region",
        Target::Peer => "peer",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_every_role_as_the_policy_says() {
    let world = World::new().await;
    let mut mismatches: Vec<[String; 5]> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut calls = 0;
    for (rpc, permission, cells) in POLICY {
        for (role, who) in world.principals.iter().enumerate() {
            for target in TARGETS {
                let expected = want(cells, role, target);
                if expected == Want::NotApplicable {
                    continue;
                }
                calls += 1;
                let mut mismatch = |got: String| {
                    mismatches.push([
                        format!("{rpc:?}"),
                        ROLES[role].to_owned(),
                        target_name(target).to_owned(),
                        format!("{expected:?}"),
                        got,
                    ]);
                };
                let answer = match world.call(*rpc, who, target).await {
                    Ok(answer) => answer,
                    Err(setup) => {
                        mismatch(setup);
                        continue;
                    }
                };
                if let Some(got) = judge(expected, &answer, who, permission) {
                    mismatch(got);
                    continue;
                }
                match &answer {
                    Err(_) if expected == Want::Deny => {}
                    Err(status) => notes.push(format!(
                        "{rpc:?} {} {}: allowed, then {:?}: {}",
                        ROLES[role],
                        target_name(target),
                        status.code(),
                        status.message()
                    )),
                    Ok(seen) if target == Target::NoRegion && is_list(*rpc) => {
                        if let Some(got) = world.leaks(*rpc, role, seen) {
                            mismatch(got);
                        }
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    println!("{calls} calls; allowed calls that failed for other reasons:");
    for note in &notes {
        println!("  {note}");
    }
    world.server.stop().await;
    if !mismatches.is_empty() {
        let mut table = String::new();
        let header = ["rpc", "role", "target", "expected", "got"].map(str::to_owned);
        let rows = std::iter::once(&header).chain(&mismatches);
        let widths: Vec<usize> = (0..4)
            .map(|i| rows.clone().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        for row in rows {
            for (i, &width) in widths.iter().enumerate() {
                let _ = write!(table, "{:width$}  ", row[i]);
            }
            let _ = writeln!(table, "{}", row[4]);
        }
        panic!(
            "{} of {calls} calls disagree with the policy:\n{table}",
            mismatches.len()
        );
    }
}

/// A denial's `target` names what the request asked for (the policy's
/// metadata `target`), also when the caller lacks the permission outright
/// and the kernel refuses before reading the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_names_the_record_asked_for() {
    let world = World::new().await;
    let (outlet, person) = (&world.own.star.id, &world.own.engineer.id);
    let role = |name: &str| ROLES.iter().position(|r| *r == name).unwrap_or(0);
    let cases = [
        // Outside the caller's scope: the record is read, then refused.
        (
            GetOutlet,
            "regional-it",
            Target::Other,
            format!("outlets/{}", world.other.star.id),
        ),
        (
            GetOrder,
            "regional-it",
            Target::Other,
            format!("orders/{}", world.other.order.id),
        ),
        // Not the caller's permission at all.
        (
            GetOutlet,
            "engineer",
            Target::Own,
            format!("outlets/{outlet}"),
        ),
        (
            UpdateOutlet,
            "call-centre",
            Target::Own,
            format!("outlets/{outlet}"),
        ),
        (
            RecordAudit,
            "regional-it",
            Target::Own,
            format!("outlets/{outlet}"),
        ),
        (
            GetPerson,
            "partner",
            Target::Own,
            format!("people/{person}"),
        ),
        (
            UpdatePerson,
            "call-centre",
            Target::Own,
            format!("people/{person}"),
        ),
        (
            RecordLicenceEvent,
            "regional-it",
            Target::Own,
            format!("people/{person}"),
        ),
        (
            ListLicenceEvents,
            "engineer",
            Target::Own,
            format!("people/{person}"),
        ),
        (
            GetOrder,
            "auditor",
            Target::Own,
            format!("orders/{}", world.own.order.id),
        ),
    ];
    let mut wrong = Vec::new();
    for (rpc, name, target, expected) in cases {
        let answer = world
            .call(rpc, &world.principals[role(name)], target)
            .await
            .expect("set up");
        match answer.as_ref().map_err(denial) {
            Err(Ok((_, _, named))) if named == expected => {}
            Err(Ok((_, _, named))) => {
                wrong.push(format!(
                    "{rpc:?} by {name}: target {named:?}, expected {expected:?}"
                ));
            }
            Err(Err(other)) => wrong.push(format!("{rpc:?} by {name}: not denied: {other}")),
            Ok(_) => wrong.push(format!("{rpc:?} by {name}: allowed")),
        }
    }
    world.server.stop().await;
    assert!(
        wrong.is_empty(),
        "denials that do not name their target:\n{}",
        wrong.join("\n")
    );
}

/// A partner holds exactly the permissions its credential lists, in the
/// regions it names: here another set than the harness partner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_holds_exactly_what_its_credential_lists() {
    let world = World::new().await;
    let erp = crate::principals::partner(
        "erp",
        &["shanghai"],
        &["network.read", "plugins.install", "audit-trail.read"],
    );
    use Target::*;
    use Want::*;
    let cases = [
        (GetOutlet, "network.read", Own, Allow),
        (GetOutlet, "network.read", Other, Deny),
        (ListPeople, "network.read", NoRegion, Allow),
        (ListAuditEvents, "audit-trail.read", Own, Allow),
        (ListAuditEvents, "audit-trail.read", Other, Deny),
        (InstallPlugin, "plugins.install", NoRegion, Allow),
        (ListPlugins, "plugins.read", NoRegion, Deny),
        (ListOrders, "orders.read", Own, Deny),
        (CreateOrder, "orders.create", Own, Deny),
        (UpdateOutlet, "outlets.write", Own, Deny),
        (CloseMonth, "month.close", Own, Deny),
    ];
    let mut wrong = Vec::new();
    for (rpc, permission, target, expected) in cases {
        let answer = world.call(rpc, &erp, target).await.expect("set up");
        if let Some(got) = judge(expected, &answer, &erp, permission) {
            wrong.push(format!(
                "{rpc:?} {}: expected {expected:?}, got {got}",
                target_name(target)
            ));
        }
    }
    world.server.stop().await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
