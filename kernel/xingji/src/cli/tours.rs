//! `xingji tours`: plan rural tours out of an outlet, and dispatch them.

use clap::Args;
use xingji_api::google::r#type::Date;
use xingji_api::v1::tour_service_client::TourServiceClient;
use xingji_api::v1::{PlanToursRequest, Vehicles};

use super::connection::Connection;
use super::dates::date_arg;
use super::errors::{ClientError, FieldFlags};
use super::output::Output;

/// `xingji tours` arguments.
#[derive(Debug, Args)]
pub struct ToursArgs {
    /// The region.
    pub region: String,
    /// The outlet the vehicles leave from.
    pub outlet: String,
    /// A day to plan: YYYY-MM-DD, today, yesterday, tomorrow, today+N or
    /// today-N (N days; China Standard Time); repeat for more (at most 7).
    #[arg(long = "date", value_parser = date_arg, required = true)]
    pub dates: Vec<Date>,
    /// Vehicles available (each needs an on-duty engineer).
    #[arg(long, default_value_t = 2)]
    pub vehicles: i32,
    /// Load units each vehicle carries.
    #[arg(long, default_value_t = 8)]
    pub capacity: i32,
    /// Average speed, km/h.
    #[arg(long, default_value_t = 40.0)]
    pub speed: f64,
    /// The shift, HH:MM-HH:MM (China Standard Time).
    #[arg(long, default_value = "08:00-17:00", value_parser = shift_arg)]
    pub shift: (i32, i32),
    /// Plan and print, dispatch nothing.
    #[arg(long)]
    pub dry_run: bool,
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

const FLAGS: FieldFlags = &[
    ("region", "<REGION>"),
    ("outlet_id", "<OUTLET>"),
    ("dates", "--date"),
    ("vehicles.count", "--vehicles"),
    ("vehicles.capacity", "--capacity"),
    ("vehicles.speed_kmh", "--speed"),
    ("vehicles.shift_start_minute", "--shift"),
    ("vehicles.shift_end_minute", "--shift"),
];

impl ToursArgs {
    /// Which flag sets each field of the request.
    pub fn flags(&self) -> FieldFlags {
        FLAGS
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client = TourServiceClient::new(conn.channel());
        let request = PlanToursRequest {
            region: self.region,
            outlet_id: self.outlet,
            dates: self.dates,
            vehicles: Some(Vehicles {
                count: self.vehicles,
                capacity: self.capacity,
                speed_kmh: self.speed,
                shift_start_minute: self.shift.0,
                shift_end_minute: self.shift.1,
            }),
            dry_run: self.dry_run,
        };
        out.print(client.plan_tours(request)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_read_as_minutes_after_midnight() {
        assert_eq!(shift_arg("08:00-17:30"), Ok((480, 1050)));
        assert_eq!(shift_arg("00:00-24:00"), Ok((0, 1440)));
        for bad in ["8-17", "08:00", "08:60-17:00", "25:00-26:00", "a:b-c:d"] {
            assert!(shift_arg(bad).is_err(), "{bad}");
        }
    }
}
