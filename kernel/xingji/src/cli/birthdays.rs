//! `xingji birthdays`: appliance-birthday visits due in a window, and the
//! orders for them.

use clap::Args;
use xingji_api::google::r#type::Date;
use xingji_api::v1::RunBirthdayCampaignRequest;
use xingji_api::v1::campaign_service_client::CampaignServiceClient;

use super::connection::Connection;
use xingji_core::calendar::Month;

use super::dates::{date_arg, month_arg};
use super::errors::{ClientError, FieldFlags};
use super::output::Output;

/// `xingji birthdays` arguments.
#[derive(Debug, Args)]
pub struct BirthdaysArgs {
    /// The region.
    pub region: String,
    /// The window's first day: YYYY-MM-DD, today, yesterday, tomorrow,
    /// today+N or today-N (N days; China Standard Time). Required unless
    /// --month.
    #[arg(value_parser = date_arg, required_unless_present = "month", requires = "to")]
    pub from: Option<Date>,
    /// Its last day, in the same forms (at most 366 days on). Required
    /// unless --month.
    #[arg(value_parser = date_arg, required_unless_present = "month")]
    pub to: Option<Date>,
    /// Instead of FROM TO, a whole month: YYYY-MM, this-month, last-month,
    /// next-month or N-months-ago (China Standard Time).
    #[arg(long, value_parser = month_arg, conflicts_with_all = ["from", "to"])]
    pub month: Option<Month>,
    /// List the visits, create nothing.
    #[arg(long)]
    pub dry_run: bool,
}

const FLAGS: FieldFlags = &[("region", "<REGION>"), ("from", "<FROM>"), ("to", "<TO>")];

impl BirthdaysArgs {
    /// Which flag sets each field of the request.
    pub fn flags(&self) -> FieldFlags {
        FLAGS
    }

    /// The window, first and last day.
    fn window(&self) -> Result<(Date, Date), ClientError> {
        match (self.month, self.from, self.to) {
            (Some(month), _, _) => Ok((month.first_day(), month.last_day())),
            (None, Some(from), Some(to)) => Ok((from, to)),
            // clap requires FROM and TO unless --month.
            _ => Err(ClientError::Usage(
                "give the window as FROM TO, or --month MONTH".into(),
            )),
        }
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let (from, to) = self.window()?;
        let mut client = CampaignServiceClient::new(conn.channel());
        let request = RunBirthdayCampaignRequest {
            region: self.region,
            from: Some(from),
            to: Some(to),
            dry_run: self.dry_run,
        };
        out.print(client.run_birthday_campaign(request)).await
    }
}
