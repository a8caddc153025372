//! The flat settlement rules, as plain functions over the WIT types. The
//! index check, the audit, the statement's arithmetic, the rates per kind,
//! T by grade, the ranking's incentive and engineer pay are the kit's
//! (`xingji_plugin_sdk::month`), the same rules as `settlement-standard`;
//! this plugin only leaves out the product-line factor, the score term and
//! the quality credits.

use xingji_plugin_sdk::month::{
    CELLS, GradeCoefficients, Line, MAX_AMOUNT, PayBook, PayRules, Statement, Tally, cell, check,
    is_kind_rate, kind_rates, ranking_line, settle_order, statement,
};
use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::PRODUCT_LINES;
use xingji_plugin_sdk::wit::month::MonthFacts;
use xingji_plugin_sdk::wit::types::{Grade, OrderKind};

use crate::exports::xingji::plugins::settler::{
    EngineerPay, Line as WitLine, OutletAccount, OutletStatement, Settlement,
};

/// The parameters with fixed names of this plugin; besides them the kit's
/// `t.a`, `t.b`, `t.c` and `engineer.*`, and `rate.<kind>`.
pub const PARAMS: [&str; 3] = [
    "incentive.reward",
    "incentive.penalty",
    "incentive.major_complaint",
];

/// Whether this plugin reads a parameter of this name.
fn known(name: &str) -> bool {
    PARAMS.contains(&name)
        || GradeCoefficients::PARAMS.contains(&name)
        || PayRules::PARAMS.contains(&name)
        || is_kind_rate(name)
}

/// The region's settlement rules, from its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Fen per paid order of each cell: the kind's rate on every product
    /// line.
    pub units: [i64; CELLS],
    /// T by grade, permille.
    pub t: GradeCoefficients,
    /// Q, fen: the top/bottom incentive, minus per major complaint.
    pub reward: i64,
    pub penalty: i64,
    pub major_complaint: i64,
    pub pay: PayRules,
}

impl Rules {
    /// Reads the rules; an error names a parameter that is unknown, set
    /// twice, malformed or out of range.
    pub fn from_params(params: &[(String, String)]) -> Result<Rules, String> {
        let s = Settings::new(params, known)?;
        let rates = kind_rates(&s)?;
        let mut units = [0; CELLS];
        for line in 0..PRODUCT_LINES.len() {
            for (kind, &rate) in rates.iter().enumerate() {
                units[cell(line, kind)] = rate;
            }
        }
        let amount = |name, default| s.whole(name, default, 0..=MAX_AMOUNT);
        Ok(Rules {
            units,
            t: GradeCoefficients::from_settings(&s)?,
            reward: amount("incentive.reward", 50_000)?,
            penalty: amount("incentive.penalty", 50_000)?,
            major_complaint: amount("incentive.major_complaint", 50_000)?,
            pay: PayRules::from_settings(&s)?,
        })
    }

    /// T of an outlet by its grade alone, permille, and its note.
    pub fn coefficient(&self, grade: Grade) -> (u32, String) {
        match self.t.of(grade) {
            Some((letter, t)) => (t, format!("T {t}‰: {letter}")),
            None => (1000, "T 1000‰: ungraded".into()),
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from_params(&[]).expect("the defaults are valid")
    }
}

/// Settles the month: one pass over the orders, one over the outlets.
pub fn settle(
    month: &MonthFacts,
    accounts: &[OutletAccount],
    rules: &Rules,
) -> Result<Settlement, String> {
    if accounts.len() != month.outlets.len() {
        return Err(format!(
            "accounts: {} given for {} outlets",
            accounts.len(),
            month.outlets.len()
        ));
    }
    let mut tallies = vec![Tally::default(); month.outlets.len()];
    let mut majors = vec![0u32; month.outlets.len()];
    let mut pay = PayBook::new(month.orders.len());
    for (index, order) in month.orders.iter().enumerate() {
        check(index, order, month.outlets.len(), month.engineers)?;
        let outlet = order.outlet as usize;
        // Every complaint in the list is one of the month's (see
        // plugins/README.md on complaints).
        if order.kind == OrderKind::Complaint && order.major {
            majors[outlet] = majors[outlet].saturating_add(1);
        }
        if order.to_settle {
            settle_order(order, &mut tallies[outlet], &mut pay, &rules.pay);
        }
    }
    let outlets = tallies
        .iter()
        .zip(accounts)
        .zip(&majors)
        .enumerate()
        .map(|(index, ((tally, account), &majors))| {
            let (t, note) = rules.coefficient(account.grade);
            let mut incentives: Vec<Line> =
                ranking_line(account.incentive, rules.reward, rules.penalty)
                    .into_iter()
                    .collect();
            incentives.push(Line::per(
                "incentive/major-complaint",
                majors,
                -rules.major_complaint,
                "",
            )?);
            statement(tally, &rules.units, t, note, incentives)
                .map(to_wit)
                .map_err(|e| format!("outlet {index}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let engineers = pay
        .pay(&rules.pay)?
        .into_iter()
        .map(|p| EngineerPay {
            engineer: p.engineer,
            base: p.base,
            valid_orders: p.valid_orders,
            commission: p.commission,
            timely_orders: p.timely_orders,
            timely_bonus: p.timely_bonus,
            total: p.total,
        })
        .collect();
    Ok(Settlement { outlets, engineers })
}

fn to_wit(s: Statement) -> OutletStatement {
    OutletStatement {
        labour: s.labour,
        coefficient_permille: s.coefficient_permille,
        adjustment: s.adjustment,
        incentives: s.incentives,
        total: s.total,
        lines: s
            .lines
            .into_iter()
            .map(|l| WitLine {
                item: l.item,
                count: l.count,
                unit: l.unit,
                amount: l.amount,
                note: l.note,
            })
            .collect(),
        rejected: s.rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // `order` is a TV repair to settle that passes the audit, by engineer
    // 0, on time.
    use xingji_plugin_sdk::month::fixtures::{Rng, month, order as settled, outlet, params};
    use xingji_plugin_sdk::wit::month::{Incentive, MonthOrder, OutletFacts};
    use xingji_plugin_sdk::wit::types::ProductLine;
    use xingji_plugin_sdk::wit::{KINDS, LINES};

    fn account(grade: Grade, score: i32, incentive: Incentive) -> OutletAccount {
        OutletAccount {
            grade,
            score,
            incentive,
        }
    }

    fn items(s: &OutletStatement) -> Vec<(&str, u32, i64, i64)> {
        s.lines
            .iter()
            .map(|l| (l.item.as_str(), l.count, l.unit, l.amount))
            .collect()
    }

    /// Every statement adds up, as the kernel checks.
    fn assert_adds_up(s: &Settlement) {
        for o in &s.outlets {
            assert_eq!(o.total, o.labour + o.adjustment + o.incentives);
            assert_eq!(o.total, o.lines.iter().map(|l| l.amount).sum::<i64>());
            let sum = |prefix: &str| -> i64 {
                o.lines
                    .iter()
                    .filter(|l| l.item.starts_with(prefix))
                    .map(|l| l.amount)
                    .sum()
            };
            assert_eq!(o.labour, sum("labour/"));
            assert_eq!(o.incentives, sum("incentive/"));
            let rejected: u32 = o
                .lines
                .iter()
                .filter(|l| l.item.starts_with("rejected/"))
                .map(|l| l.count)
                .sum();
            assert_eq!(o.rejected, rejected);
            for l in &o.lines {
                if l.count > 0 || l.unit != 0 {
                    assert_eq!(i64::from(l.count) * l.unit, l.amount, "{}", l.item);
                }
            }
        }
        for e in &s.engineers {
            assert_eq!(e.total, e.base + e.commission + e.timely_bonus);
        }
        assert!(
            s.engineers
                .windows(2)
                .all(|w| w[0].engineer < w[1].engineer)
        );
    }

    #[test]
    fn one_rate_per_kind() {
        let r = Rules::default();
        for line in 0..7 {
            let row: Vec<i64> = (0..7).map(|kind| r.units[cell(line, kind)]).collect();
            assert_eq!(row, [6000, 8000, 5000, 1000, 3000, 4000, 0]);
        }
        let r = Rules::from_params(&params(&[
            ("rate.repair", "7500"),
            ("rate.complaint", "200"),
        ]))
        .unwrap();
        let ac = ProductLine::AirConditioner as usize;
        assert_eq!(r.units[cell(ac, OrderKind::Repair as usize)], 7500);
        assert_eq!(r.units[cell(ac, OrderKind::Complaint as usize)], 200);
    }

    #[test]
    fn coefficient_by_grade_alone() {
        let r = Rules::default();
        let cases = [
            (Grade::A, 1100),
            (Grade::B, 1000),
            (Grade::C, 900),
            (Grade::Ungraded, 1000),
        ];
        for (grade, want) in cases {
            assert_eq!(r.coefficient(grade).0, want, "{grade:?}");
        }
        assert_eq!(r.coefficient(Grade::C).1, "T 900‰: C");
        let r = Rules::from_params(&params(&[("t.a", "1050"), ("t.c", "950")])).unwrap();
        assert_eq!(
            (r.coefficient(Grade::A).0, r.coefficient(Grade::C).0),
            (1050, 950)
        );
        // The score plays no part.
        let m = month(vec![outlet(); 2], vec![settled(0), settled(1)]);
        let s = settle(
            &m,
            &[
                account(Grade::A, 0, Incentive::None),
                account(Grade::A, 11000, Incentive::None),
            ],
            &Rules::default(),
        )
        .unwrap();
        assert_eq!(s.outlets[0].total, s.outlets[1].total);
        assert_eq!(s.outlets[0].adjustment, 800);
    }

    #[test]
    fn a_whole_statement() {
        // AC and TV repairs at the same rate; a tour visit; a rejected one;
        // a major complaint made this month; credits that pay nothing here.
        let orders = vec![
            MonthOrder {
                product_line: ProductLine::AirConditioner,
                ..settled(0)
            },
            settled(0),
            MonthOrder {
                kind: OrderKind::TourVisit,
                product_line: ProductLine::WaterHeater,
                ..settled(0)
            },
            MonthOrder {
                part_due: true,
                ..settled(0)
            },
            MonthOrder {
                kind: OrderKind::Complaint,
                to_settle: false,
                completed: false,
                open_at_end: true,
                major: true,
                ..settled(0)
            },
        ];
        let facts = OutletFacts {
            improvements: 3,
            delights: 2,
            ..outlet()
        };
        let s = settle(
            &month(vec![facts], orders),
            &[account(Grade::C, 4000, Incentive::Penalty)],
            &Rules::default(),
        )
        .unwrap();
        assert_adds_up(&s);
        let o = &s.outlets[0];
        assert_eq!(
            items(o),
            [
                ("labour/tv/repair", 1, 8000, 8000),
                ("labour/air-conditioner/repair", 1, 8000, 8000),
                ("labour/water-heater/tour-visit", 1, 4000, 4000),
                ("coefficient", 0, 0, -2000),
                ("incentive/penalty", 0, 0, -50_000),
                ("incentive/major-complaint", 1, -50_000, -50_000),
                ("rejected/old-part", 1, 0, 0),
            ]
        );
        assert_eq!(
            (o.labour, o.coefficient_permille, o.total),
            (20_000, 900, 20_000 - 2000 - 100_000)
        );
        let e = &s.engineers[0];
        assert_eq!(
            (e.valid_orders, e.timely_orders, e.total),
            (3, 4, 200_000 + 9000 + 2800)
        );
    }

    #[test]
    fn outlet_without_orders() {
        let s = settle(
            &month(vec![outlet()], vec![]),
            &[account(Grade::B, 0, Incentive::None)],
            &Rules::default(),
        )
        .unwrap();
        assert_adds_up(&s);
        assert_eq!(items(&s.outlets[0]), [("coefficient", 0, 0, 0)]);
        assert!(s.engineers.is_empty());
    }

    #[test]
    fn negative_adjustment_rounds_half_away_from_zero() {
        let r = Rules::from_params(&params(&[("rate.repair", "12345")])).unwrap();
        for (grade, want) in [
            (Grade::C, -1235),
            (Grade::A, 1235),
            (Grade::B, 0),
            (Grade::Ungraded, 0),
        ] {
            let s = settle(
                &month(vec![outlet()], vec![settled(0)]),
                &[account(grade, 8500, Incentive::None)],
                &r,
            )
            .unwrap();
            assert_eq!(s.outlets[0].adjustment, want, "{grade:?}");
        }
    }

    #[test]
    fn rejections_and_the_part_rule() {
        // (satisfied, part due, returned, agreed, machine parts in 3 months)
        let orders: Vec<MonthOrder> = [
            (true, false, false, true, 1),  // paid, valid
            (true, false, false, true, 2),  // paid, not valid: two parts in 3 months
            (false, true, false, false, 0), // callback
            (true, true, false, false, 0),  // old part
            (true, true, true, false, 0),   // finding
            (true, false, false, false, 0), // finding
        ]
        .iter()
        .map(
            |&(satisfied, part_due, part_returned, finding_agreed, machine_parts_3m)| MonthOrder {
                satisfied,
                part_due,
                part_returned,
                finding_agreed,
                machine_parts_3m,
                ..settled(0)
            },
        )
        .collect();
        let s = settle(
            &month(vec![outlet()], orders),
            &[account(Grade::B, 0, Incentive::None)],
            &Rules::default(),
        )
        .unwrap();
        assert_adds_up(&s);
        let o = &s.outlets[0];
        assert_eq!(o.rejected, 4);
        assert_eq!(
            items(o)[2..],
            [
                ("rejected/callback", 1, 0, 0),
                ("rejected/old-part", 1, 0, 0),
                ("rejected/finding", 2, 0, 0)
            ]
        );
        assert_eq!(s.engineers[0].valid_orders, 1);
    }

    #[test]
    fn bad_input() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("rate.repair", "eighty")],
                "parameter `rate.repair`: `eighty` is not a whole number",
            ),
            (
                &[("t.b", "-1000")],
                "parameter `t.b`: -1000 is out of range (0 to 10000)",
            ),
            (
                &[("engineer.base", "2000.00")],
                "parameter `engineer.base`: `2000.00` is not a whole number",
            ),
            // The standard plugin's parameters are not this one's.
            (
                &[("rate.tv.repair", "8000")],
                "unknown parameter `rate.tv.repair`",
            ),
            (&[("factor.tv", "1000")], "unknown parameter `factor.tv`"),
            (&[("t.pivot", "85")], "unknown parameter `t.pivot`"),
            (
                &[("incentive.delight", "5000")],
                "unknown parameter `incentive.delight`",
            ),
        ];
        for &(pairs, want) in cases {
            assert_eq!(Rules::from_params(&params(pairs)).unwrap_err(), want);
        }
        let r = Rules::default();
        let m = month(vec![outlet()], vec![settled(0)]);
        assert_eq!(
            settle(&m, &[], &r).unwrap_err(),
            "accounts: 0 given for 1 outlets"
        );
        let a = [account(Grade::B, 0, Incentive::None)];
        let cases = [
            (
                MonthOrder {
                    outlet: 1,
                    ..settled(0)
                },
                "order 0: outlet 1 is out of range (1 outlets)",
            ),
            (
                MonthOrder {
                    engineer: Some(10),
                    ..settled(0)
                },
                "order 0: engineer 10 is out of range (10 engineers)",
            ),
            (
                MonthOrder {
                    repeat_of: Some(10),
                    ..settled(0)
                },
                "order 0: repeat-of 10 is out of range (10 engineers)",
            ),
        ];
        for (order, want) in cases {
            assert_eq!(
                settle(&month(vec![outlet()], vec![order]), &a, &r).unwrap_err(),
                want
            );
        }
    }

    #[test]
    fn random_statements_add_up() {
        let (lines, kinds) = (LINES, KINDS);
        let grades = [Grade::Ungraded, Grade::A, Grade::B, Grade::C];
        let incentives = [Incentive::None, Incentive::Reward, Incentive::Penalty];
        let r = Rules::from_params(&params(&[("rate.repair", "8333"), ("t.c", "877")])).unwrap();
        let mut rng = Rng(0xfeed_f00d_dead_beef);
        for _ in 0..200 {
            let outlets = rng.below(25) as usize;
            let engineers = rng.below(30) as u32;
            let accounts: Vec<OutletAccount> = (0..outlets)
                .map(|_| {
                    account(
                        grades[rng.below(4) as usize],
                        0,
                        incentives[rng.below(3) as usize],
                    )
                })
                .collect();
            let n = if outlets == 0 {
                0
            } else {
                rng.below(500) as usize
            };
            let orders: Vec<MonthOrder> = (0..n)
                .map(|_| MonthOrder {
                    outlet: rng.below(outlets as u64) as u32,
                    engineer: (engineers > 0 && rng.chance(90))
                        .then(|| rng.below(engineers.into()) as u32),
                    kind: kinds[rng.below(7) as usize],
                    product_line: lines[rng.below(7) as usize],
                    completed: rng.chance(60),
                    open_at_end: rng.chance(20),
                    to_settle: rng.chance(60),
                    reached: rng.chance(90),
                    satisfied: rng.chance(85),
                    part_due: rng.chance(30),
                    part_returned: rng.chance(70),
                    finding_agreed: rng.chance(85),
                    machine_parts_3m: rng.below(4) as u32,
                    on_time: rng.chance(80),
                    major: rng.chance(15),
                    ..settled(0)
                })
                .collect();
            let m = MonthFacts {
                year: 2025,
                month: 6,
                outlets: vec![outlet(); outlets],
                engineers,
                orders,
            };
            let s = settle(&m, &accounts, &r).unwrap();
            assert_eq!(s.outlets.len(), outlets);
            assert_adds_up(&s);
            let to_settle = m.orders.iter().filter(|o| o.to_settle).count() as u32;
            let counted: u32 = s
                .outlets
                .iter()
                .flat_map(|o| &o.lines)
                .filter(|l| l.item.starts_with("labour/") || l.item.starts_with("rejected/"))
                .map(|l| l.count)
                .sum();
            assert_eq!(counted, to_settle);
        }
    }
}
