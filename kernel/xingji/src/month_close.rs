//! The month close (DOMAIN.md sections 4 and 5): what the kernel reads from
//! a region's records for one month, how it hands them to the evaluation
//! and settlement plugins, how it checks their answers, and what it writes.
//!
//! The kernel only gathers facts (per order: completed, open at the end,
//! callbacks, parts, SLA, the machine's recent repairs; per outlet: audits,
//! licence credits, C grades of the year) and applies results; the KPI
//! formulas, grades, rates and pay are the plugins'.

use std::collections::HashMap;

use prost_types::Timestamp;
use tonic::Status;
use xingji_api::v1::{
    Audit, EngineerPay, Incentive, Kpis, LicenceCharge, LicenceEvent, LicenceEventKind,
    LicenceState, MonthClose, Order, OrderKind, OrderStatus, Outlet, OutletGrade, OutletMonth,
    OutletStatus, Person, Statement, StatementLine,
};
use xingji_plugin_host::bindings::evaluation::exports::xingji::plugins::evaluator::{
    ChargeKind, Evaluation,
};
use xingji_plugin_host::bindings::host::xingji::plugins::month::{
    Incentive as WitIncentive, MonthFacts, MonthOrder, OutletFacts,
};
use xingji_plugin_host::bindings::host::xingji::plugins::types::{
    Grade as WitGrade, OutletStatus as WitStatus,
};
use xingji_plugin_host::bindings::settlement::exports::xingji::plugins::settler::{
    OutletAccount, Settlement,
};
use xingji_plugin_host::{PluginError, Slot};
use xingji_store::{AuditFilter, MonthCloseCommit, OrderFilter, OutletFilter, Page, PersonFilter};

use crate::dispatch::read_all;
use crate::lifecycle::{Actor, Step, append};
use crate::services::{Kernel, new_id};
use crate::sla::{all_met, overdue_at, reached};
use crate::status::{failed_precondition, from_store, invalid_field};
use crate::validate::CST_SECONDS;
use crate::wit_records::{order_kind, outlet_status, product_line};

/// Seconds in a day.
const DAY: i64 = 86_400;
/// How far back a machine's repairs count: "3 months" for the part rule.
const PART_WINDOW: i64 = 90 * DAY;
/// A repair that comes back within this long did not hold.
const REPEAT_WINDOW: i64 = 30 * DAY;

/// A calendar month in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (2000..=9998).contains(&month.year).then_some(())?;
        (1..=12).contains(&month.month).then_some(month)
    }

    /// The month `seconds` (Unix) falls in.
    pub fn containing(seconds: i64) -> Month {
        let date = crate::validate::date_from_days((seconds + CST_SECONDS).div_euclid(DAY));
        Month {
            year: date.year,
            month: date.month as u8,
        }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                month: self.month - 1,
                ..self
            }
        }
    }

    fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                month: self.month + 1,
                ..self
            }
        }
    }

    /// Its first instant, in Unix seconds.
    pub fn start(self) -> i64 {
        crate::validate::midnight(&xingji_api::google::r#type::Date {
            year: self.year,
            month: i32::from(self.month),
            day: 1,
        })
    }

    /// The first instant after it.
    pub fn end(self) -> i64 {
        self.next().start()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Closes `month` of `region` for `actor`; see `MonthCloseService.CloseMonth`.
pub async fn close(
    kernel: &Kernel,
    region: &str,
    month: Month,
    dry_run: bool,
    actor: &Actor,
) -> Result<MonthClose, Status> {
    let store = kernel.store.as_ref();
    let now = Timestamp::from(std::time::SystemTime::now());
    if month.end() > now.seconds {
        return Err(failed_precondition(
            "MONTH",
            "month",
            format!("{month} has not ended yet (China Standard Time): close it after it ends"),
        ));
    }
    match store.get_month_close(region, &month.to_string()).await {
        Ok(close) => return Ok(close),
        Err(xingji_store::StoreError::NotFound) => {}
        Err(error) => return Err(from_store(error, "month close", region)),
    }
    let started = std::time::Instant::now();
    let facts = Gathered::read(kernel, region, month).await?;
    let gathered = started.elapsed();
    if facts.outlets.is_empty() {
        return Err(failed_precondition(
            "REGION",
            "region",
            format!("region {region:?} has no outlets"),
        ));
    }
    let month_facts = facts.month_facts(month);
    let facts_count = month_facts.orders.len();

    let (evaluation, evaluation_plugin) = kernel
        .plugins
        .call(
            region,
            Slot::Evaluation,
            |plugin, limits, params, services| {
                let month_facts = &month_facts;
                async move {
                    let (answer, cost) = plugin
                        .evaluation_evaluate(month_facts, &params, limits, services)
                        .await?;
                    let evaluation = answer.map_err(PluginError::Refused)?;
                    check_evaluation(&evaluation, month_facts)
                        .map_err(PluginError::InvalidResult)?;
                    Ok(((evaluation, plugin.id()), cost))
                }
            },
        )
        .await?;
    let accounts: Vec<OutletAccount> = evaluation
        .outlets
        .iter()
        .map(|grade| OutletAccount {
            grade: grade.grade,
            score: grade.score,
            incentive: grade.incentive,
        })
        .collect();
    let (settlement, settlement_plugin) = kernel
        .plugins
        .call(
            region,
            Slot::Settlement,
            |plugin, limits, params, services| {
                let (month_facts, accounts) = (&month_facts, &accounts);
                async move {
                    let (answer, cost) = plugin
                        .settlement_settle(month_facts, accounts, &params, limits, services)
                        .await?;
                    let settlement = answer.map_err(PluginError::Refused)?;
                    check_settlement(&settlement, month_facts)
                        .map_err(PluginError::InvalidResult)?;
                    Ok(((settlement, plugin.id()), cost))
                }
            },
        )
        .await?;

    let planned = started.elapsed();
    let mut close = facts.result(&evaluation, &settlement);
    close.id = format!("{region}/{month}");
    close.region = region.to_owned();
    close.month = month.to_string();
    close.close_time = Some(now);
    close.actor = actor.to_string();
    close.dry_run = dry_run;
    close.evaluation_plugin = evaluation_plugin;
    close.settlement_plugin = settlement_plugin;
    if dry_run {
        return Ok(close);
    }

    let commit = facts.commit(kernel, close, now, actor);
    match store.commit_month_close(commit).await {
        Ok(close) => {
            // Where a close's time goes, for whoever runs a big region.
            tracing::info!(
                %region, %month, orders = facts_count, settled = close.settled_orders,
                gather_ms = gathered.as_millis() as u64,
                plugins_ms = (planned - gathered).as_millis() as u64,
                commit_ms = (started.elapsed() - planned).as_millis() as u64,
                "month closed"
            );
            Ok(close)
        }
        // Someone closed it first: theirs stands.
        Err(xingji_store::StoreError::AlreadyExists(_)) => store
            .get_month_close(region, &month.to_string())
            .await
            .map_err(|error| from_store(error, "month close", region)),
        Err(xingji_store::StoreError::VersionMismatch { .. }) => Err(Status::aborted(format!(
            "records of region {region:?} changed while {month} was closing; nothing was written: close it again"
        ))),
        Err(error) => Err(from_store(error, "month close", region)),
    }
}

/// What the close read, and the month facts it made of it.
struct Gathered {
    outlets: Vec<Outlet>,
    outlet_facts: Vec<OutletFacts>,
    /// Person ids; `MonthOrder.engineer` indexes this.
    engineers: Vec<String>,
    people: HashMap<String, Person>,
    orders: Vec<Gleaned>,
    /// The quality-checked orders to settle, by id and version read: the
    /// store reads each again when it writes them SETTLED.
    to_settle: Vec<(String, i64)>,
    /// C grades of each outlet in the 11 months before.
    c_months: HashMap<String, i32>,
}

/// One order as the month sees it.
struct Gleaned {
    id: String,
    fact: MonthOrder,
    serial: String,
    completed_at: Option<i64>,
    repair: bool,
}

/// A completed visit to a machine, for the part and repeat-repair rules.
struct Visit {
    completed_at: i64,
    parts: u32,
    repair: bool,
    engineer: Option<u32>,
}

impl Gathered {
    async fn read(kernel: &Kernel, region: &str, month: Month) -> Result<Gathered, Status> {
        let store = kernel.store.as_ref();
        let failed = |error| from_store(error, "region", region);
        let region_owned = Some(region.to_owned());
        let outlets = read_all(
            |page| {
                let filter = OutletFilter {
                    region: region_owned.clone(),
                    ..OutletFilter::default()
                };
                async move { store.list_outlets(&filter, &page).await }
            },
            |o: &Outlet| o.id.clone(),
        )
        .await
        .map_err(failed)?;
        let people: HashMap<String, Person> = read_all(
            |page| {
                let filter = PersonFilter {
                    region: region_owned.clone(),
                    ..PersonFilter::default()
                };
                async move { store.list_people(&filter, &page).await }
            },
            |p: &Person| p.id.clone(),
        )
        .await
        .map_err(failed)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
        let index: HashMap<String, u32> = outlets
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i as u32))
            .collect();
        let (start, end) = (month.start(), month.end());

        let mut outlet_facts: Vec<OutletFacts> = outlets
            .iter()
            .map(|o| OutletFacts {
                status: outlet_status(o.status),
                c_months: 0,
                audits: 0,
                audit_score_sum: 0,
                delights: 0,
                improvements: 0,
            })
            .collect();

        // C grades of the rolling year, from the closes of the 11 months before.
        let mut c_months: HashMap<String, i32> = HashMap::new();
        let mut earlier = month;
        for _ in 0..11 {
            earlier = earlier.previous();
            match store.get_month_close(region, &earlier.to_string()).await {
                Ok(close) => {
                    for o in close.outlets {
                        if o.grade == OutletGrade::C as i32 {
                            *c_months.entry(o.outlet_id).or_default() += 1;
                        }
                    }
                }
                Err(xingji_store::StoreError::NotFound) => {}
                Err(error) => return Err(failed(error)),
            }
        }
        for (id, &i) in &index {
            outlet_facts[i as usize].c_months = c_months.get(id).copied().unwrap_or(0) as u32;
        }

        let audits = read_all(
            |page| {
                let filter = AuditFilter {
                    region: region_owned.clone(),
                    outlet_id: None,
                };
                async move { store.list_audits(&filter, &page).await }
            },
            |a: &Audit| a.id.clone(),
        )
        .await
        .map_err(failed)?;
        for audit in audits {
            let visited = audit.visit_time.map_or(0, |t| t.seconds);
            if let (true, Some(&i)) = ((start..end).contains(&visited), index.get(&audit.outlet_id))
            {
                let facts = &mut outlet_facts[i as usize];
                facts.audits += 1;
                facts.audit_score_sum += audit.score.clamp(0, 100) as u32;
            }
        }

        // Licence credits recorded in the month, by their ULID ids.
        let (mut after, before) = (ulid_at("lic", start), ulid_at("lic", end));
        loop {
            let events = store
                .licence_events_between(&after, &before, 1000)
                .await
                .map_err(failed)?;
            for event in &events {
                let outlet = people
                    .get(&event.person_id)
                    .and_then(|p| index.get(&p.outlet_id));
                let Some(&i) = outlet else { continue };
                let facts = &mut outlet_facts[i as usize];
                match LicenceEventKind::try_from(event.kind) {
                    Ok(LicenceEventKind::Delight) => facts.delights += 1,
                    Ok(LicenceEventKind::SmallImprovement) => facts.improvements += 1,
                    _ => {}
                }
            }
            match events.last() {
                Some(last) if events.len() == 1000 => after.clone_from(&last.id),
                _ => break,
            }
        }

        let mut gathered = Gathered {
            outlets,
            outlet_facts,
            engineers: Vec::new(),
            people,
            orders: Vec::new(),
            to_settle: Vec::new(),
            c_months,
        };
        let mut engineer_index: HashMap<String, u32> = HashMap::new();
        let mut machines: HashMap<String, Vec<Visit>> = HashMap::new();
        let mut page = Page {
            after: None,
            limit: 1000,
        };
        loop {
            let filter = OrderFilter {
                region: region_owned.clone(),
                ..OrderFilter::default()
            };
            let batch = store.list_orders(&filter, &page).await.map_err(failed)?;
            let full = batch.len() == 1000;
            page.after = batch.last().map(|o| o.id.clone());
            for order in batch {
                let mut engineer = |id: &str| -> Option<u32> {
                    if id.is_empty() {
                        return None;
                    }
                    let next = gathered.engineers.len() as u32;
                    let i = *engineer_index.entry(id.to_owned()).or_insert(next);
                    if i == next {
                        gathered.engineers.push(id.to_owned());
                    }
                    Some(i)
                };
                let completed_at = reached(&order, OrderStatus::Completed).map(|t| t.seconds);
                let repair = order.kind == OrderKind::Repair as i32;
                let serial = order
                    .appliance
                    .as_ref()
                    .map(|a| a.serial.clone())
                    .unwrap_or_default();
                let parts = parts_used(&order);
                if let Some(at) = completed_at
                    && !serial.is_empty()
                    && at >= start - PART_WINDOW - DAY
                    && at < end
                {
                    machines.entry(serial.clone()).or_default().push(Visit {
                        completed_at: at,
                        parts,
                        repair,
                        engineer: engineer(&order.engineer_id),
                    });
                }
                let Some(&outlet) = index.get(&order.outlet_id) else {
                    continue;
                };
                let complaint = order.kind == OrderKind::Complaint as i32;
                let created = order.create_time.map_or(0, |t| t.seconds);
                let at_end = status_at(&order, end);
                let open_at_end = matches!(
                    at_end,
                    OrderStatus::Dispatched
                        | OrderStatus::Accepted
                        | OrderStatus::Contacted
                        | OrderStatus::OnSite
                );
                let completed =
                    !complaint && completed_at.is_some_and(|at| (start..end).contains(&at));
                let complaint_in_month = complaint && (start..end).contains(&created);
                let to_settle = order.status == OrderStatus::QualityChecked as i32
                    && completed_at.is_some_and(|at| at < end);
                if !(completed || open_at_end || complaint_in_month || to_settle) {
                    continue;
                }
                let qc = order.quality_control.clone().unwrap_or_default();
                let report = order.service_report.clone().unwrap_or_default();
                let fact = MonthOrder {
                    outlet,
                    engineer: engineer(&order.engineer_id),
                    kind: order_kind(order.kind),
                    product_line: product_line(
                        order.appliance.as_ref().map_or(0, |a| a.product_line),
                    ),
                    completed,
                    open_at_end,
                    overdue_at_end: open_at_end && overdue_at(&order, end),
                    to_settle,
                    reached: qc.callbacks.iter().any(|c| c.reached),
                    satisfied: qc.callbacks.iter().any(|c| c.satisfied),
                    parts,
                    part_due: report.parts.iter().any(|p| p.old_part_due_return),
                    part_returned: qc.old_part_returned,
                    finding_agreed: qc.finding_agreed,
                    machine_parts_3m: parts,
                    repeat_of: None,
                    on_time: all_met(&order),
                    promise_broken: promise_broken(&order),
                    major: order.complaint.as_ref().is_some_and(|c| c.major),
                };
                gathered.orders.push(Gleaned {
                    id: order.id.clone(),
                    fact,
                    serial,
                    completed_at,
                    repair,
                });
                if to_settle {
                    gathered.to_settle.push((order.id, order.version));
                }
            }
            if !full {
                break;
            }
        }

        // The machine rules need every visit to the machine: a second pass.
        for gleaned in &mut gathered.orders {
            let (Some(at), Some(visits)) = (gleaned.completed_at, machines.get(&gleaned.serial))
            else {
                continue;
            };
            let earlier = |window: i64| {
                visits
                    .iter()
                    .filter(move |v| v.completed_at < at && v.completed_at >= at - window)
            };
            gleaned.fact.machine_parts_3m = gleaned
                .fact
                .parts
                .saturating_add(earlier(PART_WINDOW).map(|v| v.parts).sum::<u32>());
            if gleaned.repair {
                gleaned.fact.repeat_of = earlier(REPEAT_WINDOW)
                    .filter(|v| v.repair)
                    .max_by_key(|v| v.completed_at)
                    .and_then(|v| v.engineer);
            }
        }
        Ok(gathered)
    }

    fn month_facts(&self, month: Month) -> MonthFacts {
        MonthFacts {
            year: month.year,
            month: month.month,
            outlets: self.outlet_facts.clone(),
            engineers: self.engineers.len() as u32,
            orders: self.orders.iter().map(|g| g.fact).collect(),
        }
    }

    /// The close as the API shows it.
    fn result(&self, evaluation: &Evaluation, settlement: &Settlement) -> MonthClose {
        let outlets: Vec<OutletMonth> = self
            .outlets
            .iter()
            .zip(&evaluation.outlets)
            .zip(&settlement.outlets)
            .map(|((outlet, grade), statement)| {
                let grade_now = outlet_grade(grade.grade);
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
                    status_after: status_from(grade.status) as i32,
                    rank: grade.rank as i32,
                    incentive: incentive(grade.incentive) as i32,
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
                kind: charge_kind(charge.kind) as i32,
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
    fn commit(
        self,
        kernel: &Kernel,
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
            let kind = LicenceEventKind::try_from(charge.kind).unwrap_or_default();
            let state =
                LicenceState::try_from(person.licence_state).unwrap_or(LicenceState::Normal);
            // Violations always apply; the Err arm is for kinds they are not.
            let Ok((delta, points, state)) =
                crate::licence::apply(person.licence_points, state, kind)
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

        let reason = format!("{note}, by {actor}: see its statement");
        let sla = kernel.region(&close.region).sla;
        let settle_order = Box::new(move |order: &mut Order| {
            let kind = OrderKind::try_from(order.kind).unwrap_or_default();
            let from = OrderStatus::try_from(order.status).unwrap_or_default();
            let Ok(to) = Step::Settle.target(kind, from) else {
                return false;
            };
            append(
                order,
                now,
                &Actor::Kernel,
                Step::Settle.action(),
                to as i32,
                reason.clone(),
                &sla,
            );
            true
        });
        MonthCloseCommit {
            close,
            outlets,
            people: charged.into_values().collect(),
            settle: self.to_settle,
            settle_order,
        }
    }
}

/// Checks an evaluation against the facts it was given.
fn check_evaluation(evaluation: &Evaluation, facts: &MonthFacts) -> Result<(), String> {
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
fn check_settlement(settlement: &Settlement, facts: &MonthFacts) -> Result<(), String> {
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

/// Checks a `CloseMonth` request's month.
pub fn parse_month(field: &str, text: &str) -> Result<Month, Status> {
    Month::parse(text).ok_or_else(|| {
        invalid_field(
            field,
            format!("{text:?} is not a month: write YYYY-MM, e.g. 2026-10"),
        )
    })
}

/// The smallest id of `prefix` a record made at `seconds` can have.
fn ulid_at(prefix: &str, seconds: i64) -> String {
    let ms = u64::try_from(seconds.max(0)).unwrap_or(0) * 1000;
    format!("{prefix}_{}", ulid::Ulid::from_parts(ms, 0))
}

/// The order's status just before `time`.
fn status_at(order: &Order, time: i64) -> OrderStatus {
    order
        .history
        .iter()
        .take_while(|e| e.time.is_some_and(|t| t.seconds < time))
        .last()
        .and_then(|e| OrderStatus::try_from(e.status).ok())
        .unwrap_or(OrderStatus::Unspecified)
}

/// Whether the engineer arrived after the appointment.
fn promise_broken(order: &Order) -> bool {
    match (order.appointment_time, reached(order, OrderStatus::OnSite)) {
        (Some(appointment), Some(arrived)) => arrived.seconds > appointment.seconds,
        _ => false,
    }
}

/// Parts replaced on the visit.
fn parts_used(order: &Order) -> u32 {
    order.service_report.as_ref().map_or(0, |r| {
        r.parts
            .iter()
            .map(|p| p.quantity.max(0) as u32)
            .fold(0u32, u32::saturating_add)
    })
}

fn outlet_grade(grade: WitGrade) -> OutletGrade {
    match grade {
        WitGrade::Ungraded => OutletGrade::Unspecified,
        WitGrade::A => OutletGrade::A,
        WitGrade::B => OutletGrade::B,
        WitGrade::C => OutletGrade::C,
    }
}

fn status_from(status: WitStatus) -> OutletStatus {
    match status {
        WitStatus::Active => OutletStatus::Active,
        WitStatus::Suspended => OutletStatus::Suspended,
        WitStatus::Eliminated => OutletStatus::Eliminated,
    }
}

fn incentive(incentive: WitIncentive) -> Incentive {
    match incentive {
        WitIncentive::None => Incentive::None,
        WitIncentive::Reward => Incentive::Reward,
        WitIncentive::Penalty => Incentive::Penalty,
    }
}

fn charge_kind(kind: ChargeKind) -> LicenceEventKind {
    match kind {
        ChargeKind::PromiseBroken => LicenceEventKind::PromiseBroken,
        ChargeKind::RepeatRepair => LicenceEventKind::RepeatRepair,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_span_china_standard_time() {
        let october = Month::parse("2026-10").expect("a month");
        assert_eq!(october.to_string(), "2026-10");
        // 2026-10-01T00:00+08:00 is 2026-09-30T16:00Z.
        assert_eq!(october.start(), 1_790_784_000);
        assert_eq!(october.end() - october.start(), 31 * DAY);
        assert_eq!(
            Month::parse("2024-02").map(|m| (m.end() - m.start()) / DAY),
            Some(29)
        );
        assert_eq!(
            Month::parse("2026-01").map(|m| m.previous().to_string()),
            Some("2025-12".into())
        );
        assert_eq!(Month::containing(october.start()), october);
        assert_eq!(
            Month::containing(october.start() - 1).to_string(),
            "2026-09"
        );
        assert_eq!(Month::containing(october.end() - 1), october);
        for bad in ["2026-13", "2026-1", "26-10", "2026-00", "abcd-ef", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
