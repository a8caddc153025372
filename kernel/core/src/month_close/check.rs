//! The kernel's own check of the plugins' answers: every outlet graded and
//! settled, every index in range, every statement adding up to the fen. A
//! close whose answers fail here writes nothing.

use xingji_plugin_host::bindings::evaluation::exports::xingji::plugins::evaluator::Evaluation;
use xingji_plugin_host::bindings::host::xingji::plugins::month::MonthFacts;
use xingji_plugin_host::bindings::settlement::exports::xingji::plugins::settler::Settlement;

/// Checks an evaluation against the facts it was given.
pub(crate) fn check_evaluation(evaluation: &Evaluation, facts: &MonthFacts) -> Result<(), String> {
    if evaluation.outlets.len() != facts.outlets.len() {
        return Err(format!(
            "{} outlet grades for {} outlets",
            evaluation.outlets.len(),
            facts.outlets.len()
        ));
    }
    for (i, charge) in evaluation.charges.iter().enumerate() {
        if charge.engineer >= facts.engineers || charge.order as usize >= facts.orders.len() {
            return Err(format!("charge {i} points past the engineers or orders"));
        }
    }
    Ok(())
}

/// Checks that a settlement covers every outlet and adds up exactly.
pub(crate) fn check_settlement(settlement: &Settlement, facts: &MonthFacts) -> Result<(), String> {
    if settlement.outlets.len() != facts.outlets.len() {
        return Err(format!(
            "{} statements for {} outlets",
            settlement.outlets.len(),
            facts.outlets.len()
        ));
    }
    for (i, s) in settlement.outlets.iter().enumerate() {
        let lines = s
            .lines
            .iter()
            .try_fold(0i64, |sum, line| sum.checked_add(line.amount));
        let parts = s
            .labour
            .checked_add(s.adjustment)
            .and_then(|sum| sum.checked_add(s.incentives));
        if lines != Some(s.total) || parts != Some(s.total) {
            return Err(format!(
                "statement {i} does not add up: total {}, L + adjustment + Q = {parts:?}, lines {lines:?}",
                s.total
            ));
        }
    }
    let mut seen = vec![false; facts.engineers as usize];
    for pay in &settlement.engineers {
        let Some(seen) = seen.get_mut(pay.engineer as usize) else {
            return Err(format!("engineer {} is out of range", pay.engineer));
        };
        if std::mem::replace(seen, true) {
            return Err(format!("engineer {} is paid twice", pay.engineer));
        }
        let sum = pay
            .base
            .checked_add(pay.commission)
            .and_then(|sum| sum.checked_add(pay.timely_bonus));
        if sum != Some(pay.total) {
            return Err(format!(
                "engineer {}'s pay does not add up: {} + {} + {} ≠ {}",
                pay.engineer, pay.base, pay.commission, pay.timely_bonus, pay.total
            ));
        }
    }
    Ok(())
}
