//! Dates and months as people type them: a script that says `last-month` or
//! `today+7` does not go stale the way `2026-10` does. Relative forms count
//! from today in China Standard Time (UTC+8), the network's time zone,
//! computed here on the client.

use xingji_api::google::r#type::Date;

use xingji_core::calendar::{Month, date_from_days, days_from_date, today};

/// The forms a date argument takes, for help texts and errors.
pub const DATE_FORMS: &str =
    "YYYY-MM-DD, today, yesterday, tomorrow, today+N or today-N (N days; China Standard Time)";

/// The forms a month argument takes, for help texts and errors.
pub const MONTH_FORMS: &str =
    "YYYY-MM, this-month, last-month, next-month or N-months-ago (China Standard Time)";

/// A clap parser for a date: see [`DATE_FORMS`].
pub fn date_arg(input: &str) -> Result<Date, String> {
    parse_date(input, today())
}

/// A clap parser for a month: see [`MONTH_FORMS`].
pub fn month_arg(input: &str) -> Result<Month, String> {
    parse_month(input, today())
}

/// Reads a date; `today` is in days since 1970-01-01. A `YYYY-MM-DD` is
/// passed on as typed, numbers only: whether it is a real day (and one
/// the field allows) is for the server to say, which it does by field.
pub fn parse_date(input: &str, today: i64) -> Result<Date, String> {
    let wrong = || format!("{input:?} is not a date: give {DATE_FORMS}");
    let text = input.trim().to_ascii_lowercase();
    let offset = match text.as_str() {
        "yesterday" => Some(-1),
        "tomorrow" => Some(1),
        _ => match text.strip_prefix("today") {
            Some("") => Some(0),
            Some(rest) => {
                let (sign, digits) = match rest.split_at_checked(1) {
                    Some(("+", digits)) => (1, digits),
                    Some(("-", digits)) => (-1, digits),
                    _ => return Err(wrong()),
                };
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(wrong());
                }
                let days = digits.parse::<u32>().map_err(|_| wrong())?;
                Some(sign * i64::from(days))
            }
            None => None,
        },
    };
    if let Some(offset) = offset {
        let date = date_from_days(today + offset);
        return if days_from_date(&date).is_some() {
            Ok(date)
        } else {
            Err(format!("{input:?} is not a day of the years 1 to 9999"))
        };
    }
    let number = |s: &str| s.parse::<i32>().map_err(|_| wrong());
    match text.split('-').collect::<Vec<_>>().as_slice() {
        [year, month, day] => Ok(Date {
            year: number(year)?,
            month: number(month)?,
            day: number(day)?,
        }),
        _ => Err(wrong()),
    }
}

/// Reads a month; `today` is in days since 1970-01-01.
pub fn parse_month(input: &str, today: i64) -> Result<Month, String> {
    let wrong = || format!("{input:?} is not a month: give {MONTH_FORMS}");
    let text = input.trim().to_ascii_lowercase();
    let back = match text.as_str() {
        "this-month" => Some(0),
        "last-month" => Some(1),
        "next-month" => Some(-1),
        _ => text
            .strip_suffix("-months-ago")
            .or_else(|| text.strip_suffix("-month-ago"))
            .map(|n| {
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(wrong());
                }
                n.parse::<u32>().map(i64::from).map_err(|_| wrong())
            })
            .transpose()?,
    };
    if let Some(back) = back {
        return Month::of_day(today)
            .plus(-back)
            .ok_or_else(|| format!("{input:?} is not a month of the years 2000 to 9998"));
    }
    Month::parse(&text).ok_or_else(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

    fn days(year: i32, month: i32, day: i32) -> i64 {
        days_from_date(&date(year, month, day)).expect("a real day")
    }

    #[test]
    fn relative_dates_count_days_from_today() {
        let today = days(2026, 3, 1);
        assert_eq!(parse_date("today", today), Ok(date(2026, 3, 1)));
        assert_eq!(parse_date("yesterday", today), Ok(date(2026, 2, 28)));
        assert_eq!(parse_date("Tomorrow", today), Ok(date(2026, 3, 2)));
        assert_eq!(parse_date("today+31", today), Ok(date(2026, 4, 1)));
        assert_eq!(parse_date("today-365", today), Ok(date(2025, 3, 1)));
        assert_eq!(parse_date("today+0", today), Ok(date(2026, 3, 1)));
        assert_eq!(parse_date("2023-02-14", today), Ok(date(2023, 2, 14)));
        // Passed on for the server to judge by field.
        assert_eq!(parse_date("2023-02-30", today), Ok(date(2023, 2, 30)));
        for bad in [
            "today+",
            "today+-1",
            "today 3",
            "today+1d",
            "todays",
            "today+99999999999",
            "2023-02",
            "tomorrow+1",
            "",
        ] {
            let error = parse_date(bad, today).expect_err(bad);
            assert!(error.contains("today+N"), "{error}");
        }
        assert!(parse_date("today+4000000", today).is_err(), "past 9999");
    }

    #[test]
    fn relative_months_count_from_this_month() {
        let today = days(2026, 1, 31);
        let month = |text| parse_month(text, today).map(|m| m.to_string());
        assert_eq!(month("this-month"), Ok("2026-01".into()));
        assert_eq!(month("last-month"), Ok("2025-12".into()));
        assert_eq!(month("next-month"), Ok("2026-02".into()));
        assert_eq!(month("2-months-ago"), Ok("2025-11".into()));
        assert_eq!(month("1-month-ago"), Ok("2025-12".into()));
        assert_eq!(month("0-months-ago"), Ok("2026-01".into()));
        assert_eq!(month("25-months-ago"), Ok("2023-12".into()));
        assert_eq!(month("2026-10"), Ok("2026-10".into()));
        for bad in [
            "2026-13",
            "2026-1",
            "26-10",
            "2026-10-01",
            "-months-ago",
            "two-months-ago",
            "last month",
            "",
        ] {
            let error = parse_month(bad, today).expect_err(bad);
            assert!(error.contains("N-months-ago"), "{error}");
        }
    }

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let leap = Month {
            year: 2028,
            month: 2,
        };
        assert_eq!(leap.first_day(), date(2028, 2, 1));
        assert_eq!(leap.last_day(), date(2028, 2, 29));
        let common = Month {
            year: 2026,
            month: 2,
        };
        assert_eq!(common.last_day(), date(2026, 2, 28));
        let december = Month {
            year: 2026,
            month: 12,
        };
        assert_eq!(december.last_day(), date(2026, 12, 31));
    }
}
