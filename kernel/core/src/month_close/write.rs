//! What a close makes of the plugins' answers: the close as the API shows
//! it, and what it writes — grades and statuses that changed, licence
//! charges on engineers, and the orders it settles.

use std::collections::HashMap;

use prost_types::Timestamp;
use xingji_api::v1::{
    EngineerPay, Kpis, LicenceCharge, LicenceEvent, LicenceState, MonthClose, OrderStatus, Outlet,
    OutletGrade, OutletMonth, Person, Statement, StatementLine,
};
use xingji_plugin_host::bindings::evaluation::exports::xingji::plugins::evaluator::Evaluation;
use xingji_plugin_host::bindings::settlement::exports::xingji::plugins::settler::Settlement;
use xingji_store::MonthCloseCommit;

use crate::actor::Actor;
use crate::audit;
use crate::ids::new_id;
use crate::licence;
use crate::month_close::gather::Gathered;
use crate::orders::history;
use crate::orders::lifecycle::Step;
use crate::wit::{charge_kind_from, grade_from, incentive_from, outlet_status_from};

impl Gathered {
    /// The close as the API shows it.
    pub(crate) fn result(&self, evaluation: &Evaluation, settlement: &Settlement) -> MonthClose {
        let outlets: Vec<OutletMonth> = self
            .outlets
            .iter()
            .zip(&evaluation.outlets)
            .zip(&settlement.outlets)
            .map(|((outlet, grade), statement)| {
                let grade_now = grade_from(grade.grade);
                let before = self.c_months.get(&outlet.id).copied().unwrap_or(0);
                OutletMonth {
                    outlet_id: outlet.id.clone(),
                    kpis: Some(Kpis {
                        satisfaction_permille: grade.kpis.satisfaction as i32,
                        timeliness_permille: grade.kpis.timeliness as i32,
                        backlog_permille: grade.kpis.backlog as i32,
                        complaints_permille: grade.kpis.complaints as i32,
                        part_usage_permille: grade.kpis.part_usage as i32,
                        delight_permille: grade.kpis.delight as i32,
                    }),
                    score: grade.score,
                    grade: grade_now as i32,
                    c_months: before + i32::from(grade_now == OutletGrade::C),
                    status_before: outlet.status,
                    status_after: outlet_status_from(grade.status) as i32,
                    rank: grade.rank as i32,
                    incentive: incentive_from(grade.incentive) as i32,
                    note: grade.note.clone(),
                    statement: Some(Statement {
                        labour_fen: statement.labour,
                        coefficient_permille: statement.coefficient_permille as i32,
                        adjustment_fen: statement.adjustment,
                        incentives_fen: statement.incentives,
                        total_fen: statement.total,
                        lines: statement
                            .lines
                            .iter()
                            .map(|line| StatementLine {
                                item: line.item.clone(),
                                count: line.count as i32,
                                unit_fen: line.unit,
                                amount_fen: line.amount,
                                note: line.note.clone(),
                            })
                            .collect(),
                        rejected_orders: statement.rejected as i32,
                    }),
                }
            })
            .collect();
        let engineers = settlement
            .engineers
            .iter()
            .map(|pay| {
                let person_id = self.engineers[pay.engineer as usize].clone();
                let outlet_id = self
                    .people
                    .get(&person_id)
                    .map(|p| p.outlet_id.clone())
                    .unwrap_or_default();
                EngineerPay {
                    person_id,
                    outlet_id,
                    base_fen: pay.base,
                    valid_orders: pay.valid_orders as i32,
                    commission_fen: pay.commission,
                    timely_orders: pay.timely_orders as i32,
                    timely_bonus_fen: pay.timely_bonus,
                    total_fen: pay.total,
                }
            })
            .collect();
        let charges = evaluation
            .charges
            .iter()
            .map(|charge| LicenceCharge {
                person_id: self.engineers[charge.engineer as usize].clone(),
                order_id: self.orders[charge.order as usize].id.clone(),
                kind: charge_kind_from(charge.kind) as i32,
            })
            .collect();
        MonthClose {
            total_fen: settlement.outlets.iter().map(|s| s.total).sum(),
            settled_orders: self.to_settle.len() as i32,
            rejected_orders: settlement.outlets.iter().map(|s| s.rejected as i32).sum(),
            outlets,
            engineers,
            charges,
            ..MonthClose::default()
        }
    }

    /// What the close writes: outlets whose grade or status changed, the
    /// licence charges on their engineers, and the settled orders.
    pub(crate) fn commit(
        self,
        close: MonthClose,
        now: Timestamp,
        actor: &Actor,
    ) -> MonthCloseCommit {
        let outlets = self
            .outlets
            .into_iter()
            .zip(&close.outlets)
            .filter(|(outlet, month)| {
                outlet.grade != month.grade || outlet.status != month.status_after
            })
            .map(|(outlet, month)| Outlet {
                grade: month.grade,
                status: month.status_after,
                update_time: Some(now),
                ..outlet
            })
            .collect();

        let note = format!("month close {}", close.month);
        let mut charged: HashMap<String, (Person, Vec<LicenceEvent>)> = HashMap::new();
        for charge in &close.charges {
            let Some(person) = self.people.get(&charge.person_id) else {
                continue;
            };
            let (person, events) = charged
                .entry(charge.person_id.clone())
                .or_insert_with(|| (person.clone(), Vec::new()));
            let kind = charge.kind();
            let state =
                LicenceState::try_from(person.licence_state).unwrap_or(LicenceState::Normal);
            // Violations always apply; the Err arm is for kinds they are not.
            let Ok((delta, points, state)) = licence::apply(person.licence_points, state, kind)
            else {
                continue;
            };
            person.licence_points = points;
            person.licence_state = state as i32;
            person.update_time = Some(now);
            events.push(LicenceEvent {
                id: new_id("lic"),
                person_id: person.id.clone(),
                kind: kind as i32,
                order_id: charge.order_id.clone(),
                note: note.clone(),
                time: Some(now),
                actor: Actor::Kernel.to_string(),
                points_delta: delta,
                points_after: points,
                state_after: state as i32,
            });
        }

        // Only quality-checked orders are settled (`Facts::to_settle`), each
        // at the version read: one entry fits every one of them.
        let settlement = history::entry(
            now,
            &Actor::Kernel,
            Step::Settle.action(),
            OrderStatus::QualityChecked,
            OrderStatus::Settled,
            format!("{note}, by {actor}: see its statement"),
        );
        let target = format!("months/{}/{}", close.region, close.month);
        let audit = audit::event(actor, "month.close", target, &close.region);
        MonthCloseCommit {
            audit,
            close,
            outlets,
            people: charged.into_values().collect(),
            settle: self.to_settle,
            read_after: self.read_after,
            settlement,
        }
    }
}
