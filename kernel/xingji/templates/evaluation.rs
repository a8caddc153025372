//! `{{name}}`: a monthly outlet evaluation. Each outlet is graded on the
//! share of its month's orders completed: A from `a_percent` (default
//! 90), B from `b_percent` (default 70), else C; ranks follow the share.

wit_bindgen::generate!({
    path: "wit/{{wit_version}}",
    world: "xingji:plugins/evaluation@{{wit_version}}",
    with: {
        "xingji:plugins/types@{{wit_version}}": xingji_plugin_sdk::wit::types,
        "xingji:plugins/month@{{wit_version}}": xingji_plugin_sdk::wit::month,
        "xingji:plugins/log@{{wit_version}}": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@{{wit_version}}": xingji_plugin_sdk::host::records,
    },
});

use exports::xingji::plugins::evaluator::{Evaluation, Guest, Kpis, OutletGrade};
use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::month::{Incentive, MonthFacts};
use xingji_plugin_sdk::wit::types::Grade;

struct Component;

// The component's exports, for the kernel. In `cargo test` (native) the
// tests call `Component` directly, and a native library cannot export
// these names.
#[cfg(target_arch = "wasm32")]
export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "{{author}}");

impl Guest for Component {
    fn evaluate(month: MonthFacts, params: Vec<(String, String)>) -> Result<Evaluation, String> {
        // Unknown or malformed parameters fail the close, naming them.
        let settings = Settings::new(&params, |name| name == "a_percent" || name == "b_percent")?;
        let a = settings.whole("a_percent", 90, 0..=100)? as u64;
        let b = settings.whole("b_percent", 70, 0..=100)? as u64;
        // Completed and all orders per outlet.
        let mut counts = vec![(0u64, 0u64); month.outlets.len()];
        for order in &month.orders {
            let Some(count) = counts.get_mut(order.outlet as usize) else {
                return Err(format!("an order names outlet {}, which is not in the month", order.outlet));
            };
            count.0 += u64::from(order.completed);
            count.1 += 1;
        }
        let percent: Vec<u64> = counts
            .iter()
            .map(|&(done, all)| if all == 0 { 100 } else { done * 100 / all })
            .collect();
        let outlets = month
            .outlets
            .iter()
            .zip(&percent)
            .map(|(facts, &share)| OutletGrade {
                kpis: Kpis {
                    satisfaction: 0,
                    timeliness: share as u32,
                    backlog: 0,
                    complaints: 0,
                    part_usage: 0,
                    delight: 0,
                },
                score: share as i32,
                grade: if share >= a { Grade::A } else if share >= b { Grade::B } else { Grade::C },
                status: facts.status,
                rank: 1 + percent.iter().filter(|&&other| other > share).count() as u32,
                incentive: Incentive::None,
                note: format!("{share}% of the month's orders completed"),
            })
            .collect();
        Ok(Evaluation { outlets, charges: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::test_host::TestHost;
    use xingji_plugin_sdk::wit::month::{MonthOrder, OutletFacts};
    use xingji_plugin_sdk::wit::types::{OrderKind, OutletStatus, ProductLine};

    use super::*;

    fn facts() -> OutletFacts {
        OutletFacts { status: OutletStatus::Active, c_months: 0, audits: 0, audit_score_sum: 0, delights: 0, improvements: 0 }
    }

    fn order(outlet: u32, completed: bool) -> MonthOrder {
        MonthOrder {
            outlet, engineer: None, kind: OrderKind::Repair, product_line: ProductLine::Tv,
            completed, open_at_end: !completed, overdue_at_end: false, to_settle: completed,
            reached: true, satisfied: true, parts: 0, part_due: false, part_returned: false,
            finding_agreed: false, machine_parts_3m: 0, repeat_of: None, on_time: true,
            promise_broken: false, major: false,
        }
    }

    #[test]
    fn grades_by_the_share_completed() {
        TestHost::new().install();
        let month = MonthFacts {
            year: 2026, month: 11, outlets: vec![facts(), facts()], engineers: 0,
            orders: vec![order(0, true), order(0, true), order(1, true), order(1, false)],
        };
        let evaluation = Component::evaluate(month, Vec::new()).expect("graded");
        let grades: Vec<(Grade, u32)> = evaluation.outlets.iter().map(|o| (o.grade, o.rank)).collect();
        assert_eq!(grades, vec![(Grade::A, 1), (Grade::C, 2)]);
        let month = MonthFacts { year: 2026, month: 11, outlets: vec![], engineers: 0, orders: vec![] };
        let error = Component::evaluate(month, vec![("a_percent".into(), "lots".into())]).err();
        assert!(error.is_some_and(|e| e.contains("a_percent")));
    }
}
