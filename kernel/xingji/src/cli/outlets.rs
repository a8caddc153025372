//! `xingji outlets …`: the service network, and mystery-customer audits.

use clap::{Args, Subcommand};
use xingji_api::v1::outlet_service_client::OutletServiceClient;
use xingji_api::v1::*;

use super::args::{
    LocationArgs, PageArgs, RequiredLocation, enum_arg, page_flags, page_request, time_arg,
};
use super::connection::Connection;
use super::errors::{ClientError, FieldFlags};
use super::mask::Mask;
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
    /// The request to create this outlet in `region`.
    fn request(self, region: String) -> CreateOutletRequest {
        let outlet = Outlet {
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
        };
        CreateOutletRequest {
            outlet: Some(outlet),
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
    /// The request to change the outlet `id`, still at `version` (0: any),
    /// as these flags say: the fields given, and the mask naming them.
    fn request(self, id: String, version: i64) -> UpdateOutletRequest {
        let mut mask = Mask::default();
        let outlet = Outlet {
            id,
            version,
            name: mask.field("name", self.name),
            number: mask.field("number", self.number),
            tier: mask.field("tier", self.tier),
            class: mask.field("class", self.class),
            parent_id: mask.field("parent_id", self.parent),
            location: mask.message("location", self.location.point()),
            address: mask.field("address", self.address),
            service_radius_minutes: mask.field("service_radius_minutes", self.radius),
            product_lines: mask.list("product_lines", self.product_line),
            daily_capacity: mask.field("daily_capacity", self.capacity),
            status: mask.field("status", self.status),
            grade: mask.field("grade", self.grade),
            ..Outlet::default()
        };
        UpdateOutletRequest {
            outlet: Some(outlet),
            update_mask: Some(mask.finish()),
        }
    }
}

const LIST: FieldFlags = page_flags![
    ("status", "--status"),
    ("tier", "--tier"),
    ("parent_id", "--parent"),
    ("product_line", "--product-line"),
    ("grade", "--grade"),
];
const GET: FieldFlags = &[("id", "<ID>")];

/// A table of a request with an outlet: the entries given, then those of
/// the outlet's fields, which create and update share.
macro_rules! outlet_flags {
    ($($entry:expr),* $(,)?) => {
        &[
            $($entry,)*
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
        ]
    };
}
const CREATE: FieldFlags = outlet_flags![("outlet.region", "--region")];
const UPDATE: FieldFlags = outlet_flags![
    ("outlet.id", "<ID>"),
    ("outlet.version", "--expect-version"),
];
const AUDIT: FieldFlags = &[
    ("audit.outlet_id", "<OUTLET_ID>"),
    ("audit.score", "--score"),
    ("audit.failed_standards", "--failed"),
    ("audit.findings", "--findings"),
    ("audit.visit_time", "--visit-time"),
];
const AUDITS: FieldFlags = page_flags![("outlet_id", "--outlet")];

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
                let request = page_request!(
                    page,
                    ListOutletsRequest {
                        status,
                        tier,
                        parent_id: parent,
                        product_line,
                        grade,
                    }
                );
                out.print(client.list_outlets(request)).await
            }
            OutletsCommand::Get { id } => {
                out.print(client.get_outlet(GetOutletRequest { id })).await
            }
            OutletsCommand::Create { region, fields } => {
                out.print(client.create_outlet(fields.request(region)))
                    .await
            }
            OutletsCommand::Update {
                id,
                expect_version,
                fields,
            } => {
                let request = fields.request(id, expect_version);
                out.print(client.update_outlet(request)).await
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
                out.print(client.record_audit(request)).await
            }
            OutletsCommand::Audits { page, outlet } => {
                let request = page_request!(page, ListAuditsRequest { outlet_id: outlet });
                out.print(client.list_audits(request)).await
            }
        }
    }
}
