//! The evaluation rules, as plain functions over the WIT types. The check
//! of an order's indices is the kit's, shared with the settlement plugins.
//!
//! All arithmetic is in integers: KPIs in permille, scores in hundredths of
//! a point, every division rounded half away from zero
//! (`xingji_plugin_sdk::numbers::div_round`).

use std::fmt::Write as _;

use xingji_plugin_sdk::month::check;
use xingji_plugin_sdk::numbers::{Fixed, div_round, permille};
use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::month::{Incentive, MonthFacts, MonthOrder, OutletFacts};
use xingji_plugin_sdk::wit::types::{Grade, OrderKind, OutletStatus};

use crate::exports::xingji::plugins::evaluator::{
    ChargeKind, Evaluation, Kpis, LicenceCharge, OutletGrade,
};

/// The KPI weights: parameter name and default, in hundredths of a point.
const WEIGHTS: [(&str, i64); 6] = [
    ("weight.satisfaction", 3000),
    ("weight.timeliness", 2000),
    ("weight.backlog", 1500),
    ("weight.complaints", 1500),
    ("weight.part-usage", 1000),
    ("weight.delight", 1000),
];

/// Every parameter this plugin reads; any other name is an error.
pub const PARAMS: [&str; 21] = [
    WEIGHTS[0].0,
    WEIGHTS[1].0,
    WEIGHTS[2].0,
    WEIGHTS[3].0,
    WEIGHTS[4].0,
    WEIGHTS[5].0,
    "complaint_ceiling_permille",
    "part_usage_target_permille",
    "delight_target_permille",
    "audit.pass",
    "audit.weight",
    "audit.cap",
    "points.finding",
    "points.improvement",
    "points.major_complaint",
    "score_max",
    "grade_a",
    "grade_b",
    "c_months.suspend",
    "c_months.eliminate",
    "top_n",
];

/// Points are read with two decimals, as hundredths.
const POINTS: u32 = 2;

/// The region's evaluation rules, from its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// KPI weights, hundredths of a point, in the order of [`WEIGHTS`].
    pub weights: [i64; 6],
    /// Complaints at or above this rate (‰ of completed orders) earn no
    /// complaint points.
    pub complaint_ceiling: i64,
    /// Part usage at or below this rate (‰) earns full part-usage points.
    pub part_usage_target: i64,
    /// Delight at or above this rate (‰) earns full delight points.
    pub delight_target: i64,
    /// Mystery-customer audits: the average score that adjusts nothing,
    /// the points per point above or below it, and the cap either way
    /// (all hundredths).
    pub audit_pass: i64,
    pub audit_weight: i64,
    pub audit_cap: i64,
    /// Incentive points (hundredths): per finding agreed, per improvement,
    /// minus per major complaint.
    pub finding: i64,
    pub improvement: i64,
    pub major_complaint: i64,
    /// The score is clamped to 0 ..= this (hundredths).
    pub score_max: i64,
    /// Grade A from this score, B from this one, else C (hundredths).
    pub grade_a: i64,
    pub grade_b: i64,
    /// C months in the rolling year that suspend and that eliminate an
    /// outlet.
    pub suspend_after: u32,
    pub eliminate_after: u32,
    /// How many outlets at the top (graded A) are rewarded and at the
    /// bottom (graded C) penalised.
    pub top_n: usize,
}

impl Rules {
    /// Reads the rules; an error names a parameter that is unknown, set
    /// twice, malformed or out of range.
    pub fn from_params(params: &[(String, String)]) -> Result<Rules, String> {
        let s = Settings::new(params, |name| PARAMS.contains(&name))?;
        let points = |name, default, max| s.scaled(name, POINTS, default, 0..=max);
        let mut weights = [0; 6];
        for (weight, (name, default)) in weights.iter_mut().zip(WEIGHTS) {
            *weight = points(name, default, 10000)?;
        }
        let rules = Rules {
            weights,
            complaint_ceiling: s.whole("complaint_ceiling_permille", 50, 1..=1000)?,
            part_usage_target: s.whole("part_usage_target_permille", 500, 0..=999)?,
            delight_target: s.whole("delight_target_permille", 100, 1..=1000)?,
            audit_pass: points("audit.pass", 8000, 100000)?,
            audit_weight: points("audit.weight", 25, 10000)?,
            audit_cap: points("audit.cap", 500, 100000)?,
            finding: points("points.finding", 50, 100000)?,
            improvement: points("points.improvement", 100, 100000)?,
            major_complaint: points("points.major_complaint", 500, 100000)?,
            score_max: points("score_max", 11000, 100000)?,
            grade_a: points("grade_a", 9000, 100000)?,
            grade_b: points("grade_b", 7500, 100000)?,
            suspend_after: s.whole("c_months.suspend", 2, 1..=1000)? as u32,
            eliminate_after: s.whole("c_months.eliminate", 3, 1..=1000)? as u32,
            top_n: s.whole("top_n", 10, 0..=1_000_000)? as usize,
        };
        if rules.grade_b > rules.grade_a {
            return Err(format!(
                "parameter `grade_b` ({}) must not be above `grade_a` ({})",
                Fixed(rules.grade_b.into(), POINTS),
                Fixed(rules.grade_a.into(), POINTS)
            ));
        }
        if rules.suspend_after > rules.eliminate_after {
            return Err(format!(
                "parameter `c_months.suspend` ({}) must not be above `c_months.eliminate` ({})",
                rules.suspend_after, rules.eliminate_after
            ));
        }
        Ok(rules)
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from_params(&[]).expect("the defaults are valid")
    }
}

/// What the month's orders say of one outlet.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    /// Non-complaint orders completed in the month, and among them:
    completed: u64,
    /// a callback reached the customer;
    reached: u64,
    /// a callback reached a satisfied customer;
    satisfied: u64,
    /// every SLA clock met;
    on_time: u64,
    /// parts used;
    with_parts: u64,
    /// the quality-improvement finding agreed.
    findings: u64,
    /// Non-complaint orders open at the month's end, and overdue then.
    open: u64,
    overdue: u64,
    /// Complaints of the month, and the major ones.
    complaints: u64,
    majors: u64,
}

impl Tally {
    fn add(&mut self, order: &MonthOrder) {
        if order.kind == OrderKind::Complaint {
            // Every complaint in the list is one of the month's (see
            // plugins/README.md on complaints).
            self.complaints += 1;
            self.majors += u64::from(order.major);
            return;
        }
        if order.completed {
            self.completed += 1;
            self.reached += u64::from(order.reached);
            self.satisfied += u64::from(order.reached && order.satisfied);
            self.on_time += u64::from(order.on_time);
            self.with_parts += u64::from(order.parts > 0);
            self.findings += u64::from(order.finding_agreed);
        }
        if order.open_at_end {
            self.open += 1;
            self.overdue += u64::from(order.overdue_at_end);
        }
    }
}

/// Evaluates the month: one pass over the orders, then one over the
/// outlets, then the ranking.
pub fn evaluate(month: &MonthFacts, rules: &Rules) -> Result<Evaluation, String> {
    let mut tallies = vec![Tally::default(); month.outlets.len()];
    let mut charges = Vec::new();
    for (index, order) in month.orders.iter().enumerate() {
        check(index, order, month.outlets.len(), month.engineers)?;
        tallies[order.outlet as usize].add(order);
        if order.completed {
            // Order indices fit in u32: a WIT list is at most u32::MAX long.
            let at = index as u32;
            if let (Some(engineer), true) = (order.engineer, order.promise_broken) {
                charges.push(LicenceCharge {
                    engineer,
                    order: at,
                    kind: ChargeKind::PromiseBroken,
                });
            }
            if let Some(engineer) = order.repeat_of {
                charges.push(LicenceCharge {
                    engineer,
                    order: at,
                    kind: ChargeKind::RepeatRepair,
                });
            }
        }
    }
    let mut outlets: Vec<OutletGrade> = month
        .outlets
        .iter()
        .zip(&tallies)
        .map(|(facts, tally)| grade(facts, tally, rules))
        .collect();
    rank(&mut outlets, &tallies, rules.top_n);
    Ok(Evaluation { outlets, charges })
}

/// The six KPIs of an outlet, in permille (DOMAIN.md §4; the formulas are
/// ours). An empty denominator: satisfaction and timeliness are not
/// measured and count as 1000; backlog and part usage are 0; complaints
/// and delight are 1000 if there are any (capped), else 0.
fn kpis(facts: &OutletFacts, t: &Tally) -> Kpis {
    let capped = |part: u64, whole: u64| -> u32 {
        match permille(part, whole) {
            Some(rate) => rate.min(1000) as u32,
            None if part > 0 => 1000,
            None => 0,
        }
    };
    let credits = u64::from(facts.delights) + u64::from(facts.improvements);
    Kpis {
        satisfaction: permille(t.satisfied, t.reached).map_or(1000, |r| r.min(1000) as u32),
        timeliness: permille(t.on_time, t.completed).map_or(1000, |r| r.min(1000) as u32),
        backlog: capped(t.overdue, t.completed + t.open),
        complaints: capped(t.complaints, t.completed),
        part_usage: capped(t.with_parts, t.completed),
        delight: capped(credits, t.completed),
    }
}

/// The share of each KPI's weight the outlet earns, in permille, in the
/// order of [`WEIGHTS`].
fn factors(k: &Kpis, rules: &Rules) -> [i64; 6] {
    let (backlog, complaints) = (i64::from(k.backlog), i64::from(k.complaints));
    let (usage, delight) = (i64::from(k.part_usage), i64::from(k.delight));
    let ratio = |num: i64, den: i64| div_round(num.into(), den.into()) as i64;
    [
        k.satisfaction.into(),
        k.timeliness.into(),
        1000 - backlog,
        (1000 - ratio(complaints * 1000, rules.complaint_ceiling)).max(0),
        ratio((1000 - usage) * 1000, 1000 - rules.part_usage_target).min(1000),
        ratio(delight * 1000, rules.delight_target).min(1000),
    ]
}

/// The audit adjustment in hundredths: (average audit score − pass) ×
/// weight, clamped to ± cap; 0 without audits.
fn audit_points(facts: &OutletFacts, rules: &Rules) -> i64 {
    if facts.audits == 0 {
        return 0;
    }
    let audits = i128::from(facts.audits);
    let over = i128::from(facts.audit_score_sum) * 100 - i128::from(rules.audit_pass) * audits;
    let points = div_round(over * i128::from(rules.audit_weight), audits * 100);
    points.clamp(-i128::from(rules.audit_cap), i128::from(rules.audit_cap)) as i64
}

/// Grades one outlet (rank and incentive come later).
fn grade(facts: &OutletFacts, t: &Tally, rules: &Rules) -> OutletGrade {
    let kpis = kpis(facts, t);
    let mut note = String::new();
    if t.completed == 0 && t.complaints == 0 {
        note.push_str("no orders");
        return OutletGrade {
            kpis,
            score: 0,
            grade: Grade::B,
            status: facts.status,
            rank: 0,
            incentive: Incentive::None,
            note,
        };
    }
    let factors = factors(&kpis, rules);
    let weighted: i128 = rules
        .weights
        .iter()
        .zip(factors)
        .map(|(&w, f)| i128::from(w) * i128::from(f))
        .sum();
    let kpi_points = div_round(weighted, 1000);
    let audit = audit_points(facts, rules);
    let findings = i128::from(t.findings) * i128::from(rules.finding);
    let improvements = i128::from(facts.improvements) * i128::from(rules.improvement);
    let majors = i128::from(t.majors) * i128::from(rules.major_complaint);
    let raw = kpi_points + i128::from(audit) + findings + improvements - majors;
    let score = raw.clamp(0, i128::from(rules.score_max)) as i64;
    let grade = if score >= rules.grade_a {
        Grade::A
    } else if score >= rules.grade_b {
        Grade::B
    } else {
        Grade::C
    };
    let status = next_status(facts.status, facts.c_months, grade, rules);

    // The note: each KPI as rate (numerator/denominator), then the score.
    let pts = |v: i128| Fixed(v, POINTS);
    let mut kpi = |name: &str, rate: u32, part: u64, whole: u64| {
        if whole == 0 && name == "sat" {
            let _ = write!(note, "{name} {rate}‰ (not measured), ");
        } else if whole == 0 {
            let _ = write!(note, "{name} {rate}‰ (none), ");
        } else {
            let _ = write!(note, "{name} {rate}‰ ({part}/{whole}), ");
        }
    };
    kpi("sat", kpis.satisfaction, t.satisfied, t.reached);
    kpi("time", kpis.timeliness, t.on_time, t.completed);
    kpi("backlog", kpis.backlog, t.overdue, t.completed + t.open);
    kpi("compl", kpis.complaints, t.complaints, t.completed);
    kpi("parts", kpis.part_usage, t.with_parts, t.completed);
    let credits = u64::from(facts.delights) + u64::from(facts.improvements);
    kpi("delight", kpis.delight, credits, t.completed);
    note.truncate(note.len() - 2);
    let _ = write!(note, "; kpi {}", pts(kpi_points));
    if facts.audits > 0 {
        let average = div_round(i128::from(facts.audit_score_sum) * 100, facts.audits.into());
        let _ = write!(
            note,
            " audit {}{} ({} avg {})",
            if audit >= 0 { "+" } else { "" },
            pts(audit.into()),
            facts.audits,
            pts(average)
        );
    }
    for (name, count, value) in [
        ("find", t.findings, findings),
        ("impr", u64::from(facts.improvements), improvements),
        ("major", t.majors, -majors),
    ] {
        if count > 0 && value != 0 {
            let sign = if value > 0 { "+" } else { "" };
            let _ = write!(note, " {name} {sign}{} ({count})", pts(value));
        }
    }
    if raw != i128::from(score) {
        let _ = write!(note, " = {} clamped", pts(raw));
    }
    let letter = match grade {
        Grade::A => "A",
        Grade::B => "B",
        _ => "C",
    };
    let _ = write!(note, " = {} {letter}", pts(score.into()));
    if grade == Grade::C {
        let _ = write!(
            note,
            "; C {} in 12 months",
            facts.c_months.saturating_add(1)
        );
    }
    if status != facts.status {
        note.push_str(match status {
            OutletStatus::Suspended => ": suspended",
            _ => ": eliminated",
        });
    }
    OutletGrade {
        kpis,
        score: score as i32,
        grade,
        status,
        rank: 0,
        incentive: Incentive::None,
        note,
    }
}

/// The status after this month (DOMAIN.md §4): a C adds to the C months
/// of the rolling year (the 11 months before and this one);
/// `c_months.suspend` of them suspend, `c_months.eliminate` eliminate. Without a
/// C the status is unchanged: evaluation never reinstates (an operator
/// does), and eliminated is final.
pub fn next_status(
    current: OutletStatus,
    c_months: u32,
    grade: Grade,
    rules: &Rules,
) -> OutletStatus {
    if current == OutletStatus::Eliminated || grade != Grade::C {
        return current;
    }
    let c = c_months.saturating_add(1);
    if c >= rules.eliminate_after {
        OutletStatus::Eliminated
    } else if c >= rules.suspend_after {
        OutletStatus::Suspended
    } else {
        current
    }
}

/// Ranks the outlets with completed orders, best score first, a tie to the
/// lower index; rewards the best `top_n` if graded A, penalises the worst
/// `top_n` if graded C.
fn rank(outlets: &mut [OutletGrade], tallies: &[Tally], top_n: usize) {
    let mut ranked: Vec<usize> = (0..outlets.len())
        .filter(|&i| tallies[i].completed > 0)
        .collect();
    ranked.sort_by(|&a, &b| outlets[b].score.cmp(&outlets[a].score).then(a.cmp(&b)));
    for (position, &i) in ranked.iter().enumerate() {
        outlets[i].rank = position as u32 + 1;
    }
    for &i in ranked.iter().take(top_n) {
        if outlets[i].grade == Grade::A {
            outlets[i].incentive = Incentive::Reward;
            let _ = write!(outlets[i].note, "; rank {}: reward", outlets[i].rank);
        }
    }
    for &i in ranked.iter().rev().take(top_n) {
        if outlets[i].grade == Grade::C && outlets[i].incentive == Incentive::None {
            outlets[i].incentive = Incentive::Penalty;
            let _ = write!(outlets[i].note, "; rank {}: penalty", outlets[i].rank);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xingji_plugin_sdk::month::fixtures::{Rng, month, order, outlet, params};
    use xingji_plugin_sdk::wit::KINDS;
    use xingji_plugin_sdk::wit::types::ProductLine;

    /// A repair completed in the month, as it should be: callback reached
    /// and satisfied, on time, no parts, no finding agreed (so that the
    /// finding incentive stays out of the way unless a test sets it).
    fn done(outlet: u32) -> MonthOrder {
        MonthOrder {
            to_settle: false,
            finding_agreed: false,
            ..order(outlet)
        }
    }

    /// An order open at the month's end.
    fn open(outlet: u32, overdue: bool) -> MonthOrder {
        MonthOrder {
            completed: false,
            open_at_end: true,
            overdue_at_end: overdue,
            reached: false,
            satisfied: false,
            on_time: false,
            ..done(outlet)
        }
    }

    /// A complaint made in the month, still open.
    fn complaint(outlet: u32, major: bool) -> MonthOrder {
        MonthOrder {
            kind: OrderKind::Complaint,
            major,
            ..open(outlet, false)
        }
    }

    /// A completed order that went badly: unsatisfied, late.
    fn bad(outlet: u32) -> MonthOrder {
        MonthOrder {
            satisfied: false,
            on_time: false,
            ..done(outlet)
        }
    }

    fn run(m: &MonthFacts) -> Evaluation {
        evaluate(m, &Rules::default()).unwrap()
    }

    fn repeat<T: Clone>(n: usize, item: T) -> impl Iterator<Item = T> {
        std::iter::repeat_n(item, n)
    }

    fn kpi_tuple(k: &Kpis) -> [u32; 6] {
        [
            k.satisfaction,
            k.timeliness,
            k.backlog,
            k.complaints,
            k.part_usage,
            k.delight,
        ]
    }

    #[test]
    fn defaults() {
        let r = Rules::default();
        assert_eq!(r.weights, [3000, 2000, 1500, 1500, 1000, 1000]);
        assert_eq!(
            (r.complaint_ceiling, r.part_usage_target, r.delight_target),
            (50, 500, 100)
        );
        assert_eq!((r.audit_pass, r.audit_weight, r.audit_cap), (8000, 25, 500));
        assert_eq!(
            (r.finding, r.improvement, r.major_complaint),
            (50, 100, 500)
        );
        assert_eq!((r.score_max, r.grade_a, r.grade_b), (11000, 9000, 7500));
        assert_eq!((r.suspend_after, r.eliminate_after, r.top_n), (2, 3, 10));
    }

    #[test]
    fn empty_month() {
        let e = run(&month(vec![], vec![]));
        assert!(e.outlets.is_empty() && e.charges.is_empty());
    }

    #[test]
    fn outlet_without_orders() {
        // Open orders alone, audits and credits do not make an outlet graded.
        let mut quiet = outlet();
        quiet.c_months = 1;
        quiet.audits = 3;
        quiet.audit_score_sum = 30;
        quiet.improvements = 4;
        let e = run(&month(
            vec![quiet, outlet(), outlet()],
            vec![done(1), open(0, true)],
        ));
        let g = &e.outlets[0];
        assert_eq!(g.grade, Grade::B);
        assert_eq!((g.score, g.rank), (0, 0));
        assert_eq!(g.incentive, Incentive::None);
        assert_eq!(g.status, OutletStatus::Active);
        assert_eq!(g.note, "no orders");
        assert_eq!(e.outlets[2].note, "no orders");
        assert_eq!(e.outlets[1].rank, 1);
    }

    #[test]
    fn kpis_and_score() {
        // 34 completed: 31 satisfied of 34 reached, 30 on time, 14 with
        // parts; 6 open, 2 overdue; 1 complaint; 2 delights.
        let mut orders: Vec<MonthOrder> = Vec::new();
        for i in 0..34 {
            let mut o = done(0);
            o.satisfied = i >= 3;
            o.on_time = i >= 4;
            o.parts = u32::from(i < 14);
            orders.push(o);
        }
        orders.extend(repeat(4, open(0, false)));
        orders.extend(repeat(2, open(0, true)));
        orders.push(complaint(0, false));
        let mut facts = outlet();
        facts.delights = 2;
        let e = run(&month(vec![facts], orders.clone()));
        let g = &e.outlets[0];
        assert_eq!(kpi_tuple(&g.kpis), [912, 882, 50, 29, 412, 59]);
        // factors 912, 882, 950, 1000 − 580, 1000 (capped), 590:
        // 30×.912 + 20×.882 + 15×.95 + 15×.42 + 10 + 10×.59 = 81.45
        assert_eq!(g.score, 8145);
        assert_eq!(g.grade, Grade::B);
        assert_eq!(
            g.note,
            "sat 912‰ (31/34), time 882‰ (30/34), backlog 50‰ (2/40), compl 29‰ (1/34), \
             parts 412‰ (14/34), delight 59‰ (2/34); kpi 81.45 = 81.45 B"
        );

        // Audits avg 85 (+1.25), an improvement (+1, and delight 3/34 =
        // 88‰: kpi 84.35), 4 findings (+2), a major complaint (−5, and
        // complaints 2/34 = 59‰ ≥ 50‰: no complaint points, kpi 78.05).
        facts.audits = 2;
        facts.audit_score_sum = 170;
        facts.improvements = 1;
        for o in orders.iter_mut().take(4) {
            o.finding_agreed = true;
        }
        orders.push(complaint(0, true));
        let g = &run(&month(vec![facts], orders)).outlets[0];
        assert_eq!(kpi_tuple(&g.kpis), [912, 882, 50, 59, 412, 88]);
        // 27.36 + 17.64 + 14.25 + 0 + 10 + 8.80 = 78.05; + 1.25 + 2 + 1 − 5
        assert_eq!(g.score, 7730);
        assert!(
            g.note.ends_with(
                "kpi 78.05 audit +1.25 (2 avg 85.00) find +2.00 (4) impr +1.00 (1) major -5.00 (1) = 77.30 B"
            ),
            "{}",
            g.note
        );
    }

    #[test]
    fn grade_thresholds() {
        // A perfect month without delight or findings is 90.00: an A, just.
        let perfect = |n| month(vec![outlet()], repeat(n, done(0)).collect());
        let g = &run(&perfect(10)).outlets[0];
        assert_eq!((g.score, g.grade), (9000, Grade::A));
        // One late order of 10: timeliness 900‰, −2 points: a B.
        let mut m = perfect(10);
        m.orders[0].on_time = false;
        let g = &run(&m).outlets[0];
        assert_eq!((g.score, g.grade), (8800, Grade::B));
        // Thresholds are parameters.
        let rules = Rules::from_params(&params(&[("grade_a", "88"), ("grade_b", "60.5")])).unwrap();
        let g = &evaluate(&m, &rules).unwrap().outlets[0];
        assert_eq!(g.grade, Grade::A);
        // The B line: 75.00 is a B, 74.99 a C.
        let rules = Rules::from_params(&params(&[("grade_b", "88")])).unwrap();
        assert_eq!(evaluate(&m, &rules).unwrap().outlets[0].grade, Grade::B);
        let rules = Rules::from_params(&params(&[("grade_b", "88.01")])).unwrap();
        assert_eq!(evaluate(&m, &rules).unwrap().outlets[0].grade, Grade::C);
    }

    #[test]
    fn satisfaction_edges() {
        // (reached, satisfied) per order → satisfaction ‰, "not measured"
        type Callbacks<'a> = &'a [(bool, bool)];
        let cases: &[(Callbacks, u32, bool)] = &[
            (&[(true, false), (true, false), (true, false)], 0, false),
            (&[(true, true), (true, false)], 500, false),
            (&[(false, false), (false, false)], 1000, true),
            // Satisfied without a reached callback is not trusted.
            (&[(false, true), (true, false)], 0, false),
            (&[(true, true), (true, true), (false, false)], 1000, false),
        ];
        for &(callbacks, want, unmeasured) in cases {
            let orders = callbacks
                .iter()
                .map(|&(reached, satisfied)| MonthOrder {
                    reached,
                    satisfied,
                    ..done(0)
                })
                .collect();
            let g = &run(&month(vec![outlet()], orders)).outlets[0];
            assert_eq!(g.kpis.satisfaction, want, "{callbacks:?}");
            assert_eq!(
                g.note.starts_with("sat 1000‰ (not measured), "),
                unmeasured,
                "{}",
                g.note
            );
        }
        // All reached and all unsatisfied: no satisfaction points at all.
        let orders = repeat(
            5,
            MonthOrder {
                satisfied: false,
                ..done(0)
            },
        )
        .collect();
        let g = &run(&month(vec![outlet()], orders)).outlets[0];
        assert_eq!((g.kpis.satisfaction, g.score, g.grade), (0, 6000, Grade::C));
    }

    #[test]
    fn empty_denominators() {
        // Complaints but no completed order: graded, not ranked.
        let mut facts = outlet();
        facts.delights = 1;
        let g = &run(&month(vec![facts], vec![complaint(0, false)])).outlets[0];
        // sat and time not measured (1000), backlog 0 of 0, complaints and
        // delight capped at 1000, parts 0.
        assert_eq!(kpi_tuple(&g.kpis), [1000, 1000, 0, 1000, 0, 1000]);
        // 30 + 20 + 15 + 0 + 10 + 10
        assert_eq!((g.score, g.grade, g.rank), (8500, Grade::B, 0));
        assert!(g.note.contains("time 1000‰ (none)"), "{}", g.note);
    }

    #[test]
    fn factor_shapes() {
        let k = |complaints, part_usage, delight| Kpis {
            satisfaction: 0,
            timeliness: 0,
            backlog: 0,
            complaints,
            part_usage,
            delight,
        };
        let r = Rules::default();
        // (complaints, part usage, delight) → (complaint, parts, delight) factors
        let cases = [
            ((0, 0, 0), (1000, 1000, 0)),
            ((25, 500, 50), (500, 1000, 500)),
            ((50, 750, 100), (0, 500, 1000)),
            ((1000, 1000, 1000), (0, 0, 1000)),
            ((1, 501, 1), (980, 998, 10)),
        ];
        for ((c, p, d), (fc, fp, fd)) in cases {
            let f = factors(&k(c, p, d), &r);
            assert_eq!((f[3], f[4], f[5]), (fc, fp, fd), "{c} {p} {d}");
            assert_eq!(f[2], 1000);
        }
    }

    #[test]
    fn audit_adjustment() {
        let r = Rules::default();
        // (audits, score sum) → hundredths of a point
        let cases = [
            (0, 0, 0),
            (0, 500, 0),
            (2, 170, 125), // avg 85: +5 × 0.25
            (1, 100, 500), // avg 100: +5, the cap exactly
            (1, 0, -500),  // avg 0: −20, capped at −5
            (3, 241, 8),   // avg 80.33: +0.083
            (3, 239, -8),  // avg 79.67: −0.083
            (2, 161, 13),  // avg 80.5: +0.125, half up
            (2, 159, -13), // avg 79.5: −0.125, half away from zero
            (u32::MAX, u32::MAX, -500),
            (1, u32::MAX, 500),
        ];
        for (audits, sum, want) in cases {
            let facts = OutletFacts {
                audits,
                audit_score_sum: sum,
                ..outlet()
            };
            assert_eq!(audit_points(&facts, &r), want, "{audits} audits, sum {sum}");
        }
    }

    #[test]
    fn score_is_clamped() {
        // Six major complaints sink any score to 0.
        let mut orders: Vec<MonthOrder> = repeat(10, done(0)).collect();
        orders.extend(repeat(30, complaint(0, true)));
        let g = &run(&month(vec![outlet()], orders)).outlets[0];
        assert_eq!((g.score, g.grade), (0, Grade::C));
        assert!(g.note.contains("clamped"), "{}", g.note);
        // Many improvements cannot lift it past 110.
        let facts = OutletFacts {
            improvements: u32::MAX,
            delights: u32::MAX,
            audits: u32::MAX,
            audit_score_sum: u32::MAX,
            c_months: u32::MAX,
            ..outlet()
        };
        let g = &run(&month(vec![facts], vec![done(0)])).outlets[0];
        assert_eq!((g.score, g.grade), (11000, Grade::A));
    }

    #[test]
    fn status_after_c_months() {
        use OutletStatus::*;
        let r = Rules::default();
        // (status, C months before, grade) → status
        let cases = [
            (Active, 0, Grade::C, Active),
            (Active, 1, Grade::C, Suspended),
            (Active, 2, Grade::C, Eliminated),
            (Active, 7, Grade::C, Eliminated),
            (Active, u32::MAX, Grade::C, Eliminated),
            (Suspended, 0, Grade::C, Suspended),
            (Suspended, 1, Grade::C, Suspended),
            (Suspended, 2, Grade::C, Eliminated),
            (Suspended, 2, Grade::B, Suspended), // never reinstated here
            (Suspended, 0, Grade::A, Suspended),
            (Active, 2, Grade::B, Active),
            (Active, 2, Grade::A, Active),
            (Eliminated, 0, Grade::A, Eliminated),
            (Eliminated, 0, Grade::C, Eliminated),
        ];
        for (status, c_months, grade, want) in cases {
            assert_eq!(
                next_status(status, c_months, grade, &r),
                want,
                "{status:?} {c_months} {grade:?}"
            );
        }
        // Through `evaluate`: C outlets with 0, 1, 2 C months before, an
        // eliminated one graded A, and a no-orders one with 2 C months.
        let facts = |status, c_months| OutletFacts {
            status,
            c_months,
            ..outlet()
        };
        let m = month(
            vec![
                facts(Active, 0),
                facts(Active, 1),
                facts(Active, 2),
                facts(Eliminated, 0),
                facts(Active, 2),
            ],
            vec![bad(0), bad(1), bad(2), done(3)],
        );
        let e = run(&m);
        let got: Vec<(Grade, OutletStatus)> =
            e.outlets.iter().map(|g| (g.grade, g.status)).collect();
        assert_eq!(
            got,
            [
                (Grade::C, Active),
                (Grade::C, Suspended),
                (Grade::C, Eliminated),
                (Grade::A, Eliminated),
                (Grade::B, Active),
            ]
        );
        assert!(
            e.outlets[1].note.contains("C 2 in 12 months: suspended"),
            "{}",
            e.outlets[1].note
        );
        assert!(
            e.outlets[2].note.contains(": eliminated"),
            "{}",
            e.outlets[2].note
        );
        // The thresholds are parameters.
        let r = Rules::from_params(&params(&[
            ("c_months.suspend", "3"),
            ("c_months.eliminate", "4"),
        ]))
        .unwrap();
        assert_eq!(next_status(Active, 1, Grade::C, &r), Active);
        assert_eq!(next_status(Active, 2, Grade::C, &r), Suspended);
        assert_eq!(next_status(Active, 3, Grade::C, &r), Eliminated);
    }

    #[test]
    fn ranking_ties_by_index() {
        // Outlets 0, 1, 3 have the same orders, so the same score; outlet 2
        // is better (a delight), outlet 4 has no orders.
        let mut facts = vec![outlet(); 5];
        facts[2].delights = 1;
        let orders = [0, 1, 2, 3]
            .into_iter()
            .flat_map(|o| repeat(4, done(o)))
            .collect();
        let e = run(&month(facts, orders));
        let ranks: Vec<u32> = e.outlets.iter().map(|g| g.rank).collect();
        assert_eq!(ranks, [2, 3, 1, 4, 0]);
        assert_eq!(e.outlets[0].score, e.outlets[3].score);
    }

    #[test]
    fn top_and_bottom_with_few_outlets() {
        use Incentive::*;
        // A, B, C, no orders, A, C: fewer than 10 outlets, so every A is
        // rewarded and every C penalised.
        let orders = vec![
            done(0),
            MonthOrder {
                on_time: false,
                ..done(1)
            },
            done(1),
            bad(2),
            done(4),
            bad(5),
            bad(5),
            MonthOrder {
                on_time: false,
                ..bad(5)
            },
        ];
        let m = month(vec![outlet(); 6], orders);
        let e = run(&m);
        let got: Vec<(Grade, Incentive)> =
            e.outlets.iter().map(|g| (g.grade, g.incentive)).collect();
        assert_eq!(
            got,
            [
                (Grade::A, Reward),
                (Grade::B, None),
                (Grade::C, Penalty),
                (Grade::B, None),
                (Grade::A, Reward),
                (Grade::C, Penalty),
            ]
        );
        // top_n 1: only the best A (a tie: the lower index) and the worst C.
        let r = Rules::from_params(&params(&[("top_n", "1")])).unwrap();
        let e = evaluate(&m, &r).unwrap();
        let got: Vec<Incentive> = e.outlets.iter().map(|g| g.incentive).collect();
        assert_eq!(got, [Reward, None, None, None, None, Penalty]);
        assert_eq!((e.outlets[5].rank, e.outlets[2].rank), (5, 4));
        // top_n 0: nobody.
        let r = Rules::from_params(&params(&[("top_n", "0")])).unwrap();
        let e = evaluate(&m, &r).unwrap();
        assert!(e.outlets.iter().all(|g| g.incentive == None));
        // A single outlet graded C is the bottom one; graded A, the top one.
        assert_eq!(
            run(&month(vec![outlet()], vec![bad(0)])).outlets[0].incentive,
            Penalty
        );
        assert_eq!(
            run(&month(vec![outlet()], vec![done(0)])).outlets[0].incentive,
            Reward
        );
        // A graded outlet without completed orders is not ranked, so
        // neither rewarded nor penalised.
        let facts = OutletFacts {
            audits: 1,
            audit_score_sum: 0,
            ..outlet()
        };
        let g = &run(&month(vec![facts], repeat(3, complaint(0, true)).collect())).outlets[0];
        assert_eq!((g.grade, g.rank, g.incentive), (Grade::C, 0, None));
    }

    #[test]
    fn top_ten_of_many() {
        // 25 outlets: outlet i has i late orders of 20. Scores fall with
        // i; grades: A for i ≤ 0 … the first ten A are rewarded, the last
        // ten C penalised, whatever the B in between.
        let mut orders = Vec::new();
        for o in 0..25u32 {
            for k in 0..20 {
                let mut order = done(o);
                order.finding_agreed = true; // +10 points each outlet
                order.on_time = k >= o;
                order.satisfied = k >= o;
                orders.push(order);
            }
        }
        let e = run(&month(vec![outlet(); 25], orders));
        let ranks: Vec<u32> = e.outlets.iter().map(|g| g.rank).collect();
        assert_eq!(ranks, (1..=25).collect::<Vec<u32>>());
        let rewarded: Vec<usize> = (0..25)
            .filter(|&i| e.outlets[i].incentive == Incentive::Reward)
            .collect();
        let penalised: Vec<usize> = (0..25)
            .filter(|&i| e.outlets[i].incentive == Incentive::Penalty)
            .collect();
        let a = e.outlets.iter().filter(|g| g.grade == Grade::A).count();
        let c = e.outlets.iter().filter(|g| g.grade == Grade::C).count();
        assert_eq!(rewarded, (0..a.min(10)).collect::<Vec<_>>());
        assert_eq!(penalised, (25 - c.min(10)..25).collect::<Vec<_>>());
        assert!(a > 0 && c > 10, "{a} A, {c} C");
    }

    #[test]
    fn licence_charges() {
        let orders = vec![
            MonthOrder {
                promise_broken: true,
                engineer: Some(3),
                ..done(0)
            },
            MonthOrder {
                promise_broken: true,
                engineer: None,
                ..done(0)
            }, // nobody to charge
            MonthOrder {
                repeat_of: Some(5),
                engineer: Some(1),
                ..done(0)
            },
            MonthOrder {
                promise_broken: true,
                repeat_of: Some(2),
                engineer: Some(4),
                ..done(0)
            },
            MonthOrder {
                promise_broken: true,
                repeat_of: Some(2),
                ..open(0, false)
            }, // not completed
            MonthOrder {
                promise_broken: true,
                engineer: Some(6),
                ..complaint(0, false)
            }, // open complaint
            MonthOrder {
                promise_broken: true,
                engineer: Some(7),
                completed: true,
                ..complaint(0, false)
            },
        ];
        let e = run(&month(vec![outlet()], orders));
        let got: Vec<(u32, u32, ChargeKind)> = e
            .charges
            .iter()
            .map(|c| (c.engineer, c.order, c.kind))
            .collect();
        assert_eq!(
            got,
            [
                (3, 0, ChargeKind::PromiseBroken),
                (5, 2, ChargeKind::RepeatRepair),
                (4, 3, ChargeKind::PromiseBroken),
                (2, 3, ChargeKind::RepeatRepair),
                (7, 6, ChargeKind::PromiseBroken),
            ]
        );
    }

    #[test]
    fn which_complaints_count() {
        // Every complaint order in the month's list counts, whatever its
        // flags: open, ended, or quality-checked and waiting to be settled.
        let settled = MonthOrder {
            open_at_end: false,
            to_settle: true,
            ..complaint(0, true)
        };
        let ended = MonthOrder {
            open_at_end: false,
            ..complaint(0, false)
        };
        let mut orders: Vec<MonthOrder> = repeat(20, done(0)).collect();
        orders.extend([settled, ended, complaint(0, true), complaint(0, false)]);
        let g = &run(&month(vec![outlet()], orders)).outlets[0];
        assert_eq!(g.kpis.complaints, 200); // 4 of 20
        assert!(g.note.contains("major -10.00 (2)"), "{}", g.note);
        // Complaints are not completed service orders: timeliness and the
        // backlog ignore them.
        assert_eq!((g.kpis.timeliness, g.kpis.backlog), (1000, 0));
    }

    #[test]
    fn bad_parameters() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("weight.satisfaction", "lots")],
                "parameter `weight.satisfaction`: `lots` is not a number with at most 2 decimals",
            ),
            (
                &[("weight.delight", "-1")],
                "parameter `weight.delight`: -1.00 is out of range (0.00 to 100.00)",
            ),
            (
                &[("top_n", "2.5")],
                "parameter `top_n`: `2.5` is not a whole number",
            ),
            (
                &[("complaint_ceiling_permille", "0")],
                "parameter `complaint_ceiling_permille`: 0 is out of range (1 to 1000)",
            ),
            (
                &[("part_usage_target_permille", "1000")],
                "parameter `part_usage_target_permille`: 1000 is out of range (0 to 999)",
            ),
            (
                &[("audit.weight", "0.125")],
                "parameter `audit.weight`: `0.125` is not a number with at most 2 decimals",
            ),
            (
                &[("grade_a", "70")],
                "parameter `grade_b` (75.00) must not be above `grade_a` (70.00)",
            ),
            (
                &[("c_months.suspend", "4")],
                "parameter `c_months.suspend` (4) must not be above `c_months.eliminate` (3)",
            ),
            (
                &[("weight.satisfacton", "30")],
                "unknown parameter `weight.satisfacton`",
            ),
            (
                &[("top_n", "5"), ("top_n", "6")],
                "parameter `top_n` is set more than once",
            ),
        ];
        for &(pairs, want) in cases {
            assert_eq!(Rules::from_params(&params(pairs)).unwrap_err(), want);
        }
        // Every documented name is accepted, with its default.
        let all: Vec<(String, String)> = PARAMS
            .iter()
            .map(|&n| (n.to_string(), String::new()))
            .collect();
        assert!(Rules::from_params(&all).unwrap_err().contains("is not a"));
        let r = Rules::from_params(&params(&[
            ("weight.satisfaction", "40"),
            ("weight.part-usage", "0"),
            ("audit.weight", "0.5"),
            ("points.finding", "0.25"),
        ]))
        .unwrap();
        assert_eq!(
            (r.weights[0], r.weights[4], r.audit_weight, r.finding),
            (4000, 0, 50, 25)
        );
    }

    #[test]
    fn indices_out_of_range() {
        let cases = [
            (
                MonthOrder {
                    outlet: 2,
                    ..done(0)
                },
                "order 1: outlet 2 is out of range (2 outlets)",
            ),
            (
                MonthOrder {
                    engineer: Some(10),
                    ..done(0)
                },
                "order 1: engineer 10 is out of range (10 engineers)",
            ),
            (
                MonthOrder {
                    repeat_of: Some(u32::MAX),
                    ..done(0)
                },
                "order 1: repeat-of 4294967295 is out of range (10 engineers)",
            ),
        ];
        for (order, want) in cases {
            let m = month(vec![outlet(); 2], vec![done(1), order]);
            assert_eq!(evaluate(&m, &Rules::default()).unwrap_err(), want);
        }
        // No outlets at all: any order is out of range.
        let m = month(vec![], vec![done(0)]);
        assert!(evaluate(&m, &Rules::default()).is_err());
        // No engineers: an order with none is fine.
        let mut m = month(
            vec![outlet()],
            vec![MonthOrder {
                engineer: None,
                ..done(0)
            }],
        );
        m.engineers = 0;
        assert!(evaluate(&m, &Rules::default()).is_ok());
    }

    /// The largest month we size for: 1,000,000 orders over 5,500
    /// outlets. Run with `--release -- --ignored` to time it.
    #[test]
    #[ignore = "slow in debug builds; a scale check"]
    fn scale_one_million_orders() {
        let outlets = vec![outlet(); 5500];
        let orders: Vec<MonthOrder> = (0..1_000_000u32)
            .map(|i| MonthOrder {
                engineer: Some(i % 40_000),
                promise_broken: i % 97 == 0,
                satisfied: i % 13 != 0,
                ..done(i % 5500)
            })
            .collect();
        let mut m = month(outlets, orders);
        m.engineers = 40_000;
        let started = std::time::Instant::now();
        let e = run(&m);
        eprintln!("evaluated 1,000,000 orders in {:?}", started.elapsed());
        assert_eq!(e.outlets.len(), 5500);
        let note_bytes: usize = e.outlets.iter().map(|g| g.note.len()).sum();
        eprintln!("notes: {note_bytes} bytes, charges: {}", e.charges.len());
    }

    #[test]
    fn random_months_are_consistent() {
        use OutletStatus::*;
        let kinds = KINDS;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..200 {
            let outlets = rng.below(30) as usize;
            let engineers = rng.below(40) as u32;
            let facts: Vec<OutletFacts> = (0..outlets)
                .map(|_| OutletFacts {
                    status: [Active, Active, Active, Suspended, Eliminated][rng.below(5) as usize],
                    c_months: rng.below(4) as u32,
                    audits: rng.below(4) as u32,
                    audit_score_sum: rng.below(400) as u32,
                    delights: rng.below(3) as u32,
                    improvements: rng.below(3) as u32,
                })
                .collect();
            let n = if outlets == 0 {
                0
            } else {
                rng.below(600) as usize
            };
            let orders: Vec<MonthOrder> = (0..n)
                .map(|_| {
                    let completed = rng.chance(70);
                    MonthOrder {
                        outlet: rng.below(outlets as u64) as u32,
                        engineer: (engineers > 0 && rng.chance(90))
                            .then(|| rng.below(engineers.into()) as u32),
                        kind: kinds[rng.below(7) as usize],
                        product_line: ProductLine::Tv,
                        completed,
                        open_at_end: !completed && rng.chance(60),
                        overdue_at_end: rng.chance(20),
                        to_settle: rng.chance(50),
                        reached: rng.chance(85),
                        satisfied: rng.chance(85),
                        parts: rng.below(3) as u32,
                        part_due: rng.chance(30),
                        part_returned: rng.chance(70),
                        finding_agreed: rng.chance(80),
                        machine_parts_3m: rng.below(3) as u32,
                        repeat_of: (engineers > 0 && rng.chance(5))
                            .then(|| rng.below(engineers.into()) as u32),
                        on_time: rng.chance(80),
                        promise_broken: rng.chance(5),
                        major: rng.chance(10),
                    }
                })
                .collect();
            let m = MonthFacts {
                year: 2025,
                month: 1 + (round % 12) as u8,
                outlets: facts,
                engineers,
                orders,
            };
            let r = Rules::default();
            let e = evaluate(&m, &r).unwrap();
            assert_eq!(e.outlets.len(), outlets);
            let mut ranks: Vec<u32> = e
                .outlets
                .iter()
                .map(|g| g.rank)
                .filter(|&r| r > 0)
                .collect();
            ranks.sort_unstable();
            assert_eq!(ranks, (1..=ranks.len() as u32).collect::<Vec<_>>());
            let (mut rewards, mut penalties) = (0, 0);
            for (g, f) in e.outlets.iter().zip(&m.outlets) {
                assert!(
                    kpi_tuple(&g.kpis).iter().all(|&k| k <= 1000),
                    "{:?}",
                    g.note
                );
                assert!((0..=11000).contains(&g.score));
                if g.note != "no orders" {
                    let want = if g.score >= 9000 {
                        Grade::A
                    } else if g.score >= 7500 {
                        Grade::B
                    } else {
                        Grade::C
                    };
                    assert_eq!(g.grade, want);
                }
                if f.status == Eliminated {
                    assert_eq!(g.status, Eliminated);
                }
                if g.grade != Grade::C {
                    assert_eq!(g.status, f.status);
                }
                match g.incentive {
                    Incentive::Reward => {
                        rewards += 1;
                        assert!(g.grade == Grade::A && g.rank >= 1 && g.rank <= 10);
                    }
                    Incentive::Penalty => {
                        penalties += 1;
                        assert!(g.grade == Grade::C && g.rank as usize + 10 > ranks.len());
                    }
                    Incentive::None => {}
                }
            }
            assert!(rewards <= 10 && penalties <= 10);
            // Ranks follow scores.
            let mut by_rank: Vec<&OutletGrade> = e.outlets.iter().filter(|g| g.rank > 0).collect();
            by_rank.sort_by_key(|g| g.rank);
            assert!(by_rank.windows(2).all(|w| w[0].score >= w[1].score));
            let want_charges = m
                .orders
                .iter()
                .filter(|o| o.completed)
                .map(|o| {
                    usize::from(o.engineer.is_some() && o.promise_broken)
                        + usize::from(o.repeat_of.is_some())
                })
                .sum::<usize>();
            assert_eq!(e.charges.len(), want_charges);
            for c in &e.charges {
                assert!(c.engineer < engineers && (c.order as usize) < m.orders.len());
            }
        }
    }
}
