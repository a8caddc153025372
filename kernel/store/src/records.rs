//! The network's records: outlets, people, their licence events and the
//! mystery-customer audits.

use async_trait::async_trait;
use xingji_api::v1::{Audit, AuditEvent, LicenceEvent, Outlet, Person};

use crate::{AuditFilter, OutletFilter, Page, PersonFilter, Result};

/// Outlets, people, licence events and audits.
#[async_trait]
pub trait Records: Send + Sync + 'static {
    /// Creates an outlet. Fails with `AlreadyExists("outlet number")` if the
    /// region has an outlet with the same number.
    async fn create_outlet(&self, outlet: Outlet, audit: AuditEvent) -> Result<Outlet>;
    /// Returns an outlet.
    async fn get_outlet(&self, id: &str) -> Result<Outlet>;
    /// Lists outlets.
    async fn list_outlets(&self, filter: &OutletFilter, page: &Page) -> Result<Vec<Outlet>>;
    /// Replaces an outlet, if it is still at `outlet.version`.
    async fn update_outlet(&self, outlet: Outlet, audit: AuditEvent) -> Result<Outlet>;
    /// Counts the outlets whose parent is `id`.
    async fn count_children(&self, id: &str) -> Result<u64>;
    /// The regions that have at least one outlet, in order.
    async fn regions(&self) -> Result<Vec<String>>;
    /// A number that changes after every write to outlets or people
    /// (licence events and month closes included), through this store or any
    /// other process sharing its database (within a second): whoever caches
    /// them reads them again when it moves.
    fn network_version(&self) -> u64;

    /// Creates a person.
    async fn create_person(&self, person: Person, audit: AuditEvent) -> Result<Person>;
    /// Returns a person.
    async fn get_person(&self, id: &str) -> Result<Person>;
    /// Lists people.
    async fn list_people(&self, filter: &PersonFilter, page: &Page) -> Result<Vec<Person>>;
    /// Replaces a person, if it is still at `person.version`.
    async fn update_person(&self, person: Person, audit: AuditEvent) -> Result<Person>;

    /// Appends a licence event and replaces the person (with the points and
    /// state it derives), both or neither; the person must still be at
    /// `person.version`.
    async fn record_licence_event(
        &self,
        person: Person,
        event: LicenceEvent,
        audit: AuditEvent,
    ) -> Result<(Person, LicenceEvent)>;
    /// A person's licence events, oldest first.
    async fn list_licence_events(&self, person_id: &str, page: &Page) -> Result<Vec<LicenceEvent>>;
    /// Licence events of every region with ids strictly between `after` and
    /// `before` (ids are ULIDs, so this is a time window), oldest first.
    async fn licence_events_between(
        &self,
        after: &str,
        before: &str,
        limit: u32,
    ) -> Result<Vec<LicenceEvent>>;

    /// Records a mystery-customer audit.
    async fn create_audit(&self, record: Audit, audit: AuditEvent) -> Result<Audit>;
    /// Lists audits, oldest first.
    async fn list_audits(&self, filter: &AuditFilter, page: &Page) -> Result<Vec<Audit>>;
}
