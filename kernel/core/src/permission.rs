//! The permissions a request may need, by the names credentials and
//! denials use. Which role holds which is `crate::access`'s table.

/// Declares [`Permission`] once: each variant with its doc and its name.
macro_rules! permissions {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, )*) => {
        /// What a request needs, by name in credentials and in denials.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Permission {
            /// Every permission.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The permission's name (`orders.create`).
            pub fn name(self) -> &'static str {
                match self {
                    $( Permission::$variant => $name, )*
                }
            }
        }
    };
}

permissions! {
    /// Read orders (`GetOrder`, `ListOrders`, `WatchOrders`).
    OrdersRead = "orders.read",
    /// Record a new order (`CreateOrder`).
    OrdersCreate = "orders.create",
    /// Dispatch an order (`DispatchOrder`).
    OrdersDispatch = "orders.dispatch",
    /// Work an order: accept, refuse, contact, complete.
    OrdersWork = "orders.work",
    /// Arrive on site.
    OrdersArrive = "orders.arrive",
    /// Follow an order up: callback, quality control, invalidation,
    /// complaint steps.
    OrdersFollowUp = "orders.follow-up",
    /// Cancel an order (a partner only what it created).
    OrdersCancel = "orders.cancel",
    /// Settle an order: the month close's, the kernel's own.
    OrdersSettle = "orders.settle",
    /// Read the network: outlets, people, mystery audits, licence events.
    NetworkRead = "network.read",
    /// Create and update outlets.
    OutletsWrite = "outlets.write",
    /// Create and update people.
    PeopleWrite = "people.write",
    /// Record licence events.
    LicenceRecord = "licence.record",
    /// Record mystery-customer audits.
    AuditsRecord = "audits.record",
    /// Read month closes.
    MonthRead = "month.read",
    /// Close a month.
    MonthClose = "month.close",
    /// Read plugins, activations and their statistics.
    PluginsRead = "plugins.read",
    /// Install a plugin into the registry, which every region shares.
    PluginsInstall = "plugins.install",
    /// Activate and roll back a region's plugins.
    PluginsActivate = "plugins.activate",
    /// Read warranty contracts.
    WarrantyRead = "warranty.read",
    /// Quote and sell warranty contracts.
    WarrantySell = "warranty.sell",
    /// Run campaigns, which create orders.
    CampaignsRun = "campaigns.run",
    /// Plan tours.
    ToursPlan = "tours.plan",
    /// Read the audit trail.
    AuditTrailRead = "audit-trail.read",
}

impl Permission {
    /// The permission named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.iter().copied().find(|p| p.name() == name)
    }
}
