//! `xingji outlets …`: the service network, and mystery-customer audits.

use clap::{Args, Subcommand};
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::*;

use super::args::{LocationArgs, PageArgs, RequiredLocation, enum_arg, time_arg};
use super::connection::Connection;
use super::errors::{ClientError, FieldFlags};
use super::output::Output;

/// `xingji outlets …`
#[derive(Debug, Subcommand)]
pub enum OutletsCommand {
    /// List outlets, oldest first.
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only outlets in this status (active, suspended, eliminated).
        #[arg(long, value_parser = enum_arg("xingji.v1.OutletStatus"), default_value = "unspecified", hide_default_value = true)]
        status: i32,
        /// Only outlets of this tier (hq, regional-centre, star-centre, sub-outlet).
        #[arg(long, value_parser = enum_arg("xingji.v1.OutletTier"), default_value = "unspecified", hide_default_value = true)]
        tier: i32,
        /// Only children of this outlet.
        #[arg(long, default_value = "", hide_default_value = true)]
        parent: String,
        /// Only outlets serving this product line.
        #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"), default_value = "unspecified", hide_default_value = true)]
        product_line: i32,
        /// Only outlets with this grade (a, b, c).
        #[arg(long, value_parser = enum_arg("xingji.v1.OutletGrade"), default_value = "unspecified", hide_default_value = true)]
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
        fields: NewOutlet,
    },
    /// Change the given fields of an outlet.
    Update {
        /// The outlet's id.
        id: String,
        /// Refuse the update unless the outlet is still at this version
        /// [default: any version].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        expect_version: i64,
        #[command(flatten)]
        fields: OutletChanges,
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
        #[arg(long, default_value = "", hide_default_value = true)]
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
        #[arg(long, default_value = "", hide_default_value = true)]
        outlet: String,
    },
}

/// The flags of a new outlet: what the server requires is required here.
#[derive(Debug, Args)]
pub struct NewOutlet {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Internal number, unique in the region (SH-100).
    #[arg(long)]
    pub number: String,
    /// hq, regional-centre, star-centre or sub-outlet.
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletTier"))]
    pub tier: i32,
    /// flagship, core, standard, umbrella or sub-outlet.
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletClass"))]
    pub class: i32,
    /// The parent outlet's id: required for a star centre (its regional
    /// centre) and a sub-outlet (its star centre), optional for a regional
    /// centre, none for hq.
    #[arg(long)]
    pub parent: Option<String>,
    #[command(flatten)]
    pub location: RequiredLocation,
    /// Postal address.
    #[arg(long)]
    pub address: String,
    /// Service radius in minutes of travel, 1 to 240 [default: 30].
    #[arg(long)]
    pub radius: Option<i32>,
    /// A product line served; repeat for several.
    #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"))]
    pub product_line: Vec<i32>,
    /// Orders a day the outlet can take.
    #[arg(long, default_value_t = 0)]
    pub capacity: i32,
    /// active, suspended or eliminated [default: active].
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletStatus"))]
    pub status: Option<i32>,
    /// a, b or c [default: none until the first month close].
    #[arg(long, value_parser = enum_arg("xingji.v1.OutletGrade"))]
    pub grade: Option<i32>,
}

impl NewOutlet {
    fn outlet(self, region: String) -> Outlet {
        Outlet {
            region,
            name: self.name,
            number: self.number,
            tier: self.tier,
            class: self.class,
            parent_id: self.parent.unwrap_or_default(),
            location: Some(self.location.point()),
            address: self.address,
            // 0 asks the server for its defaults (30 minutes; active).
            service_radius_minutes: self.radius.unwrap_or_default(),
            product_lines: self.product_line,
            daily_capacity: self.capacity,
            status: self.status.unwrap_or_default(),
            grade: self.grade.unwrap_or_default(),
            ..Outlet::default()
        }
    }
}

/// The fields an update may change; only those given change.
#[derive(Debug, Args)]
pub struct OutletChanges {
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
    /// Service radius in minutes of travel, 1 to 240.
    #[arg(long)]
    pub radius: Option<i32>,
    /// A product line served; repeat for several (replaces the list).
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

impl OutletChanges {
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

const LIST: FieldFlags = &[
    ("region", "--region"),
    ("page_size", "--page-size"),
    ("page_token", "--page-token"),
    ("status", "--status"),
    ("tier", "--tier"),
    ("parent_id", "--parent"),
    ("product_line", "--product-line"),
    ("grade", "--grade"),
];
const GET: FieldFlags = &[("id", "<ID>")];
const CREATE: FieldFlags = &[
    ("outlet.region", "--region"),
    ("outlet.name", "--name"),
    ("outlet.number", "--number"),
    ("outlet.tier", "--tier"),
    ("outlet.class", "--class"),
    ("outlet.parent_id", "--parent"),
    ("outlet.location", "--lat/--lon"),
    ("outlet.location.lat", "--lat"),
    ("outlet.location.lon", "--lon"),
    ("outlet.address", "--address"),
    ("outlet.service_radius_minutes", "--radius"),
    ("outlet.product_lines", "--product-line"),
    ("outlet.daily_capacity", "--capacity"),
    ("outlet.status", "--status"),
    ("outlet.grade", "--grade"),
];
const UPDATE: FieldFlags = &[
    ("outlet.id", "<ID>"),
    ("outlet.version", "--expect-version"),
    ("outlet.name", "--name"),
    ("outlet.number", "--number"),
    ("outlet.tier", "--tier"),
    ("outlet.class", "--class"),
    ("outlet.parent_id", "--parent"),
    ("outlet.location", "--lat/--lon"),
    ("outlet.location.lat", "--lat"),
    ("outlet.location.lon", "--lon"),
    ("outlet.address", "--address"),
    ("outlet.service_radius_minutes", "--radius"),
    ("outlet.product_lines", "--product-line"),
    ("outlet.daily_capacity", "--capacity"),
    ("outlet.status", "--status"),
    ("outlet.grade", "--grade"),
];
const AUDIT: FieldFlags = &[
    ("audit.outlet_id", "<OUTLET_ID>"),
    ("audit.score", "--score"),
    ("audit.failed_standards", "--failed"),
    ("audit.findings", "--findings"),
    ("audit.visit_time", "--visit-time"),
];
const AUDITS: FieldFlags = &[
    ("region", "--region"),
    ("page_size", "--page-size"),
    ("page_token", "--page-token"),
    ("outlet_id", "--outlet"),
];

impl OutletsCommand {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            OutletsCommand::List { .. } => LIST,
            OutletsCommand::Get { .. } => GET,
            OutletsCommand::Create { .. } => CREATE,
            OutletsCommand::Update { .. } => UPDATE,
            OutletsCommand::Audit { .. } => AUDIT,
            OutletsCommand::Audits { .. } => AUDITS,
        }
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client = OutletServiceClient::new(conn.channel());
        match self {
            OutletsCommand::List {
                page,
                status,
                tier,
                parent,
                product_line,
                grade,
            } => {
                let request = ListOutletsRequest {
                    region: page.region,
                    page_size: page.page_size,
                    page_token: page.page_token,
                    status,
                    tier,
                    parent_id: parent,
                    product_line,
                    grade,
                };
                out.print(client.list_outlets(conn.request(request))).await
            }
            OutletsCommand::Get { id } => {
                out.print(client.get_outlet(conn.request(GetOutletRequest { id })))
                    .await
            }
            OutletsCommand::Create { region, fields } => {
                let request = CreateOutletRequest {
                    outlet: Some(fields.outlet(region)),
                };
                out.print(client.create_outlet(conn.request(request))).await
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
                let request = UpdateOutletRequest {
                    outlet: Some(outlet),
                    update_mask: Some(prost_types::FieldMask { paths }),
                };
                out.print(client.update_outlet(conn.request(request))).await
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
                let request = RecordAuditRequest { audit: Some(audit) };
                out.print(client.record_audit(conn.request(request))).await
            }
            OutletsCommand::Audits { page, outlet } => {
                let request = ListAuditsRequest {
                    region: page.region,
                    outlet_id: outlet,
                    page_size: page.page_size,
                    page_token: page.page_token,
                };
                out.print(client.list_audits(conn.request(request))).await
            }
        }
    }
}
