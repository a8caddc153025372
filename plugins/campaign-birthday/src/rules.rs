//! The appliance-birthday rules, as plain functions over the WIT types: the
//! parameters, the window, the installed base and its birthdays. Nothing
//! here calls the host, so all of it is tested natively.

use std::collections::HashMap;
use std::fmt;

use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::line_index;

use crate::exports::xingji::plugins::birthday_campaign::{Visit, Window};
use xingji_plugin_sdk::host::order_writer::NewOrder;
use xingji_plugin_sdk::wit::types::{Date, Order, OrderKind, OrderStatus, ProductLine};

/// The product lines in WIT order (indexed by `line_index`), with the parameter that sets each
/// line's cycle and its default, in years.
const CYCLES: [(ProductLine, &str, i64); 7] = [
    (ProductLine::Tv, "cycle.tv", 3),
    (ProductLine::FlatPanelTv, "cycle.flat-panel-tv", 1),
    (ProductLine::Computer, "cycle.computer", 3),
    (ProductLine::Refrigerator, "cycle.refrigerator", 5),
    (ProductLine::WashingMachine, "cycle.washing-machine", 5),
    (ProductLine::AirConditioner, "cycle.air-conditioner", 5),
    (ProductLine::WaterHeater, "cycle.water-heater", 5),
];

/// The VIP cycle parameter and its default, in years.
const CYCLE_VIP: (&str, i64) = ("cycle.vip", 1);

/// Where a 29 February purchase has its anniversary in a common year.
const LEAP_DAY: &str = "leap_day";

/// The longest cycle a parameter may set, in years.
const MAX_CYCLE: i64 = 100;

/// The longest window, in days, both ends included.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// The longest request key the kernel takes, in bytes.
const MAX_REQUEST_KEY: usize = 100;

/// A checked calendar date (proleptic Gregorian, years 1 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Day {
    /// `date` if it is a real day of years 1 to 9999.
    pub fn new(date: Date) -> Option<Day> {
        let valid = (1..=9999).contains(&date.year)
            && (1..=12).contains(&date.month)
            && date.day >= 1
            && date.day <= days_in_month(date.year, date.month);
        valid.then_some(Day {
            year: date.year,
            month: date.month,
            day: date.day,
        })
    }

    /// As the WIT record.
    pub fn date(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: self.day,
        }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The anniversary of this day in `year` (a later year): the same month
    /// and day, except that 29 February falls on `leap_day` in common years.
    pub fn anniversary(self, year: i32, leap_day: LeapDay) -> Day {
        if self.month == 2 && self.day == 29 && !is_leap(year) {
            match leap_day {
                LeapDay::Feb28 => Day {
                    year,
                    month: 2,
                    day: 28,
                },
                LeapDay::Mar1 => Day {
                    year,
                    month: 3,
                    day: 1,
                },
            }
        } else {
            Day { year, ..self }
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A WIT date as written in errors, valid or not.
fn show(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

/// Where a 29 February purchase has its anniversary in a common year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeapDay {
    /// `feb-28`, the default: the last day of February.
    Feb28,
    /// `mar-1`: the day after 28 February.
    Mar1,
}

/// The region's campaign rules, from its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Years between birthdays, per product line in [`CYCLES`] order.
    pub cycles: [u32; 7],
    /// Years between a VIP customer's birthdays, whatever the line (the
    /// line's own cycle if that is shorter).
    pub vip: u32,
    pub leap_day: LeapDay,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            cycles: CYCLES.map(|(_, _, years)| years as u32),
            vip: CYCLE_VIP.1 as u32,
            leap_day: LeapDay::Feb28,
        }
    }
}

impl Rules {
    /// The rules from `params`; an unknown name, a name set twice or a bad
    /// value fails, naming the parameter.
    pub fn from_params(params: &[(String, String)]) -> Result<Rules, String> {
        let known = |name: &str| {
            name == CYCLE_VIP.0 || name == LEAP_DAY || CYCLES.iter().any(|(_, n, _)| *n == name)
        };
        let settings = Settings::new(params, known)?;
        let mut rules = Rules::default();
        for (slot, (_, name, default)) in rules.cycles.iter_mut().zip(CYCLES) {
            *slot = settings.whole(name, default, 1..=MAX_CYCLE)? as u32;
        }
        rules.vip = settings.whole(CYCLE_VIP.0, CYCLE_VIP.1, 1..=MAX_CYCLE)? as u32;
        if let Some((_, raw)) = params.iter().find(|(name, _)| name == LEAP_DAY) {
            rules.leap_day = match raw.trim() {
                "feb-28" => LeapDay::Feb28,
                "mar-1" => LeapDay::Mar1,
                _ => {
                    return Err(format!(
                        "parameter `{LEAP_DAY}`: `{raw}` is not `feb-28` or `mar-1`"
                    ));
                }
            };
        }
        Ok(rules)
    }

    /// Years between birthdays of an appliance of `line`, VIP or not.
    pub fn cycle(&self, line: ProductLine, vip: bool) -> u32 {
        let own = self.cycles[line_index(line)];
        if vip { own.min(self.vip) } else { own }
    }
}

/// The window's first and last days, checked: real dates, `from` not after
/// `to`, at most [`MAX_WINDOW_DAYS`] days, both ends included.
pub fn window(window: &Window) -> Result<(Day, Day), String> {
    let from = Day::new(window.from)
        .ok_or_else(|| format!("window from {} is not a valid date", show(window.from)))?;
    let to = Day::new(window.to)
        .ok_or_else(|| format!("window to {} is not a valid date", show(window.to)))?;
    if from > to {
        return Err(format!("window from {from} is after to {to}"));
    }
    let days = to.days() - from.days() + 1;
    if days > MAX_WINDOW_DAYS {
        return Err(format!(
            "window {from} to {to} is {days} days; at most {MAX_WINDOW_DAYS}"
        ));
    }
    Ok((from, to))
}

/// The description of the visit order for the birthday of `years` on
/// `birthday` (what the visit brings: DOMAIN.md §6).
pub fn description(years: u32, birthday: Day) -> String {
    format!("家电过生日: {years}周年上门关怀（{birthday}）：生日贺卡、保养、检测、意见调查")
}

/// The request key of the visit for `serial` on `birthday`:
/// `birthday:<serial>:<YYYY-MM-DD>`. A serial too long for the kernel's
/// 100 bytes is replaced by `#` and its 64-bit FNV-1a hash in hex.
pub fn request_key(serial: &str, birthday: Day) -> String {
    let key = format!("birthday:{serial}:{birthday}");
    if key.len() <= MAX_REQUEST_KEY {
        return key;
    }
    let hash = serial.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("birthday:#{hash:016x}:{birthday}")
}

/// When `create-order` refuses a request key because it already made an
/// order from different details (the appliance's latest order changed
/// since the key was first used), the id of that order: the visit was made
/// before. The kernel's message is `request-key "<key>" already made order
/// <id> from a different order`; any other error is `None`.
pub fn made_before(why: &str) -> Option<&str> {
    let rest = why.strip_prefix("request-key ")?;
    let rest = rest.strip_suffix(" from a different order")?;
    let (_, id) = rest.rsplit_once(" already made order ")?;
    (!id.is_empty() && !id.contains(char::is_whitespace)).then_some(id)
}

/// One appliance (one serial) of the installed base: only what finding
/// its birthdays needs, so that a big region fits in the plugin's memory.
/// The customer's details are read again, from the latest order, for the
/// birthdays found ([`new_order`]).
struct Appliance {
    /// Its latest order (highest id), and that order's purchase date and
    /// product line.
    latest: String,
    purchase: Day,
    line: ProductLine,
    /// Whether any of its orders is VIP.
    vip: bool,
}

/// A birthday found in the window.
pub struct Due {
    /// The visit as `run` returns it; `order-id` is empty.
    pub visit: Visit,
    pub birthday: Day,
    /// The appliance's purchase date.
    pub purchase: Day,
}

/// The installed base of a region, built one order at a time.
#[derive(Default)]
pub struct Base {
    appliances: HashMap<String, Appliance>,
}

impl Base {
    /// Takes one order of the region into account: one with a serial and
    /// a purchase date that is neither cancelled nor invalid, of any kind
    /// (birthday visits too: they carry the serial). Others are left out.
    /// A purchase date that is not a real day fails, naming the order.
    pub fn add(&mut self, order: &Order) -> Result<(), String> {
        let Some(date) = order.purchase_date else {
            return Ok(());
        };
        if order.serial.trim().is_empty()
            || matches!(order.status, OrderStatus::Cancelled | OrderStatus::Invalid)
        {
            return Ok(());
        }
        let purchase = Day::new(date).ok_or_else(|| {
            format!(
                "order {}: purchase date {} is not a valid date",
                order.id,
                show(date)
            )
        })?;
        match self.appliances.get_mut(&order.serial) {
            None => {
                let appliance = Appliance {
                    latest: order.id.clone(),
                    purchase,
                    line: order.product_line,
                    vip: order.vip,
                };
                self.appliances.insert(order.serial.clone(), appliance);
            }
            Some(appliance) => {
                appliance.vip |= order.vip;
                if order.id > appliance.latest {
                    appliance.latest.clone_from(&order.id);
                    appliance.purchase = purchase;
                    appliance.line = order.product_line;
                }
            }
        }
        Ok(())
    }

    /// The number of appliances.
    #[cfg(test)]
    fn appliances(&self) -> usize {
        self.appliances.len()
    }

    /// The birthdays in `from ..= to`, sorted by day then serial: every
    /// anniversary of a purchase in the window whose age in years is at
    /// least 1 and a multiple of the appliance's cycle.
    pub fn birthdays(&self, from: Day, to: Day, rules: &Rules) -> Vec<Due> {
        let mut due = Vec::new();
        for (serial, appliance) in &self.appliances {
            let purchase = appliance.purchase;
            let cycle = rules.cycle(appliance.line, appliance.vip);
            for year in from.year..=to.year {
                let years = i64::from(year) - i64::from(purchase.year);
                if years < 1 || years % i64::from(cycle) != 0 {
                    continue;
                }
                let birthday = purchase.anniversary(year, rules.leap_day);
                if birthday < from || birthday > to {
                    continue;
                }
                due.push(Due {
                    visit: Visit {
                        source_order: appliance.latest.clone(),
                        serial: serial.clone(),
                        product_line: appliance.line,
                        vip: appliance.vip,
                        birthday: birthday.date(),
                        years: years as u32,
                        order_id: String::new(),
                    },
                    birthday,
                    purchase,
                });
            }
        }
        due.sort_by(|a, b| (a.birthday, &a.visit.serial).cmp(&(b.birthday, &b.visit.serial)));
        due
    }
}

/// The visit order for `due`: the customer's details, model and price from
/// `source` (its source order, read again), the serial, product line,
/// purchase date and VIP flag as the installed base found them.
pub fn new_order(due: &Due, source: &Order) -> NewOrder {
    let visit = &due.visit;
    NewOrder {
        request_key: request_key(&visit.serial, due.birthday),
        kind: OrderKind::BirthdayVisit,
        customer_name: source.customer_name.clone(),
        customer_phone: source.customer_phone.clone(),
        customer_address: source.customer_address.clone(),
        customer_location: source.customer_location,
        vip: visit.vip,
        product_line: visit.product_line,
        model: source.model.clone(),
        serial: visit.serial.clone(),
        purchase_date: Some(due.purchase.date()),
        price: source.price,
        description: description(visit.years, due.birthday),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_plugin_sdk::wit::types::Geo;

    fn day(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    fn d(year: i32, month: u8, dd: u8) -> Day {
        Day::new(day(year, month, dd)).unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn win(from: Date, to: Date) -> Window {
        Window { from, to }
    }

    /// A completed repair order of `serial`, bought on `bought`.
    fn order(id: &str, serial: &str, line: ProductLine, bought: Option<Date>) -> Order {
        Order {
            id: id.into(),
            kind: OrderKind::Repair,
            status: OrderStatus::Completed,
            customer_name: format!("客户 {id}"),
            customer_phone: "13800000000".into(),
            customer_address: format!("{id} 路 1 号"),
            customer_location: Geo {
                lat: 31.2,
                lon: 121.4,
            },
            vip: false,
            product_line: line,
            model: format!("M-{id}"),
            serial: serial.into(),
            purchase_date: bought,
            price: 329_900,
            outlet_id: "out_1".into(),
            engineer_id: String::new(),
            created: 0,
        }
    }

    fn installed(orders: impl IntoIterator<Item = Order>) -> Base {
        let mut base = Base::default();
        for order in orders {
            base.add(&order).unwrap();
        }
        base
    }

    /// (serial, birthday, years) of the birthdays in the window.
    fn found(base: &Base, from: Date, to: Date, rules: &Rules) -> Vec<(String, Day, u32)> {
        let (from, to) = window(&win(from, to)).unwrap();
        base.birthdays(from, to, rules)
            .into_iter()
            .map(|due| (due.visit.serial, due.birthday, due.visit.years))
            .collect()
    }

    fn leap(leap_day: LeapDay) -> Rules {
        Rules {
            leap_day,
            ..Rules::default()
        }
    }

    #[test]
    fn dates() {
        for (date, valid) in [
            (day(2024, 2, 29), true),
            (day(2023, 2, 29), false),
            (day(2000, 2, 29), true),
            (day(1900, 2, 29), false),
            (day(2025, 4, 31), false),
            (day(2025, 12, 31), true),
            (day(2025, 13, 1), false),
            (day(2025, 0, 1), false),
            (day(2025, 1, 0), false),
            (day(0, 1, 1), false),
            (day(10000, 1, 1), false),
        ] {
            assert_eq!(Day::new(date).is_some(), valid, "{}", show(date));
        }
        assert_eq!(d(1970, 1, 1).days(), 0);
        assert_eq!(d(2000, 3, 1).days(), 11_017);
        assert_eq!(d(2024, 12, 31).days() - d(2024, 1, 1).days(), 365);
        assert_eq!(d(1969, 12, 31).days(), -1);
        assert_eq!(d(5, 3, 7).to_string(), "0005-03-07");
    }

    #[test]
    fn windows() {
        let ok = |from, to| window(&win(from, to));
        assert_eq!(
            ok(day(2025, 6, 1), day(2025, 6, 1)),
            Ok((d(2025, 6, 1), d(2025, 6, 1)))
        );
        // 366 days, both ends included, in a common year and across a leap day.
        assert!(ok(day(2025, 1, 1), day(2026, 1, 1)).is_ok());
        assert!(ok(day(2024, 1, 1), day(2024, 12, 31)).is_ok());
        assert!(ok(day(2023, 12, 15), day(2024, 12, 14)).is_ok());
        let cases: &[(Date, Date, &str)] = &[
            (
                day(2025, 1, 1),
                day(2026, 1, 2),
                "window 2025-01-01 to 2026-01-02 is 367 days; at most 366",
            ),
            (
                day(2024, 1, 1),
                day(2025, 1, 1),
                "window 2024-01-01 to 2025-01-01 is 367 days; at most 366",
            ),
            (
                day(2020, 1, 1),
                day(2030, 1, 1),
                "window 2020-01-01 to 2030-01-01 is 3654 days; at most 366",
            ),
            (
                day(2025, 6, 2),
                day(2025, 6, 1),
                "window from 2025-06-02 is after to 2025-06-01",
            ),
            (
                day(2023, 2, 29),
                day(2023, 3, 1),
                "window from 2023-02-29 is not a valid date",
            ),
            (
                day(2025, 4, 1),
                day(2025, 4, 31),
                "window to 2025-04-31 is not a valid date",
            ),
            (
                day(2025, 13, 1),
                day(2025, 12, 1),
                "window from 2025-13-01 is not a valid date",
            ),
            (
                day(2025, 1, 0),
                day(2025, 1, 1),
                "window from 2025-01-00 is not a valid date",
            ),
        ];
        for &(from, to, want) in cases {
            assert_eq!(ok(from, to), Err(want.to_owned()), "{want}");
        }
    }

    #[test]
    fn params_and_defaults() {
        for (index, (line, ..)) in CYCLES.iter().enumerate() {
            assert_eq!(line_index(*line), index);
        }
        let rules = Rules::from_params(&[]).unwrap();
        assert_eq!(rules.cycles, [3, 1, 3, 5, 5, 5, 5]);
        assert_eq!(rules.vip, 1);
        assert_eq!(rules.leap_day, LeapDay::Feb28);
        assert_eq!(rules.cycle(ProductLine::Tv, false), 3);
        assert_eq!(rules.cycle(ProductLine::WaterHeater, true), 1);

        let rules = Rules::from_params(&params(&[
            ("cycle.tv", "2"),
            ("cycle.washing-machine", " 4 "),
            ("cycle.vip", "2"),
            ("leap_day", "mar-1"),
        ]))
        .unwrap();
        assert_eq!(rules.cycles, [2, 1, 3, 5, 4, 5, 5]);
        assert_eq!(rules.leap_day, LeapDay::Mar1);
        // VIP never waits longer than the line's own cycle.
        assert_eq!(rules.cycle(ProductLine::FlatPanelTv, true), 1);
        assert_eq!(rules.cycle(ProductLine::Refrigerator, true), 2);
        assert_eq!(
            Rules::from_params(&params(&[("leap_day", "feb-28")]))
                .unwrap()
                .leap_day,
            LeapDay::Feb28
        );

        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("cycle.fridge", "5")], "unknown parameter `cycle.fridge`"),
            (
                &[("cycle.flat_panel_tv", "1")],
                "unknown parameter `cycle.flat_panel_tv`",
            ),
            (&[("speed_kmh", "30")], "unknown parameter `speed_kmh`"),
            (
                &[("cycle.tv", "three")],
                "parameter `cycle.tv`: `three` is not a whole number",
            ),
            (
                &[("cycle.tv", "2.5")],
                "parameter `cycle.tv`: `2.5` is not a whole number",
            ),
            (
                &[("cycle.computer", "0")],
                "parameter `cycle.computer`: 0 is out of range (1 to 100)",
            ),
            (
                &[("cycle.vip", "101")],
                "parameter `cycle.vip`: 101 is out of range (1 to 100)",
            ),
            (
                &[("cycle.vip", "-1")],
                "parameter `cycle.vip`: -1 is out of range (1 to 100)",
            ),
            (
                &[("cycle.tv", "3"), ("cycle.tv", "3")],
                "parameter `cycle.tv` is set more than once",
            ),
            (
                &[("leap_day", "feb-29")],
                "parameter `leap_day`: `feb-29` is not `feb-28` or `mar-1`",
            ),
            (
                &[("leap_day", "")],
                "parameter `leap_day`: `` is not `feb-28` or `mar-1`",
            ),
        ];
        for &(pairs, want) in cases {
            assert_eq!(Rules::from_params(&params(pairs)), Err(want.to_owned()));
        }
    }

    #[test]
    fn leap_day_purchases() {
        let base = installed([order(
            "o1",
            "S1",
            ProductLine::FlatPanelTv,
            Some(day(2020, 2, 29)),
        )]);
        let (feb28, mar1) = (leap(LeapDay::Feb28), leap(LeapDay::Mar1));
        // (window, rules, birthdays)
        // (from, to, rules, birthdays with their age)
        type Case<'a> = (Date, Date, &'a Rules, Vec<(Day, u32)>);
        let cases: Vec<Case> = vec![
            // Common year, one-day windows.
            (
                day(2021, 2, 28),
                day(2021, 2, 28),
                &feb28,
                vec![(d(2021, 2, 28), 1)],
            ),
            (day(2021, 3, 1), day(2021, 3, 1), &feb28, vec![]),
            (day(2021, 2, 28), day(2021, 2, 28), &mar1, vec![]),
            (
                day(2021, 3, 1),
                day(2021, 3, 1),
                &mar1,
                vec![(d(2021, 3, 1), 1)],
            ),
            // Around the end of February: once, whichever the setting.
            (
                day(2023, 2, 27),
                day(2023, 3, 2),
                &feb28,
                vec![(d(2023, 2, 28), 3)],
            ),
            (
                day(2023, 2, 27),
                day(2023, 3, 2),
                &mar1,
                vec![(d(2023, 3, 1), 3)],
            ),
            // Leap year: 29 February, whatever the setting.
            (
                day(2024, 2, 28),
                day(2024, 3, 1),
                &feb28,
                vec![(d(2024, 2, 29), 4)],
            ),
            (
                day(2024, 2, 28),
                day(2024, 3, 1),
                &mar1,
                vec![(d(2024, 2, 29), 4)],
            ),
            (
                day(2024, 2, 29),
                day(2024, 2, 29),
                &mar1,
                vec![(d(2024, 2, 29), 4)],
            ),
            (day(2024, 2, 28), day(2024, 2, 28), &feb28, vec![]),
            (day(2024, 3, 1), day(2024, 3, 1), &mar1, vec![]),
            // 2100 is not a leap year.
            (
                day(2100, 2, 28),
                day(2100, 3, 1),
                &feb28,
                vec![(d(2100, 2, 28), 80)],
            ),
            // The purchase year itself: age 0.
            (day(2020, 1, 1), day(2020, 12, 31), &feb28, vec![]),
        ];
        for (from, to, rules, want) in cases {
            let got: Vec<(Day, u32)> = found(&base, from, to, rules)
                .into_iter()
                .map(|(_, birthday, years)| (birthday, years))
                .collect();
            assert_eq!(
                got,
                want,
                "{} to {} {:?}",
                show(from),
                show(to),
                rules.leap_day
            );
        }
        // A 3-year TV bought on a leap day, in common years at age 3 and 6.
        let tv = base_of(ProductLine::Tv, day(2016, 2, 29));
        assert_eq!(
            found(&tv, day(2019, 1, 1), day(2019, 12, 31), &mar1),
            [("S".to_owned(), d(2019, 3, 1), 3)]
        );
        assert_eq!(
            found(&tv, day(2022, 1, 1), day(2022, 12, 31), &feb28),
            [("S".to_owned(), d(2022, 2, 28), 6)]
        );
    }

    fn base_of(line: ProductLine, bought: Date) -> Base {
        installed([order("o1", "S", line, Some(bought))])
    }

    #[test]
    fn cycles_at_the_edges() {
        use ProductLine::*;
        let rules = Rules::default();
        // (line, ages with a birthday among 0 ..= 11)
        let cases: [(ProductLine, &[u32]); 7] = [
            (Tv, &[3, 6, 9]),
            (Computer, &[3, 6, 9]),
            (FlatPanelTv, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
            (Refrigerator, &[5, 10]),
            (WashingMachine, &[5, 10]),
            (AirConditioner, &[5, 10]),
            (WaterHeater, &[5, 10]),
        ];
        for (line, want) in cases {
            let base = base_of(line, day(2010, 6, 15));
            let ages: Vec<u32> = (0..=11)
                .filter(|age| {
                    let year = 2010 + *age as i32;
                    !found(&base, day(year, 6, 15), day(year, 6, 15), &rules).is_empty()
                })
                .collect();
            assert_eq!(ages, want, "{line:?}");
            // The day before and after the anniversary is no birthday.
            let year = 2010 + want[0] as i32;
            assert!(found(&base, day(year, 6, 14), day(year, 6, 14), &rules).is_empty());
            assert!(found(&base, day(year, 6, 16), day(year, 6, 16), &rules).is_empty());
        }
        // Each line's parameter moves its cycle, and only its.
        let rules = Rules::from_params(&params(&[("cycle.tv", "2")])).unwrap();
        let tv = base_of(Tv, day(2010, 6, 15));
        let pc = base_of(Computer, day(2010, 6, 15));
        for (age, tv_due, pc_due) in [(2, true, false), (3, false, true), (4, true, false)] {
            let year = 2010 + age;
            let window = (day(year, 1, 1), day(year, 12, 31));
            assert_eq!(!found(&tv, window.0, window.1, &rules).is_empty(), tv_due);
            assert_eq!(!found(&pc, window.0, window.1, &rules).is_empty(), pc_due);
        }
    }

    #[test]
    fn vip_every_year() {
        let mut vip = order("o1", "S", ProductLine::Refrigerator, Some(day(2018, 9, 9)));
        vip.vip = true;
        let vip = installed([vip]);
        let plain = base_of(ProductLine::Refrigerator, day(2018, 9, 9));
        for age in 0..=7 {
            let year = 2018 + age;
            let (from, to) = (day(year, 1, 1), day(year, 12, 31));
            let got = found(&vip, from, to, &Rules::default());
            let want = if age >= 1 {
                vec![("S".to_owned(), d(year, 9, 9), age as u32)]
            } else {
                vec![]
            };
            assert_eq!(got, want, "age {age}");
            assert_eq!(
                found(&plain, from, to, &Rules::default()).len(),
                usize::from(age == 5),
                "age {age}"
            );
        }
        // `cycle.vip` = 2: every other year (never less often than the line).
        let rules = Rules::from_params(&params(&[("cycle.vip", "2")])).unwrap();
        let due: Vec<bool> = (1..=4)
            .map(|age| {
                let year = 2018 + age;
                !found(&vip, day(year, 1, 1), day(year, 12, 31), &rules).is_empty()
            })
            .collect();
        assert_eq!(due, [false, true, false, true]);
    }

    #[test]
    fn age_zero_has_no_birthday() {
        let base = base_of(ProductLine::FlatPanelTv, day(2025, 3, 10));
        let rules = Rules::default();
        assert!(found(&base, day(2025, 3, 10), day(2025, 3, 10), &rules).is_empty());
        assert!(found(&base, day(2025, 1, 1), day(2025, 12, 31), &rules).is_empty());
        // Bought after the window: no birthday either.
        assert!(found(&base, day(2024, 3, 10), day(2024, 3, 10), &rules).is_empty());
        assert_eq!(
            found(&base, day(2026, 3, 10), day(2026, 3, 10), &rules),
            [("S".to_owned(), d(2026, 3, 10), 1)]
        );
    }

    #[test]
    fn windows_across_months_and_years() {
        let flat = ProductLine::FlatPanelTv;
        let base = installed([
            order("o1", "A", flat, Some(day(2020, 12, 31))),
            order("o2", "B", flat, Some(day(2021, 1, 1))),
            order("o3", "C", flat, Some(day(2021, 1, 31))),
            order("o4", "D", flat, Some(day(2021, 2, 1))),
            order("o5", "E", flat, Some(day(2019, 12, 20))),
        ]);
        let rules = Rules::default();
        let s = |serial: &str, birthday, years| (serial.to_owned(), birthday, years);
        // Across the year end.
        assert_eq!(
            found(&base, day(2025, 12, 25), day(2026, 1, 5), &rules),
            [s("A", d(2025, 12, 31), 5), s("B", d(2026, 1, 1), 5)]
        );
        // Across a month end.
        assert_eq!(
            found(&base, day(2026, 1, 31), day(2026, 2, 1), &rules),
            [s("C", d(2026, 1, 31), 5), s("D", d(2026, 2, 1), 5)]
        );
        // One day.
        assert_eq!(
            found(&base, day(2026, 1, 1), day(2026, 1, 1), &rules),
            [s("B", d(2026, 1, 1), 5)]
        );
        // A 366-day window holds the same day-of-year twice: two birthdays.
        assert_eq!(
            found(&base, day(2025, 12, 31), day(2026, 12, 31), &rules)
                .into_iter()
                .filter(|(serial, ..)| serial == "A")
                .collect::<Vec<_>>(),
            [s("A", d(2025, 12, 31), 5), s("A", d(2026, 12, 31), 6)]
        );
        // Sorted by day, then serial.
        let all = found(&base, day(2025, 12, 1), day(2026, 11, 30), &rules);
        let keys: Vec<(Day, &str)> = all.iter().map(|(s, b, _)| (*b, s.as_str())).collect();
        assert_eq!(
            keys,
            [
                (d(2025, 12, 20), "E"),
                (d(2025, 12, 31), "A"),
                (d(2026, 1, 1), "B"),
                (d(2026, 1, 31), "C"),
                (d(2026, 2, 1), "D"),
            ]
        );
        // The same day: by serial.
        let twins = installed([
            order("o1", "S", flat, Some(day(2020, 5, 5))),
            order("o2", "R", flat, Some(day(2020, 5, 5))),
        ]);
        let got = found(&twins, day(2025, 5, 5), day(2025, 5, 5), &rules);
        assert_eq!(got, [s("R", d(2025, 5, 5), 5), s("S", d(2025, 5, 5), 5)]);
    }

    #[test]
    fn who_is_in_the_installed_base() {
        let rules = Rules::default();
        let flat = ProductLine::FlatPanelTv;
        let bought = Some(day(2020, 6, 1));
        let mut cancelled = order("o1", "CANCELLED", flat, bought);
        cancelled.status = OrderStatus::Cancelled;
        let mut invalid = order("o2", "INVALID", flat, bought);
        invalid.status = OrderStatus::Invalid;
        let undated = order("o3", "UNDATED", flat, None);
        let no_serial = order("o4", "", flat, bought);
        let blank_serial = order("o5", "  ", flat, bought);
        let open = {
            let mut o = order("o6", "OPEN", flat, bought);
            o.status = OrderStatus::Intake;
            o
        };
        let base = installed([cancelled, invalid, undated, no_serial, blank_serial, open]);
        assert_eq!(base.appliances(), 1);
        assert_eq!(
            found(&base, day(2025, 6, 1), day(2025, 6, 1), &rules),
            [("OPEN".to_owned(), d(2025, 6, 1), 5)]
        );
        // A cancelled order neither wins as the latest nor makes the
        // appliance VIP.
        let mut late = order("o9", "S", ProductLine::Tv, Some(day(2019, 6, 1)));
        late.status = OrderStatus::Cancelled;
        late.vip = true;
        let base = installed([order("o5", "S", ProductLine::Refrigerator, bought), late]);
        let due = due_in(&base, day(2025, 6, 1), day(2025, 6, 1));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].visit.source_order, "o5");
        assert!(!due[0].visit.vip);
    }

    fn due_in(base: &Base, from: Date, to: Date) -> Vec<Due> {
        let (from, to) = window(&win(from, to)).unwrap();
        base.birthdays(from, to, &Rules::default())
    }

    /// The birthdays among `orders` in the window, with the visit orders
    /// as `run` makes them: from the source order read again by id.
    fn visits(orders: &[Order], from: Date, to: Date) -> Vec<(Due, NewOrder)> {
        let base = installed(orders.iter().cloned());
        due_in(&base, from, to)
            .into_iter()
            .map(|due| {
                let source = orders
                    .iter()
                    .find(|o| o.id == due.visit.source_order)
                    .unwrap();
                let new = new_order(&due, source);
                (due, new)
            })
            .collect()
    }

    #[test]
    fn one_appliance_per_serial() {
        // The older order bought a TV; the latest (highest id, added first
        // here) says it is a computer bought a year later, to another
        // customer. Latest wins; VIP because the older order is.
        let mut old = order("ord_01", "S", ProductLine::Tv, Some(day(2019, 4, 1)));
        old.vip = true;
        let mut new = order("ord_02", "S", ProductLine::Computer, Some(day(2020, 4, 1)));
        new.customer_name = "新客户".into();
        new.price = 599_900;
        for orders in [[new.clone(), old.clone()], [old.clone(), new.clone()]] {
            assert_eq!(installed(orders.clone()).appliances(), 1);
            let due = visits(&orders, day(2024, 1, 1), day(2024, 12, 31));
            assert_eq!(due.len(), 1, "VIP: yearly");
            let (Due { visit, .. }, order) = &due[0];
            assert_eq!(visit.source_order, "ord_02");
            assert_eq!(visit.product_line, ProductLine::Computer);
            assert!(visit.vip && order.vip);
            assert_eq!((visit.birthday.month, visit.birthday.day), (4, 1));
            assert_eq!(visit.years, 4);
            assert_eq!(order.customer_name, "新客户");
            assert_eq!(order.price, 599_900);
            assert_eq!(order.model, "M-ord_02");
            let p = order.purchase_date.unwrap();
            assert_eq!((p.year, p.month, p.day), (2020, 4, 1));
        }
    }

    #[test]
    fn the_visit_order() {
        let mut o = order(
            "ord_7",
            "SN-001",
            ProductLine::AirConditioner,
            Some(day(2020, 8, 8)),
        );
        o.vip = true;
        let due = visits(&[o], day(2025, 8, 1), day(2025, 8, 31));
        assert_eq!(due.len(), 1);
        let (
            Due {
                visit,
                birthday,
                purchase,
            },
            order,
        ) = &due[0];
        assert_eq!(*birthday, d(2025, 8, 8));
        assert_eq!(*purchase, d(2020, 8, 8));
        assert_eq!(visit.years, 5);
        assert!(visit.vip);
        assert_eq!(visit.order_id, "");
        assert_eq!(visit.serial, "SN-001");
        assert_eq!(order.request_key, "birthday:SN-001:2025-08-08");
        assert!(matches!(order.kind, OrderKind::BirthdayVisit));
        assert_eq!(order.customer_name, "客户 ord_7");
        assert_eq!(order.customer_phone, "13800000000");
        assert_eq!(order.customer_address, "ord_7 路 1 号");
        assert_eq!(order.customer_location.lat, 31.2);
        assert!(order.vip);
        assert_eq!(order.product_line, ProductLine::AirConditioner);
        assert_eq!(order.model, "M-ord_7");
        assert_eq!(order.serial, "SN-001");
        assert_eq!(order.price, 329_900);
        let p = order.purchase_date.unwrap();
        assert_eq!((p.year, p.month, p.day), (2020, 8, 8));
        assert_eq!(
            order.description,
            "家电过生日: 5周年上门关怀（2025-08-08）：生日贺卡、保养、检测、意见调查"
        );
        assert!(order.description.starts_with("家电过生日: 5周年上门关怀"));
    }

    #[test]
    fn request_keys() {
        assert_eq!(request_key("ABC", d(2025, 1, 2)), "birthday:ABC:2025-01-02");
        // 64 ASCII characters fit in 100 bytes.
        let long = "X".repeat(64);
        assert_eq!(
            request_key(&long, d(2025, 1, 2)),
            format!("birthday:{long}:2025-01-02")
        );
        // 64 CJK characters do not: hashed, stable, distinct.
        let cjk = "号".repeat(64);
        let key = request_key(&cjk, d(2025, 1, 2));
        assert!(key.starts_with("birthday:#") && key.ends_with(":2025-01-02"));
        assert!(key.len() <= 100, "{key}");
        assert_eq!(key, request_key(&cjk, d(2025, 1, 2)));
        assert_ne!(key, request_key(&"码".repeat(64), d(2025, 1, 2)));
        assert_eq!(
            request_key("", d(2025, 1, 2)),
            "birthday::2025-01-02",
            "never called with an empty serial, but well defined"
        );
    }

    #[test]
    fn visits_made_before() {
        let june = (day(2025, 6, 1), day(2025, 6, 30));
        let source = order(
            "ord_01",
            "S",
            ProductLine::FlatPanelTv,
            Some(day(2020, 6, 10)),
        );
        let first = visits(std::slice::from_ref(&source), june.0, june.1);
        // The visit a first run made, as the records return it: the new
        // order's details, kind birthday-visit, with the serial.
        let made = |id: &str, status: OrderStatus| {
            let new = &first[0].1;
            Order {
                id: id.into(),
                kind: new.kind,
                status,
                customer_name: new.customer_name.clone(),
                customer_phone: new.customer_phone.clone(),
                customer_address: new.customer_address.clone(),
                customer_location: new.customer_location,
                vip: new.vip,
                product_line: new.product_line,
                model: new.model.clone(),
                serial: new.serial.clone(),
                purchase_date: new.purchase_date,
                price: new.price,
                outlet_id: "out_1".into(),
                engineer_id: String::new(),
                created: 1,
            }
        };
        // It is part of the installed base, still one appliance, and now
        // its latest order; the run again asks for the very same order, so
        // the kernel returns the visit made before.
        let run2 = [source.clone(), made("ord_05", OrderStatus::Intake)];
        assert_eq!(installed(run2.clone()).appliances(), 1, "one appliance");
        let again = visits(&run2, june.0, june.1);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].0.visit.source_order, "ord_05", "the latest order");
        assert_eq!(format!("{:?}", again[0].1), format!("{:?}", first[0].1));
        // Cancelled, it is left out: the same order again.
        let run3 = [source.clone(), made("ord_05", OrderStatus::Cancelled)];
        let again = visits(&run3, june.0, june.1);
        assert_eq!(again[0].0.visit.source_order, "ord_01");
        assert_eq!(format!("{:?}", again[0].1), format!("{:?}", first[0].1));
        // Next year's birthday is a new key.
        let next = visits(&run2, day(2026, 6, 1), day(2026, 6, 30));
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].0.visit.years, 6);
        assert_eq!(next[0].1.request_key, "birthday:S:2026-06-10");
    }

    #[test]
    fn keys_used_with_other_details() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "request-key \"birthday:S:2025-06-10\" already made order ord_01JX from a different order",
                Some("ord_01JX"),
            ),
            (
                "request-key \"birthday:a already made order b:2025-06-10\" already made order ord_2 from a different order",
                Some("ord_2"),
            ),
            ("request-key must be 1 to 100 bytes", None),
            ("order.customer.phone: is not a phone number", None),
            (
                "request-key \"k\" already made order  from a different order",
                None,
            ),
            ("", None),
        ];
        for &(why, want) in cases {
            assert_eq!(made_before(why), want, "{why}");
        }
    }

    #[test]
    fn bad_purchase_dates_fail() {
        let mut base = Base::default();
        let bad = order("ord_3", "S", ProductLine::Tv, Some(day(2023, 2, 29)));
        assert_eq!(
            base.add(&bad),
            Err("order ord_3: purchase date 2023-02-29 is not a valid date".to_owned())
        );
        // Unless the order is cancelled: then it is not read.
        let mut cancelled = bad;
        cancelled.status = OrderStatus::Cancelled;
        assert_eq!(base.add(&cancelled), Ok(()));
        assert_eq!(base.appliances(), 0);
    }

    /// `cargo test --release -p campaign-birthday -- --ignored`: a big
    /// region's installed base, natively.
    #[test]
    #[ignore]
    fn big_region() {
        use ProductLine::*;
        let lines = [Tv, FlatPanelTv, Computer, Refrigerator, WashingMachine];
        let orders: Vec<Order> = (0..300_000u32)
            .map(|i| {
                let serial = format!("SN{:08}", i % 150_000);
                let bought = day(
                    2010 + (i % 15) as i32,
                    1 + (i % 12) as u8,
                    1 + (i % 28) as u8,
                );
                let mut o = order(
                    &format!("ord_{i:026}"),
                    &serial,
                    lines[(i % 5) as usize],
                    Some(bought),
                );
                o.vip = i % 17 == 0;
                o
            })
            .collect();
        let start = std::time::Instant::now();
        let mut base = Base::default();
        for o in &orders {
            base.add(o).unwrap();
        }
        let built = start.elapsed();
        let (from, to) = window(&win(day(2025, 1, 1), day(2025, 12, 31))).unwrap();
        let due = base.birthdays(from, to, &Rules::default());
        println!(
            "{} appliances in {built:?}, {} birthdays in {:?}",
            base.appliances(),
            due.len(),
            start.elapsed() - built
        );
        assert_eq!(base.appliances(), 150_000);
    }
}
