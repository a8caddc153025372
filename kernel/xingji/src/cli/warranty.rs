//! `xingji warranty …`: the Jiujiu extended warranty.

use clap::{Args, Subcommand};
use xingji_api::google::r#type::Date;
use xingji_api::v1::warranty_service_client::WarrantyServiceClient;
use xingji_api::v1::*;

use super::args::enum_arg;
use super::connection::Connection;
use super::dates::date_arg;
use super::errors::{ClientError, FieldFlags};
use super::output::Output;

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
        /// Makes a retry safe [default: a new id].
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
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        page_size: i32,
        /// The next_page_token of the page before [default: the first page].
        #[arg(long, default_value = "", hide_default_value = true)]
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
    /// The purchase date: YYYY-MM-DD, today, yesterday, tomorrow, today+N or
    /// today-N (N days; China Standard Time).
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

const QUOTE: FieldFlags = &[
    ("region", "<REGION>"),
    ("appliance.product_line", "--product-line"),
    ("appliance.serial", "--serial"),
    ("appliance.purchase_date", "--purchase-date"),
    ("appliance.price_fen", "--price-fen"),
];
const BUY: FieldFlags = &[
    ("region", "<REGION>"),
    ("request_id", "--request-id"),
    ("appliance.product_line", "--product-line"),
    ("appliance.serial", "--serial"),
    ("appliance.purchase_date", "--purchase-date"),
    ("appliance.price_fen", "--price-fen"),
    ("years", "--years"),
    ("customer_phone", "--phone"),
];
const GET: FieldFlags = &[("region", "<REGION>"), ("id", "<ID>")];
const LIST: FieldFlags = &[
    ("region", "<REGION>"),
    ("page_size", "--page-size"),
    ("page_token", "--page-token"),
];

impl WarrantyCommand {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            WarrantyCommand::Quote { .. } => QUOTE,
            WarrantyCommand::Buy { .. } => BUY,
            WarrantyCommand::Get { .. } => GET,
            WarrantyCommand::List { .. } => LIST,
        }
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client = WarrantyServiceClient::new(conn.channel());
        match self {
            WarrantyCommand::Quote { region, appliance } => {
                let request = QuoteRequest {
                    region,
                    appliance: Some(appliance.appliance()),
                };
                out.print(client.quote(request)).await
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
                    request_id: request_id.unwrap_or_else(|| xingji_core::ids::new_id("cli")),
                    appliance: Some(appliance.appliance()),
                    years,
                    customer_phone: phone,
                    sold_date: None,
                };
                out.print(client.purchase(request)).await
            }
            WarrantyCommand::Get { region, id } => {
                let request = GetContractRequest { region, id };
                out.print(client.get_contract(request)).await
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
                out.print(client.list_contracts(request)).await
            }
        }
    }
}
