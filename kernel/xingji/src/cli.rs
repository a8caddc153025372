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
use xingji_api::v1::order_service_client::OrderServiceClient;
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::person_service_client::PersonServiceClient;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
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
    /// Who you are, recorded as the actor in order history.
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
    },
    /// Show one order with its history.
    Get {
        /// The order's id.
        id: String,
    },
    /// Record a service request (intake).
    Create(CreateOrderArgs),
    /// Dispatch an order in intake through its region's dispatch plugin.
    Dispatch {
        /// The order's id.
        id: String,
        /// Refuse unless the order is still at this version.
        #[arg(long, default_value_t = 0)]
        expect_version: i64,
    },
}

/// `xingji orders create` flags.
#[derive(Debug, Args)]
pub struct CreateOrderArgs {
    /// The region, e.g. shanghai.
    #[arg(long)]
    pub region: String,
    /// installation, repair, maintenance, consultation, birthday-visit,
    /// tour-visit or complaint.
    #[arg(long, value_parser = enum_arg("xingji.v1.OrderKind"))]
    pub kind: i32,
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
    /// For a complaint: the order complained about.
    #[arg(long)]
    pub complains_about: Option<String>,
}

/// Runs a client command against `cli.server`.
pub async fn run_client(cli: Cli) -> Result<(), ClientError> {
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
                                ..ListOrdersRequest::default()
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
                OrdersCommand::Create(args) => {
                    let request_id = args
                        .request_id
                        .clone()
                        .unwrap_or_else(|| ulid::Ulid::new().to_string());
                    let order = Order {
                        region: args.region,
                        kind: args.kind,
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
                        complaint: args.complains_about.map(|original_order_id| Complaint {
                            original_order_id,
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
    let descriptor = POOL
        .get_message_by_name(full_name)
        .ok_or_else(|| ClientError::Usage(format!("no message type {full_name}")))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .map_err(|error| ClientError::Usage(error.to_string()))?;
    let mut out = serde_json::Serializer::pretty(std::io::stdout().lock());
    let written = dynamic
        .serialize_with_options(
            &mut out,
            &SerializeOptions::new().use_proto_field_name(true),
        )
        .and_then(|()| writeln!(out.into_inner()).map_err(serde_json::Error::io));
    match written {
        // A reader that stopped early (`| head`) is not an error.
        Err(error) if error.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => Ok(()),
        result => result.map_err(|error| ClientError::Usage(error.to_string())),
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
