//! `OutletService`: the service network.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};
use xingji_api::v1::outlet_service_server::OutletService;
use xingji_api::v1::{
    Audit, CreateOutletRequest, GetOutletRequest, ListAuditsRequest, ListAuditsResponse,
    ListOutletsRequest, ListOutletsResponse, Outlet, OutletStatus, OutletTier, RecordAuditRequest,
    ServiceStandard, UpdateOutletRequest,
};
use xingji_store::{AuditFilter, OutletFilter, StoreError};

use super::{
    Kernel, actor, check_mask, enum_filter, list_scope, new_id, now, region_filter, require_id,
    text_filter,
};
use crate::lifecycle::Actor;
use crate::status::{
    failed_precondition, from_store, invalid_field, permission_denied, version_mismatch,
};
use crate::telemetry::record_region;
use crate::validate::{self, Violations, parent_tier, tier_words};

/// The service radius when a create gives none: the half-hour radius.
pub const DEFAULT_RADIUS_MINUTES: i32 = 30;

/// The fields `UpdateOutlet` may change.
const UPDATABLE: &[&str] = &[
    "name",
    "number",
    "tier",
    "class",
    "parent_id",
    "location",
    "address",
    "service_radius_minutes",
    "product_lines",
    "daily_capacity",
    "status",
    "grade",
];

/// The `OutletService` implementation.
pub struct OutletApi {
    kernel: Arc<Kernel>,
}

impl OutletApi {
    /// The service over `kernel`.
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }

    /// Checks `outlet.parent_id`: in the same region, of the tier above.
    async fn check_parent(&self, outlet: &Outlet) -> Result<(), Status> {
        let tier = OutletTier::try_from(outlet.tier).unwrap_or_default();
        let Some((parent_tier, _)) = parent_tier(tier) else {
            return Ok(());
        };
        if outlet.parent_id.is_empty() {
            return Ok(());
        }
        if outlet.parent_id == outlet.id {
            return Err(invalid_field(
                "outlet.parent_id",
                "an outlet cannot be its own parent",
            ));
        }
        let parent = self
            .kernel
            .referenced_outlet("outlet.parent_id", &outlet.parent_id, &outlet.region)
            .await?;
        if parent.tier != parent_tier as i32 {
            let found = OutletTier::try_from(parent.tier).unwrap_or_default();
            return Err(failed_precondition(
                "TIER",
                "outlet.parent_id",
                format!(
                    "the parent of a {} must be a {}, and {:?} is a {}",
                    tier_words(tier),
                    tier_words(parent_tier),
                    parent.id,
                    tier_words(found)
                ),
            ));
        }
        Ok(())
    }
}

/// `ALREADY_EXISTS` for a taken outlet number.
fn number_taken(outlet: &Outlet) -> Status {
    let name = format!("{}/{}", outlet.region, outlet.number);
    Status::with_error_details(
        tonic::Code::AlreadyExists,
        format!(
            "region {:?} already has an outlet numbered {:?}",
            outlet.region, outlet.number
        ),
        ErrorDetails::with_resource_info(
            "outlet",
            name,
            "",
            "outlet.number is taken in this region",
        ),
    )
}

fn store_error(error: StoreError, outlet: &Outlet) -> Status {
    match error {
        StoreError::AlreadyExists(_) => number_taken(outlet),
        error => from_store(error, "outlet", &outlet.id),
    }
}

/// Copies the field at `path` from `from` into `to`.
fn copy_field(to: &mut Outlet, from: &Outlet, path: &str) {
    match path {
        "name" => to.name.clone_from(&from.name),
        "number" => to.number.clone_from(&from.number),
        "tier" => to.tier = from.tier,
        "class" => to.class = from.class,
        "parent_id" => to.parent_id.clone_from(&from.parent_id),
        "location" => to.location = from.location,
        "address" => to.address.clone_from(&from.address),
        "service_radius_minutes" => to.service_radius_minutes = from.service_radius_minutes,
        "product_lines" => to.product_lines.clone_from(&from.product_lines),
        "daily_capacity" => to.daily_capacity = from.daily_capacity,
        "status" => to.status = from.status,
        "grade" => to.grade = from.grade,
        _ => unreachable!("paths are checked against UPDATABLE"),
    }
}

#[tonic::async_trait]
impl OutletService for OutletApi {
    async fn create_outlet(
        &self,
        request: Request<CreateOutletRequest>,
    ) -> Result<Response<Outlet>, Status> {
        let Some(input) = request.into_inner().outlet else {
            return Err(invalid_field("outlet", "is required"));
        };
        record_region(&input.region);
        let now = now();
        let outlet = Outlet {
            id: new_id("out"),
            service_radius_minutes: if input.service_radius_minutes == 0 {
                DEFAULT_RADIUS_MINUTES
            } else {
                input.service_radius_minutes
            },
            status: if input.status == 0 {
                OutletStatus::Active as i32
            } else {
                input.status
            },
            version: 0,
            create_time: Some(now),
            update_time: Some(now),
            ..input
        };
        let mut violations = Violations::default();
        validate::outlet(&mut violations, "outlet", &outlet);
        violations.into_result()?;
        self.check_parent(&outlet).await?;
        let created = self
            .kernel
            .store
            .create_outlet(outlet.clone())
            .await
            .map_err(|error| store_error(error, &outlet))?;
        Ok(Response::new(created))
    }

    async fn get_outlet(
        &self,
        request: Request<GetOutletRequest>,
    ) -> Result<Response<Outlet>, Status> {
        let id = request.into_inner().id;
        require_id("id", &id)?;
        let outlet = self
            .kernel
            .store
            .get_outlet(&id)
            .await
            .map_err(|error| from_store(error, "outlet", &id))?;
        record_region(&outlet.region);
        Ok(Response::new(outlet))
    }

    async fn list_outlets(
        &self,
        request: Request<ListOutletsRequest>,
    ) -> Result<Response<ListOutletsResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let filter = OutletFilter {
            region: region_filter(&request.region)?,
            status: enum_filter(request.status),
            tier: enum_filter(request.tier),
            parent_id: text_filter(request.parent_id.clone()),
            product_line: enum_filter(request.product_line),
            grade: enum_filter(request.grade),
        };
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let (outlets, next_page_token) = self
            .kernel
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |o: &Outlet| &o.id,
                |page| async move { store.list_outlets(&filter, &page).await },
            )
            .await?;
        Ok(Response::new(ListOutletsResponse {
            outlets,
            next_page_token,
        }))
    }

    async fn update_outlet(
        &self,
        request: Request<UpdateOutletRequest>,
    ) -> Result<Response<Outlet>, Status> {
        let request = request.into_inner();
        let Some(input) = request.outlet else {
            return Err(invalid_field("outlet", "is required"));
        };
        require_id("outlet.id", &input.id)?;
        let paths = check_mask(request.update_mask.as_ref(), UPDATABLE)?;
        let current = self
            .kernel
            .store
            .get_outlet(&input.id)
            .await
            .map_err(|error| from_store(error, "outlet", &input.id))?;
        record_region(&current.region);
        if input.version != 0 && input.version != current.version {
            return Err(version_mismatch("outlet", &current.id, current.version));
        }
        let mut outlet = current.clone();
        for path in &paths {
            copy_field(&mut outlet, &input, path);
        }
        let mut violations = Violations::default();
        validate::outlet(&mut violations, "outlet", &outlet);
        violations.into_result()?;
        if outlet.parent_id != current.parent_id || outlet.tier != current.tier {
            self.check_parent(&outlet).await?;
        }
        if outlet.tier != current.tier {
            let children = self
                .kernel
                .store
                .count_children(&outlet.id)
                .await
                .map_err(|error| from_store(error, "outlet", &outlet.id))?;
            if children > 0 {
                return Err(failed_precondition(
                    "TIER",
                    "outlet.tier",
                    format!(
                        "the outlet has {children} child outlets of the tier below: move them first"
                    ),
                ));
            }
        }
        outlet.update_time = Some(now());
        let updated = self
            .kernel
            .store
            .update_outlet(outlet.clone())
            .await
            .map_err(|error| store_error(error, &outlet))?;
        Ok(Response::new(updated))
    }

    async fn record_audit(
        &self,
        request: Request<RecordAuditRequest>,
    ) -> Result<Response<Audit>, Status> {
        let actor = actor(&request);
        if !matches!(actor, Actor::Auditor(_) | Actor::Hq(_)) {
            return Err(permission_denied(
                &actor.to_string(),
                "record an audit",
                "auditor: or hq:",
            ));
        }
        let Some(audit) = request.into_inner().audit else {
            return Err(invalid_field("audit", "is required"));
        };
        let mut violations = Violations::default();
        if audit.outlet_id.is_empty() {
            violations.add("audit.outlet_id", "is required");
        }
        match audit.visit_time {
            None => violations.add("audit.visit_time", "is required"),
            Some(time) if time.seconds > now().seconds + 300 => {
                violations.add("audit.visit_time", "must not be in the future")
            }
            Some(_) => {}
        }
        if !(0..=100).contains(&audit.score) {
            violations.add("audit.score", "must be 0 to 100");
        }
        for (i, standard) in audit.failed_standards.iter().enumerate() {
            let field = format!("audit.failed_standards[{i}]");
            violations.enumeration::<ServiceStandard>(&field, *standard, false);
            if audit.failed_standards[..i].contains(standard) {
                violations.add(field, "is listed twice");
            }
        }
        violations.text(
            "audit.findings",
            &audit.findings,
            0,
            validate::MAX_DESCRIPTION,
        );
        violations.into_result()?;
        let outlet = self
            .kernel
            .store
            .get_outlet(&audit.outlet_id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound => invalid_field(
                    "audit.outlet_id",
                    format!("no outlet has id {:?}", audit.outlet_id),
                ),
                error => from_store(error, "outlet", &audit.outlet_id),
            })?;
        record_region(&outlet.region);
        let audit = Audit {
            id: new_id("aud"),
            region: outlet.region,
            actor: actor.to_string(),
            create_time: Some(now()),
            ..audit
        };
        let audit = self
            .kernel
            .store
            .create_audit(audit)
            .await
            .map_err(|error| from_store(error, "audit", ""))?;
        Ok(Response::new(audit))
    }

    async fn list_audits(
        &self,
        request: Request<ListAuditsRequest>,
    ) -> Result<Response<ListAuditsResponse>, Status> {
        let request = request.into_inner();
        record_region(&request.region);
        let filter = AuditFilter {
            region: region_filter(&request.region)?,
            outlet_id: text_filter(request.outlet_id.clone()),
        };
        let scope = list_scope(&request, |r| {
            r.page_size = 0;
            r.page_token.clear();
        });
        let store = &self.kernel.store;
        let (audits, next_page_token) = self
            .kernel
            .page(
                &scope,
                request.page_size,
                &request.page_token,
                |a: &Audit| &a.id,
                |page| async move { store.list_audits(&filter, &page).await },
            )
            .await?;
        Ok(Response::new(ListAuditsResponse {
            audits,
            next_page_token,
        }))
    }
}
