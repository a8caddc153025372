//! Validation of records as partners send them. Each check names the field
//! by its full path from the request (`order.customer.location.lat`) and says
//! what is wrong, and every violation of a request is reported at once.
//!
//! These rules need only the record itself. Rules that need the store (that
//! a referenced record exists and is in the same region) are in the services.

use std::collections::HashSet;

use tonic::Status;
use tonic_types::FieldViolation;
use xingji_api::google::r#type::Date;
use xingji_api::v1::{
    Appliance, CertificationLevel, Customer, GeoPoint, Order, OrderKind, Outlet, OutletClass,
    OutletGrade, OutletStatus, OutletTier, Person, PersonLevel, ProductLine, ServiceReport,
};

/// The longest name (of an outlet, person or customer), in characters.
pub const MAX_NAME: usize = 100;
/// The longest address, in characters.
pub const MAX_ADDRESS: usize = 200;
/// The longest order description, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// The longest model code or serial number.
pub const MAX_CODE: usize = 64;
/// The longest service radius, in minutes of travel.
pub const MAX_RADIUS_MINUTES: i32 = 240;
/// The largest daily capacity of one outlet.
pub const MAX_DAILY_CAPACITY: i32 = 10_000;

/// Collects the violations of one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Records that `field` is wrong, and why.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// The collected violations, for tests and callers that merge them.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|v| v.field.as_str()).collect()
    }

    /// `Ok` if nothing was wrong, else `INVALID_ARGUMENT` listing everything.
    pub fn into_result(self) -> Result<(), Status> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::status::invalid(self.0))
        }
    }

    /// A region id: 2 to 32 characters of `a-z`, `0-9` and `-`, starting with
    /// a letter (`shanghai`, `hq`).
    pub fn region(&mut self, field: &str, region: &str) {
        if !is_region_id(region) {
            self.add(
                field,
                format!("{region:?} is not a region id: 2 to 32 characters of a-z, 0-9 and '-', starting with a letter"),
            );
        }
    }

    /// Text of `min..=max` characters, without control characters.
    pub fn text(&mut self, field: &str, text: &str, min: usize, max: usize) {
        let chars = text.chars().count();
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
                format!("must have at most {max} characters, not {chars}"),
            );
        } else if text.chars().any(|c| c.is_control() && c != '\n') {
            self.add(field, "must not contain control characters");
        } else if min > 0 && text.trim().is_empty() {
            self.add(field, "must not be blank");
        }
    }

    /// A mainland China phone number, see [`is_phone`].
    pub fn phone(&mut self, field: &str, phone: &str) {
        if phone.is_empty() {
            self.add(field, "must not be empty");
        } else if !is_phone(phone) {
            self.add(
                field,
                format!("{phone:?} is not a phone number: give a mobile number (13812345678) or a landline with its area code (021-12345678)"),
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
}

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

/// Days since 1970-01-01 of a full Gregorian date, or `None` if `date` is
/// not one (after H. Hinnant's `days_from_civil`).
pub fn days_from_date(date: &Date) -> Option<i64> {
    let (year, month, day) = (i64::from(date.year), date.month, date.day);
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_days[month as usize - 1] {
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

/// The service report of a completed order.
pub fn service_report(v: &mut Violations, field: &str, report: &ServiceReport) {
    v.text(
        &format!("{field}.diagnosis"),
        &report.diagnosis,
        1,
        MAX_DESCRIPTION,
    );
    v.text(
        &format!("{field}.work_done"),
        &report.work_done,
        1,
        MAX_DESCRIPTION,
    );
    if report.charge_fen < 0 {
        v.add(format!("{field}.charge_fen"), "must be 0 or more");
    }
    if report.parts.len() > MAX_PARTS {
        v.add(
            format!("{field}.parts"),
            format!("must list at most {MAX_PARTS} parts"),
        );
    }
    for (i, part) in report.parts.iter().enumerate() {
        let at = format!("{field}.parts[{i}]");
        let number = &part.part_number;
        if number.is_empty() || number.len() > 64 || !number.chars().all(|c| c.is_ascii_graphic()) {
            v.add(
                format!("{at}.part_number"),
                "must be 1 to 64 printable ASCII characters: the maker's part number",
            );
        }
        v.text(&format!("{at}.name"), &part.name, 0, 100);
        if !(1..=100).contains(&part.quantity) {
            v.add(format!("{at}.quantity"), "must be 1 to 100");
        }
    }
}

/// The most parts one service report lists.
pub const MAX_PARTS: usize = 50;

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

/// China Standard Time (UTC+8), the time zone of the network: seconds
/// east of UTC.
pub const CST_SECONDS: i64 = 8 * 3600;

/// Today, in days since 1970-01-01, in China Standard Time.
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    (secs + CST_SECONDS).div_euclid(86_400)
}

/// The Unix time of midnight, China Standard Time, starting `date` (a
/// valid date; 0 for another).
pub fn midnight(date: &Date) -> i64 {
    days_from_date(date).map_or(0, |days| days * 86_400 - CST_SECONDS)
}

/// Checks an outlet as a whole. `field` is its path in the request.
pub fn outlet(v: &mut Violations, field: &str, outlet: &Outlet) {
    v.region(&format!("{field}.region"), &outlet.region);
    v.text(&format!("{field}.name"), &outlet.name, 1, MAX_NAME);
    v.text(&format!("{field}.number"), &outlet.number, 1, 32);
    v.enumeration::<OutletTier>(&format!("{field}.tier"), outlet.tier, false);
    v.enumeration::<OutletClass>(&format!("{field}.class"), outlet.class, false);
    v.location(&format!("{field}.location"), outlet.location.as_ref(), true);
    v.text(&format!("{field}.address"), &outlet.address, 1, MAX_ADDRESS);
    if !(1..=MAX_RADIUS_MINUTES).contains(&outlet.service_radius_minutes) {
        v.add(
            format!("{field}.service_radius_minutes"),
            format!(
                "must be from 1 to {MAX_RADIUS_MINUTES} minutes, not {}",
                outlet.service_radius_minutes
            ),
        );
    }
    product_lines(v, &format!("{field}.product_lines"), &outlet.product_lines);
    if !(0..=MAX_DAILY_CAPACITY).contains(&outlet.daily_capacity) {
        v.add(
            format!("{field}.daily_capacity"),
            format!(
                "must be from 0 to {MAX_DAILY_CAPACITY}, not {}",
                outlet.daily_capacity
            ),
        );
    }
    v.enumeration::<OutletStatus>(&format!("{field}.status"), outlet.status, false);
    v.enumeration::<OutletGrade>(&format!("{field}.grade"), outlet.grade, true);
    let tier = OutletTier::try_from(outlet.tier).unwrap_or_default();
    if outlet.parent_id.is_empty() && parent_tier(tier).is_some_and(|(_, required)| required) {
        v.add(
            format!("{field}.parent_id"),
            format!("is required for a {}", tier_words(tier)),
        );
    }
    if !outlet.parent_id.is_empty() && tier == OutletTier::Hq {
        v.add(
            format!("{field}.parent_id"),
            "must be empty for headquarters",
        );
    }
}

/// The tier a parent of `tier` must have, and whether a parent is required.
pub fn parent_tier(tier: OutletTier) -> Option<(OutletTier, bool)> {
    match tier {
        OutletTier::Unspecified | OutletTier::Hq => None,
        OutletTier::RegionalCentre => Some((OutletTier::Hq, false)),
        OutletTier::StarCentre => Some((OutletTier::RegionalCentre, true)),
        OutletTier::SubOutlet => Some((OutletTier::StarCentre, true)),
    }
}

/// A tier in words, for messages.
pub fn tier_words(tier: OutletTier) -> &'static str {
    match tier {
        OutletTier::Unspecified => "outlet of unspecified tier",
        OutletTier::Hq => "headquarters",
        OutletTier::RegionalCentre => "regional centre",
        OutletTier::StarCentre => "star centre",
        OutletTier::SubOutlet => "sub-outlet",
    }
}

fn product_lines(v: &mut Violations, field: &str, lines: &[i32]) {
    let mut seen = HashSet::new();
    for (i, &line) in lines.iter().enumerate() {
        v.enumeration::<ProductLine>(&format!("{field}[{i}]"), line, false);
        if !seen.insert(line) {
            v.add(format!("{field}[{i}]"), "is listed twice");
        }
    }
}

/// Checks a person as a whole. `field` is its path in the request.
pub fn person(v: &mut Violations, field: &str, person: &Person) {
    v.region(&format!("{field}.region"), &person.region);
    if person.outlet_id.is_empty() {
        v.add(format!("{field}.outlet_id"), "is required");
    }
    v.text(&format!("{field}.name"), &person.name, 1, MAX_NAME);
    v.phone(&format!("{field}.phone"), &person.phone);
    v.enumeration::<PersonLevel>(&format!("{field}.level"), person.level, false);
    let mut seen = HashSet::new();
    for (i, skill) in person.skills.iter().enumerate() {
        let skill_field = format!("{field}.skills[{i}]");
        v.enumeration::<ProductLine>(
            &format!("{skill_field}.product_line"),
            skill.product_line,
            false,
        );
        v.enumeration::<CertificationLevel>(&format!("{skill_field}.level"), skill.level, false);
        if !seen.insert(skill.product_line) {
            v.add(
                format!("{skill_field}.product_line"),
                "has a skill already: one per product line",
            );
        }
    }
    v.location(
        &format!("{field}.location"),
        person.location.as_ref(),
        false,
    );
}

/// Checks an order as a partner submits it. `today` is in days since the
/// epoch, for the purchase date.
pub fn order(v: &mut Violations, field: &str, order: &Order, today: i64) {
    v.region(&format!("{field}.region"), &order.region);
    v.enumeration::<OrderKind>(&format!("{field}.kind"), order.kind, false);
    match &order.customer {
        None => v.add(format!("{field}.customer"), "is required"),
        Some(customer) => self::customer(v, &format!("{field}.customer"), customer),
    }
    match &order.appliance {
        None => v.add(format!("{field}.appliance"), "is required"),
        Some(appliance) => self::appliance(v, &format!("{field}.appliance"), appliance, today),
    }
    v.text(
        &format!("{field}.description"),
        &order.description,
        0,
        MAX_DESCRIPTION,
    );
    if !order.engineer_id.is_empty() && order.outlet_id.is_empty() {
        v.add(
            format!("{field}.outlet_id"),
            "is required with an engineer_id: the engineer's outlet",
        );
    }
    let is_complaint = order.kind == OrderKind::Complaint as i32;
    match &order.complaint {
        Some(complaint) if is_complaint => {
            if complaint.original_order_id.is_empty() {
                v.add(
                    format!("{field}.complaint.original_order_id"),
                    "is required: the order complained about",
                );
            }
            v.text(
                &format!("{field}.complaint.summary"),
                &complaint.summary,
                0,
                MAX_DESCRIPTION,
            );
        }
        None if is_complaint => v.add(
            format!("{field}.complaint"),
            "is required for a complaint order",
        ),
        Some(_) => v.add(format!("{field}.complaint"), "is only for complaint orders"),
        None => {}
    }
}

fn customer(v: &mut Violations, field: &str, customer: &Customer) {
    v.text(&format!("{field}.name"), &customer.name, 1, MAX_NAME);
    v.phone(&format!("{field}.phone"), &customer.phone);
    v.text(
        &format!("{field}.address"),
        &customer.address,
        1,
        MAX_ADDRESS,
    );
    v.location(
        &format!("{field}.location"),
        customer.location.as_ref(),
        true,
    );
}

fn appliance(v: &mut Violations, field: &str, appliance: &Appliance, today: i64) {
    v.enumeration::<ProductLine>(
        &format!("{field}.product_line"),
        appliance.product_line,
        false,
    );
    v.text(&format!("{field}.model"), &appliance.model, 0, MAX_CODE);
    v.text(&format!("{field}.serial"), &appliance.serial, 0, MAX_CODE);
    if let Some(date) = &appliance.purchase_date {
        v.past_date(&format!("{field}.purchase_date"), date, today);
    }
    if appliance.price_fen < 0 {
        v.add(format!("{field}.price_fen"), "must not be negative");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_api::v1::{Complaint, Skill};

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

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
    fn dates_count_days_like_the_calendar() {
        assert_eq!(days_from_date(&date(1970, 1, 1)), Some(0));
        assert_eq!(days_from_date(&date(2000, 3, 1)), Some(11_017));
        assert_eq!(days_from_date(&date(2024, 2, 29)), Some(19_782));
        assert_eq!(days_from_date(&date(2023, 2, 29)), None);
        assert_eq!(days_from_date(&date(1900, 2, 29)), None);
        assert_eq!(days_from_date(&date(2024, 13, 1)), None);
        assert_eq!(days_from_date(&date(2024, 4, 31)), None);
        assert_eq!(days_from_date(&date(0, 1, 1)), None);
    }

    #[test]
    fn purchase_dates_are_past_and_real() {
        let today = days_from_date(&date(2026, 11, 28)).unwrap_or_default();
        let check = |d: Date| fields_of(|v| v.past_date("d", &d, today));
        assert!(check(date(2026, 11, 28)).is_empty());
        assert_eq!(check(date(2026, 11, 29)), ["d"]);
        assert_eq!(check(date(1979, 12, 31)), ["d"]);
        assert_eq!(check(date(2021, 2, 30)), ["d"]);
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

    fn good_outlet() -> Outlet {
        Outlet {
            region: "shanghai".into(),
            name: "No.1 Star Service Centre".into(),
            number: "SH-001".into(),
            tier: OutletTier::StarCentre as i32,
            class: OutletClass::Flagship as i32,
            parent_id: "out_parent".into(),
            location: Some(GeoPoint {
                lat: 31.23,
                lon: 121.47,
            }),
            address: "1 Nanjing Road".into(),
            service_radius_minutes: 30,
            product_lines: vec![ProductLine::Tv as i32, ProductLine::Refrigerator as i32],
            daily_capacity: 40,
            status: OutletStatus::Active as i32,
            ..Default::default()
        }
    }

    #[test]
    fn outlets() {
        assert!(fields_of(|v| outlet(v, "outlet", &good_outlet())).is_empty());
        let bad = Outlet {
            region: "Shanghai".into(),
            tier: 0,
            class: 99,
            parent_id: String::new(),
            service_radius_minutes: 0,
            product_lines: vec![1, 1, 0],
            daily_capacity: -1,
            status: 0,
            ..good_outlet()
        };
        assert_eq!(
            fields_of(|v| outlet(v, "outlet", &bad)),
            [
                "outlet.region",
                "outlet.tier",
                "outlet.class",
                "outlet.service_radius_minutes",
                "outlet.product_lines[1]",
                "outlet.product_lines[2]",
                "outlet.daily_capacity",
                "outlet.status",
            ]
        );
        let orphan = Outlet {
            parent_id: String::new(),
            ..good_outlet()
        };
        assert_eq!(
            fields_of(|v| outlet(v, "outlet", &orphan)),
            ["outlet.parent_id"]
        );
        let hq = Outlet {
            tier: OutletTier::Hq as i32,
            ..good_outlet()
        };
        assert_eq!(
            fields_of(|v| outlet(v, "outlet", &hq)),
            ["outlet.parent_id"]
        );
    }

    #[test]
    fn people() {
        let good = Person {
            region: "shanghai".into(),
            outlet_id: "out_1".into(),
            name: "Wang Wei".into(),
            phone: "13812345678".into(),
            level: PersonLevel::Senior as i32,
            skills: vec![Skill {
                product_line: 1,
                level: 3,
            }],
            ..Default::default()
        };
        assert!(fields_of(|v| person(v, "person", &good)).is_empty());
        let bad = Person {
            outlet_id: String::new(),
            phone: "555".into(),
            level: 0,
            skills: vec![
                Skill {
                    product_line: 1,
                    level: 0,
                },
                Skill {
                    product_line: 1,
                    level: 1,
                },
            ],
            ..good
        };
        assert_eq!(
            fields_of(|v| person(v, "person", &bad)),
            [
                "person.outlet_id",
                "person.phone",
                "person.level",
                "person.skills[0].level",
                "person.skills[1].product_line",
            ]
        );
    }

    #[test]
    fn orders() {
        let today = days_from_date(&date(2026, 11, 28)).unwrap_or_default();
        let good = Order {
            region: "shanghai".into(),
            kind: OrderKind::Repair as i32,
            customer: Some(Customer {
                name: "Li Na".into(),
                phone: "13912345678".into(),
                address: "8 Huaihai Road".into(),
                location: Some(GeoPoint {
                    lat: 31.22,
                    lon: 121.46,
                }),
                vip: false,
            }),
            appliance: Some(Appliance {
                product_line: ProductLine::WashingMachine as i32,
                purchase_date: Some(date(2022, 5, 1)),
                price_fen: 329_900,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(fields_of(|v| order(v, "order", &good, today)).is_empty());
        let bad = Order {
            kind: OrderKind::Complaint as i32,
            engineer_id: "per_1".into(),
            customer: Some(Customer {
                location: Some(GeoPoint {
                    lat: 100.0,
                    lon: 0.0,
                }),
                ..good.customer.clone().unwrap_or_default()
            }),
            appliance: Some(Appliance {
                price_fen: -1,
                purchase_date: Some(date(2027, 1, 1)),
                ..Default::default()
            }),
            ..good.clone()
        };
        assert_eq!(
            fields_of(|v| order(v, "order", &bad, today)),
            [
                "order.customer.location.lat",
                "order.appliance.product_line",
                "order.appliance.purchase_date",
                "order.appliance.price_fen",
                "order.outlet_id",
                "order.complaint",
            ]
        );
        let stray = Order {
            complaint: Some(Complaint::default()),
            ..good
        };
        assert_eq!(
            fields_of(|v| order(v, "order", &stray, today)),
            ["order.complaint"]
        );
    }
}
