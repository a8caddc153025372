//! Which records a listing returns: a page, and each kind's filters.

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

/// Filters for [`Records::list_outlets`](crate::Records::list_outlets); `None` matches everything.
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

/// Filters for [`Records::list_people`](crate::Records::list_people); `None` matches everything.
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

/// Filters for [`OrderLog::list_orders`](crate::OrderLog::list_orders); `None` matches everything.
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
    crate::AuditEventFilter
);

/// Which order events [`OrderLog::list_order_events`](crate::OrderLog::list_order_events) returns.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events after this sequence number (the cursor).
    pub after: i64,
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only orders of this outlet, as of the event.
    pub outlet_id: Option<String>,
}

/// Filters for [`Records::list_audits`](crate::Records::list_audits); `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only these regions (`None`: every region; empty: none).
    pub regions: Option<Vec<String>>,
    /// Only this outlet.
    pub outlet_id: Option<String>,
}

