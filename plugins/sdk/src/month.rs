//! Rules of the month close (DOMAIN.md §4–5) that more than one plugin
//! applies, over the shared WIT types of [`crate::wit`]. What is here is
//! the same rule everywhere: the check of an order's indices, the
//! per-order audit, the rates per order kind, T by grade, the ranking's
//! reward or penalty, the statement's arithmetic (R = L × T + Q with one
//! rounding), and engineer pay. A plugin maps the plain [`Statement`] and
//! [`Pay`] to its own export types.

use crate::numbers::div_round;
use crate::settings::Settings;
use crate::wit::month::{Incentive, MonthOrder};
use crate::wit::types::Grade;
use crate::wit::{ORDER_KINDS, PRODUCT_LINES};

/// Checks the indices of order `index`: its outlet among `outlets`, its
/// engineer and `repeat-of` below `engineers`. The kernel's input is not
/// trusted: an index out of range is an error naming the order and the
/// field, never a panic.
pub fn check(
    index: usize,
    order: &MonthOrder,
    outlets: usize,
    engineers: u32,
) -> Result<(), String> {
    if order.outlet as usize >= outlets {
        return Err(format!(
            "order {index}: outlet {} is out of range ({outlets} outlets)",
            order.outlet
        ));
    }
    for (what, engineer) in [("engineer", order.engineer), ("repeat-of", order.repeat_of)] {
        if let Some(e) = engineer.filter(|e| *e >= engineers) {
            return Err(format!(
                "order {index}: {what} {e} is out of range ({engineers} engineers)"
            ));
        }
    }
    Ok(())
}

/// Cells of a labour table: one per product line and order kind.
pub const CELLS: usize = PRODUCT_LINES.len() * ORDER_KINDS.len();

/// The cell of `line` and `kind` (indices into [`PRODUCT_LINES`] and
/// [`ORDER_KINDS`]).
pub const fn cell(line: usize, kind: usize) -> usize {
    line * ORDER_KINDS.len() + kind
}

/// The audit of one order to settle (DOMAIN.md §5), checked in this order;
/// the first check that fails is the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Paid.
    Pass,
    /// No satisfied customer callback.
    Callback,
    /// An old part was due back and has not been returned.
    OldPart,
    /// The quality-improvement finding does not agree with the report.
    Finding,
}

impl Verdict {
    /// The rejection reasons, in the order they are checked and listed.
    pub const REJECTIONS: [Verdict; 3] = [Verdict::Callback, Verdict::OldPart, Verdict::Finding];

    /// The statement line of a rejection, `None` for a pass.
    pub fn item(self) -> Option<&'static str> {
        match self {
            Verdict::Pass => None,
            Verdict::Callback => Some("rejected/callback"),
            Verdict::OldPart => Some("rejected/old-part"),
            Verdict::Finding => Some("rejected/finding"),
        }
    }

    fn rejection(self) -> Option<usize> {
        Verdict::REJECTIONS.iter().position(|v| *v == self)
    }
}

/// Audits an order to settle: the customer callback reached the customer
/// and was satisfied; no old part is owed to the warehouse; the
/// quality-improvement finding agrees.
pub fn audit(order: &MonthOrder) -> Verdict {
    if !(order.reached && order.satisfied) {
        Verdict::Callback
    } else if order.part_due && !order.part_returned {
        Verdict::OldPart
    } else if !order.finding_agreed {
        Verdict::Finding
    } else {
        Verdict::Pass
    }
}

/// Settles one order to settle: audits it, counts it in its outlet's
/// `tally`, and, if it has an engineer, in `pay` (valid by `rules`).
pub fn settle_order(order: &MonthOrder, tally: &mut Tally, pay: &mut PayBook, rules: &PayRules) {
    let verdict = audit(order);
    tally.add(order.product_line as usize, order.kind as usize, verdict);
    if let Some(engineer) = order.engineer {
        let valid = rules.valid(verdict == Verdict::Pass, order.machine_parts_3m);
        pay.add(engineer, valid, order.on_time);
    }
}

/// One line of a statement: `count` × `unit` = `amount`, or a lump sum
/// (count 0, unit 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub item: String,
    pub count: u32,
    pub unit: i64,
    pub amount: i64,
    pub note: String,
}

impl Line {
    /// `count` × `unit`; an error if the amount overflows.
    pub fn per(
        item: impl Into<String>,
        count: u32,
        unit: i64,
        note: impl Into<String>,
    ) -> Result<Line, String> {
        let item = item.into();
        let amount = i64::from(count)
            .checked_mul(unit)
            .ok_or_else(|| format!("`{item}`: {count} × {unit} fen overflows"))?;
        Ok(Line {
            item,
            count,
            unit,
            amount,
            note: note.into(),
        })
    }

    /// A lump sum.
    pub fn lump(item: impl Into<String>, amount: i64, note: impl Into<String>) -> Line {
        Line {
            item: item.into(),
            count: 0,
            unit: 0,
            amount,
            note: note.into(),
        }
    }
}

/// What settlement counts of one outlet's orders to settle.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Orders that passed the audit, per [`cell`].
    pub paid: [u32; CELLS],
    /// Orders that failed, per [`Verdict::REJECTIONS`].
    pub rejected: [u32; 3],
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            paid: [0; CELLS],
            rejected: [0; 3],
        }
    }
}

impl Tally {
    /// Counts one order to settle of `line` and `kind`.
    pub fn add(&mut self, line: usize, kind: usize, verdict: Verdict) {
        let slot = match verdict.rejection() {
            None => self.paid.get_mut(cell(line, kind)),
            Some(reason) => self.rejected.get_mut(reason),
        };
        if let Some(n) = slot {
            *n = n.saturating_add(1);
        }
    }

    /// Orders that passed.
    pub fn passed(&self) -> u64 {
        self.paid.iter().map(|&n| u64::from(n)).sum()
    }
}

/// An outlet's statement, in plain values: the WIT `outlet-statement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub labour: i64,
    pub coefficient_permille: u32,
    pub adjustment: i64,
    pub incentives: i64,
    pub total: i64,
    pub lines: Vec<Line>,
    pub rejected: u32,
}

/// The statement R = L × T + Q of one outlet: L from `tally.paid` at
/// `units` (fen per order of each cell), one `labour/<line>/<kind>` line
/// per cell with orders; the adjustment L × (T − 1000 ‰) / 1000 rounded
/// half away from zero, in a `coefficient` line with `coefficient_note`;
/// the `incentives` lines that are not zero; and a zero line per rejection
/// reason with orders. Every sum is checked: an error if one overflows.
pub fn statement(
    tally: &Tally,
    units: &[i64; CELLS],
    coefficient_permille: u32,
    coefficient_note: String,
    incentives: Vec<Line>,
) -> Result<Statement, String> {
    let overflow = || "amounts overflow".to_string();
    let mut lines = Vec::new();
    let mut labour: i64 = 0;
    for (index, (&count, &unit)) in tally.paid.iter().zip(units).enumerate() {
        if count == 0 {
            continue;
        }
        let line = PRODUCT_LINES[index / ORDER_KINDS.len()];
        let kind = ORDER_KINDS[index % ORDER_KINDS.len()];
        let line = Line::per(format!("labour/{line}/{kind}"), count, unit, String::new())?;
        labour = labour.checked_add(line.amount).ok_or_else(overflow)?;
        lines.push(line);
    }
    let adjustment = adjustment(labour, coefficient_permille).ok_or_else(overflow)?;
    lines.push(Line::lump("coefficient", adjustment, coefficient_note));
    let mut sum_incentives: i64 = 0;
    for line in incentives.into_iter().filter(|line| line.amount != 0) {
        sum_incentives = sum_incentives
            .checked_add(line.amount)
            .ok_or_else(overflow)?;
        lines.push(line);
    }
    let mut rejected: u32 = 0;
    for (verdict, &count) in Verdict::REJECTIONS.iter().zip(&tally.rejected) {
        if count > 0 {
            rejected = rejected.saturating_add(count);
            lines.push(Line::per(
                verdict.item().unwrap_or("rejected"),
                count,
                0,
                "",
            )?);
        }
    }
    let total = labour
        .checked_add(adjustment)
        .and_then(|t| t.checked_add(sum_incentives))
        .ok_or_else(overflow)?;
    Ok(Statement {
        labour,
        coefficient_permille,
        adjustment,
        incentives: sum_incentives,
        total,
        lines,
        rejected,
    })
}

/// L × (T − 1000 ‰) / 1000, rounded half away from zero; `None` if it does
/// not fit in fen.
pub fn adjustment(labour: i64, coefficient_permille: u32) -> Option<i64> {
    let delta = i128::from(coefficient_permille) - 1000;
    i64::try_from(div_round(i128::from(labour) * delta, 1000)).ok()
}

/// The default labour rate of each order kind, fen per order, in the order
/// of [`ORDER_KINDS`] (our decision, DOMAIN.md §8): installation 60 yuan,
/// repair 80, maintenance 50, consultation 10, birthday visit 30, tour
/// visit 40, complaint 0 (handling a complaint is not paid work).
pub const DEFAULT_RATES: [i64; 7] = [6000, 8000, 5000, 1000, 3000, 4000, 0];

/// The largest labour rate a parameter may set: 100,000 yuan per order.
pub const MAX_RATE: i64 = 10_000_000;

/// The largest lump sum a parameter may set: 1,000,000 yuan.
pub const MAX_AMOUNT: i64 = 100_000_000;

/// Whether `name` is `rate.<kind>`.
pub fn is_kind_rate(name: &str) -> bool {
    name.strip_prefix("rate.")
        .is_some_and(|kind| ORDER_KINDS.contains(&kind))
}

/// The labour rate of each order kind: `rate.<kind>` (fen), else
/// [`DEFAULT_RATES`].
pub fn kind_rates(s: &Settings) -> Result<[i64; 7], String> {
    let mut rates = DEFAULT_RATES;
    for (rate, kind) in rates.iter_mut().zip(ORDER_KINDS) {
        *rate = s.whole(&format!("rate.{kind}"), *rate, 0..=MAX_RATE)?;
    }
    Ok(rates)
}

/// The coefficient T by grade alone, in permille: `t.a` (default 1100),
/// `t.b` (1000), `t.c` (900). An ungraded outlet gets 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GradeCoefficients {
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

impl GradeCoefficients {
    /// The parameters read.
    pub const PARAMS: [&str; 3] = ["t.a", "t.b", "t.c"];

    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        let t = |name, default| s.whole(name, default, 0..=10_000).map(|v| v as u32);
        Ok(GradeCoefficients {
            a: t("t.a", 1100)?,
            b: t("t.b", 1000)?,
            c: t("t.c", 900)?,
        })
    }

    /// The grade's letter and T, permille; `None` for an ungraded outlet
    /// (T 1000 ‰).
    pub fn of(&self, grade: Grade) -> Option<(&'static str, u32)> {
        match grade {
            Grade::A => Some(("A", self.a)),
            Grade::B => Some(("B", self.b)),
            Grade::C => Some(("C", self.c)),
            Grade::Ungraded => None,
        }
    }
}

/// The statement line of the ranking's incentive (DOMAIN.md §4): `reward`
/// fen for the top ranks graded A, minus `penalty` for the bottom ranks
/// graded C; `None` for the rest.
pub fn ranking_line(incentive: Incentive, reward: i64, penalty: i64) -> Option<Line> {
    match incentive {
        Incentive::Reward => Some(Line::lump(
            "incentive/reward",
            reward,
            "top ranks, graded A",
        )),
        Incentive::Penalty => Some(Line::lump(
            "incentive/penalty",
            -penalty,
            "bottom ranks, graded C",
        )),
        Incentive::None => None,
    }
}

/// Engineer pay rules (DOMAIN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayRules {
    /// Base salary per month, fen.
    pub base: i64,
    /// Per valid order, fen.
    pub commission: i64,
    /// Per order fed back on time, fen.
    pub timely_bonus: i64,
    /// A valid order's machine had at most this many parts replaced in
    /// the 3 months up to it.
    pub max_parts_3m: u32,
}

impl PayRules {
    /// The parameters read.
    pub const PARAMS: [&str; 4] = [
        "engineer.base",
        "engineer.commission",
        "engineer.timely_bonus",
        "engineer.max_parts_3m",
    ];

    /// `engineer.base` (fen, default 200000: 2,000 yuan a month),
    /// `engineer.commission` (3000 per valid order), `engineer.timely_bonus`
    /// (700: "+7 yuan per order", DOMAIN.md §2), `engineer.max_parts_3m`
    /// (1: "at most one part replaced in 3 months").
    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        Ok(PayRules {
            base: s.whole("engineer.base", 200_000, 0..=MAX_AMOUNT)?,
            commission: s.whole("engineer.commission", 3000, 0..=MAX_RATE)?,
            timely_bonus: s.whole("engineer.timely_bonus", 700, 0..=MAX_RATE)?,
            max_parts_3m: s.whole("engineer.max_parts_3m", 1, 0..=1000)? as u32,
        })
    }

    /// Whether an order earns commission: it passed the audit and its
    /// machine had at most `max_parts_3m` parts replaced in 3 months.
    pub fn valid(&self, passed: bool, machine_parts_3m: u32) -> bool {
        passed && machine_parts_3m <= self.max_parts_3m
    }
}

/// One engineer's pay: the WIT `engineer-pay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pay {
    pub engineer: u32,
    pub base: i64,
    pub valid_orders: u32,
    pub commission: i64,
    pub timely_orders: u32,
    pub timely_bonus: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    orders: u32,
    valid: u32,
    timely: u32,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.orders = self.orders.saturating_add(other.orders);
        self.valid = self.valid.saturating_add(other.valid);
        self.timely = self.timely.saturating_add(other.timely);
    }
}

/// Collects engineers' orders to settle, for [`PayBook::pay`]. Memory and
/// time grow with the orders, not with the engineers' index range: small
/// indices (below twice the orders, and a few thousand) are counted in
/// place, larger ones sorted at the end.
#[derive(Debug, Clone)]
pub struct PayBook {
    dense_limit: u32,
    dense: Vec<Counts>,
    sparse: Vec<(u32, Counts)>,
}

impl PayBook {
    /// A book for at most about `orders` orders.
    pub fn new(orders: usize) -> Self {
        let limit = orders.saturating_mul(2).saturating_add(4096);
        PayBook {
            dense_limit: u32::try_from(limit).unwrap_or(u32::MAX),
            dense: Vec::new(),
            sparse: Vec::new(),
        }
    }

    /// Counts one order to settle of `engineer`.
    pub fn add(&mut self, engineer: u32, valid: bool, timely: bool) {
        let counts = Counts {
            orders: 1,
            valid: u32::from(valid),
            timely: u32::from(timely),
        };
        if engineer < self.dense_limit {
            let index = engineer as usize;
            if index >= self.dense.len() {
                self.dense.resize(index + 1, Counts::default());
            }
            self.dense[index].add(counts);
        } else {
            self.sparse.push((engineer, counts));
        }
    }

    /// Pay for every engineer with an order, by engineer index: base +
    /// commission × valid orders + timely bonus × timely orders. An error
    /// if an amount overflows.
    pub fn pay(mut self, rules: &PayRules) -> Result<Vec<Pay>, String> {
        self.sparse.sort_unstable_by_key(|(engineer, _)| *engineer);
        let mut merged: Vec<(u32, Counts)> = Vec::new();
        for (engineer, counts) in self.sparse {
            match merged.last_mut() {
                Some((last, total)) if *last == engineer => total.add(counts),
                _ => merged.push((engineer, counts)),
            }
        }
        let dense = self
            .dense
            .into_iter()
            .enumerate()
            .filter(|(_, counts)| counts.orders > 0)
            .map(|(engineer, counts)| (engineer as u32, counts));
        dense
            .chain(merged)
            .map(|(engineer, counts)| {
                let overflow = || format!("engineer {engineer}: pay overflows");
                let commission = i64::from(counts.valid)
                    .checked_mul(rules.commission)
                    .ok_or_else(overflow)?;
                let timely_bonus = i64::from(counts.timely)
                    .checked_mul(rules.timely_bonus)
                    .ok_or_else(overflow)?;
                let total = rules
                    .base
                    .checked_add(commission)
                    .and_then(|t| t.checked_add(timely_bonus))
                    .ok_or_else(overflow)?;
                Ok(Pay {
                    engineer,
                    base: rules.base,
                    valid_orders: counts.valid,
                    commission,
                    timely_orders: counts.timely,
                    timely_bonus,
                    total,
                })
            })
            .collect()
    }
}

/// Builders for tests of month-close rules, here and in the plugins.
pub mod fixtures {
    use crate::wit::month::{MonthFacts, MonthOrder, OutletFacts};
    use crate::wit::types::{OrderKind, OutletStatus, ProductLine};

    pub use crate::dispatch::fixtures::params;

    /// An active outlet without C months, audits or credits.
    pub fn outlet() -> OutletFacts {
        OutletFacts {
            status: OutletStatus::Active,
            c_months: 0,
            audits: 0,
            audit_score_sum: 0,
            delights: 0,
            improvements: 0,
        }
    }

    /// A TV repair of `outlet` by engineer 0, completed in the month and
    /// to settle, that passes the audit (callback reached and satisfied,
    /// no part due, the finding agreed) and met every SLA clock; no parts,
    /// no repeat, no broken promise.
    pub fn order(outlet: u32) -> MonthOrder {
        MonthOrder {
            outlet,
            engineer: Some(0),
            kind: OrderKind::Repair,
            product_line: ProductLine::Tv,
            completed: true,
            open_at_end: false,
            overdue_at_end: false,
            to_settle: true,
            reached: true,
            satisfied: true,
            parts: 0,
            part_due: false,
            part_returned: false,
            finding_agreed: true,
            machine_parts_3m: 0,
            repeat_of: None,
            on_time: true,
            promise_broken: false,
            major: false,
        }
    }

    /// March 2025 with these outlets and orders, and 10 engineers.
    pub fn month(outlets: Vec<OutletFacts>, orders: Vec<MonthOrder>) -> MonthFacts {
        MonthFacts {
            year: 2025,
            month: 3,
            outlets,
            engineers: 10,
            orders,
        }
    }

    /// A small deterministic generator (xorshift64*) for random months.
    pub struct Rng(pub u64);

    impl Rng {
        /// The next number of the sequence.
        pub fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Below `n`; 0 if `n` is 0.
        pub fn below(&mut self, n: u64) -> u64 {
            if n == 0 { 0 } else { self.next_u64() % n }
        }

        /// True `percent` times in 100.
        pub fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_cells() {
        assert_eq!(CELLS, 49);
        assert_eq!(cell(0, 0), 0);
        assert_eq!(cell(5, 1), 36);
        assert_eq!(cell(6, 6), 48);
        assert_eq!(PRODUCT_LINES[5], "air-conditioner");
        assert_eq!(ORDER_KINDS[6], "complaint");
    }

    #[test]
    fn order_indices() {
        let order = |outlet, engineer, repeat_of| MonthOrder {
            engineer,
            repeat_of,
            ..fixtures::order(outlet)
        };
        assert_eq!(check(0, &order(1, Some(9), Some(9)), 2, 10), Ok(()));
        assert_eq!(check(0, &order(0, None, None), 1, 0), Ok(()));
        let cases = [
            (
                order(2, None, None),
                "order 4: outlet 2 is out of range (2 outlets)",
            ),
            (
                order(0, Some(10), None),
                "order 4: engineer 10 is out of range (10 engineers)",
            ),
            (
                order(0, None, Some(10)),
                "order 4: repeat-of 10 is out of range (10 engineers)",
            ),
            (
                order(9, Some(99), None),
                "order 4: outlet 9 is out of range (2 outlets)",
            ),
        ];
        for (order, want) in cases {
            assert_eq!(check(4, &order, 2, 10).unwrap_err(), want);
        }
    }

    #[test]
    fn grades_and_ranking() {
        let t = GradeCoefficients {
            a: 1100,
            b: 1000,
            c: 900,
        };
        assert_eq!(t.of(Grade::A), Some(("A", 1100)));
        assert_eq!(t.of(Grade::B), Some(("B", 1000)));
        assert_eq!(t.of(Grade::C), Some(("C", 900)));
        assert_eq!(t.of(Grade::Ungraded), None);
        assert_eq!(ranking_line(Incentive::None, 5, 7), None);
        let amount = |incentive| ranking_line(incentive, 5, 7).map(|l| (l.item, l.amount));
        assert_eq!(
            amount(Incentive::Reward),
            Some(("incentive/reward".into(), 5))
        );
        assert_eq!(
            amount(Incentive::Penalty),
            Some(("incentive/penalty".into(), -7))
        );
    }

    #[test]
    fn audits_first_failing_reason() {
        use Verdict::*;
        // (reached, satisfied, part due, part returned, finding agreed) → verdict
        let cases = [
            ((true, true, false, false, true), Pass),
            ((true, true, true, true, true), Pass),
            ((true, false, false, false, true), Callback),
            ((false, true, false, false, true), Callback), // satisfied without reaching: inconsistent, not trusted
            ((false, false, true, false, false), Callback), // every check fails: the first wins
            ((true, true, true, false, true), OldPart),
            ((true, true, true, false, false), OldPart),
            ((true, true, false, true, false), Finding), // returned without being due: fine
            ((true, true, false, false, false), Finding),
        ];
        for ((r, s, due, ret, agreed), want) in cases {
            let order = MonthOrder {
                reached: r,
                satisfied: s,
                part_due: due,
                part_returned: ret,
                finding_agreed: agreed,
                ..fixtures::order(0)
            };
            assert_eq!(audit(&order), want, "{r} {s} {due} {ret} {agreed}");
        }
        assert_eq!(Pass.item(), None);
        assert_eq!(Callback.item(), Some("rejected/callback"));
        assert_eq!(OldPart.item(), Some("rejected/old-part"));
        assert_eq!(Finding.item(), Some("rejected/finding"));
    }

    #[test]
    fn statements_add_up() {
        let mut tally = Tally::default();
        let mut units = [0i64; CELLS];
        units[cell(5, 1)] = 12_000;
        units[cell(0, 0)] = 6_000;
        for _ in 0..3 {
            tally.add(5, 1, Verdict::Pass);
        }
        tally.add(0, 0, Verdict::Pass);
        tally.add(0, 6, Verdict::Pass); // a complaint at unit 0: listed, worth 0
        tally.add(3, 1, Verdict::Callback);
        tally.add(3, 1, Verdict::Callback);
        tally.add(3, 1, Verdict::Finding);
        tally.add(9, 9, Verdict::Pass); // out of the table: ignored, no panic
        assert_eq!(tally.passed(), 5);
        let s = statement(
            &tally,
            &units,
            955,
            "T 955‰".into(),
            vec![
                Line::lump("incentive/reward", 50_000, ""),
                Line::per("incentive/finding", 5, 1000, "").unwrap(),
                Line::per("incentive/delight", 0, 5000, "").unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(s.labour, 3 * 12_000 + 6_000);
        // 42000 × −45 / 1000 = −1890
        assert_eq!(s.adjustment, -1890);
        assert_eq!(s.incentives, 55_000);
        assert_eq!(s.total, 42_000 - 1890 + 55_000);
        assert_eq!(s.rejected, 3);
        let items: Vec<&str> = s.lines.iter().map(|l| l.item.as_str()).collect();
        assert_eq!(
            items,
            [
                "labour/tv/installation",
                "labour/tv/complaint",
                "labour/air-conditioner/repair",
                "coefficient",
                "incentive/reward",
                "incentive/finding",
                "rejected/callback",
                "rejected/finding",
            ]
        );
        assert_eq!(s.lines.iter().map(|l| l.amount).sum::<i64>(), s.total);
        for line in &s.lines {
            if line.count > 0 {
                assert_eq!(i64::from(line.count) * line.unit, line.amount);
            }
        }
        assert_eq!(s.lines[6].count, 2);

        // An empty outlet: only the coefficient line, all zero.
        let s = statement(&Tally::default(), &units, 1000, "".into(), vec![]).unwrap();
        assert_eq!(
            (s.labour, s.adjustment, s.total, s.lines.len()),
            (0, 0, 0, 1)
        );

        // Overflow is an error, not a panic.
        let mut tally = Tally::default();
        tally.paid[0] = u32::MAX;
        tally.paid[1] = u32::MAX;
        let mut units = [0i64; CELLS];
        units[0] = i64::MAX / 4;
        units[1] = i64::MAX / 4;
        assert!(statement(&tally, &units, 1000, "".into(), vec![]).is_err());
    }

    #[test]
    fn adjustments_round_half_away_from_zero() {
        let cases = [
            (10_000, 1000, Some(0)),
            (10_000, 1100, Some(1000)),
            (10_000, 900, Some(-1000)),
            (12_345, 900, Some(-1235)), // −1234.5 → −1235
            (12_345, 1100, Some(1235)), // +1234.5 → +1235
            (1, 500, Some(-1)),         // −0.5 → −1
            (1, 1499, Some(0)),         // +0.499 → 0
            (-10, 1100, Some(-1)),
            (i64::MAX, 3000, None),
            (i64::MAX, 1000, Some(0)),
        ];
        for (labour, t, want) in cases {
            assert_eq!(adjustment(labour, t), want, "{labour} at {t}");
        }
    }

    #[test]
    fn shared_parameters() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let known = |name: &str| {
            is_kind_rate(name)
                || GradeCoefficients::PARAMS.contains(&name)
                || PayRules::PARAMS.contains(&name)
        };
        let empty = p(&[]);
        let s = Settings::new(&empty, known).unwrap();
        assert_eq!(kind_rates(&s).unwrap(), DEFAULT_RATES);
        assert_eq!(
            GradeCoefficients::from_settings(&s).unwrap(),
            GradeCoefficients {
                a: 1100,
                b: 1000,
                c: 900
            }
        );
        assert_eq!(
            PayRules::from_settings(&s).unwrap(),
            PayRules {
                base: 200_000,
                commission: 3000,
                timely_bonus: 700,
                max_parts_3m: 1
            }
        );

        let set = p(&[
            ("rate.repair", "9000"),
            ("rate.birthday-visit", "0"),
            ("t.c", "850"),
            ("engineer.max_parts_3m", "2"),
        ]);
        let s = Settings::new(&set, known).unwrap();
        assert_eq!(
            kind_rates(&s).unwrap(),
            [6000, 9000, 5000, 1000, 0, 4000, 0]
        );
        assert_eq!(GradeCoefficients::from_settings(&s).unwrap().c, 850);
        assert_eq!(PayRules::from_settings(&s).unwrap().max_parts_3m, 2);

        assert!(!is_kind_rate("rate.tv.repair"));
        assert!(!is_kind_rate("rate.fixing"));
        assert!(is_kind_rate("rate.tour-visit"));
        for (name, value) in [
            ("rate.repair", "-1"),
            ("t.a", "x"),
            ("engineer.commission", "1.5"),
        ] {
            let bad = p(&[(name, value)]);
            let s = Settings::new(&bad, known).unwrap();
            let err = kind_rates(&s)
                .err()
                .or(GradeCoefficients::from_settings(&s).err())
                .or(PayRules::from_settings(&s).err())
                .unwrap();
            assert!(err.starts_with(&format!("parameter `{name}`")), "{err}");
        }
    }

    #[test]
    fn engineer_pay() {
        let rules = PayRules {
            base: 200_000,
            commission: 3000,
            timely_bonus: 700,
            max_parts_3m: 1,
        };
        // The 3-month part rule.
        assert!(rules.valid(true, 0));
        assert!(rules.valid(true, 1));
        assert!(!rules.valid(true, 2));
        assert!(!rules.valid(false, 0));

        let mut book = PayBook::new(4);
        book.add(7, true, true);
        book.add(2, false, true);
        book.add(7, true, false);
        book.add(u32::MAX, true, true); // beyond the in-place range: sorted in
        book.add(100_000, false, false);
        book.add(u32::MAX, false, true);
        let pay = book.pay(&rules).unwrap();
        let got: Vec<(u32, u32, u32, i64)> = pay
            .iter()
            .map(|p| (p.engineer, p.valid_orders, p.timely_orders, p.total))
            .collect();
        assert_eq!(
            got,
            [
                (2, 0, 1, 200_700),
                (7, 2, 1, 206_700),
                (100_000, 0, 0, 200_000),
                (u32::MAX, 1, 2, 204_400),
            ]
        );
        for p in &pay {
            assert_eq!(p.total, p.base + p.commission + p.timely_bonus);
        }
        assert_eq!(PayBook::new(0).pay(&rules).unwrap(), []);

        let mut book = PayBook::new(1);
        book.add(0, true, false);
        let rules = PayRules {
            base: i64::MAX,
            ..rules
        };
        assert_eq!(book.pay(&rules).unwrap_err(), "engineer 0: pay overflows");
    }
}
