//! Reading records for a request: its region, the record an id names,
//! what a record refers to (in the same region), and pages of a listing.

use std::future::Future;

use xingji_api::v1::{Order, Outlet, Person};
use xingji_store::{Page, StoreError};

use crate::access;
use crate::actor::Actor;
use crate::error::{KernelError, Result, quoted};
use crate::kernel::Kernel;
use crate::paging::{ListRequest, Listed};
use crate::permission::Permission;
use crate::validate::MAX_ID;

impl Kernel {
    /// Checks a request's `region` (see [`crate::regions::Regions::check`]).
    pub async fn check_region(&self, region: &str) -> Result<()> {
        self.regions.check("region", region).await
    }

    /// The regions a list request for `region` shows `actor`, who needs
    /// `permission` there: the region it names (which must exist and be in
    /// the actor's scope) or, when it names none, every region the actor
    /// acts in (`None`: all).
    pub async fn list_regions(
        &self,
        actor: &Actor,
        permission: Permission,
        region: &str,
    ) -> Result<Option<Vec<String>>> {
        let regions = access::list_regions(actor, permission, region)?;
        self.regions.check_filter("region", region).await?;
        Ok(regions)
    }

    /// One page of the records `request` lists, filtered by `filter`.
    pub async fn list<R: Listed>(
        &self,
        request: &impl ListRequest,
        filter: &R::Filter,
    ) -> Result<(Vec<R>, String)> {
        let store = self.store.as_ref();
        let fetch = |page: Page| async move { R::fetch(store, filter, &page).await };
        self.tokens.list(request, R::id, fetch).await
    }

    /// The outlet `id` that the field `field` of a record in `region` refers
    /// to. `INVALID_ARGUMENT` if there is none, `FAILED_PRECONDITION` if it
    /// is in another region.
    pub async fn referenced_outlet(&self, field: &str, id: &str, region: &str) -> Result<Outlet> {
        let found = self.store.get_outlet(id).await;
        referenced(field, "outlet", id, region, found, |o| &o.region)
    }

    /// Like [`Self::referenced_outlet`], for a person.
    pub async fn referenced_person(&self, field: &str, id: &str, region: &str) -> Result<Person> {
        let found = self.store.get_person(id).await;
        referenced(field, "person", id, region, found, |p| &p.region)
    }

    /// Like [`Self::referenced_outlet`], for an order.
    pub async fn referenced_order(&self, field: &str, id: &str, region: &str) -> Result<Order> {
        let found = self.store.get_order(id).await;
        referenced(field, "order", id, region, found, |o| &o.region)
    }
}

/// A record that `field` of a record in `region` refers to: a missing one
/// is the field's fault (`INVALID_ARGUMENT`), one of another region a
/// failed precondition.
fn referenced<R>(
    field: &str,
    kind: &'static str,
    id: &str,
    region: &str,
    found: xingji_store::Result<R>,
    region_of: impl Fn(&R) -> &str,
) -> Result<R> {
    let record = found.map_err(|error| match error {
        StoreError::NotFound => {
            KernelError::invalid(field, format!("no {kind} has id {}", quoted(id)))
        }
        error => KernelError::store(error, kind, id),
    })?;
    let found = region_of(&record);
    if found != region {
        return Err(KernelError::precondition(
            "REGION",
            field,
            format!(
                "{kind} {id:?} is in region {found:?}, not {region:?}: records refer only to records of their own region"
            ),
        ));
    }
    Ok(record)
}

/// The record `kind` whose id the request's `field` names: required, and
/// an id longer than any id is not found without asking the store.
pub async fn get<R, Fut>(
    field: &str,
    kind: &'static str,
    id: &str,
    read: impl FnOnce() -> Fut,
) -> Result<R>
where
    Fut: Future<Output = xingji_store::Result<R>>,
{
    if id.is_empty() {
        return Err(KernelError::invalid(field, "is required"));
    }
    if id.len() > MAX_ID {
        return Err(KernelError::not_found(kind, id));
    }
    read()
        .await
        .map_err(|error| KernelError::store(error, kind, id))
}
