//! `xingji orders create`: record a service request (intake).

use clap::Args;
use xingji_api::google::r#type::Date;
use xingji_api::v1::*;

use crate::cli::args::{RequiredLocation, enum_arg};
use crate::cli::dates::date_arg;
use crate::cli::errors::FieldFlags;

/// `xingji orders create` flags.
#[derive(Debug, Args)]
pub struct CreateOrderArgs {
    /// The region, e.g. shanghai.
    #[arg(long)]
    pub region: String,
    /// installation, repair, maintenance, consultation, birthday-visit,
    /// tour-visit or complaint. Required, unless --complaint-about
    /// [default then: complaint].
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
    pub location: RequiredLocation,
    /// A VIP customer.
    #[arg(long)]
    pub vip: bool,
    /// The appliance's product line.
    #[arg(long, value_parser = enum_arg("xingji.v1.ProductLine"))]
    pub product_line: i32,
    /// The appliance's model code.
    #[arg(long, default_value = "", hide_default_value = true)]
    pub model: String,
    /// The appliance's serial number.
    #[arg(long, default_value = "", hide_default_value = true)]
    pub serial: String,
    /// When the appliance was bought: YYYY-MM-DD, today, yesterday,
    /// tomorrow, today+N or today-N (N days; China Standard Time).
    #[arg(long, value_parser = date_arg)]
    pub purchase_date: Option<Date>,
    /// What the appliance cost, in fen (yuan × 100).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub price_fen: i64,
    /// What the customer asks for.
    #[arg(long, default_value = "", hide_default_value = true)]
    pub description: String,
    /// For a complaint: the order complained about. The complaint order
    /// takes its outlet and engineer.
    #[arg(long, alias = "complains-about")]
    pub complaint_about: Option<String>,
    /// For a complaint: what the customer says.
    #[arg(long, requires = "complaint_about")]
    pub summary: Option<String>,
}

/// Which flag sets each field of a `CreateOrderRequest`.
pub const FLAGS: FieldFlags = &[
    ("request_id", "--request-id"),
    ("order.region", "--region"),
    ("order.kind", "--kind"),
    ("order.customer.name", "--customer"),
    ("order.customer.phone", "--phone"),
    ("order.customer.address", "--address"),
    ("order.customer.location", "--lat/--lon"),
    ("order.customer.location.lat", "--lat"),
    ("order.customer.location.lon", "--lon"),
    ("order.customer.vip", "--vip"),
    ("order.appliance.product_line", "--product-line"),
    ("order.appliance.model", "--model"),
    ("order.appliance.serial", "--serial"),
    ("order.appliance.purchase_date", "--purchase-date"),
    ("order.appliance.price_fen", "--price-fen"),
    ("order.description", "--description"),
    ("order.complaint", "--complaint-about"),
    ("order.complaint.original_order_id", "--complaint-about"),
    ("order.complaint.summary", "--summary"),
];

impl CreateOrderArgs {
    /// The request these flags make.
    pub fn request(self) -> CreateOrderRequest {
        let request_id = self
            .request_id
            .unwrap_or_else(|| xingji_core::ids::new_id("cli"));
        let order = Order {
            region: self.region,
            // Only --complaint-about makes --kind optional.
            kind: self.kind.unwrap_or(OrderKind::Complaint as i32),
            customer: Some(Customer {
                name: self.customer,
                phone: self.phone,
                address: self.address,
                location: Some(self.location.point()),
                vip: self.vip,
            }),
            appliance: Some(Appliance {
                product_line: self.product_line,
                model: self.model,
                serial: self.serial,
                purchase_date: self.purchase_date,
                price_fen: self.price_fen,
            }),
            description: self.description,
            complaint: self.complaint_about.map(|original_order_id| Complaint {
                original_order_id,
                summary: self.summary.unwrap_or_default(),
                ..Complaint::default()
            }),
            ..Order::default()
        };
        CreateOrderRequest {
            request_id,
            order: Some(order),
        }
    }
}
