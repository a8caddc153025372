//! `xingji month …`: the month close, outlet grades and settlement
//! statements.

use clap::Subcommand;
use xingji_api::v1::month_close_service_client::MonthCloseServiceClient;
use xingji_api::v1::*;

use super::args::{PageArgs, page_flags, page_request};
use super::connection::Connection;
use xingji_core::calendar::Month;

use super::dates::month_arg;
use super::errors::{ClientError, FieldFlags};
use super::output::Output;

/// `xingji month …`
#[derive(Debug, Subcommand)]
pub enum MonthCommand {
    /// Close a month of a region (as hq or its regional-it): grade every outlet,
    /// settle the quality-checked orders, store the statements. Closing a
    /// closed month prints the stored close.
    Close {
        /// The region, e.g. shanghai.
        region: String,
        /// The month, YYYY-MM, this-month, last-month, next-month or
        /// N-months-ago (China Standard Time); it must have ended.
        #[arg(value_parser = month_arg)]
        month: Month,
        /// Compute and print the close, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a stored close with every statement.
    Get {
        /// The region.
        region: String,
        /// The month, YYYY-MM, this-month, last-month, next-month or
        /// N-months-ago (China Standard Time).
        #[arg(value_parser = month_arg)]
        month: Month,
    },
    /// List stored closes (totals, without the statements).
    List {
        #[command(flatten)]
        page: PageArgs,
    },
}

const ONE: FieldFlags = &[("region", "<REGION>"), ("month", "<MONTH>")];
const LIST: FieldFlags = page_flags![];

impl MonthCommand {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            MonthCommand::Close { .. } | MonthCommand::Get { .. } => ONE,
            MonthCommand::List { .. } => LIST,
        }
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client =
            MonthCloseServiceClient::new(conn.channel()).max_decoding_message_size(64 << 20);
        match self {
            MonthCommand::Close {
                region,
                month,
                dry_run,
            } => {
                let request = CloseMonthRequest {
                    region,
                    month: month.to_string(),
                    dry_run,
                };
                out.print(client.close_month(request)).await
            }
            MonthCommand::Get { region, month } => {
                let request = GetMonthCloseRequest {
                    region,
                    month: month.to_string(),
                };
                out.print(client.get_month_close(request)).await
            }
            MonthCommand::List { page } => {
                let request = page_request!(page, ListMonthClosesRequest {});
                out.print(client.list_month_closes(request)).await
            }
        }
    }
}
