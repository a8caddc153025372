//! The service network: outlets (`kernel.outlets()`), their tiers and
//! parents, and mystery-customer audits of them.

use xingji_api::v1::{
    Audit, CreateOutletRequest, GetOutletRequest, ListAuditsRequest, ListAuditsResponse,
    ListOutletsRequest, ListOutletsResponse, Outlet, OutletGrade, OutletStatus, OutletTier,
    ProductLine, RecordAuditRequest, ServiceStandard, UpdateOutletRequest,
};
use xingji_store::{AuditFilter, OutletFilter, StoreError, prelude::*};

use crate::access::{self, Target};
use crate::actor::Actor;
use crate::audit;
use crate::calendar::now;
use crate::error::{Conflict, KernelError, Result, bounded, quoted};
use crate::ids::new_id;
use crate::kernel::Kernel;
use crate::paging::{enum_filter, text_filter};
use crate::permission::Permission::{AuditsRecord, NetworkRead, OutletsWrite};
use crate::records::get;
use crate::regions::record_region;
use crate::updates::{Read, Updatable, updated};
use crate::validate::{self, MAX_DESCRIPTION, Violations, parent_tier, tier_words};

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

/// The outlets of a kernel.
#[derive(Clone, Copy)]
pub struct Outlets<'k> {
    kernel: &'k Kernel,
}

impl Kernel {
    /// The service network.
    pub fn outlets(&self) -> Outlets<'_> {
        Outlets { kernel: self }
    }
}

impl Outlets<'_> {
    /// `CreateOutlet`. The first outlet of a region founds it.
    pub async fn create(&self, actor: &Actor, request: CreateOutletRequest) -> Result<Outlet> {
        let Some(input) = request.outlet else {
            return Err(KernelError::invalid("outlet", "is required"));
        };
        access::check(actor, OutletsWrite, Target::Region(&input.region))?;
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
            .create_outlet(
                outlet.clone(),
                audit::event(
                    actor,
                    "outlets.create",
                    format!("outlets/{}", outlet.id),
                    &outlet.region,
                ),
            )
            .await
            .map_err(|error| store_error(error, &outlet))?;
        self.kernel.regions.founded(&created.region);
        Ok(created)
    }

    /// `GetOutlet`.
    pub async fn get(&self, actor: &Actor, request: GetOutletRequest) -> Result<Outlet> {
        access::check(actor, NetworkRead, Target::Unread("outlets", &request.id))?;
        let store = &self.kernel.store;
        let id = &request.id;
        let outlet: Outlet = get("id", "outlet", id, || store.get_outlet(id)).await?;
        record_region(&outlet.region);
        access::check(actor, NetworkRead, Target::Outlet(&outlet))?;
        Ok(outlet)
    }

    /// `ListOutlets`: one page, oldest first.
    pub async fn list(
        &self,
        actor: &Actor,
        request: ListOutletsRequest,
    ) -> Result<ListOutletsResponse> {
        let regions = self
            .kernel
            .list_regions(actor, NetworkRead, &request.region)
            .await?;
        let mut violations = Violations::default();
        let status = enum_filter::<OutletStatus>(&mut violations, "status", request.status);
        let tier = enum_filter::<OutletTier>(&mut violations, "tier", request.tier);
        let product_line =
            enum_filter::<ProductLine>(&mut violations, "product_line", request.product_line);
        let grade = enum_filter::<OutletGrade>(&mut violations, "grade", request.grade);
        violations.into_result()?;
        let filter = OutletFilter {
            regions,
            status,
            tier,
            parent_id: text_filter(&request.parent_id),
            product_line,
            grade,
        };
        let (outlets, next_page_token) = self.kernel.list(&request, &filter).await?;
        Ok(ListOutletsResponse {
            outlets,
            next_page_token,
        })
    }

    /// `UpdateOutlet`: the fields its mask names, at the version given.
    pub async fn update(&self, actor: &Actor, request: UpdateOutletRequest) -> Result<Outlet> {
        let id = request.outlet.as_ref().map_or("", |o| o.id.as_str());
        access::check(actor, OutletsWrite, Target::Unread("outlets", id))?;
        let store = self.kernel.store.as_ref();
        let mask = request.update_mask.as_ref();
        let (current, mut outlet) = updated(store, request.outlet, mask).await?;
        access::check(actor, OutletsWrite, Target::Outlet(&current))?;
        if outlet.parent_id != current.parent_id || outlet.tier != current.tier {
            self.check_parent(&outlet).await?;
        }
        if outlet.tier != current.tier {
            let children = store
                .count_children(&outlet.id)
                .await
                .map_err(|error| KernelError::store(error, "outlet", &outlet.id))?;
            if children > 0 {
                return Err(KernelError::precondition(
                    "TIER",
                    "outlet.tier",
                    format!(
                        "the outlet has {children} child outlets of the tier below: move them first"
                    ),
                ));
            }
        }
        outlet.update_time = Some(now());
        store
            .update_outlet(
                outlet.clone(),
                audit::event(
                    actor,
                    "outlets.update",
                    format!("outlets/{}", outlet.id),
                    &outlet.region,
                ),
            )
            .await
            .map_err(|error| store_error(error, &outlet))
    }

    /// `RecordAudit`: a mystery customer's visit to an outlet.
    pub async fn record_audit(&self, actor: &Actor, request: RecordAuditRequest) -> Result<Audit> {
        let outlet = request.audit.as_ref().map_or("", |a| a.outlet_id.as_str());
        access::check(actor, AuditsRecord, Target::Unread("outlets", outlet))?;
        let Some(audit) = request.audit else {
            return Err(KernelError::invalid("audit", "is required"));
        };
        let mut violations = Violations::default();
        violations.id("audit.outlet_id", &audit.outlet_id);
        match audit.visit_time {
            None => violations.add("audit.visit_time", "is required"),
            Some(time) if !violations.time("audit.visit_time", &time) => {}
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
        violations.text("audit.findings", &audit.findings, 0, MAX_DESCRIPTION);
        violations.into_result()?;
        let outlet = self
            .kernel
            .store
            .get_outlet(&audit.outlet_id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound => KernelError::invalid(
                    "audit.outlet_id",
                    format!("no outlet has id {}", quoted(&audit.outlet_id)),
                ),
                error => KernelError::store(error, "outlet", &audit.outlet_id),
            })?;
        record_region(&outlet.region);
        access::check(actor, AuditsRecord, Target::Region(&outlet.region))?;
        let audit = Audit {
            id: new_id("aud"),
            region: outlet.region,
            actor: actor.to_string(),
            create_time: Some(now()),
            ..audit
        };
        let target = format!("outlets/{}", audit.outlet_id);
        let event = audit::event(actor, "outlets.audit", target, &audit.region);
        self.kernel
            .store
            .create_audit(audit, event)
            .await
            .map_err(|error| KernelError::store(error, "audit", ""))
    }

    /// `ListAudits`: one page, oldest first.
    pub async fn list_audits(
        &self,
        actor: &Actor,
        request: ListAuditsRequest,
    ) -> Result<ListAuditsResponse> {
        let filter = AuditFilter {
            regions: self
                .kernel
                .list_regions(actor, NetworkRead, &request.region)
                .await?,
            outlet_id: access::own_filter(
                actor,
                actor.own_outlet(),
                NetworkRead,
                &request.outlet_id,
            )?,
        };
        let (audits, next_page_token) = self.kernel.list(&request, &filter).await?;
        Ok(ListAuditsResponse {
            audits,
            next_page_token,
        })
    }

    /// Checks `outlet.parent_id`: in the same region, of the tier above.
    async fn check_parent(&self, outlet: &Outlet) -> Result<()> {
        let tier = outlet.tier();
        let Some((parent_tier, _)) = parent_tier(tier) else {
            return Ok(());
        };
        if outlet.parent_id.is_empty() {
            return Ok(());
        }
        if outlet.parent_id == outlet.id {
            return Err(KernelError::invalid(
                "outlet.parent_id",
                "an outlet cannot be its own parent",
            ));
        }
        let parent = self
            .kernel
            .referenced_outlet("outlet.parent_id", &outlet.parent_id, &outlet.region)
            .await?;
        if parent.tier() != parent_tier {
            return Err(KernelError::precondition(
                "TIER",
                "outlet.parent_id",
                format!(
                    "the parent of a {} must be a {}, and {:?} is a {}",
                    tier_words(tier),
                    tier_words(parent_tier),
                    parent.id,
                    tier_words(parent.tier())
                ),
            ));
        }
        Ok(())
    }
}

/// A store failure writing `outlet`: a taken number is `ALREADY_EXISTS`.
fn store_error(error: StoreError, outlet: &Outlet) -> KernelError {
    match error {
        StoreError::AlreadyExists(_) => KernelError::Conflict(Conflict::Exists {
            kind: "outlet",
            name: bounded(&format!("{}/{}", outlet.region, outlet.number)),
            message: format!(
                "region {:?} already has an outlet numbered {}",
                outlet.region,
                quoted(&outlet.number)
            ),
            description: "outlet.number is taken in this region".to_owned(),
        }),
        error => KernelError::store(error, "outlet", &outlet.id),
    }
}

impl Updatable for Outlet {
    const KIND: &'static str = "outlet";
    const UPDATABLE: &'static [&'static str] = UPDATABLE;

    fn key(&self) -> (&str, i64, &str) {
        (&self.id, self.version, &self.region)
    }

    fn copy_field(&mut self, from: &Self, path: &str) {
        match path {
            "name" => self.name.clone_from(&from.name),
            "number" => self.number.clone_from(&from.number),
            "tier" => self.tier = from.tier,
            "class" => self.class = from.class,
            "parent_id" => self.parent_id.clone_from(&from.parent_id),
            "location" => self.location = from.location,
            "address" => self.address.clone_from(&from.address),
            "service_radius_minutes" => self.service_radius_minutes = from.service_radius_minutes,
            "product_lines" => self.product_lines.clone_from(&from.product_lines),
            "daily_capacity" => self.daily_capacity = from.daily_capacity,
            "status" => self.status = from.status,
            "grade" => self.grade = from.grade,
            // Paths are checked against UPDATABLE first.
            _ => {}
        }
    }

    fn check(&self, violations: &mut Violations) {
        validate::outlet(violations, "outlet", self);
    }

    fn read<'a>(store: &'a dyn Store, id: &'a str) -> Read<'a, Self> {
        store.get_outlet(id)
    }
}
