//! `CloseMonth` and the stored closes (`kernel.month_closes()`): gather the
//! month, ask the evaluation then the settlement plugin, check their
//! answers, and write everything in one transaction — or nothing.

use std::sync::Arc;
use std::time::Instant;

use xingji_api::v1::{
    CloseMonthRequest, GetMonthCloseRequest, ListMonthClosesRequest, ListMonthClosesResponse,
    MonthClose,
};
use xingji_plugin_host::bindings::settlement::exports::xingji::plugins::settler::OutletAccount;
use xingji_plugin_host::{Plugin, PluginError, Slot};
use xingji_store::StoreError;

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::calendar::{Month, now};
use crate::error::{Conflict, KernelError, Result, quoted};
use crate::kernel::Kernel;
use crate::month_close::check::{check_evaluation, check_settlement};
use crate::month_close::gather::Gathered;
use crate::permission::Permission;
use crate::plugins::calls::Writes;
use crate::regions::record_region;

/// The month closes of a kernel's regions.
#[derive(Clone, Copy)]
pub struct MonthCloses<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// The month close.
    pub fn month_closes(&self) -> MonthCloses<'_> {
        MonthCloses { kernel: self }
    }
}

/// The month a request's `field` names, `YYYY-MM`.
pub fn parse_month(field: &str, text: &str) -> Result<Month> {
    Month::parse(text).ok_or_else(|| {
        KernelError::invalid(
            field,
            format!(
                "{} is not a month: write YYYY-MM, e.g. 2026-10",
                quoted(text)
            ),
        )
    })
}

impl MonthCloses<'_> {
    /// Checks a region and month pair.
    async fn region_month(&self, region: &str, month: &str) -> Result<Month> {
        self.kernel.check_region(region).await?;
        parse_month("month", month)
    }

    /// `CloseMonth`: closes `month` of `region` once; a closed month answers
    /// its stored close. A dry run computes and writes nothing.
    pub async fn close(&self, actor: &Actor, request: CloseMonthRequest) -> Result<MonthClose> {
        access::check(
            actor,
            Permission::MonthClose,
            Target::Region(&request.region),
        )?;
        let mut violations = crate::validate::Violations::default();
        violations.region("region", &request.region);
        violations.into_result()?;
        let month = parse_month("month", &request.month)?;
        self.kernel.check_region(&request.region).await?;
        self.close_month(&request.region, month, request.dry_run, actor)
            .await
    }

    async fn close_month(
        &self,
        region: &str,
        month: Month,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<MonthClose> {
        let kernel = self.kernel;
        let store = kernel.store.as_ref();
        let now = now();
        if month.end() > now.seconds {
            return Err(KernelError::precondition(
                "MONTH",
                "month",
                format!("{month} has not ended yet (China Standard Time): close it after it ends"),
            ));
        }
        match store.get_month_close(region, &month.to_string()).await {
            Ok(close) => return Ok(close),
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(KernelError::store(error, "month close", region)),
        }
        let started = Instant::now();
        let facts = Gathered::read(&kernel.store, region, month).await?;
        let gathered = started.elapsed();
        if facts.outlets.is_empty() {
            return Err(KernelError::precondition(
                "REGION",
                "region",
                format!("region {region:?} has no outlets"),
            ));
        }
        let month_facts = facts.month_facts(month);
        let facts_count = month_facts.orders.len();
        // The calls borrow the facts: each is read, never moved.
        let month_facts = &month_facts;

        let evaluate = |plugin: Arc<Plugin>, limits, params: Vec<_>, services| async move {
            let (answer, cost) = plugin
                .evaluation_evaluate(month_facts, &params, limits, services)
                .await?;
            let evaluation = answer.map_err(PluginError::Refused)?;
            check_evaluation(&evaluation, month_facts).map_err(PluginError::InvalidResult)?;
            Ok((evaluation, cost))
        };
        let evaluated = kernel
            .plugins
            .call_with(
                region,
                Slot::Evaluation,
                actor,
                Writes::Keep("month.close"),
                evaluate,
            )
            .await?;
        let (evaluation, evaluation_plugin) = (evaluated.answer, evaluated.plugin);
        let accounts: Vec<OutletAccount> = evaluation
            .outlets
            .iter()
            .map(|grade| OutletAccount {
                grade: grade.grade,
                score: grade.score,
                incentive: grade.incentive,
            })
            .collect();
        let accounts = &accounts;
        let settle = |plugin: Arc<Plugin>, limits, params: Vec<_>, services| async move {
            let (answer, cost) = plugin
                .settlement_settle(month_facts, accounts, &params, limits, services)
                .await?;
            let settlement = answer.map_err(PluginError::Refused)?;
            check_settlement(&settlement, month_facts).map_err(PluginError::InvalidResult)?;
            Ok((settlement, cost))
        };
        let settled = kernel
            .plugins
            .call_with(
                region,
                Slot::Settlement,
                actor,
                Writes::Keep("month.close"),
                settle,
            )
            .await?;
        let (settlement, settlement_plugin) = (settled.answer, settled.plugin);

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

        let commit = facts.commit(close, now, actor);
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
            Err(StoreError::AlreadyExists(_)) => store
                .get_month_close(region, &month.to_string())
                .await
                .map_err(|error| KernelError::store(error, "month close", region)),
            Err(StoreError::VersionMismatch { .. }) => {
                Err(KernelError::Conflict(Conflict::Changed(format!(
                    "records of region {region:?} changed while {month} was closing; nothing was written: close it again"
                ))))
            }
            Err(error) => Err(KernelError::store(error, "month close", region)),
        }
    }

    /// `GetMonthClose`: a stored close.
    pub async fn get(&self, actor: &Actor, request: GetMonthCloseRequest) -> Result<MonthClose> {
        record_region(&request.region);
        access::check(
            actor,
            Permission::MonthRead,
            Target::Region(&request.region),
        )?;
        let month = self.region_month(&request.region, &request.month).await?;
        self.kernel
            .store
            .get_month_close(&request.region, &month.to_string())
            .await
            .map_err(|error| {
                KernelError::store(
                    error,
                    "month close",
                    &format!("{}/{}", request.region, request.month),
                )
            })
    }

    /// `ListMonthCloses`: the stored closes' summaries, by region then month.
    pub async fn list(
        &self,
        actor: &Actor,
        request: ListMonthClosesRequest,
    ) -> Result<ListMonthClosesResponse> {
        let regions = self
            .kernel
            .list_regions(actor, Permission::MonthRead, &request.region)
            .await?;
        let (closes, next_page_token) = self.kernel.list(&request, &regions).await?;
        // The summaries: the statements are for GetMonthClose.
        let closes = closes
            .into_iter()
            .map(|close| MonthClose {
                outlets: Vec::new(),
                engineers: Vec::new(),
                charges: Vec::new(),
                ..close
            })
            .collect();
        Ok(ListMonthClosesResponse {
            closes,
            next_page_token,
        })
    }
}
