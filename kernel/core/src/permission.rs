//! The permissions a request may need, by the names credentials and
//! denials use. Which role holds which is `crate::access`'s table.

/// What a request needs, by name in credentials and in denials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read orders (`GetOrder`, `ListOrders`, `WatchOrders`).
    OrdersRead,
    /// Record a new order (`CreateOrder`).
    OrdersCreate,
    /// Dispatch an order (`DispatchOrder`).
    OrdersDispatch,
    /// Work an order: accept, refuse, contact, complete.
    OrdersWork,
    /// Arrive on site.
    OrdersArrive,
    /// Follow an order up: callback, quality control, invalidation,
    /// complaint steps.
    OrdersFollowUp,
    /// Cancel an order (a partner only what it created).
    OrdersCancel,
    /// Settle an order: the month close's, the kernel's own.
    OrdersSettle,
    /// Read the network: outlets, people, mystery audits, licence events.
    NetworkRead,
    /// Create and update outlets.
    OutletsWrite,
    /// Create and update people.
    PeopleWrite,
    /// Record licence events.
    LicenceRecord,
    /// Record mystery-customer audits.
    AuditsRecord,
    /// Read month closes.
    MonthRead,
    /// Close a month.
    MonthClose,
    /// Read plugins, activations and their statistics.
    PluginsRead,
    /// Install a plugin into the registry, which every region shares.
    PluginsInstall,
    /// Activate and roll back a region's plugins.
    PluginsActivate,
    /// Read warranty contracts.
    WarrantyRead,
    /// Quote and sell warranty contracts.
    WarrantySell,
    /// Run campaigns, which create orders.
    CampaignsRun,
    /// Plan tours.
    ToursPlan,
    /// Read the audit trail.
    AuditTrailRead,
}

use Permission::*;

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 23] = [
        OrdersRead,
        OrdersCreate,
        OrdersDispatch,
        OrdersWork,
        OrdersArrive,
        OrdersFollowUp,
        OrdersCancel,
        OrdersSettle,
        NetworkRead,
        OutletsWrite,
        PeopleWrite,
        LicenceRecord,
        AuditsRecord,
        MonthRead,
        MonthClose,
        PluginsRead,
        PluginsInstall,
        PluginsActivate,
        WarrantyRead,
        WarrantySell,
        CampaignsRun,
        ToursPlan,
        AuditTrailRead,
    ];

    /// The permission's name (`orders.create`).
    pub fn name(self) -> &'static str {
        match self {
            OrdersRead => "orders.read",
            OrdersCreate => "orders.create",
            OrdersDispatch => "orders.dispatch",
            OrdersWork => "orders.work",
            OrdersArrive => "orders.arrive",
            OrdersFollowUp => "orders.follow-up",
            OrdersCancel => "orders.cancel",
            OrdersSettle => "orders.settle",
            NetworkRead => "network.read",
            OutletsWrite => "outlets.write",
            PeopleWrite => "people.write",
            LicenceRecord => "licence.record",
            AuditsRecord => "audits.record",
            MonthRead => "month.read",
            MonthClose => "month.close",
            PluginsRead => "plugins.read",
            PluginsInstall => "plugins.install",
            PluginsActivate => "plugins.activate",
            WarrantyRead => "warranty.read",
            WarrantySell => "warranty.sell",
            CampaignsRun => "campaigns.run",
            ToursPlan => "tours.plan",
            AuditTrailRead => "audit-trail.read",
        }
    }

    /// The permission named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }
}
