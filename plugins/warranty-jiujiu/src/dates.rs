//! Calendar dates as plain values: validation, ordering, days and
//! anniversaries. No clock: every date comes from the caller.

use std::fmt;

/// A valid calendar date, ordered by time (the field order makes the
/// derived order the calendar's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// The years a date may have: wide enough for any appliance, narrow enough
/// that adding years or days never overflows.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Whether `year` is a leap year of the Gregorian calendar.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The days of `month` (1–12) in `year`.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Day {
    /// The date, if it is one (year in [`YEARS`], month 1–12, day within
    /// the month).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Day> {
        (YEARS.contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day))
        .then_some(Day { year, month, day })
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's
    /// `days_from_civil`.
    pub fn days(self) -> i64 {
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01 (`civil_from_days`). Only for
    /// days of years in [`YEARS`] give or take a little; callers stay
    /// within them.
    pub fn from_days(days: i64) -> Day {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Day {
            year: year as i32,
            month,
            day,
        }
    }

    /// The date `days` days later (earlier if negative).
    pub fn add_days(self, days: i64) -> Day {
        Day::from_days(self.days() + days)
    }

    /// The `years`-th anniversary: the same month and day `years` later,
    /// except that 29 February falls on 28 February in a common year.
    /// `None` past the last year of [`YEARS`].
    pub fn anniversary(self, years: u32) -> Option<Day> {
        let year = i32::try_from(years)
            .ok()
            .and_then(|y| self.year.checked_add(y))?;
        if !YEARS.contains(&year) {
            return None;
        }
        Some(Day {
            year,
            month: self.month,
            day: self.day.min(days_in_month(year, self.month)),
        })
    }

    /// Full years from `self` to `on`: the most anniversaries of `self` on
    /// or before `on`. `None` if `on` is before `self`.
    pub fn age_on(self, on: Day) -> Option<u32> {
        if on < self {
            return None;
        }
        let mut years = u32::try_from(on.year - self.year).ok()?;
        if self
            .anniversary(years)
            .is_none_or(|anniversary| anniversary > on)
        {
            years -= 1;
        }
        Some(years)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u8, day: u8) -> Day {
        Day::new(year, month, day).unwrap_or_else(|| panic!("{year}-{month}-{day}"))
    }

    #[test]
    fn validation() {
        let cases: &[(i32, u8, u8, bool)] = &[
            (2024, 2, 29, true),
            (2023, 2, 29, false),
            (1900, 2, 29, false),
            (2000, 2, 29, true),
            (2024, 4, 30, true),
            (2024, 4, 31, false),
            (2024, 12, 31, true),
            (2024, 13, 1, false),
            (2024, 0, 1, false),
            (2024, 1, 0, false),
            (0, 1, 1, false),
            (9999, 12, 31, true),
            (10000, 1, 1, false),
            (-5, 1, 1, false),
        ];
        for &(year, month, day, valid) in cases {
            assert_eq!(
                Day::new(year, month, day).is_some(),
                valid,
                "{year}-{month}-{day}"
            );
        }
    }

    #[test]
    fn days_round_trip() {
        assert_eq!(d(1970, 1, 1).days(), 0);
        assert_eq!(d(2000, 3, 1).days(), 11_017);
        assert_eq!(d(1969, 12, 31).days(), -1);
        assert_eq!(d(1, 1, 1).days(), -719_162);
        // Every day of 1999–2101 round-trips and follows the one before.
        let mut previous = d(1998, 12, 31);
        for days in d(1999, 1, 1).days()..=d(2101, 12, 31).days() {
            let day = Day::from_days(days);
            assert_eq!(day.days(), days);
            assert_eq!(Day::new(day.year, day.month, day.day), Some(day));
            assert!(day > previous && day.days() == previous.days() + 1);
            previous = day;
        }
        assert_eq!(Day::from_days(d(9999, 12, 31).days()), d(9999, 12, 31));
        assert_eq!(Day::from_days(d(1, 1, 1).days()), d(1, 1, 1));
    }

    #[test]
    fn month_and_year_boundaries() {
        // (date, days added, result)
        let cases = [
            (d(2024, 1, 31), 1, d(2024, 2, 1)),
            (d(2024, 2, 28), 1, d(2024, 2, 29)),
            (d(2024, 2, 29), 1, d(2024, 3, 1)),
            (d(2023, 2, 28), 1, d(2023, 3, 1)),
            (d(2100, 2, 28), 1, d(2100, 3, 1)),
            (d(2000, 2, 28), 1, d(2000, 2, 29)),
            (d(2024, 4, 30), 1, d(2024, 5, 1)),
            (d(2024, 12, 31), 1, d(2025, 1, 1)),
            (d(2025, 1, 1), -1, d(2024, 12, 31)),
            (d(2024, 3, 1), -1, d(2024, 2, 29)),
            (d(2023, 3, 1), -1, d(2023, 2, 28)),
            (d(2024, 5, 1), -1, d(2024, 4, 30)),
            (d(2024, 1, 1), 366, d(2025, 1, 1)),
            (d(2023, 1, 1), 365, d(2024, 1, 1)),
        ];
        for (day, add, want) in cases {
            assert_eq!(day.add_days(add), want, "{day} + {add}");
        }
    }

    #[test]
    fn anniversaries() {
        // (date, years, anniversary)
        let cases = [
            (d(2021, 5, 10), 3, Some(d(2024, 5, 10))),
            (d(2024, 2, 29), 1, Some(d(2025, 2, 28))),
            (d(2024, 2, 29), 3, Some(d(2027, 2, 28))),
            (d(2024, 2, 29), 4, Some(d(2028, 2, 29))),
            (d(2096, 2, 29), 4, Some(d(2100, 2, 28))),
            (d(2023, 2, 28), 1, Some(d(2024, 2, 28))),
            (d(2023, 12, 31), 1, Some(d(2024, 12, 31))),
            (d(2021, 1, 31), 0, Some(d(2021, 1, 31))),
            (d(9998, 1, 1), 1, Some(d(9999, 1, 1))),
            (d(9998, 1, 1), 2, None),
            (d(2000, 1, 1), u32::MAX, None),
        ];
        for (day, years, want) in cases {
            assert_eq!(day.anniversary(years), want, "{day} + {years} years");
        }
    }

    #[test]
    fn ages() {
        // (purchase, on, full years)
        let cases = [
            (d(2021, 5, 10), d(2021, 5, 10), Some(0)),
            (d(2021, 5, 10), d(2024, 5, 9), Some(2)),
            (d(2021, 5, 10), d(2024, 5, 10), Some(3)),
            (d(2021, 5, 10), d(2021, 5, 9), None),
            (d(2021, 12, 31), d(2022, 1, 1), Some(0)),
            (d(2021, 12, 31), d(2022, 12, 30), Some(0)),
            (d(2021, 12, 31), d(2022, 12, 31), Some(1)),
            // Leap day: one year old on 28 February of a common year.
            (d(2024, 2, 29), d(2025, 2, 27), Some(0)),
            (d(2024, 2, 29), d(2025, 2, 28), Some(1)),
            (d(2024, 2, 29), d(2028, 2, 28), Some(3)),
            (d(2024, 2, 29), d(2028, 2, 29), Some(4)),
            // 28 February is not a year old on 27 February of a leap year,
            // and is on the 28th.
            (d(2023, 2, 28), d(2024, 2, 27), Some(0)),
            (d(2023, 2, 28), d(2024, 2, 28), Some(1)),
            (d(2023, 3, 1), d(2024, 2, 29), Some(0)),
            (d(1, 1, 1), d(9999, 12, 31), Some(9998)),
        ];
        for (purchase, on, want) in cases {
            assert_eq!(purchase.age_on(on), want, "{purchase} on {on}");
        }
    }

    #[test]
    fn display() {
        assert_eq!(d(2024, 2, 9).to_string(), "2024-02-09");
        assert_eq!(d(1, 1, 1).to_string(), "0001-01-01");
    }
}
