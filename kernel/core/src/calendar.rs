//! The network's calendar: China Standard Time (UTC+8, no daylight saving),
//! its days and months. Every "today", midnight and month of the kernel is
//! computed here.

use std::fmt;

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;

/// China Standard Time, seconds east of UTC.
pub const CST_SECONDS: i64 = 8 * 3600;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The time now.
pub fn now() -> Timestamp {
    Timestamp::from(std::time::SystemTime::now())
}

/// Today, in days since 1970-01-01, in China Standard Time.
pub fn today() -> i64 {
    day_of(now().seconds)
}

/// The day (days since 1970-01-01, China Standard Time) that Unix time
/// `seconds` falls on.
pub fn day_of(seconds: i64) -> i64 {
    (seconds + CST_SECONDS).div_euclid(DAY)
}

/// Days since 1970-01-01 of a full Gregorian date, or `None` if `date` is
/// not one (after H. Hinnant's `days_from_civil`).
pub fn days_from_date(date: &Date) -> Option<i64> {
    let (year, month, day) = (i64::from(date.year), date.month, date.day);
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(date.year, month as u8) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn days_in_month(year: i32, month: u8) -> i32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
pub fn date_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    Date {
        year: (yoe + era * 400 + i64::from(month <= 2)) as i32,
        month: month as i32,
        day: day as i32,
    }
}

/// The day `years` years after `date`, in days since 1970-01-01; a
/// 29 February moves to 1 March in a common year.
pub fn years_later(date: &Date, years: u32) -> Option<i64> {
    let year = date.year.checked_add(i32::try_from(years).ok()?)?;
    let later = Date { year, ..*date };
    days_from_date(&later).or_else(|| {
        days_from_date(&Date {
            year,
            month: 3,
            day: 1,
        })
    })
}

/// The Unix time of midnight, China Standard Time, starting `date` (a
/// valid date; 0 for another).
pub fn midnight(date: &Date) -> i64 {
    days_from_date(date).map_or(0, |days| days * DAY - CST_SECONDS)
}

/// A calendar month in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl Month {
    /// Parses `YYYY-MM` (years 2000 to 9998).
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (2000..=9998).contains(&month.year).then_some(())?;
        (1..=12).contains(&month.month).then_some(month)
    }

    /// The month Unix time `seconds` falls in.
    pub fn containing(seconds: i64) -> Month {
        Month::of_day(day_of(seconds))
    }

    /// The month of `day` (days since 1970-01-01).
    pub fn of_day(day: i64) -> Month {
        let date = date_from_days(day);
        Month {
            year: date.year,
            month: date.month as u8,
        }
    }

    /// The month `months` after this one (before it if negative), if it is
    /// one [`Month::parse`] would take.
    pub fn plus(self, months: i64) -> Option<Month> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
        let month = Month {
            year: i32::try_from(index.div_euclid(12)).ok()?,
            month: index.rem_euclid(12) as u8 + 1,
        };
        (2000..=9998).contains(&month.year).then_some(month)
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                month: self.month - 1,
                ..self
            }
        }
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                month: self.month + 1,
                ..self
            }
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: i32::from(self.month),
            day: 1,
        }
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        Date {
            day: days_in_month(self.year, self.month),
            ..self.first_day()
        }
    }

    /// Its first instant, in Unix seconds.
    pub fn start(self) -> i64 {
        midnight(&self.first_day())
    }

    /// The first instant after it.
    pub fn end(self) -> i64 {
        self.next().start()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn dates_count_days_like_the_calendar() {
        assert_eq!(days_from_date(&date(1970, 1, 1)), Some(0));
        assert_eq!(days_from_date(&date(2000, 3, 1)), Some(11_017));
        assert_eq!(days_from_date(&date(2024, 2, 29)), Some(19_782));
        assert_eq!(days_from_date(&date(2023, 2, 29)), None);
        assert_eq!(days_from_date(&date(1900, 2, 29)), None);
        assert_eq!(days_from_date(&date(2024, 13, 1)), None);
        assert_eq!(days_from_date(&date(2024, 4, 31)), None);
        assert_eq!(days_from_date(&date(0, 1, 1)), None);
        for days in [-1, 0, 11_017, 19_782, 2_932_896] {
            assert_eq!(days_from_date(&date_from_days(days)), Some(days));
        }
    }

    #[test]
    fn months_parse_and_span_china_standard_time() {
        let october = Month::parse("2026-10").expect("a month");
        assert_eq!(october.to_string(), "2026-10");
        // 2026-10-01T00:00+08:00 is 2026-09-30T16:00Z.
        assert_eq!(october.start(), 1_790_784_000);
        assert_eq!(october.end() - october.start(), 31 * DAY);
        assert_eq!(
            Month::parse("2024-02").map(|m| (m.end() - m.start()) / DAY),
            Some(29)
        );
        assert_eq!(
            Month::parse("2024-02").map(|m| m.last_day()),
            Some(date(2024, 2, 29))
        );
        assert_eq!(
            Month::parse("2026-01").map(|m| m.previous().to_string()),
            Some("2025-12".into())
        );
        assert_eq!(Month::containing(october.start()), october);
        assert_eq!(
            Month::containing(october.start() - 1).to_string(),
            "2026-09"
        );
        assert_eq!(Month::containing(october.end() - 1), october);
        assert_eq!(
            october.plus(-10).map(|m| m.to_string()),
            Some("2025-12".into())
        );
        assert_eq!(
            october.plus(3).map(|m| m.to_string()),
            Some("2027-01".into())
        );
        assert_eq!(october.plus(-12 * 27), None, "before 2000");
        for bad in ["2026-13", "2026-1", "26-10", "2026-00", "abcd-ef", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
