//! Reading records for a request: the record an id names, and what a
//! record refers to (in the same region).

use std::future::Future;

use xingji_api::v1::{Order, Outlet, Person};
use xingji_store::StoreError;

use crate::error::{KernelError, quoted};
use crate::kernel::Kernel;
use crate::validate::MAX_ID;

impl Kernel {
    /// The outlet `id` that the field `field` of a record in `region` refers
    /// to. `INVALID_ARGUMENT` if there is none, `FAILED_PRECONDITION` if it
    /// is in another region.
    pub async fn referenced_outlet(
        &self,
        field: &str,
        id: &str,
        region: &str,
    ) -> Result<Outlet, KernelError> {
        let found = self.store.get_outlet(id).await;
        referenced(field, "outlet", id, region, found, |o| &o.region)
    }

    /// Like [`Self::referenced_outlet`], for a person.
    pub async fn referenced_person(
        &self,
        field: &str,
        id: &str,
        region: &str,
    ) -> Result<Person, KernelError> {
        let found = self.store.get_person(id).await;
        referenced(field, "person", id, region, found, |p| &p.region)
    }

    /// Like [`Self::referenced_outlet`], for an order.
    pub async fn referenced_order(
        &self,
        field: &str,
        id: &str,
        region: &str,
    ) -> Result<Order, KernelError> {
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
) -> Result<R, KernelError> {
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
) -> Result<R, KernelError>
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
