//! [`Violations`], the collector of a request's field errors, and the
//! checks of single fields: text, phone numbers, regions, locations, enum
//! values, dates and times.

use prost_types::Timestamp;
use xingji_api::google::r#type::Date;
use xingji_api::v1::GeoPoint;

use crate::calendar::{days_from_date, midnight};
use crate::error::{FieldViolation, KernelError, Result, quoted};

/// The most violations one error lists: a request of ten thousand bad parts
/// is told about the first ones, not all.
pub const MAX_VIOLATIONS: usize = 50;

/// The earliest time a request may name (audits, availability): the
/// network's records start in 1980.
pub const EARLIEST: i64 = 315_504_000; // 1980-01-01T00:00+08:00
/// The latest: far enough for any appointment or contract.
pub const LATEST: i64 = 4_102_416_000; // 2100-01-01T00:00+08:00

/// Collects the violations of one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Records that `field` is wrong, and why.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.0.len() < MAX_VIOLATIONS {
            self.0.push(FieldViolation {
                field: field.into(),
                description: description.into(),
            });
        }
    }

    /// The fields found wrong so far, in order.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|v| v.field.as_str()).collect()
    }

    /// Whether nothing was found wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` if nothing was wrong, else `INVALID_ARGUMENT` listing everything.
    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(KernelError::Invalid(self.0))
        }
    }

    /// A region id: 2 to 32 characters of `a-z`, `0-9` and `-`, starting with
    /// a letter (`shanghai`, `hq`).
    pub fn region(&mut self, field: &str, region: &str) {
        if !is_region_id(region) {
            self.add(
                field,
                format!(
                    "{} is not a region id: 2 to 32 characters of a-z, 0-9 and '-', starting with a letter",
                    quoted(region)
                ),
            );
        }
    }

    /// Text of `min..=max` characters, without control characters.
    pub fn text(&mut self, field: &str, text: &str, min: usize, max: usize) {
        // Counting stops past `max`: a huge text costs no more than a long one.
        let chars = text.chars().take(max + 1).count();
        if chars < min {
            self.add(
                field,
                if min == 1 {
                    "must not be empty".to_owned()
                } else {
                    format!("must have at least {min} characters")
                },
            );
        } else if chars > max {
            self.add(
                field,
                format!(
                    "must have at most {max} characters, not {}",
                    text.chars().count()
                ),
            );
        } else if text.chars().any(|c| c.is_control() && c != '\n') {
            self.add(field, "must not contain control characters");
        } else if min > 0 && text.trim().is_empty() {
            self.add(field, "must not be blank");
        }
    }

    /// An id the request names: required, and no longer than any id could be.
    pub fn id(&mut self, field: &str, id: &str) {
        if id.is_empty() {
            self.add(field, "is required");
        } else if id.len() > MAX_ID {
            self.add(
                field,
                format!("is not an id: ids are at most {MAX_ID} bytes"),
            );
        }
    }

    /// A mainland China phone number, see [`is_phone`].
    pub fn phone(&mut self, field: &str, phone: &str) {
        if phone.is_empty() {
            self.add(field, "must not be empty");
        } else if !is_phone(phone) {
            self.add(
                field,
                format!(
                    "{} is not a phone number: give a mobile number (13812345678) or a landline with its area code (021-12345678)",
                    quoted(phone)
                ),
            );
        }
    }

    /// A location; `required` says whether it may be missing.
    pub fn location(&mut self, field: &str, location: Option<&GeoPoint>, required: bool) {
        let Some(point) = location else {
            if required {
                self.add(field, "is required");
            }
            return;
        };
        if !(point.lat.is_finite() && (-90.0..=90.0).contains(&point.lat)) {
            self.add(
                format!("{field}.lat"),
                format!("{} is not a latitude: must be from -90 to 90", point.lat),
            );
        }
        if !(point.lon.is_finite() && (-180.0..=180.0).contains(&point.lon)) {
            self.add(
                format!("{field}.lon"),
                format!("{} is not a longitude: must be from -180 to 180", point.lon),
            );
        }
    }

    /// An enum value that this API defines; `UNSPECIFIED` (0) only if
    /// `optional`.
    pub fn enumeration<E: TryFrom<i32>>(&mut self, field: &str, value: i32, optional: bool) {
        if value == 0 {
            if !optional {
                self.add(field, "is required");
            }
        } else if E::try_from(value).is_err() {
            self.add(field, format!("{value} is not a known value"));
        }
    }

    /// A full calendar date, not after `today` and not before 1980.
    pub fn past_date(&mut self, field: &str, date: &Date, today: i64) {
        match days_from_date(date) {
            None => self.add(
                field,
                format!("{}-{}-{} is not a date", date.year, date.month, date.day),
            ),
            Some(day) if day > today => self.add(field, "must not be in the future"),
            Some(_) if date.year < 1980 => self.add(field, "must not be before 1980"),
            Some(_) => {}
        }
    }

    /// A time: nanos within a second, seconds from 1980 to 2100. Returns
    /// whether it is one, so callers can go on to compare it.
    pub fn time(&mut self, field: &str, time: &Timestamp) -> bool {
        if !(0..1_000_000_000).contains(&time.nanos) {
            self.add(
                field,
                format!(
                    "nanos {} is not within a second (0 to 999999999)",
                    time.nanos
                ),
            );
            false
        } else if !(EARLIEST..LATEST).contains(&time.seconds) {
            self.add(field, "must be a time from 1980 to 2100");
            false
        } else {
            true
        }
    }

    /// A calendar date the request names (any year from 1980 to 2100).
    pub fn date(&mut self, field: &str, date: &Date) {
        match days_from_date(date) {
            None => self.add(
                field,
                format!("{}-{}-{} is not a date", date.year, date.month, date.day),
            ),
            Some(_) if !(EARLIEST..LATEST).contains(&midnight(date)) => {
                self.add(field, "must be a date from 1980 to 2099")
            }
            Some(_) => {}
        }
    }
}

/// The longest id: `ord_` and a ULID are 30 bytes; no record has a longer
/// one, so a longer id is refused without reading the store.
pub const MAX_ID: usize = 64;

/// Whether `id` is a region id (see [`Violations::region`]).
pub fn is_region_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Whether `phone` is a mainland China phone number. Spaces and hyphens are
/// ignored, and `+86` or `0086` may lead. What is left must be a mobile
/// number (11 digits starting with 1), a landline with its area code (10 to
/// 12 digits starting with 0), or a 400/800 service number (10 digits).
pub fn is_phone(phone: &str) -> bool {
    if phone.len() > 32 {
        return false;
    }
    let compact: String = phone.chars().filter(|c| *c != ' ' && *c != '-').collect();
    let digits = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    match digits.as_bytes().first() {
        Some(b'1') => digits.len() == 11 && digits.as_bytes()[1] >= b'3',
        Some(b'0') => (10..=12).contains(&digits.len()),
        Some(b'4' | b'8') => {
            digits.len() == 10 && (digits.starts_with("400") || digits.starts_with("800"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(check: impl FnOnce(&mut Violations)) -> Vec<String> {
        let mut v = Violations::default();
        check(&mut v);
        v.fields().into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn region_ids() {
        for ok in ["shanghai", "hq", "guang-zhou2"] {
            assert!(is_region_id(ok), "{ok}");
        }
        for bad in [
            "",
            "s",
            "Shanghai",
            "2shanghai",
            "shang hai",
            "上海",
            &"a".repeat(33),
        ] {
            assert!(!is_region_id(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "13812345678",
            "+86 138 1234 5678",
            "0086-13812345678",
            "021-12345678",
            "0532-8888888",
            "400-699-9999",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "12812345678",
            "1381234567",
            "138123456789",
            "021-123",
            "4006999999x",
            "500-699-9999",
            "+1 415 555 0100",
        ] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn purchase_dates_are_past_and_real() {
        let date = |year, month, day| Date { year, month, day };
        let today = days_from_date(&date(2026, 11, 28)).unwrap_or_default();
        let check = |d: Date| fields_of(|v| v.past_date("d", &d, today));
        assert!(check(date(2026, 11, 28)).is_empty());
        assert_eq!(check(date(2026, 11, 29)), ["d"]);
        assert_eq!(check(date(1979, 12, 31)), ["d"]);
        assert_eq!(check(date(2021, 2, 30)), ["d"]);
    }

    #[test]
    fn times_are_real_and_in_range() {
        let at = |seconds, nanos| Timestamp { seconds, nanos };
        assert!(fields_of(|v| assert!(v.time("t", &at(1_790_000_000, 5)))).is_empty());
        for bad in [
            at(-62_135_596_800, 0),
            at(i64::MIN, 0),
            at(i64::MAX, 0),
            at(1_790_000_000, -1),
            at(1_790_000_000, 2_000_000_000),
            at(253_402_300_800, 0),
        ] {
            assert_eq!(fields_of(|v| assert!(!v.time("t", &bad))), ["t"], "{bad:?}");
        }
    }

    #[test]
    fn text_bounds() {
        assert_eq!(fields_of(|v| v.text("t", "", 1, 5)), ["t"]);
        assert_eq!(fields_of(|v| v.text("t", "   ", 1, 5)), ["t"]);
        assert_eq!(fields_of(|v| v.text("t", "星级服务中心", 1, 5)), ["t"]);
        assert!(fields_of(|v| v.text("t", "星级服务", 1, 5)).is_empty());
        assert_eq!(fields_of(|v| v.text("t", "a\u{7}b", 1, 5)), ["t"]);
        assert!(fields_of(|v| v.text("t", "", 0, 5)).is_empty());
    }

    #[test]
    fn locations() {
        let at = |lat, lon| Some(GeoPoint { lat, lon });
        assert!(fields_of(|v| v.location("l", at(31.23, 121.47).as_ref(), true)).is_empty());
        assert_eq!(fields_of(|v| v.location("l", None, true)), ["l"]);
        assert!(fields_of(|v| v.location("l", None, false)).is_empty());
        assert_eq!(
            fields_of(|v| v.location("l", at(91.0, 0.0).as_ref(), true)),
            ["l.lat"]
        );
        assert_eq!(
            fields_of(|v| v.location("l", at(f64::NAN, -181.0).as_ref(), true)),
            ["l.lat", "l.lon"]
        );
    }

    #[test]
    fn one_error_lists_a_bounded_number_of_violations() {
        let mut v = Violations::default();
        for i in 0..10_000 {
            v.add(format!("parts[{i}]"), "bad");
        }
        assert_eq!(v.fields().len(), MAX_VIOLATIONS);
    }
}
