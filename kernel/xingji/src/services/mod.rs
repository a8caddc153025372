//! The gRPC services of the `xingji.v1` API, one module per service, over
//! the state they share.

mod campaign;
mod month;
pub(crate) mod orders;
mod outlets;
mod people;
pub mod plugins;
mod tour;
mod warranty;

use std::sync::Arc;

use prost::Message;
use prost_types::Timestamp;
use tonic::Status;
use xingji_api::v1::{Outlet, Person};
use xingji_store::{Page, Store};

pub use campaign::CampaignApi;
pub use month::MonthCloseApi;
pub use orders::OrderApi;
pub use outlets::OutletApi;
pub use people::PersonApi;
pub use plugins::PluginApi;
pub use tour::TourApi;
pub use warranty::{WarrantyApi, today as warranty_today};

use crate::pagination::{PageTokens, page_size};
use crate::status::{failed_precondition, from_store, invalid_field};

/// The metadata key a client may set to say who acts, recorded in order
/// history. Until authentication lands this is the client's own word.
pub const ACTOR_HEADER: &str = "xingji-actor";

/// What every service works on: the store, the page-token key and the
/// regions' plugin sets.
pub struct Kernel {
    /// Where records live.
    pub store: Arc<dyn Store>,
    /// Signs and checks page tokens.
    pub tokens: PageTokens,
    /// Which plugin each region runs in each slot.
    pub plugins: Arc<crate::plugins::PluginSets>,
    /// Each region's settings, by region id; regions not named run the
    /// defaults.
    pub regions: std::collections::BTreeMap<String, crate::config::RegionConfig>,
    /// Whether new orders are dispatched at once (`Config::auto_dispatch`).
    pub auto_dispatch: bool,
    /// Each region's outlets and people, as dispatch last read them.
    pub networks: crate::dispatch::Networks,
    /// Turns true when the server shuts down, to end the streams that
    /// would otherwise hold it open.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl Kernel {
    /// The settings of `region`.
    pub fn region(&self, region: &str) -> &crate::config::RegionConfig {
        static DEFAULT: std::sync::LazyLock<crate::config::RegionConfig> =
            std::sync::LazyLock::new(Default::default);
        self.regions.get(region).unwrap_or(&DEFAULT)
    }

    /// The outlet `id` that the field `field` of a record in `region` refers
    /// to. `INVALID_ARGUMENT` if there is none, `FAILED_PRECONDITION` if it
    /// is in another region.
    async fn referenced_outlet(
        &self,
        field: &str,
        id: &str,
        region: &str,
    ) -> Result<Outlet, Status> {
        let found = self.store.get_outlet(id).await;
        referenced(field, "outlet", id, region, found, |o| &o.region)
    }

    /// Like [`Self::referenced_outlet`], for a person.
    async fn referenced_person(
        &self,
        field: &str,
        id: &str,
        region: &str,
    ) -> Result<Person, Status> {
        let found = self.store.get_person(id).await;
        referenced(field, "person", id, region, found, |p| &p.region)
    }

    /// One page of a listing: `fetch` gets up to one record more than the
    /// page holds, which tells whether another page follows. `scope` is the
    /// request without page size and token, binding the token to the filters.
    async fn page<R, F, Fut>(
        &self,
        scope: &[u8],
        requested_size: i32,
        token: &str,
        id_of: impl Fn(&R) -> &str,
        fetch: F,
    ) -> Result<(Vec<R>, String), Status>
    where
        F: FnOnce(Page) -> Fut,
        Fut: Future<Output = xingji_store::Result<Vec<R>>>,
    {
        let limit = page_size(requested_size)?;
        let after = self.tokens.open(scope, token)?;
        let mut records = fetch(Page {
            after,
            limit: limit + 1,
        })
        .await
        .map_err(|error| from_store(error, "listing", ""))?;
        let next = if records.len() > limit as usize {
            records.truncate(limit as usize);
            records
                .last()
                .map(|last| self.tokens.issue(scope, id_of(last)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((records, next))
    }
}

/// A record that `field` of a record in `region` refers to: a missing one
/// is the field's fault (`INVALID_ARGUMENT`), one of another region a
/// failed precondition.
fn referenced<R>(
    field: &str,
    kind: &str,
    id: &str,
    region: &str,
    found: xingji_store::Result<R>,
    region_of: impl Fn(&R) -> &str,
) -> Result<R, Status> {
    let record = found.map_err(|error| match error {
        xingji_store::StoreError::NotFound => {
            invalid_field(field, format!("no {kind} has id {id:?}"))
        }
        error => from_store(error, kind, id),
    })?;
    same_region(field, kind, id, region_of(&record), region)?;
    Ok(record)
}

fn same_region(field: &str, kind: &str, id: &str, found: &str, wanted: &str) -> Result<(), Status> {
    if found == wanted {
        Ok(())
    } else {
        Err(failed_precondition(
            "REGION",
            field,
            format!(
                "{kind} {id:?} is in region {found:?}, not {wanted:?}: records refer only to records of their own region"
            ),
        ))
    }
}

/// The encoding of a list request without its page size and token: what a
/// page token is bound to.
fn list_scope<M: Message + Clone>(request: &M, clear_paging: impl FnOnce(&mut M)) -> Vec<u8> {
    let mut scope = request.clone();
    clear_paging(&mut scope);
    scope.encode_to_vec()
}

/// A new record id: a prefix naming the kind, then a ULID. ULIDs from one
/// generator are monotonic, so ids sort in creation order even within one
/// millisecond, and lists ordered by id are oldest first.
pub(crate) fn new_id(prefix: &str) -> String {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let ulid = GENERATOR
        .lock()
        .ok()
        .and_then(|mut generator| generator.generate().ok())
        .unwrap_or_else(|| ulid::Ulid::from_datetime(std::time::SystemTime::now()));
    format!("{prefix}_{ulid}")
}

/// The time now.
pub(crate) fn now() -> Timestamp {
    Timestamp::from(std::time::SystemTime::now())
}

/// `Some` of a non-empty string filter.
fn text_filter(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// `Some` of a non-zero enum filter.
fn enum_filter(value: i32) -> Option<i32> {
    (value != 0).then_some(value)
}

/// Checks a list request's region filter, which may be empty (all regions).
fn region_filter(region: &str) -> Result<Option<String>, Status> {
    if region.is_empty() {
        return Ok(None);
    }
    if !crate::validate::is_region_id(region) {
        return Err(invalid_field(
            "region",
            format!("{region:?} is not a region id"),
        ));
    }
    Ok(Some(region.to_owned()))
}

/// Checks an update mask: not empty, and every path one of `allowed`.
fn check_mask(
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&str],
) -> Result<Vec<String>, Status> {
    let paths = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(invalid_field(
            "update_mask",
            format!(
                "must name the fields to update, from: {}",
                allowed.join(", ")
            ),
        ));
    }
    let mut violations = crate::validate::Violations::default();
    for (i, path) in paths.iter().enumerate() {
        if !allowed.contains(&path.as_str()) {
            violations.add(
                format!("update_mask.paths[{i}]"),
                format!(
                    "{path:?} cannot be updated; updatable fields: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
    violations.into_result()?;
    Ok(paths)
}

/// Who the request says acts (see [`crate::lifecycle::Actor`]); anonymous
/// if it does not say.
fn actor<T>(request: &tonic::Request<T>) -> crate::lifecycle::Actor {
    let value = request
        .metadata()
        .get(ACTOR_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 100)
        .unwrap_or("anonymous");
    crate::lifecycle::Actor::parse(value)
}

/// Checks that an `id` field is set.
fn require_id(field: &str, id: &str) -> Result<(), Status> {
    if id.is_empty() {
        Err(invalid_field(field, "is required"))
    } else {
        Ok(())
    }
}
