//! The kernel's storage seam.
//!
//! Everything the kernel keeps goes through the [`Store`] trait. Records are
//! the API's own protobuf messages: a backend keeps each one whole (encoded)
//! beside the few columns that lists filter on, so a new field needs no schema
//! change and there is no second model of the records to keep in step.
//!
//! [`SqliteStore`] is the embedded default. A PostgreSQL backend is a second
//! implementation of the same trait.
//!
//! Every record carries a `version`. The store, and only the store, bumps it:
//! an update names the version it was read at and is refused with
//! [`StoreError::VersionMismatch`] if the record changed in between, so no
//! update is ever silently lost.
//!
//! Every write that changes records takes the [`AuditEvent`] of the change
//! (who, when, what, to which target, in which region) and appends it to the
//! audit trail in the same transaction: the change and its entry are
//! committed together or not at all, and a write that changes nothing (a
//! retried `create_order`, a plugin installed again) appends nothing. The
//! caller fills the event; the store gives it its place in the hash chain
//! (`seq`, `prev_hash`, `hash`; see [`audit`]), reading the chain's head
//! inside the write's transaction, never from a cache: another process may
//! append too.

pub mod audit;
mod sqlite;

use async_trait::async_trait;
use xingji_api::v1::{
    Activation, Audit, AuditEvent, LicenceEvent, MonthClose, Order, OrderEvent, Outlet, Person,
    Plugin,
};

pub use audit::{AuditEventFilter, StoredAuditEvent};
pub use sqlite::SqliteStore;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No record has this id.
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the string names it.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// The record changed since it was read.
    #[error("version mismatch: the stored version is {current}")]
    VersionMismatch {
        /// The version now stored.
        current: i64,
    },
    /// A write would take a plugin's key-value store past its quota.
    #[error("quota exceeded: {used} bytes, the limit is {limit}")]
    Quota {
        /// The bytes the writes would use.
        used: u64,
        /// The quota.
        limit: u64,
    },
    /// A stored record could not be decoded.
    #[error("corrupt record {id}: {reason}")]
    Corrupt {
        /// The record's id.
        id: String,
        /// What failed.
        reason: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Backend(#[from] sqlx::Error),
}

/// A shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which part of a listing to return: records ordered by id (ids are ULIDs,
/// so this is creation order), strictly after `after`, at most `limit`.
/// Audit events go by `seq` instead: `after` is a `seq` in decimal.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The last id of the previous page.
    pub after: Option<String>,
    /// At most this many records.
    pub limit: u32,
}

/// Filters for [`Store::list_outlets`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct OutletFilter {
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only this `OutletStatus`.
    pub status: Option<i32>,
    /// Only this `OutletTier`.
    pub tier: Option<i32>,
    /// Only children of this outlet.
    pub parent_id: Option<String>,
    /// Only outlets serving this `ProductLine`.
    pub product_line: Option<i32>,
    /// Only this `OutletGrade`.
    pub grade: Option<i32>,
}

/// Filters for [`Store::list_people`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only people of this outlet.
    pub outlet_id: Option<String>,
    /// Only this `PersonLevel`.
    pub level: Option<i32>,
    /// Only this `LicenceState`.
    pub licence_state: Option<i32>,
    /// Only people skilled in this `ProductLine`.
    pub product_line: Option<i32>,
    /// Only people on duty.
    pub on_duty_only: bool,
}

/// Filters for [`Store::list_orders`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only this `OrderStatus`.
    pub status: Option<i32>,
    /// Only orders of this outlet.
    pub outlet_id: Option<String>,
    /// Only orders of this engineer.
    pub engineer_id: Option<String>,
    /// Only this `OrderKind`.
    pub kind: Option<i32>,
    /// Only this `ProductLine`.
    pub product_line: Option<i32>,
    /// Only complaint orders about this order.
    pub original_order_id: Option<String>,
    /// Only orders with an SLA clock running and due before this Unix time.
    pub due_before: Option<i64>,
}

/// The filters of one region's records, and nothing else.
macro_rules! in_region {
    ($($filter:ty),*) => {$(
        impl $filter {
            /// Every record of `region`.
            pub fn in_region(region: &str) -> Self {
                Self {
                    regions: Some(vec![region.to_owned()]),
                    ..Self::default()
                }
            }
        }
    )*};
}

in_region!(
    OutletFilter,
    PersonFilter,
    OrderFilter,
    AuditFilter,
    AuditEventFilter
);

/// Which order events [`Store::list_order_events`] returns.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events after this sequence number (the cursor).
    pub after: i64,
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only orders of this outlet, as of the event.
    pub outlet_id: Option<String>,
}

/// Filters for [`Store::list_audits`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only this outlet.
    pub outlet_id: Option<String>,
}

/// Everything a month close writes, in one transaction.
pub struct MonthCloseCommit {
    /// The close, stored under its region and month.
    pub close: MonthClose,
    /// Outlets with their new grade and status, at the version read.
    pub outlets: Vec<Outlet>,
    /// People with their new licence points and state, at the version
    /// read, and the licence events that moved them.
    pub people: Vec<(Person, Vec<LicenceEvent>)>,
    /// The orders to settle, by id, each at the version it was read at.
    /// They are read again inside the commit's transaction, one at a time,
    /// so that a close of a million orders does not hold them all.
    pub settle: Vec<(String, i64)>,
    /// Settles one order read back for [`Self::settle`]: appends its history
    /// entry, or says `false` to leave the order as it is. The update then
    /// appends its event, as for any order write.
    pub settle_order: Box<dyn Fn(&mut Order) -> bool + Send + Sync>,
    /// The audit event of the close (one for the whole close).
    pub audit: AuditEvent,
}

impl std::fmt::Debug for MonthCloseCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonthCloseCommit")
            .field("close", &self.close.id)
            .field("outlets", &self.outlets.len())
            .field("people", &self.people.len())
            .field("settle", &self.settle.len())
            .finish_non_exhaustive()
    }
}

/// What [`Store::create_order`] did.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    /// The order was created.
    Created(Order),
    /// The request id was used before; this is the order it made.
    /// `same_request` tells whether the earlier request had the same
    /// fingerprint.
    Existing {
        /// The order the first request made.
        order: Order,
        /// Whether this request repeats the first one exactly.
        same_request: bool,
    },
}

/// The kernel's storage.
///
/// Creates take records with their id already set and store them with
/// version 1. Updates take the record as read and modified: its `version`
/// is the one it was read at, and the stored record gets the next one.
///
/// Every method that changes records takes `audit`, the event of the
/// change, and appends it in the change's own transaction (the crate's
/// documentation says how); a write that fails appends nothing.
#[async_trait]
pub trait Store: Send + Sync + 'static {
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

    /// Creates a person.
    async fn create_person(&self, person: Person, audit: AuditEvent) -> Result<Person>;
    /// Returns a person.
    async fn get_person(&self, id: &str) -> Result<Person>;
    /// Lists people.
    async fn list_people(&self, filter: &PersonFilter, page: &Page) -> Result<Vec<Person>>;
    /// Replaces a person, if it is still at `person.version`.
    async fn update_person(&self, person: Person, audit: AuditEvent) -> Result<Person>;

    /// Creates an order, once per `request_id`: if the id was used before,
    /// nothing is written (`audit` included) and the first order is
    /// returned. `fingerprint` identifies the request's content, to tell a
    /// retry from a reuse.
    async fn create_order(
        &self,
        request_id: &str,
        fingerprint: &[u8],
        order: Order,
        audit: AuditEvent,
    ) -> Result<CreateOutcome>;
    /// Returns an order.
    async fn get_order(&self, id: &str) -> Result<Order>;
    /// Lists orders.
    async fn list_orders(&self, filter: &OrderFilter, page: &Page) -> Result<Vec<Order>>;
    /// Replaces an order, if it is still at `order.version`.
    ///
    /// Every order write appends events in the same transaction, so the
    /// event log and the orders never disagree: [`Store::create_order`] one
    /// per history entry of the new order, this one for the last entry (an
    /// update must append exactly one history entry).
    async fn update_order(&self, order: Order, audit: AuditEvent) -> Result<Order>;
    /// Order events in commit order, with their cursors, at most `limit`.
    async fn list_order_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<OrderEvent>>;
    /// Follows the sequence number of the last committed order event: it
    /// changes after every order write.
    fn order_events(&self) -> tokio::sync::watch::Receiver<i64>;
    /// A number that changes after every write to outlets or people
    /// (licence events and month closes included): whoever caches them
    /// reads them again when it moves.
    fn network_version(&self) -> u64;
    /// How many open orders (dispatched, not yet completed) each outlet and
    /// engineer of `region` has: `(outlet_id, engineer_id, count)`.
    async fn open_order_counts(&self, region: &str) -> Result<Vec<(String, String, i64)>>;

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
    /// The close of `month` (`YYYY-MM`) in `region`.
    async fn get_month_close(&self, region: &str, month: &str) -> Result<MonthClose>;
    /// Stored closes by region, then month, of `regions` (`None`: all).
    async fn list_month_closes(
        &self,
        regions: Option<&[String]>,
        page: &Page,
    ) -> Result<Vec<MonthClose>>;
    /// Writes a month close, all or nothing: `AlreadyExists("month close")`
    /// if the month is closed already, `VersionMismatch` if any record
    /// changed since it was read. Appends `commit.audit`.
    async fn commit_month_close(&self, commit: MonthCloseCommit) -> Result<MonthClose>;
    /// Records a mystery-customer audit.
    async fn create_audit(&self, record: Audit, audit: AuditEvent) -> Result<Audit>;
    /// Lists audits, oldest first.
    async fn list_audits(&self, filter: &AuditFilter, page: &Page) -> Result<Vec<Audit>>;

    /// Installs a plugin version with its component bytes. Installing the
    /// same bytes again returns the stored plugin; another component under
    /// the same name and version fails with `AlreadyExists("plugin version")`,
    /// and one whose `publisher` is not the name's (see
    /// [`Store::plugin_publisher`]) with `AlreadyExists("plugin name of
    /// another publisher")`. Either way nothing is written, `audit` included.
    /// The first version of a name makes its publisher the name's.
    async fn install_plugin(
        &self,
        plugin: Plugin,
        component: &[u8],
        audit: AuditEvent,
    ) -> Result<Plugin>;
    /// Removes a plugin version: its record and, with it, its component
    /// bytes (each row holds its own), appending `audit`. `NotFound` if it
    /// is not installed. The activation history keeps naming it.
    async fn delete_plugin(&self, name: &str, version: &str, audit: AuditEvent) -> Result<Plugin>;
    /// Every installed plugin, by name and version.
    async fn list_plugins(&self) -> Result<Vec<Plugin>>;
    /// The component bytes of the plugin with this SHA-256.
    async fn plugin_component(&self, sha256: &str) -> Result<Vec<u8>>;
    /// The publisher a plugin name belongs to, if it was ever installed.
    async fn plugin_publisher(&self, name: &str) -> Result<Option<String>>;
    /// Appends an activation to the history, giving it the next `seq`.
    async fn add_activation(&self, activation: Activation, audit: AuditEvent)
    -> Result<Activation>;
    /// The whole activation history, oldest first. (It is small: one row per
    /// operator action.)
    async fn list_activations(&self) -> Result<Vec<Activation>>;

    /// The value of `key` in `plugin`'s key-value store in `region`.
    async fn kv_get(&self, region: &str, plugin: &str, key: &str) -> Result<Option<Vec<u8>>>;
    /// Keys of `plugin`'s store in `region` that start with `prefix`, in
    /// order, after `after`, at most `limit`.
    async fn kv_keys(
        &self,
        region: &str,
        plugin: &str,
        prefix: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<String>>;
    /// The bytes (keys and values) `plugin` keeps in `region`: one row's
    /// read, kept up to date with every write.
    async fn kv_usage(&self, region: &str, plugin: &str) -> Result<u64>;
    /// The bytes `key` and its value take in `plugin`'s store in `region`
    /// (0 if it is not set).
    async fn kv_entry_bytes(&self, region: &str, plugin: &str, key: &str) -> Result<u64>;
    /// Applies writes (`None` deletes) to `plugin`'s store in `region`, all
    /// or none: none if the store would then hold more than `max_bytes` of
    /// keys and values (`StoreError::Quota`). One transaction holding the
    /// write lock: the caller keeps `writes` small.
    async fn kv_apply(
        &self,
        region: &str,
        plugin: &str,
        writes: &[(String, Option<Vec<u8>>)],
        max_bytes: u64,
        audit: AuditEvent,
    ) -> Result<()>;

    /// Returns the value stored under `key`, setting it to `init` first if
    /// there is none. Used for kernel settings that must survive restarts,
    /// such as the page-token key.
    async fn meta_get_or_init(&self, key: &str, init: &[u8]) -> Result<Vec<u8>>;

    /// Appends an audit event that goes with no change of records (a
    /// denial, a token issued), in a transaction of its own. Returns it
    /// with its `seq`, `prev_hash` and `hash`.
    async fn append_audit(&self, event: AuditEvent) -> Result<AuditEvent>;
    /// Lists audit events, oldest first, paged by `seq` (`page.after` is
    /// the decimal `seq` of the previous page's last event).
    async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
        page: &Page,
    ) -> Result<Vec<AuditEvent>>;
    /// The stored audit trail after `after_seq`, in order, at most `limit`
    /// entries, as stored: what [`audit::verify_chain`] checks.
    async fn audit_chain(&self, after_seq: u64, limit: u32) -> Result<Vec<StoredAuditEvent>>;
}
