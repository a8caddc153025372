//! `MonthCloseService`: closing a region's month, and the stored closes.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xingji_api::v1::month_close_service_server::MonthCloseService;
use xingji_api::v1::{
    CloseMonthRequest, GetMonthCloseRequest, ListMonthClosesRequest, ListMonthClosesResponse,
    MonthClose,
};

use super::{Kernel, actor, list_scope, region_filter};
use crate::lifecycle::Actor;
use crate::month_close::parse_month;
use crate::status::{from_store, permission_denied};
use crate::telemetry::record_region;
use crate::validate::Violations;

/// The `MonthCloseService` implementation.
pub struct MonthCloseApi {
    kernel: Arc<Kernel>,
}

impl MonthCloseApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }
}

/// Checks a region and month pair.
fn region_month(region: &str, month: &str) -> Result<crate::month_close::Month, Status> {
    let mut violations = Violations::default();
    violations.region("region", region);
    violations.into_result()?;
    parse_month("month", month)
}

#[tonic::async_trait]
impl MonthCloseService for MonthCloseApi {
    async fn close_month(
        &self,
        request: Request<CloseMonthRequest>,
    ) -> Result<Response<MonthClose>, Status> {
        let actor = actor(&request);
        let request = request.into_inner();
        record_region(&request.region);
        let month = region_month(&request.region, &request.month)?;
        if !matches!(actor, Actor::Hq(_) | Actor::System(_)) {
            return Err(permission_denied(
                &actor.to_string(),
                "close a month",
                "hq: or system:",
            ));
        }
        let close = crate::month_close::close(
            &self.kernel,
            &request.region,
            month,
            request.dry_run,
            &actor,
        )
        .await?;
        Ok(Response::new(close))
    }

    async fn get_month_close(
        &self,
        request: Request<GetMonthCloseRequest>,
    ) -> Result<Response<MonthClose>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let month = region_month(&request.region, &request.month)?;
        let close = self
            .kernel
            .store
            .get_month_close(&request.region, &month.to_string())
            .await
            .map_err(|error| {
                from_store(
                    error,
                    "month close",
                    &format!("{}/{}", request.region, request.month),
                )
            })?;
        Ok(Response::new(close))
    }

    async fn list_month_closes(
        &self,
        request: Request<ListMonthClosesRequest>,
    ) -> Result<Response<ListMonthClosesResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let region = region_filter(&request.region)?;
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let (closes, next_page_token) = self
            .kernel
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |c: &MonthClose| &c.id,
                |page| async move { store.list_month_closes(region.as_deref(), &page).await },
            )
            .await?;
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
        Ok(Response::new(ListMonthClosesResponse {
            closes,
            next_page_token,
        }))
    }
}
