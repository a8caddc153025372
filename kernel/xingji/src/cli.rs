//! The command line: `xingji serve` runs the server; `xingji outlets|people|
//! orders …` call a server over gRPC and print the answer as proto JSON
//! (field names as in the .proto files).

use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{Args, Parser, Subcommand};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use tonic::transport::Channel;
use tonic::{Request, Status};
use tonic_types::StatusExt;
use xingji_api::google::r#type::Date;
use xingji_api::v1::campaign_service_client::CampaignServiceClient;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::tour_service_client::TourServiceClient;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;

use crate::config::{Config, LogFormat, Overrides};
use crate::services::ACTOR_HEADER;

/// Xingji (星级): the after-sales service platform.
///
/// One binary is both the server (`xingji serve`) and a client of its gRPC
/// API for regional IT and partners (`xingji outlets`, `people`, `orders`,
/// `plugins`).
/// Enum values are given in short form: `--tier star-centre`,
/// `--product-line washing-machine`.
#[derive(Debug, Parser)]
#[command(name = "xingji", version)]
pub struct Cli {
    /// The server that client commands call.
    #[arg(
        long,
        global = true,
        env = "XINGJI_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
    /// Who you are, as <role>:<name>: hq:<name>, call-centre:<name>,
    /// system:<name>, auditor:<name>, outlet:<outlet id> or
    /// engineer:<person id>. Recorded as the actor in order history, and
    /// what decides which moves of an order you may make.
    #[arg(long, global = true, env = "XINGJI_ACTOR")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: gRPC on --listen, the store in --data-dir.
    Serve(ServeArgs),
    /// The service network: outlets (star centres, sub-outlets, …).
    #[command(subcommand)]
    Outlets(OutletsCommand),
    /// Service staff and their licences.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Work orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Plugins: install them, and choose which one each region runs.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// The month close: outlet grades and settlement statements.
    #[command(subcommand)]
    Month(MonthCommand),
    /// The Jiujiu extended warranty: quotes, sales, contracts.
    #[command(subcommand)]
    Warranty(WarrantyCommand),
    /// Appliance-birthday visits due in a window (and their orders).
    Birthdays {
        /// The region.
        region: String,
        /// The window's first day, YYYY-MM-DD.
        #[arg(value_parser = date_arg)]
        from: Date,
        /// Its last day, YYYY-MM-DD (at most 366 days on).
        #[arg(value_parser = date_arg)]
        to: Date,
        /// List the visits, create nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Plan rural tours out of an outlet, and dispatch them.
    Tours {
        /// The region.
        region: String,
        /// The outlet the vehicles leave from.
        outlet: String,
        /// A day to plan, YYYY-MM-DD; repeat for more (at most 7).
        #[arg(long = "date", value_parser = date_arg, required = true)]
        dates: Vec<Date>,
        /// Vehicles available (each needs an on-duty engineer).
        #[arg(long, default_value_t = 2)]
        vehicles: i32,
        /// Load units each vehicle carries.
        #[arg(long, default_value_t = 8)]
        capacity: i32,
        /// Average speed, km/h.
        #[arg(long, default_value_t = 40.0)]
        speed: f64,
        /// The shift, HH:MM-HH:MM (China Standard Time).
        #[arg(long, default_value = "08:00-17:00", value_parser = shift_arg)]
        shift: (i32, i32),
        /// Plan and print, dispatch nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `xingji warranty …`
#[derive(Debug, Subcommand)]
pub enum WarrantyCommand {
    /// The plans on offer for an appliance.
    Quote {
        /// The region.
        region: String,
        #[command(flatten)]
        appliance: WarrantyAppliance,
    },
    /// Sell a plan.
    Buy {
        /// The region.
        region: String,
        #[command(flatten)]
        appliance: WarrantyAppliance,
        /// Extra years: one of the quoted plans.
        #[arg(long)]
        years: i32,
        /// The customer's phone.
        #[arg(long)]
        phone: String,
        /// Makes a retry safe; a new UUID-like id if not given.
        #[arg(long)]
        request_id: Option<String>,
    },
    /// Print a contract.
    Get {
        /// The region.
        region: String,
        /// The contract id, e.g. JJ-000001.
        id: String,
    },
    /// List a region's contracts.
    List {
        /// The region.
        region: String,
        /// At most this many (1 to 1000) [default: 50].
        #[arg(long, default_value_t = 0)]
        page_size: i32,
        /// The next_page_token of the page before.
        #[arg(long, default_value = "")]
        page_token: String,
    },
}

/// The appliance a warranty is for.
#[derive(Debug, Args)]
pub struct WarrantyAppliance {
    /// The product line.
    #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"))]
    pub product_line: i32,
    /// The serial number.
    #[arg(long)]
    pub serial: String,
    /// The purchase date, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg)]
    pub purchase_date: Date,
    /// What the customer paid, in fen.
    #[arg(long)]
    pub price_fen: i64,
}

impl WarrantyAppliance {
    fn appliance(self) -> Appliance {
        Appliance {
            product_line: self.product_line,
            serial: self.serial,
            purchase_date: Some(self.purchase_date),
            price_fen: self.price_fen,
            model: String::new(),
        }
    }
}

/// `xingji month …`
#[derive(Debug, Subcommand)]
pub enum MonthCommand {
    /// Close a month of a region (as hq: or system:): grade every outlet,
    /// settle the quality-checked orders, store the statements. Closing a
    /// closed month prints the stored close.
    Close {
        /// The region, e.g. shanghai.
        region: String,
        /// The month, YYYY-MM; it must have ended.
        month: String,
        /// Compute and print the close, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a stored close with every statement.
    Get {
        /// The region.
        region: String,
        /// The month, YYYY-MM.
        month: String,
    },
    /// List stored closes (totals, without the statements).
    List {
        #[command(flatten)]
        page: PageArgs,
    },
}

/// `xingji plugins …`
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Install a plugin: a component (.wasm) built for wasm32-wasip2.
    Install {
        /// The .wasm file.
        file: PathBuf,
    },
    /// List the installed plugins.
    List {
        /// Only plugins of this slot (dispatch, warranty, campaign, tour,
        /// evaluation, settlement).
        #[arg(long, value_parser = enum_arg("xingji.v1.PluginSlot"), default_value = "unspecified")]
        slot: i32,
    },
    /// Show which plugin a region runs in each slot, and why.
    Active {
        /// The region, e.g. shanghai.
        region: String,
    },
    /// Make a region run an installed plugin in its slot.
    Activate {
        /// The region, e.g. shanghai.
        region: String,
        /// The slot: dispatch, warranty, campaign, tour, evaluation or settlement.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// The plugin as NAME@VERSION, e.g. dispatch-balanced@1.0.0.
        plugin: String,
        /// Why, for the history.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Return a region's slot to the plugin it ran before.
    Rollback {
        /// The region.
        region: String,
        /// The slot.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// Why, for the history.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The history of activations and rollbacks, newest first.
    History {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Calls, failures and time per plugin since the server started.
    Stats {
        /// Only this region.
        #[arg(long, default_value = "")]
        region: String,
    },
}

/// `xingji serve` flags; each overrides the config file and environment.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML config file (default: ./xingji.toml if it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The address to serve on [default: 127.0.0.1:50051].
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Where to keep the store [default: ./data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed a demo network (three regions) if the store is empty.
    #[arg(long)]
    pub demo: bool,
    /// Log lines as text or JSON [default: text].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

impl ServeArgs {
    /// The configuration: defaults, file, environment, then these flags.
    pub fn config(&self) -> Result<Config, Box<figment::Error>> {
        let overrides = Overrides {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            demo: self.demo.then_some(true),
            log_format: self.log_format,
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}

/// Paging flags of every `list`.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Only records of this region.
    #[arg(long, default_value = "")]
    pub region: String,
    /// At most this many records (1 to 1000) [default: 50].
    #[arg(long, default_value_t = 0)]
    pub page_size: i32,
    /// The next_page_token of the page before.
    #[arg(long, default_value = "")]
    pub page_token: String,
}

/// Paging flags of a list within one record (no region).
#[derive(Debug, Args)]
pub struct PagingArgs {
    /// At most this many records (1 to 1000) [default: 50].
    #[arg(long, default_value_t = 0)]
    pub page_size: i32,
    /// The next_page_token of the page before.
    #[arg(long, default_value = "")]
    pub page_token: String,
}

/// A location flag pair.
#[derive(Debug, Args)]
pub struct LocationArgs {
    /// Latitude in degrees.
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Longitude in degrees.
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
}

impl LocationArgs {
    fn point(&self) -> Option<GeoPoint> {
        Some(GeoPoint {
            lat: self.lat?,
            lon: self.lon?,
        })
    }
}

/// `xingji outlets …`
#[derive(Debug, Subcommand)]
pub enum OutletsCommand {
    /// List outlets, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only outlets in this status (active, suspended, eliminated).
        #[arg(long, value_parser = enum_arg("xingji.v1.OutletStatus"), default_value = "unspecified")]
        status: i32,
        /// Only outlets of this tier (hq, regional-centre, star-centre, sub-outlet).
        #[arg(long, value_parser = enum_arg("xingji.v1.OutletTier"), default_value = "unspecified")]
        tier: i32,
        /// Only children of this outlet.
        #[arg(long, default_value = "")]
        parent: String,
        /// Only outlets serving this product line.
        #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"), default_value = "unspecified")]
        product_line: i32,
        /// Only outlets with this grade (a, b, c).
        #[arg(long, value_parser = enum_arg("xingji.v1.OutletGrade"), default_value = "unspecified")]
        grade: i32,
    },
    /// Show one outlet.
    Get {
        /// The outlet's id.
        id: String,
    },
    /// Create an outlet.
    Create {
        /// The region, e.g. shanghai.
        #[arg(long)]
        region: String,
        #[command(flatten)]
        fields: OutletFields,
    },
    /// Change the given fields of an outlet.
    Update {
        /// The outlet's id.
        id: String,
        /// Refuse the update unless the outlet is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
        #[command(flatten)]
        fields: OutletFields,
    },
    /// Record a mystery-customer audit of an outlet (auditor: or hq:).
    Audit {
        /// The outlet's id.
        outlet_id: String,
        /// The score, 0 to 100.
        #[arg(long)]
        score: i32,
        /// A standard the outlet failed (comes-when-called, fixed-on-arrival,
        /// creates-delight, adds-information); repeat for several.
        #[arg(long, value_parser = enum_arg("xingji.v1.ServiceStandard"))]
        failed: Vec<i32>,
        /// What the auditor found.
        #[arg(long, default_value = "")]
        findings: String,
        /// When the visit took place, RFC 3339 with its offset
        /// (2026-11-28T15:30:00+08:00) [default: now].
        #[arg(long, value_parser = time_arg)]
        visit_time: Option<prost_types::Timestamp>,
    },
    /// List audits, oldest first.
    Audits {
        #[command(flatten)]
        page: PageArgs,
        /// Only audits of this outlet.
        #[arg(long, default_value = "")]
        outlet: String,
    },
}

/// Outlet fields for create and update.
#[derive(Debug, Args)]
pub struct OutletFields {
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Internal number, unique in the region (SH-100).
    #[arg(long)]
    pub number: Option<String>,
    /// hq, regional-centre, star-centre or sub-outlet.
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletTier"))]
    pub tier: Option<i32>,
    /// flagship, core, standard, umbrella or sub-outlet.
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletClass"))]
    pub class: Option<i32>,
    /// The parent outlet's id.
    #[arg(long)]
    pub parent: Option<String>,
    #[command(flatten)]
    pub location: LocationArgs,
    /// Postal address.
    #[arg(long)]
    pub address: Option<String>,
    /// Service radius in minutes of travel [default on create: 30].
    #[arg(long)]
    pub radius: Option<i32>,
    /// A product line served; repeat for several.
    #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"))]
    pub product_line: Vec<i32>,
    /// Orders a day the outlet can take.
    #[arg(long)]
    pub capacity: Option<i32>,
    /// active, suspended or eliminated.
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletStatus"))]
    pub status: Option<i32>,
    /// a, b or c.
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletGrade"))]
    pub grade: Option<i32>,
}

impl OutletFields {
    /// The outlet these flags describe, and the mask of the fields given.
    fn outlet(self) -> (Outlet, Vec<String>) {
        let mut mask = Vec::new();
        let mut given = |name: &str, present: bool| {
            if present {
                mask.push(name.to_owned());
            }
        };
        given("name", self.name.is_some());
        given("number", self.number.is_some());
        given("tier", self.tier.is_some());
        given("class", self.class.is_some());
        given("parent_id", self.parent.is_some());
        given("location", self.location.lat.is_some());
        given("address", self.address.is_some());
        given("service_radius_minutes", self.radius.is_some());
        given("product_lines", !self.product_line.is_empty());
        given("daily_capacity", self.capacity.is_some());
        given("status", self.status.is_some());
        given("grade", self.grade.is_some());
        let outlet = Outlet {
            location: self.location.point(),
            name: self.name.unwrap_or_default(),
            number: self.number.unwrap_or_default(),
            tier: self.tier.unwrap_or_default(),
            class: self.class.unwrap_or_default(),
            parent_id: self.parent.unwrap_or_default(),
            address: self.address.unwrap_or_default(),
            service_radius_minutes: self.radius.unwrap_or_default(),
            product_lines: self.product_line,
            daily_capacity: self.capacity.unwrap_or_default(),
            status: self.status.unwrap_or_default(),
            grade: self.grade.unwrap_or_default(),
            ..Outlet::default()
        };
        (outlet, mask)
    }
}

/// `xingji people …`
#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// List people, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only people of this outlet.
        #[arg(long, default_value = "")]
        outlet: String,
        /// Only people at this level (technician, engineer, senior, gold).
        #[arg(long, value_parser = enum_arg("xingji.v1.PersonLevel"), default_value = "unspecified")]
        level: i32,
        /// Only people in this licence state (exemplary, normal, warning, eliminated).
        #[arg(long, value_parser = enum_arg("xingji.v1.LicenceState"), default_value = "unspecified")]
        licence_state: i32,
        /// Only people skilled in this product line.
        #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"), default_value = "unspecified")]
        product_line: i32,
        /// Only people on duty.
        #[arg(long)]
        on_duty: bool,
    },
    /// Show one person.
    Get {
        /// The person's id.
        id: String,
    },
    /// Create a person.
    Create {
        /// The region, e.g. shanghai: the region of the outlet.
        #[arg(long)]
        region: String,
        #[command(flatten)]
        fields: PersonFields,
    },
    /// Change the given fields of a person.
    Update {
        /// The person's id.
        id: String,
        /// Refuse the update unless the person is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
        #[command(flatten)]
        fields: PersonFields,
    },
    /// Record a violation or credit on a person's licence (hq:,
    /// call-centre: or the person's outlet:).
    Licence {
        /// The person's id.
        person_id: String,
        /// promise-broken, non-standard-service, overcharging, repeat-repair,
        /// delight, small-improvement, yearly-review or retrained.
        #[arg(long, value_parser = enum_arg("xingji.v1.LicenceEventKind"))]
        kind: i32,
        /// The order it is about.
        #[arg(long, default_value = "")]
        order: String,
        /// What happened, in words.
        #[arg(long, default_value = "")]
        note: String,
        /// Refuse unless the person is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// List a person's licence events, oldest first.
    LicenceEvents {
        /// The person's id.
        person_id: String,
        #[command(flatten)]
        page: PagingArgs,
    },
}

/// Person fields for create and update.
#[derive(Debug, Args)]
pub struct PersonFields {
    /// The outlet the person works for.
    #[arg(long)]
    pub outlet: Option<String>,
    /// Full name.
    #[arg(long)]
    pub name: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// technician, engineer, senior or gold.
    #[arg(long, value_parser = enum_arg("xingji.v1.PersonLevel"))]
    pub level: Option<i32>,
    /// A skill as PRODUCT_LINE:CERTIFICATION (tv:senior); repeat for several.
    #[arg(long, value_parser = skill_arg)]
    pub skill: Vec<Skill>,
    /// On duty (true or false).
    #[arg(long)]
    pub on_duty: Option<bool>,
    #[command(flatten)]
    pub location: LocationArgs,
}

impl PersonFields {
    /// The person these flags describe, and the mask of the fields given.
    fn person(self) -> (Person, Vec<String>) {
        let mut mask = Vec::new();
        let mut given = |name: &str, present: bool| {
            if present {
                mask.push(name.to_owned());
            }
        };
        given("outlet_id", self.outlet.is_some());
        given("name", self.name.is_some());
        given("phone", self.phone.is_some());
        given("level", self.level.is_some());
        given("skills", !self.skill.is_empty());
        given("on_duty", self.on_duty.is_some());
        given("location", self.location.lat.is_some());
        let person = Person {
            location: self.location.point(),
            outlet_id: self.outlet.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            phone: self.phone.unwrap_or_default(),
            level: self.level.unwrap_or_default(),
            skills: self.skill,
            on_duty: self.on_duty.unwrap_or_default(),
            ..Person::default()
        };
        (person, mask)
    }
}

/// `xingji orders …`
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only orders in this status (intake, dispatched, …).
        #[arg(long, value_parser = enum_arg("xingji.v1.OrderStatus"), default_value = "unspecified")]
        status: i32,
        /// Only orders of this outlet.
        #[arg(long, default_value = "")]
        outlet: String,
        /// Only orders of this engineer.
        #[arg(long, default_value = "")]
        engineer: String,
        /// Only orders of this kind (installation, repair, …).
        #[arg(long, value_parser = enum_arg("xingji.v1.OrderKind"), default_value = "unspecified")]
        kind: i32,
        /// Only orders about this product line.
        #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"), default_value = "unspecified")]
        product_line: i32,
        /// Only orders with an SLA clock running past its due time.
        #[arg(long)]
        overdue: bool,
        /// Only complaint orders about this order.
        #[arg(long, default_value = "")]
        complaints_about: String,
    },
    /// Show one order with its history.
    Get {
        /// The order's id.
        id: String,
    },
    /// Record a service request (intake).
    Create(CreateOrderArgs),
    /// Dispatch an order in intake through its region's dispatch plugin
    /// (hq:, call-centre: or system:).
    Dispatch {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// The outlet takes a dispatched order (its outlet:, engineer: or hq:).
    Accept {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Turn a dispatched or accepted order down; it is dispatched again at
    /// once, skipping the refuser (its outlet:, engineer: or hq:).
    Refuse {
        /// The order's id.
        id: String,
        /// outlet (dispatch skips the whole outlet) or engineer (only the
        /// engineer).
        #[arg(long, value_parser = enum_arg("xingji.v1.RefusedBy"))]
        by: i32,
        /// Why, 1 to 500 characters.
        #[arg(long)]
        reason: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// The customer was reached and an appointment set; again to move it
    /// (its outlet:, engineer: or hq:).
    Contact {
        /// The order's id.
        id: String,
        /// The appointment, RFC 3339 with its offset
        /// (2026-11-29T10:00:00+08:00): not past, at most 30 days ahead.
        #[arg(long, value_parser = time_arg)]
        appointment: prost_types::Timestamp,
        /// What was agreed, at most 500 characters.
        #[arg(long, default_value = "")]
        note: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// The engineer arrived at the customer's (its engineer: or hq:).
    Arrive {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// The work is done: the service report (its outlet:, engineer: or
    /// hq:).
    Complete {
        /// The order's id.
        id: String,
        /// What was wrong, 1 to 2000 characters.
        #[arg(long)]
        diagnosis: String,
        /// What was done, 1 to 2000 characters.
        #[arg(long)]
        work_done: String,
        /// A part used, as NUMBER:NAME:QTY, with :return when the old part
        /// is due back to the warehouse (BM-2041:电机:1:return); repeat for
        /// several.
        #[arg(long, value_parser = part_arg)]
        part: Vec<PartUsed>,
        /// What the customer was charged, in fen (0 under warranty).
        #[arg(long, default_value_t = 0)]
        charge_fen: i64,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Record one customer callback on a completed order (call-centre: or
    /// hq:).
    Callback {
        /// The order's id.
        id: String,
        /// The customer was reached.
        #[arg(long)]
        reached: bool,
        /// The customer was satisfied (needs --reached).
        #[arg(long)]
        satisfied: bool,
        /// What the customer said, at most 500 characters.
        #[arg(long, default_value = "")]
        note: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Close quality control of a completed order (call-centre: or hq:).
    CheckQuality {
        /// The order's id.
        id: String,
        /// The old part is back in the warehouse.
        #[arg(long)]
        old_part_returned: bool,
        /// The quality-improvement finding.
        #[arg(long, default_value = "")]
        finding: String,
        /// The finding agrees with the service report.
        #[arg(long)]
        finding_agreed: bool,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Withdraw an order before completion (call-centre:, hq:, or the
    /// system: that created it).
    Cancel {
        /// The order's id.
        id: String,
        /// Why, 1 to 500 characters.
        #[arg(long)]
        reason: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Mark an order invalid before completion: a duplicate, a false
    /// request (call-centre: or hq:).
    Invalidate {
        /// The order's id.
        id: String,
        /// Why, 1 to 500 characters.
        #[arg(long)]
        reason: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Take a complaint order's next step: handle, accept, then improve,
    /// which completes it (call-centre: or hq:).
    Complaint {
        /// The complaint order's id.
        id: String,
        /// handle, accept or improve.
        #[arg(long, value_parser = enum_arg("xingji.v1.ComplaintStep"))]
        step: i32,
        /// handle: what it is about (work-quality, timeliness, attitude,
        /// charge, product, other).
        #[arg(long, value_parser = enum_arg("xingji.v1.ComplaintCause"), default_value = "unspecified")]
        cause: i32,
        /// handle: the person responsible; required for work-quality.
        #[arg(long, default_value = "")]
        responsible: String,
        /// improve: what is changed so it does not recur.
        #[arg(long, default_value = "")]
        improvement: String,
        /// What was done in this step, at most 500 characters.
        #[arg(long, default_value = "")]
        note: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
    /// Follow orders' changes, one compact JSON event per line, until
    /// interrupted. Resume with --after <the last cursor you processed>.
    Watch {
        /// Only orders of this region.
        #[arg(long, default_value = "")]
        region: String,
        /// Start after this event's cursor; 0 replays from the beginning
        /// [default: only new events].
        #[arg(long, default_value = "")]
        after: String,
        /// Only orders served by this outlet.
        #[arg(long, default_value = "")]
        outlet: String,
    },
}

/// `xingji orders create` flags.
#[derive(Debug, Args)]
pub struct CreateOrderArgs {
    /// The region, e.g. shanghai.
    #[arg(long)]
    pub region: String,
    /// installation, repair, maintenance, consultation, birthday-visit,
    /// tour-visit or complaint [default with --complaint-about: complaint].
    #[arg(long, value_parser = enum_arg("xingji.v1.OrderKind"), required_unless_present = "complaint_about")]
    pub kind: Option<i32>,
    /// Makes a retry safe: the same id never makes a second order
    /// [default: a new id].
    #[arg(long)]
    pub request_id: Option<String>,
    /// The customer's name.
    #[arg(long)]
    pub customer: String,
    /// The customer's phone.
    #[arg(long)]
    pub phone: String,
    /// Where the service takes place.
    #[arg(long)]
    pub address: String,
    #[command(flatten)]
    pub location: LocationArgs,
    /// A VIP customer.
    #[arg(long)]
    pub vip: bool,
    /// The appliance's product line.
    #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"))]
    pub product_line: i32,
    /// The appliance's model code.
    #[arg(long, default_value = "")]
    pub model: String,
    /// The appliance's serial number.
    #[arg(long, default_value = "")]
    pub serial: String,
    /// When the appliance was bought, YYYY-MM-DD.
    #[arg(long, value_parser = date_arg)]
    pub purchase_date: Option<Date>,
    /// What the appliance cost, in fen (yuan × 100).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub price_fen: i64,
    /// What the customer asks for.
    #[arg(long, default_value = "")]
    pub description: String,
    /// For a complaint: the order complained about. The complaint order
    /// takes its outlet and engineer.
    #[arg(long, alias = "complains-about")]
    pub complaint_about: Option<String>,
    /// For a complaint: what the customer says.
    #[arg(long, requires = "complaint_about")]
    pub summary: Option<String>,
}

/// Runs a client command against `cli.server`.
pub async fn run_client(cli: Cli) -> Result<(), ClientError> {
    // The server reads the actor as printable ASCII of at most 100
    // characters and takes anything else as anonymous: say so here instead.
    if let Some(actor) = cli.actor.as_deref()
        && (actor.len() > 100 || !actor.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
    {
        return Err(ClientError::Usage(format!(
            "--actor {actor:?}: give <role>:<name> in printable ASCII, at most 100 characters (e.g. call-centre:07, outlet:<outlet id>)"
        )));
    }
    let channel = Channel::from_shared(cli.server.clone())
        .map_err(|error| ClientError::Usage(format!("--server {:?}: {error}", cli.server)))?
        .connect()
        .await
        .map_err(|error| ClientError::Usage(format!("cannot reach {}: {error}", cli.server)))?;
    let actor = cli.actor.as_deref();
    match cli.command {
        Command::Serve(_) => unreachable!("main runs the server"),
        Command::Outlets(command) => {
            let mut client = OutletServiceClient::new(channel);
            match command {
                OutletsCommand::List {
                    page,
                    status,
                    tier,
                    parent,
                    product_line,
                    grade,
                } => {
                    let response = client
                        .list_outlets(with_actor(
                            actor,
                            ListOutletsRequest {
                                region: page.region,
                                page_size: page.page_size,
                                page_token: page.page_token,
                                status,
                                tier,
                                parent_id: parent,
                                product_line,
                                grade,
                            },
                        ))
                        .await?;
                    print(response.get_ref(), "xingji.v1.ListOutletsResponse")
                }
                OutletsCommand::Get { id } => {
                    let outlet = client
                        .get_outlet(with_actor(actor, GetOutletRequest { id }))
                        .await?;
                    print(outlet.get_ref(), "xingji.v1.Outlet")
                }
                OutletsCommand::Create { region, fields } => {
                    let (outlet, _) = fields.outlet();
                    let outlet = Outlet { region, ..outlet };
                    let outlet = client
                        .create_outlet(with_actor(
                            actor,
                            CreateOutletRequest {
                                outlet: Some(outlet),
                            },
                        ))
                        .await?;
                    print(outlet.get_ref(), "xingji.v1.Outlet")
                }
                OutletsCommand::Update {
                    id,
                    expect_version,
                    fields,
                } => {
                    let (outlet, paths) = fields.outlet();
                    let outlet = Outlet {
                        id,
                        version: expect_version,
                        ..outlet
                    };
                    let outlet = client
                        .update_outlet(with_actor(
                            actor,
                            UpdateOutletRequest {
                                outlet: Some(outlet),
                                update_mask: Some(prost_types::FieldMask { paths }),
                            },
                        ))
                        .await?;
                    print(outlet.get_ref(), "xingji.v1.Outlet")
                }
                OutletsCommand::Audit {
                    outlet_id,
                    score,
                    failed,
                    findings,
                    visit_time,
                } => {
                    let audit = Audit {
                        outlet_id,
                        visit_time: Some(
                            visit_time.unwrap_or_else(|| std::time::SystemTime::now().into()),
                        ),
                        score,
                        failed_standards: failed,
                        findings,
                        ..Audit::default()
                    };
                    let audit = client
                        .record_audit(with_actor(actor, RecordAuditRequest { audit: Some(audit) }))
                        .await?;
                    print(audit.get_ref(), "xingji.v1.Audit")
                }
                OutletsCommand::Audits { page, outlet } => {
                    let response = client
                        .list_audits(with_actor(
                            actor,
                            ListAuditsRequest {
                                region: page.region,
                                outlet_id: outlet,
                                page_size: page.page_size,
                                page_token: page.page_token,
                            },
                        ))
                        .await?;
                    print(response.get_ref(), "xingji.v1.ListAuditsResponse")
                }
            }
        }
        Command::People(command) => {
            let mut client = PersonServiceClient::new(channel);
            match command {
                PeopleCommand::List {
                    page,
                    outlet,
                    level,
                    licence_state,
                    product_line,
                    on_duty,
                } => {
                    let response = client
                        .list_people(with_actor(
                            actor,
                            ListPeopleRequest {
                                region: page.region,
                                page_size: page.page_size,
                                page_token: page.page_token,
                                outlet_id: outlet,
                                level,
                                licence_state,
                                product_line,
                                on_duty_only: on_duty,
                            },
                        ))
                        .await?;
                    print(response.get_ref(), "xingji.v1.ListPeopleResponse")
                }
                PeopleCommand::Get { id } => {
                    let person = client
                        .get_person(with_actor(actor, GetPersonRequest { id }))
                        .await?;
                    print(person.get_ref(), "xingji.v1.Person")
                }
                PeopleCommand::Create { region, fields } => {
                    let (person, _) = fields.person();
                    let person = Person { region, ..person };
                    let person = client
                        .create_person(with_actor(
                            actor,
                            CreatePersonRequest {
                                person: Some(person),
                            },
                        ))
                        .await?;
                    print(person.get_ref(), "xingji.v1.Person")
                }
                PeopleCommand::Update {
                    id,
                    expect_version,
                    fields,
                } => {
                    let (person, paths) = fields.person();
                    let person = Person {
                        id,
                        version: expect_version,
                        ..person
                    };
                    let person = client
                        .update_person(with_actor(
                            actor,
                            UpdatePersonRequest {
                                person: Some(person),
                                update_mask: Some(prost_types::FieldMask { paths }),
                            },
                        ))
                        .await?;
                    print(person.get_ref(), "xingji.v1.Person")
                }
                PeopleCommand::Licence {
                    person_id,
                    kind,
                    order,
                    note,
                    expect_version,
                } => {
                    let event = LicenceEvent {
                        kind,
                        order_id: order,
                        note,
                        ..LicenceEvent::default()
                    };
                    let person = client
                        .record_licence_event(with_actor(
                            actor,
                            RecordLicenceEventRequest {
                                person_id,
                                event: Some(event),
                                version: expect_version,
                            },
                        ))
                        .await?;
                    print(person.get_ref(), "xingji.v1.Person")
                }
                PeopleCommand::LicenceEvents { person_id, page } => {
                    let response = client
                        .list_licence_events(with_actor(
                            actor,
                            ListLicenceEventsRequest {
                                person_id,
                                page_size: page.page_size,
                                page_token: page.page_token,
                            },
                        ))
                        .await?;
                    print(response.get_ref(), "xingji.v1.ListLicenceEventsResponse")
                }
            }
        }
        Command::Plugins(command) => {
            let mut client = PluginServiceClient::new(channel).max_decoding_message_size(64 << 20);
            match command {
                PluginsCommand::Install { file } => {
                    let component = std::fs::read(&file).map_err(|error| {
                        ClientError::Usage(format!("{}: {error}", file.display()))
                    })?;
                    let plugin = client
                        .install_plugin(with_actor(actor, InstallPluginRequest { component }))
                        .await?;
                    print(plugin.get_ref(), "xingji.v1.Plugin")
                }
                PluginsCommand::List { slot } => {
                    let list = client
                        .list_plugins(with_actor(
                            actor,
                            ListPluginsRequest {
                                slot,
                                page_size: 1000,
                                ..Default::default()
                            },
                        ))
                        .await?;
                    print(list.get_ref(), "xingji.v1.ListPluginsResponse")
                }
                PluginsCommand::Active { region } => {
                    let active = client
                        .get_region_plugins(with_actor(actor, GetRegionPluginsRequest { region }))
                        .await?;
                    print(active.get_ref(), "xingji.v1.RegionPlugins")
                }
                PluginsCommand::Activate {
                    region,
                    slot,
                    plugin,
                    reason,
                } => {
                    let (name, version) = plugin.split_once('@').ok_or_else(|| {
                        ClientError::Usage(format!("{plugin:?}: give the plugin as NAME@VERSION"))
                    })?;
                    let request = ActivatePluginRequest {
                        region,
                        slot,
                        name: name.into(),
                        version: version.into(),
                        reason,
                    };
                    let activation = client.activate_plugin(with_actor(actor, request)).await?;
                    print(activation.get_ref(), "xingji.v1.Activation")
                }
                PluginsCommand::Rollback {
                    region,
                    slot,
                    reason,
                } => {
                    let activation = client
                        .rollback_plugin(with_actor(
                            actor,
                            RollbackPluginRequest {
                                region,
                                slot,
                                reason,
                            },
                        ))
                        .await?;
                    print(activation.get_ref(), "xingji.v1.Activation")
                }
                PluginsCommand::History { page } => {
                    let history = client
                        .list_activations(with_actor(
                            actor,
                            ListActivationsRequest {
                                region: page.region,
                                page_size: page.page_size,
                                page_token: page.page_token,
                            },
                        ))
                        .await?;
                    print(history.get_ref(), "xingji.v1.ListActivationsResponse")
                }
                PluginsCommand::Stats { region } => {
                    let stats = client
                        .get_plugin_stats(with_actor(actor, GetPluginStatsRequest { region }))
                        .await?;
                    print(stats.get_ref(), "xingji.v1.PluginStats")
                }
            }
        }
        Command::Warranty(command) => {
            let mut client = WarrantyServiceClient::new(channel);
            match command {
                WarrantyCommand::Quote { region, appliance } => {
                    let request = QuoteRequest {
                        region,
                        appliance: Some(appliance.appliance()),
                    };
                    let plans = client.quote(with_actor(actor, request)).await?;
                    print(plans.get_ref(), "xingji.v1.QuoteResponse")
                }
                WarrantyCommand::Buy {
                    region,
                    appliance,
                    years,
                    phone,
                    request_id,
                } => {
                    let request = PurchaseRequest {
                        region,
                        request_id: request_id.unwrap_or_else(|| crate::services::new_id("cli")),
                        appliance: Some(appliance.appliance()),
                        years,
                        customer_phone: phone,
                        sold_date: None,
                    };
                    let contract = client.purchase(with_actor(actor, request)).await?;
                    print(contract.get_ref(), "xingji.v1.WarrantyContract")
                }
                WarrantyCommand::Get { region, id } => {
                    let contract = client
                        .get_contract(with_actor(actor, GetContractRequest { region, id }))
                        .await?;
                    print(contract.get_ref(), "xingji.v1.WarrantyContract")
                }
                WarrantyCommand::List {
                    region,
                    page_size,
                    page_token,
                } => {
                    let request = ListContractsRequest {
                        region,
                        page_size,
                        page_token,
                    };
                    let contracts = client.list_contracts(with_actor(actor, request)).await?;
                    print(contracts.get_ref(), "xingji.v1.ListContractsResponse")
                }
            }
        }
        Command::Birthdays {
            region,
            from,
            to,
            dry_run,
        } => {
            let mut client = CampaignServiceClient::new(channel);
            let request = RunBirthdayCampaignRequest {
                region,
                from: Some(from),
                to: Some(to),
                dry_run,
            };
            let run = client
                .run_birthday_campaign(with_actor(actor, request))
                .await?;
            print(run.get_ref(), "xingji.v1.RunBirthdayCampaignResponse")
        }
        Command::Tours {
            region,
            outlet,
            dates,
            vehicles,
            capacity,
            speed,
            shift,
            dry_run,
        } => {
            let mut client = TourServiceClient::new(channel);
            let request = PlanToursRequest {
                region,
                outlet_id: outlet,
                dates,
                vehicles: Some(Vehicles {
                    count: vehicles,
                    capacity,
                    speed_kmh: speed,
                    shift_start_minute: shift.0,
                    shift_end_minute: shift.1,
                }),
                dry_run,
            };
            let plan = client.plan_tours(with_actor(actor, request)).await?;
            print(plan.get_ref(), "xingji.v1.PlanToursResponse")
        }
        Command::Month(command) => {
            let mut client =
                MonthCloseServiceClient::new(channel).max_decoding_message_size(64 << 20);
            match command {
                MonthCommand::Close {
                    region,
                    month,
                    dry_run,
                } => {
                    let close = client
                        .close_month(with_actor(
                            actor,
                            CloseMonthRequest {
                                region,
                                month,
                                dry_run,
                            },
                        ))
                        .await?;
                    print(close.get_ref(), "xingji.v1.MonthClose")
                }
                MonthCommand::Get { region, month } => {
                    let close = client
                        .get_month_close(with_actor(actor, GetMonthCloseRequest { region, month }))
                        .await?;
                    print(close.get_ref(), "xingji.v1.MonthClose")
                }
                MonthCommand::List { page } => {
                    let closes = client
                        .list_month_closes(with_actor(
                            actor,
                            ListMonthClosesRequest {
                                region: page.region,
                                page_size: page.page_size,
                                page_token: page.page_token,
                            },
                        ))
                        .await?;
                    print(closes.get_ref(), "xingji.v1.ListMonthClosesResponse")
                }
            }
        }
        Command::Orders(command) => {
            let mut client = OrderServiceClient::new(channel);
            match command {
                OrdersCommand::List {
                    page,
                    status,
                    outlet,
                    engineer,
                    kind,
                    product_line,
                    overdue,
                    complaints_about,
                } => {
                    let response = client
                        .list_orders(with_actor(
                            actor,
                            ListOrdersRequest {
                                region: page.region,
                                page_size: page.page_size,
                                page_token: page.page_token,
                                status,
                                outlet_id: outlet,
                                engineer_id: engineer,
                                kind,
                                product_line,
                                overdue_only: overdue,
                                original_order_id: complaints_about,
                            },
                        ))
                        .await?;
                    print(response.get_ref(), "xingji.v1.ListOrdersResponse")
                }
                OrdersCommand::Get { id } => {
                    let order = client
                        .get_order(with_actor(actor, GetOrderRequest { id }))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Dispatch { id, expect_version } => {
                    let order = client
                        .dispatch_order(with_actor(
                            actor,
                            DispatchOrderRequest {
                                id,
                                version: expect_version,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Accept { id, expect_version } => {
                    let order = client
                        .accept_order(with_actor(
                            actor,
                            AcceptOrderRequest {
                                id,
                                version: expect_version,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Refuse {
                    id,
                    by,
                    reason,
                    expect_version,
                } => {
                    let order = client
                        .refuse_order(with_actor(
                            actor,
                            RefuseOrderRequest {
                                id,
                                version: expect_version,
                                reason,
                                by,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Contact {
                    id,
                    appointment,
                    note,
                    expect_version,
                } => {
                    let order = client
                        .contact_customer(with_actor(
                            actor,
                            ContactCustomerRequest {
                                id,
                                version: expect_version,
                                appointment_time: Some(appointment),
                                note,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Arrive { id, expect_version } => {
                    let order = client
                        .arrive_on_site(with_actor(
                            actor,
                            ArriveOnSiteRequest {
                                id,
                                version: expect_version,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Complete {
                    id,
                    diagnosis,
                    work_done,
                    part,
                    charge_fen,
                    expect_version,
                } => {
                    let report = ServiceReport {
                        diagnosis,
                        work_done,
                        parts: part,
                        charge_fen,
                        ..ServiceReport::default()
                    };
                    let order = client
                        .complete_order(with_actor(
                            actor,
                            CompleteOrderRequest {
                                id,
                                version: expect_version,
                                report: Some(report),
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Callback {
                    id,
                    reached,
                    satisfied,
                    note,
                    expect_version,
                } => {
                    let callback = Callback {
                        reached,
                        satisfied,
                        note,
                        ..Callback::default()
                    };
                    let order = client
                        .record_callback(with_actor(
                            actor,
                            RecordCallbackRequest {
                                id,
                                version: expect_version,
                                callback: Some(callback),
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::CheckQuality {
                    id,
                    old_part_returned,
                    finding,
                    finding_agreed,
                    expect_version,
                } => {
                    let order = client
                        .check_quality(with_actor(
                            actor,
                            CheckQualityRequest {
                                id,
                                version: expect_version,
                                old_part_returned,
                                finding,
                                finding_agreed,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Cancel {
                    id,
                    reason,
                    expect_version,
                } => {
                    let order = client
                        .cancel_order(with_actor(
                            actor,
                            CancelOrderRequest {
                                id,
                                version: expect_version,
                                reason,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Invalidate {
                    id,
                    reason,
                    expect_version,
                } => {
                    let order = client
                        .invalidate_order(with_actor(
                            actor,
                            InvalidateOrderRequest {
                                id,
                                version: expect_version,
                                reason,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Complaint {
                    id,
                    step,
                    cause,
                    responsible,
                    improvement,
                    note,
                    expect_version,
                } => {
                    let order = client
                        .advance_complaint(with_actor(
                            actor,
                            AdvanceComplaintRequest {
                                id,
                                version: expect_version,
                                step,
                                cause,
                                responsible_person_id: responsible,
                                improvement_measure: improvement,
                                note,
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
                OrdersCommand::Watch {
                    region,
                    after,
                    outlet,
                } => {
                    let mut events = client
                        .watch_orders(with_actor(
                            actor,
                            WatchOrdersRequest {
                                region,
                                after_cursor: after,
                                outlet_id: outlet,
                            },
                        ))
                        .await?
                        .into_inner();
                    while let Some(event) = events.message().await? {
                        if !write_json(&event, "xingji.v1.OrderEvent", false)? {
                            // The reader went away (`| head`): done.
                            break;
                        }
                    }
                    Ok(())
                }
                OrdersCommand::Create(args) => {
                    let request_id = args
                        .request_id
                        .clone()
                        .unwrap_or_else(|| ulid::Ulid::new().to_string());
                    let order = Order {
                        region: args.region,
                        // Only --complaint-about makes --kind optional.
                        kind: args.kind.unwrap_or(OrderKind::Complaint as i32),
                        customer: Some(Customer {
                            name: args.customer,
                            phone: args.phone,
                            address: args.address,
                            location: args.location.point(),
                            vip: args.vip,
                        }),
                        appliance: Some(Appliance {
                            product_line: args.product_line,
                            model: args.model,
                            serial: args.serial,
                            purchase_date: args.purchase_date,
                            price_fen: args.price_fen,
                        }),
                        description: args.description,
                        complaint: args.complaint_about.map(|original_order_id| Complaint {
                            original_order_id,
                            summary: args.summary.unwrap_or_default(),
                            ..Complaint::default()
                        }),
                        ..Order::default()
                    };
                    let order = client
                        .create_order(with_actor(
                            actor,
                            CreateOrderRequest {
                                request_id,
                                order: Some(order),
                            },
                        ))
                        .await?;
                    print(order.get_ref(), "xingji.v1.Order")
                }
            }
        }
    }
}

fn with_actor<T>(actor: Option<&str>, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = actor.and_then(|actor| actor.parse().ok()) {
        request.metadata_mut().insert(ACTOR_HEADER, value);
    }
    request
}

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command could not be sent.
    #[error("{0}")]
    Usage(String),
    /// The server refused it.
    #[error("{}", describe(.0))]
    Status(#[from] Status),
}

/// A status with its details, one per line, for people.
fn describe(status: &Status) -> String {
    let mut text = format!("{:?}: {}", status.code(), status.message());
    // The message already lists the bad fields of a BadRequest.
    let details = status.get_error_details();
    if let Some(failure) = details.precondition_failure() {
        for violation in &failure.violations {
            text.push_str(&format!(
                "\n  {} [{}]: {}",
                violation.subject, violation.r#type, violation.description
            ));
        }
    }
    if let Some(info) = details.error_info() {
        text.push_str(&format!("\n  reason: {} {:?}", info.reason, info.metadata));
    }
    text
}

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(xingji_api::FILE_DESCRIPTOR_SET)
        .expect("the built-in descriptor set decodes")
});

/// Prints `message` (of the proto type `full_name`) as indented proto JSON.
fn print<M: Message>(message: &M, full_name: &str) -> Result<(), ClientError> {
    write_json(message, full_name, true).map(|_| ())
}

/// Writes `message` (of the proto type `full_name`) to standard output as
/// proto JSON, indented or on one line, and flushes it. Returns whether the
/// reader is still there: one that stopped early (`| head`) is not an error.
fn write_json<M: Message>(message: &M, full_name: &str, pretty: bool) -> Result<bool, ClientError> {
    let descriptor = POOL
        .get_message_by_name(full_name)
        .ok_or_else(|| ClientError::Usage(format!("no message type {full_name}")))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .map_err(|error| ClientError::Usage(error.to_string()))?;
    let options = SerializeOptions::new().use_proto_field_name(true);
    let stdout = std::io::stdout().lock();
    let written = if pretty {
        let mut out = serde_json::Serializer::pretty(stdout);
        dynamic
            .serialize_with_options(&mut out, &options)
            .map(|()| out.into_inner())
    } else {
        let mut out = serde_json::Serializer::new(stdout);
        dynamic
            .serialize_with_options(&mut out, &options)
            .map(|()| out.into_inner())
    }
    .and_then(|mut stdout| {
        writeln!(stdout)
            .and_then(|()| stdout.flush())
            .map_err(serde_json::Error::io)
    });
    match written {
        Ok(()) => Ok(true),
        Err(error) if error.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => Ok(false),
        Err(error) => Err(ClientError::Usage(error.to_string())),
    }
}

/// A clap parser for values of the proto enum `full_name` in short form:
/// `star-centre` for `OUTLET_TIER_STAR_CENTRE` (the full name works too).
pub fn enum_arg(
    full_name: &'static str,
) -> impl Fn(&str) -> Result<i32, String> + Clone + Send + Sync + 'static {
    move |input: &str| {
        let descriptor = POOL
            .get_enum_by_name(full_name)
            .ok_or_else(|| format!("no enum type {full_name}"))?;
        let prefix = descriptor
            .values()
            .find(|v| v.number() == 0)
            .map(|v| v.name().trim_end_matches("UNSPECIFIED").to_owned())
            .unwrap_or_default();
        let wanted = input.trim().to_uppercase().replace('-', "_");
        descriptor
            .values()
            .find(|v| v.name() == wanted || v.name() == format!("{prefix}{wanted}"))
            .map(|v| v.number())
            .ok_or_else(|| {
                let names: Vec<String> = descriptor
                    .values()
                    .filter(|v| v.number() != 0)
                    .map(|v| {
                        v.name()
                            .trim_start_matches(&prefix)
                            .to_lowercase()
                            .replace('_', "-")
                    })
                    .collect();
                format!("one of: {}", names.join(", "))
            })
    }
}

/// Parses `tv:senior` into a skill.
fn skill_arg(input: &str) -> Result<Skill, String> {
    let (line, level) = input
        .split_once(':')
        .ok_or_else(|| "give PRODUCT_LINE:CERTIFICATION, e.g. tv:senior".to_owned())?;
    Ok(Skill {
        product_line: enum_arg("xingji.v1.ProductLine")(line)?,
        level: enum_arg("xingji.v1.CertificationLevel")(level)?,
    })
}

/// Parses a shift, `HH:MM-HH:MM`, into minutes after midnight.
fn shift_arg(input: &str) -> Result<(i32, i32), String> {
    let wrong = || format!("{input:?} is not a shift like 08:00-17:00");
    let minute = |t: &str| -> Option<i32> {
        let (h, m) = t.split_once(':')?;
        let (h, m) = (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?);
        ((0..=24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
    };
    let (start, end) = input.split_once('-').ok_or_else(wrong)?;
    Ok((
        minute(start).ok_or_else(wrong)?,
        minute(end).ok_or_else(wrong)?,
    ))
}

/// Parses `YYYY-MM-DD`.
fn date_arg(input: &str) -> Result<Date, String> {
    let parts: Vec<&str> = input.split('-').collect();
    let number = |s: &str| {
        s.parse::<i32>()
            .map_err(|_| format!("{input:?} is not YYYY-MM-DD"))
    };
    match parts.as_slice() {
        [year, month, day] => Ok(Date {
            year: number(year)?,
            month: number(month)?,
            day: number(day)?,
        }),
        _ => Err(format!("{input:?} is not YYYY-MM-DD")),
    }
}

/// Parses `NUMBER:NAME:QTY`, with `:return` when the old part is due back:
/// `BM-2041:电机:1:return`. The name may itself contain colons.
fn part_arg(input: &str) -> Result<PartUsed, String> {
    let wrong = || format!("{input:?}: give NUMBER:NAME:QTY[:return], e.g. BM-2041:电机:1:return");
    let (rest, due_back) = match input.strip_suffix(":return") {
        Some(rest) => (rest, true),
        None => (input, false),
    };
    let (part_number, rest) = rest.split_once(':').ok_or_else(wrong)?;
    let (name, quantity) = rest.rsplit_once(':').ok_or_else(wrong)?;
    Ok(PartUsed {
        part_number: part_number.to_owned(),
        name: name.to_owned(),
        quantity: quantity.trim().parse().map_err(|_| wrong())?,
        old_part_due_return: due_back,
    })
}

/// Parses an RFC 3339 time with its offset: `2026-11-29T10:00:00+08:00`,
/// `2026-11-29T02:00:00Z`. A time without an offset is refused rather than
/// read as UTC, which would put a Beijing appointment eight hours late.
fn time_arg(input: &str) -> Result<prost_types::Timestamp, String> {
    let wrong = || {
        format!("{input:?} is not an RFC 3339 time with its offset, e.g. 2026-11-29T10:00:00+08:00")
    };
    let (_, time) = input.split_once(['T', 't']).ok_or_else(wrong)?;
    if !(time.ends_with(['Z', 'z']) || time.contains(['+', '-'])) {
        return Err(wrong());
    }
    input.parse().map_err(|_| wrong())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn times_need_an_offset_and_a_real_date() {
        let beijing = time_arg("2026-11-29T10:00:00+08:00").expect("parses");
        let utc = time_arg("2026-11-29T02:00:00Z").expect("parses");
        assert_eq!(beijing, utc);
        assert_eq!(beijing.seconds, 1_795_917_600);
        assert_eq!(
            time_arg("2026-11-29t02:00:00.5z").expect("parses").nanos,
            500_000_000
        );
        assert_eq!(
            time_arg("2026-11-28T21:00:00-05:00").expect("parses"),
            utc,
            "a negative offset"
        );
        for bad in [
            "2026-11-29",
            "2026-11-29T10:00:00",
            "2026-11-29 10:00:00+08:00",
            "2026-02-30T10:00:00+08:00",
            "2026-11-29T25:00:00+08:00",
            "2026-11-29T10:00+08:00",
            "tomorrow",
            "",
        ] {
            let error = time_arg(bad).expect_err(bad);
            assert!(error.contains("RFC 3339"), "{error}");
        }
    }

    #[test]
    fn parts_read_number_name_quantity_and_return() {
        let part = part_arg("BM-2041:电机:1:return").expect("parses");
        assert_eq!(
            part,
            PartUsed {
                part_number: "BM-2041".into(),
                name: "电机".into(),
                quantity: 1,
                old_part_due_return: true,
            }
        );
        let part = part_arg("X9:belt: drive:2").expect("parses");
        assert_eq!((part.name.as_str(), part.quantity), ("belt: drive", 2));
        assert!(!part.old_part_due_return);
        assert!(part_arg("X9:2").is_err());
        assert!(part_arg("X9:belt:two").is_err());
    }

    #[test]
    fn the_new_commands_parse() {
        let cli = Cli::try_parse_from([
            "xingji", "orders", "refuse", "ord_1", "--by", "engineer", "--reason", "ill",
        ])
        .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Orders(OrdersCommand::Refuse { by, .. }) if by == RefusedBy::Engineer as i32
        ));
        assert!(
            Cli::try_parse_from([
                "xingji",
                "orders",
                "contact",
                "ord_1",
                "--appointment",
                "tomorrow"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from([
            "xingji",
            "orders",
            "create",
            "--region",
            "shanghai",
            "--complaint-about",
            "ord_1",
            "--summary",
            "still broken",
            "--customer",
            "李娜",
            "--phone",
            "13912345678",
            "--address",
            "x",
            "--product-line",
            "tv",
        ])
        .expect("--kind is optional for a complaint");
        let Command::Orders(OrdersCommand::Create(args)) = cli.command else {
            panic!("not create");
        };
        assert_eq!(args.kind, None);
        assert!(
            Cli::try_parse_from([
                "xingji",
                "orders",
                "create",
                "--region",
                "shanghai",
                "--customer",
                "李娜",
                "--phone",
                "13912345678",
                "--address",
                "x",
                "--product-line",
                "tv",
            ])
            .is_err(),
            "--kind is required otherwise"
        );
        Cli::command().debug_assert();
    }
}
