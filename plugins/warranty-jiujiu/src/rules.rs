//! The region's Jiujiu rules from its parameters, who may buy, and what a
//! plan costs. Integer arithmetic only: money in fen, rates and factors in
//! permille, one rounding rule (`xingji_plugin_sdk::numbers::div_round`,
//! halves away from zero).

use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::{line_index, line_name};

use crate::dates::Day;
use crate::exports::xingji::plugins::warranty_plans::{Appliance, Plan};
use xingji_plugin_sdk::wit::types::{Date, ProductLine};

/// Every product line, in WIT order (indexed by `line_index`), with its parameter name and default
/// factor (‰).
pub const LINES: [(ProductLine, &str, i64); 7] = [
    (ProductLine::Tv, "factor.tv", 1000),
    (ProductLine::FlatPanelTv, "factor.flat-panel-tv", 1100),
    (ProductLine::Computer, "factor.computer", 1300),
    (ProductLine::Refrigerator, "factor.refrigerator", 1000),
    (ProductLine::WashingMachine, "factor.washing-machine", 1000),
    (ProductLine::AirConditioner, "factor.air-conditioner", 1200),
    (ProductLine::WaterHeater, "factor.water-heater", 1000),
];

/// The default rates (‰ of the appliance's price) of the default plans.
const DEFAULT_RATES: [(u32, i64); 3] = [(1, 40), (2, 70), (3, 95)];

/// The longest plan, in years.
pub const MAX_PLAN_YEARS: u32 = 10;

/// The parameters other than `rate.<years>` and `factor.<line>`.
const SCALARS: [&str; 4] = ["base_years", "plans", "age_loading_permille", "min_price"];

/// The years of a `rate.<years>` name, if it is one (1 to
/// [`MAX_PLAN_YEARS`], written without leading zeros).
fn rate_years(name: &str) -> Option<u32> {
    let years = name.strip_prefix("rate.")?;
    let value: u32 = years.parse().ok()?;
    ((1..=MAX_PLAN_YEARS).contains(&value) && value.to_string() == years).then_some(value)
}

fn known(name: &str) -> bool {
    SCALARS.contains(&name)
        || rate_years(name).is_some()
        || LINES.iter().any(|(_, n, _)| *n == name)
}

/// A region's Jiujiu rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Years of the maker's own warranty, from the purchase date.
    pub base_years: u32,
    /// The plans on offer: (extra years, rate in ‰ of the appliance's
    /// price), by years.
    pub plans: Vec<(u32, i64)>,
    /// Price factor (‰) per product line, in [`LINES`] order; 0: the line
    /// is not covered.
    pub factors: [i64; 7],
    /// Price loading (‰) per full year of the appliance's age.
    pub age_loading: i64,
    /// The lowest price of a plan, fen.
    pub min_price: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from_params(&[]).expect("the defaults are valid")
    }
}

impl Rules {
    /// Reads the rules; an error names a parameter that is unknown, set
    /// twice, malformed or out of range.
    pub fn from_params(params: &[(String, String)]) -> Result<Rules, String> {
        let s = Settings::new(params, known)?;
        let raw = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let years = match raw("plans") {
            Some(list) => parse_plans(list)?,
            None => DEFAULT_RATES.iter().map(|(years, _)| *years).collect(),
        };
        // A rate for a plan not on offer would quietly do nothing.
        if let Some((name, _)) = params
            .iter()
            .find(|(name, _)| rate_years(name).is_some_and(|y| !years.contains(&y)))
        {
            return Err(format!(
                "parameter `{name}`: `plans` offers no plan of that many years"
            ));
        }
        let mut plans = Vec::with_capacity(years.len());
        for years in years {
            let name = format!("rate.{years}");
            let rate = match DEFAULT_RATES.iter().find(|(y, _)| *y == years) {
                Some(&(_, default)) => s.whole(&name, default, 0..=1000)?,
                None if raw(&name).is_some() => s.whole(&name, 0, 0..=1000)?,
                None => {
                    return Err(format!(
                        "parameter `{name}` must be set: `plans` offers a {years}-year plan, which has no default rate"
                    ));
                }
            };
            plans.push((years, rate));
        }
        let mut factors = [0; 7];
        for (factor, (_, name, default)) in factors.iter_mut().zip(LINES) {
            *factor = s.whole(name, default, 0..=10_000)?;
        }
        Ok(Rules {
            base_years: s.whole("base_years", 3, 1..=30)? as u32,
            plans,
            factors,
            age_loading: s.whole("age_loading_permille", 100, 0..=1000)?,
            min_price: s.whole("min_price", 9900, 0..=100_000_000)?,
        })
    }

    /// The factor (‰) of `line`.
    pub fn factor(&self, line: ProductLine) -> i64 {
        self.factors[line_index(line)]
    }

    /// The plans on offer for `appliance` on `today`, by years, or why
    /// there are none.
    pub fn quote(&self, appliance: &Appliance, today: Day) -> Result<Vec<Plan>, String> {
        let age = self.eligible(appliance, today)?;
        let factor = self.factor(appliance.product_line);
        self.plans
            .iter()
            .map(|&(years, rate)| {
                Ok(Plan {
                    years,
                    price: self.price(appliance.price, rate, factor, age)?,
                })
            })
            .collect()
    }

    /// The appliance's age in full years on `today` if Jiujiu may be sold
    /// for it then, or why not.
    pub fn eligible(&self, appliance: &Appliance, today: Day) -> Result<u32, String> {
        let purchase = day(appliance.purchase_date, "appliance.purchase-date")?;
        if appliance.price <= 0 {
            return Err(format!(
                "appliance.price must be more than 0 fen, not {}",
                appliance.price
            ));
        }
        let line = line_name(appliance.product_line);
        if self.factor(appliance.product_line) == 0 {
            return Err(format!(
                "product line {line} is not covered in this region (`factor.{line}` is 0)"
            ));
        }
        let Some(age) = purchase.age_on(today) else {
            return Err(format!(
                "appliance.purchase-date {purchase} is after today ({today})"
            ));
        };
        if age >= self.base_years {
            let ended = purchase
                .anniversary(self.base_years)
                .map_or(today, |end| end.add_days(-1));
            return Err(format!(
                "the appliance is {age} years old: Jiujiu is sold only during the maker's {}-year warranty, which ended on {ended}",
                self.base_years
            ));
        }
        Ok(age)
    }

    /// The price of a plan: `price` × `rate` ‰ × `factor` ‰ × (1000 +
    /// age × age loading) ‰, rounded half away from zero to whole yuan,
    /// at least `min_price`.
    pub fn price(&self, price: i64, rate: i64, factor: i64, age: u32) -> Result<i64, String> {
        let loading = 1000 + i128::from(age) * i128::from(self.age_loading);
        let fen = i128::from(price) * i128::from(rate) * i128::from(factor) * loading;
        let yuan = xingji_plugin_sdk::numbers::div_round(fen, 1000 * 1000 * 1000 * 100);
        let price = i64::try_from(yuan * 100)
            .map_err(|_| format!("appliance.price {price} is too large to price"))?;
        Ok(price.max(self.min_price))
    }
}

/// The years of `plans`: whole numbers from 1 to [`MAX_PLAN_YEARS`],
/// separated by commas, each once; returned in ascending order.
fn parse_plans(list: &str) -> Result<Vec<u32>, String> {
    let mut years = Vec::new();
    for item in list.split(',') {
        let item = item.trim();
        let value = (!item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()))
            .then(|| item.parse::<u32>().ok())
            .flatten()
            .filter(|y| (1..=MAX_PLAN_YEARS).contains(y))
            .ok_or_else(|| {
                format!(
                    "parameter `plans`: `{item}` is not a number of years from 1 to {MAX_PLAN_YEARS} (write e.g. `1,2,3`)"
                )
            })?;
        if years.contains(&value) {
            return Err(format!("parameter `plans`: {value} is listed twice"));
        }
        years.push(value);
    }
    years.sort_unstable();
    Ok(years)
}

/// `date` as a [`Day`], or an error naming `field`.
pub fn day(date: Date, field: &str) -> Result<Day, String> {
    Day::new(date.year, date.month, date.day).ok_or_else(|| {
        format!(
            "{field}: {}-{:02}-{:02} is not a date",
            date.year, date.month, date.day
        )
    })
}

/// `day` as a WIT date.
pub fn date(day: Day) -> Date {
    Date {
        year: day.year,
        month: day.month,
        day: day.day,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn d(year: i32, month: u8, day: u8) -> Day {
        Day::new(year, month, day).unwrap_or_else(|| panic!("{year}-{month}-{day}"))
    }

    pub fn appliance(line: ProductLine, price: i64, bought: Day, serial: &str) -> Appliance {
        Appliance {
            product_line: line,
            price,
            purchase_date: date(bought),
            serial: serial.into(),
        }
    }

    fn prices(plans: &[Plan]) -> Vec<(u32, i64)> {
        plans.iter().map(|p| (p.years, p.price)).collect()
    }

    #[test]
    fn defaults() {
        let r = Rules::default();
        assert_eq!(r.base_years, 3);
        assert_eq!(r.plans, [(1, 40), (2, 70), (3, 95)]);
        assert_eq!(r.factors, [1000, 1100, 1300, 1000, 1000, 1200, 1000]);
        assert_eq!(r.age_loading, 100);
        assert_eq!(r.min_price, 9900);
        assert_eq!(line_name(ProductLine::AirConditioner), "air-conditioner");
        assert_eq!(line_name(ProductLine::Tv), "tv");
    }

    #[test]
    fn param_overrides() {
        // (params, what changes from the defaults)
        type Change = fn(&mut Rules);
        let cases: &[(&[(&str, &str)], Change)] = &[
            (&[("base_years", "5")], |r| r.base_years = 5),
            (&[("plans", "2")], |r| r.plans = vec![(2, 70)]),
            (&[("plans", " 3 , 1 ")], |r| {
                r.plans = vec![(1, 40), (3, 95)]
            }),
            (&[("plans", "1,5"), ("rate.5", "150")], |r| {
                r.plans = vec![(1, 40), (5, 150)]
            }),
            (&[("rate.1", "35")], |r| r.plans[0].1 = 35),
            (&[("rate.2", "0")], |r| r.plans[1].1 = 0),
            (&[("rate.3", "1000")], |r| r.plans[2].1 = 1000),
            (&[("factor.tv", "900")], |r| r.factors[0] = 900),
            (&[("factor.flat-panel-tv", "1000")], |r| r.factors[1] = 1000),
            (&[("factor.computer", "0")], |r| r.factors[2] = 0),
            (&[("factor.refrigerator", "1050")], |r| r.factors[3] = 1050),
            (&[("factor.washing-machine", "10000")], |r| {
                r.factors[4] = 10000
            }),
            (&[("factor.air-conditioner", "1500")], |r| {
                r.factors[5] = 1500
            }),
            (&[("factor.water-heater", "800")], |r| r.factors[6] = 800),
            (&[("age_loading_permille", "0")], |r| r.age_loading = 0),
            (&[("min_price", "0")], |r| r.min_price = 0),
            (&[("min_price", "19900")], |r| r.min_price = 19900),
        ];
        for (pairs, change) in cases {
            let mut want = Rules::default();
            change(&mut want);
            assert_eq!(Rules::from_params(&params(pairs)), Ok(want), "{pairs:?}");
        }
    }

    #[test]
    fn malformed_params() {
        // (params, a part of the error)
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("base_year", "3")], "unknown parameter `base_year`"),
            (&[("rate.0", "10")], "unknown parameter `rate.0`"),
            (&[("rate.01", "10")], "unknown parameter `rate.01`"),
            (&[("rate.11", "10")], "unknown parameter `rate.11`"),
            (&[("factor.oven", "10")], "unknown parameter `factor.oven`"),
            (
                &[("factor.flat_panel_tv", "10")],
                "unknown parameter `factor.flat_panel_tv`",
            ),
            (
                &[("base_years", "three")],
                "parameter `base_years`: `three` is not a whole number",
            ),
            (
                &[("base_years", "0")],
                "parameter `base_years`: 0 is out of range (1 to 30)",
            ),
            (
                &[("base_years", "3"), ("base_years", "4")],
                "parameter `base_years` is set more than once",
            ),
            (
                &[("rate.1", "4.5")],
                "parameter `rate.1`: `4.5` is not a whole number",
            ),
            (
                &[("rate.2", "1001")],
                "parameter `rate.2`: 1001 is out of range (0 to 1000)",
            ),
            (
                &[("rate.3", "-1")],
                "parameter `rate.3`: -1 is out of range",
            ),
            (
                &[("factor.computer", "x")],
                "parameter `factor.computer`: `x` is not a whole number",
            ),
            (
                &[("factor.tv", "10001")],
                "parameter `factor.tv`: 10001 is out of range",
            ),
            (
                &[("age_loading_permille", "")],
                "parameter `age_loading_permille`: `` is not a whole number",
            ),
            (
                &[("age_loading_permille", "1001")],
                "parameter `age_loading_permille`: 1001 is out of range",
            ),
            (
                &[("min_price", "99.00")],
                "parameter `min_price`: `99.00` is not a whole number",
            ),
            (
                &[("min_price", "-1")],
                "parameter `min_price`: -1 is out of range",
            ),
            (
                &[("plans", "")],
                "parameter `plans`: `` is not a number of years",
            ),
            (
                &[("plans", "1,,2")],
                "parameter `plans`: `` is not a number of years",
            ),
            (
                &[("plans", "1;2")],
                "parameter `plans`: `1;2` is not a number of years",
            ),
            (
                &[("plans", "0")],
                "parameter `plans`: `0` is not a number of years",
            ),
            (
                &[("plans", "11")],
                "parameter `plans`: `11` is not a number of years",
            ),
            (
                &[("plans", "-1")],
                "parameter `plans`: `-1` is not a number of years",
            ),
            (
                &[("plans", "1,2,1")],
                "parameter `plans`: 1 is listed twice",
            ),
            (&[("plans", "1,4")], "parameter `rate.4` must be set"),
            (
                &[("plans", "1,2"), ("rate.3", "90")],
                "parameter `rate.3`: `plans` offers no plan",
            ),
            (
                &[("rate.4", "90")],
                "parameter `rate.4`: `plans` offers no plan",
            ),
            (
                &[("plans", "4"), ("rate.4", "big")],
                "parameter `rate.4`: `big` is not a whole number",
            ),
        ];
        for (pairs, want) in cases {
            let err = Rules::from_params(&params(pairs)).unwrap_err();
            assert!(err.contains(want), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn price_rounding_and_minimum() {
        let r = Rules::default();
        // (appliance price, rate ‰, factor ‰, age, plan price) in fen
        let cases: &[(i64, i64, i64, u32, i64)] = &[
            // 4999.00 yuan × 40 ‰ = 199.96 → 200 yuan.
            (499_900, 40, 1000, 0, 20_000),
            // 3000.00 × 95 ‰ × 1.2 × 1.2 = 410.40 → 410.
            (300_000, 95, 1200, 2, 41_000),
            // 2500.00 × 70 ‰ × 1.1 × 1.1 = 211.75 → 212.
            (250_000, 70, 1100, 1, 21_200),
            // Half a yuan goes up: 3762.50 × 40 ‰ = 150.50 → 151.
            (376_250, 40, 1000, 0, 15_100),
            // Just under half goes down: 3762.49 × 40 ‰ = 150.4996 → 150.
            (376_249, 40, 1000, 0, 15_000),
            // 5987.50 × 40 ‰ = 239.50 → 240; 5987.49 → 239.
            (598_750, 40, 1000, 0, 24_000),
            (598_749, 40, 1000, 0, 23_900),
            // Under the minimum: 1000.00 × 40 ‰ = 40 yuan → 99 yuan.
            (100_000, 40, 1000, 0, 9_900),
            // At the minimum exactly: 2475.00 × 40 ‰ = 99.00.
            (247_500, 40, 1000, 0, 9_900),
            // Just over: 2487.50 × 40 ‰ = 99.50 → 100.
            (248_750, 40, 1000, 0, 10_000),
            // A rate of 0 costs the minimum.
            (1_000_000, 0, 1000, 0, 9_900),
            // 1 fen.
            (1, 95, 1300, 2, 9_900),
            // Big prices stay exact: 9,999,999.99 yuan × 95 ‰ × 1.3 × 1.2.
            (999_999_999, 95, 1300, 2, 148_200_000),
        ];
        for &(price, rate, factor, age, want) in cases {
            assert_eq!(
                r.price(price, rate, factor, age),
                Ok(want),
                "{price} × {rate} × {factor}, age {age}"
            );
        }
        let err = r.price(i64::MAX, 1000, 10_000, 2).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        // The largest price at the defaults still fits: × 95 ‰ × 1.3 × 1.2.
        assert!(r.price(i64::MAX, 95, 1300, 2).is_ok());
    }

    #[test]
    fn quotes() {
        let r = Rules::default();
        let bought = d(2023, 6, 15);
        let ac = appliance(ProductLine::AirConditioner, 399_900, bought, "AC-1");
        // Age 0: 3999 × 40 ‰ × 1.2 = 191.952 → 192; × 70 ‰ → 335.916 → 336;
        // × 95 ‰ → 455.886 → 456.
        let got = r.quote(&ac, d(2023, 6, 15)).unwrap();
        assert_eq!(prices(&got), [(1, 19_200), (2, 33_600), (3, 45_600)]);
        // Age 1 (from the first anniversary): × 1.1.
        let got = r.quote(&ac, d(2024, 6, 14)).unwrap();
        assert_eq!(prices(&got), [(1, 19_200), (2, 33_600), (3, 45_600)]);
        let got = r.quote(&ac, d(2024, 6, 15)).unwrap();
        // 211.1472 → 211; 369.5076 → 370; 501.4746 → 501.
        assert_eq!(prices(&got), [(1, 21_100), (2, 37_000), (3, 50_100)]);
        // Age 2: × 1.2: 230.3424 → 230; 403.0992 → 403; 547.0632 → 547.
        let got = r.quote(&ac, d(2026, 6, 14)).unwrap();
        assert_eq!(prices(&got), [(1, 23_000), (2, 40_300), (3, 54_700)]);

        // Each factor applies to its line: a computer at 1.3, a TV at 1.0.
        let pc = appliance(ProductLine::Computer, 500_000, bought, "PC-1");
        let got = r.quote(&pc, bought).unwrap();
        assert_eq!(prices(&got), [(1, 26_000), (2, 45_500), (3, 61_800)]);
        let tv = appliance(ProductLine::Tv, 500_000, bought, "TV-1");
        let got = r.quote(&tv, bought).unwrap();
        assert_eq!(prices(&got), [(1, 20_000), (2, 35_000), (3, 47_500)]);
        let flat = appliance(ProductLine::FlatPanelTv, 500_000, bought, "TV-2");
        let got = r.quote(&flat, bought).unwrap();
        assert_eq!(prices(&got), [(1, 22_000), (2, 38_500), (3, 52_300)]);

        // Overrides reach the quote: plans, rates, factor, loading, minimum.
        let r = Rules::from_params(&params(&[
            ("plans", "2,5"),
            ("rate.2", "60"),
            ("rate.5", "200"),
            ("factor.air-conditioner", "1000"),
            ("age_loading_permille", "0"),
            ("min_price", "30000"),
        ]))
        .unwrap();
        let got = r.quote(&ac, d(2025, 6, 15)).unwrap();
        // 3999 × 60 ‰ = 239.94 → 240 → the minimum 300; × 200 ‰ = 799.80 → 800.
        assert_eq!(prices(&got), [(2, 30_000), (5, 80_000)]);
    }

    #[test]
    fn eligibility() {
        let r = Rules::default();
        let tv = |price, bought| appliance(ProductLine::Tv, price, bought, "S");
        // (appliance, today, Ok(age) or a part of the error)
        let cases: Vec<(Appliance, Day, Result<u32, &str>)> = vec![
            (tv(100_000, d(2021, 5, 10)), d(2021, 5, 10), Ok(0)),
            // The last day of eligibility, and the first day after.
            (tv(100_000, d(2021, 5, 10)), d(2024, 5, 9), Ok(2)),
            (
                tv(100_000, d(2021, 5, 10)),
                d(2024, 5, 10),
                Err(
                    "the appliance is 3 years old: Jiujiu is sold only during the maker's 3-year warranty, which ended on 2024-05-09",
                ),
            ),
            (
                tv(100_000, d(2021, 5, 10)),
                d(2030, 1, 1),
                Err("is 8 years old"),
            ),
            // Across a year end.
            (tv(100_000, d(2021, 1, 1)), d(2023, 12, 31), Ok(2)),
            (
                tv(100_000, d(2021, 1, 1)),
                d(2024, 1, 1),
                Err("which ended on 2023-12-31"),
            ),
            // Leap day: the third anniversary is 28 February 2027.
            (tv(100_000, d(2024, 2, 29)), d(2027, 2, 27), Ok(2)),
            (
                tv(100_000, d(2024, 2, 29)),
                d(2027, 2, 28),
                Err("which ended on 2027-02-27"),
            ),
            // A purchase on 1 March: the last day is the end of February.
            (tv(100_000, d(2021, 3, 1)), d(2024, 2, 29), Ok(2)),
            (
                tv(100_000, d(2021, 3, 1)),
                d(2024, 3, 1),
                Err("which ended on 2024-02-29"),
            ),
            // Bought in the future.
            (
                tv(100_000, d(2024, 5, 11)),
                d(2024, 5, 10),
                Err("appliance.purchase-date 2024-05-11 is after today (2024-05-10)"),
            ),
            // No price.
            (
                tv(0, d(2024, 1, 1)),
                d(2024, 5, 10),
                Err("appliance.price must be more than 0 fen, not 0"),
            ),
            (
                tv(-5, d(2024, 1, 1)),
                d(2024, 5, 10),
                Err("appliance.price must be more than 0 fen, not -5"),
            ),
        ];
        for (appliance, today, want) in cases {
            let got = r.eligible(&appliance, today);
            match want {
                Ok(age) => assert_eq!(got, Ok(age), "{today}"),
                Err(part) => {
                    let err = got.unwrap_err();
                    assert!(err.contains(part), "{today}: {err}");
                    assert!(r.quote(&appliance, today).is_err());
                }
            }
        }
        // Not a date.
        let mut bad = tv(100_000, d(2024, 1, 1));
        bad.purchase_date.day = 30;
        bad.purchase_date.month = 2;
        assert_eq!(
            r.eligible(&bad, d(2024, 5, 10)).unwrap_err(),
            "appliance.purchase-date: 2024-02-30 is not a date"
        );
        // A line whose factor is 0 is not covered.
        let r = Rules::from_params(&params(&[("factor.computer", "0")])).unwrap();
        let pc = appliance(ProductLine::Computer, 500_000, d(2024, 1, 1), "PC");
        assert_eq!(
            r.quote(&pc, d(2024, 1, 2)).unwrap_err(),
            "product line computer is not covered in this region (`factor.computer` is 0)"
        );
        // A longer maker's warranty sells longer.
        let r = Rules::from_params(&params(&[("base_years", "5")])).unwrap();
        assert_eq!(
            r.eligible(&tv(100_000, d(2021, 5, 10)), d(2026, 5, 9)),
            Ok(4)
        );
        assert!(
            r.eligible(&tv(100_000, d(2021, 5, 10)), d(2026, 5, 10))
                .is_err()
        );
    }
}
