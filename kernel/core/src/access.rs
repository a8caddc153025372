//! Who may do what, where: one table of role × permission, and one rule of
//! scope — every authorization decision of the kernel is made here.
//!
//! A request needs a [`Permission`], which a principal holds through its
//! role ([`ROLE_PERMISSIONS`]) or, for a partner system, through its
//! credential; and the record or region it acts on must be in the
//! principal's [scope](in_scope): hq everywhere, region roles in their
//! regions, an outlet on its own outlet, people and orders, an engineer on
//! the orders assigned to them. The kernel itself holds everything.

use xingji_api::v1::{Order, Outlet, Person};

use crate::actor::{Actor, Role};
use crate::error::{KernelError, Result};
use crate::orders::lifecycle::Step;
use crate::permission::Permission;
use crate::permission::Permission::*;

/// Headquarters' permissions: all of them but [`OrdersSettle`].
const HQ: &[Permission] = {
    let all = Permission::ALL;
    let mut hq = [OrdersRead; Permission::ALL.len() - 1];
    let (mut from, mut to) = (0, 0);
    while from < all.len() {
        if !matches!(all[from], OrdersSettle) {
            hq[to] = all[from];
            to += 1;
        }
        from += 1;
    }
    &{ hq }
};

/// What each role may do (the kernel may do everything; a partner only
/// what its credential lists). The one table of who may do what.
pub const ROLE_PERMISSIONS: &[(Role, &[Permission])] = &[
    // Headquarters: everything but settling, which is the month close's.
    (Role::Hq, HQ),
    (
        Role::RegionalIt,
        &[
            OrdersRead,
            NetworkRead,
            OutletsWrite,
            PeopleWrite,
            MonthRead,
            MonthClose,
            PluginsRead,
            PluginsActivate,
            WarrantyRead,
            AuditTrailRead,
        ],
    ),
    (
        Role::CallCentre,
        &[
            OrdersRead,
            OrdersCreate,
            OrdersDispatch,
            OrdersFollowUp,
            OrdersCancel,
            NetworkRead,
            LicenceRecord,
            WarrantyRead,
            WarrantySell,
            CampaignsRun,
            ToursPlan,
        ],
    ),
    (
        Role::Outlet,
        &[
            OrdersRead,
            OrdersWork,
            NetworkRead,
            PeopleWrite,
            LicenceRecord,
            WarrantySell,
            ToursPlan,
        ],
    ),
    (Role::Engineer, &[OrdersRead, OrdersWork, OrdersArrive]),
    (Role::Auditor, &[NetworkRead, AuditsRecord]),
    (Role::Partner, &[]),
];

/// What a request acts on, for the scope rule.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A whole region's: a list, a slot, a month, a campaign, a sale.
    /// (Empty: a request that names none, which validation refuses.)
    Region(&'a str),
    /// An order.
    Order(&'a Order),
    /// An outlet.
    Outlet(&'a Outlet),
    /// A person.
    Person(&'a Person),
    /// The plugin registry, which every region shares.
    Registry,
    /// A record not read yet, by kind (`orders`) and id: only whether the
    /// actor holds the permission at all can be checked; its scope is
    /// checked once it is read.
    Unread(&'static str, &'a str),
}

impl Target<'_> {
    /// The region the target belongs to (empty for the registry).
    fn region(&self) -> &str {
        match self {
            Target::Region(region) => region,
            Target::Order(order) => &order.region,
            Target::Outlet(outlet) => &outlet.region,
            Target::Person(person) => &person.region,
            Target::Registry | Target::Unread(..) => "",
        }
    }

    /// The target as the audit trail and denials name it.
    pub fn name(&self) -> String {
        match self {
            Target::Region("") => "regions/*".to_owned(),
            Target::Region(region) => format!("regions/{region}"),
            Target::Order(order) => format!("orders/{}", order.id),
            Target::Outlet(outlet) => format!("outlets/{}", outlet.id),
            Target::Person(person) => format!("people/{}", person.id),
            Target::Registry => "plugins".to_owned(),
            Target::Unread(kind, id) => format!("{kind}/{id}"),
        }
    }
}

/// Whether `actor` holds `permission`, by role or credential.
pub fn holds(actor: &Actor, permission: Permission) -> bool {
    let Actor::Principal(principal) = actor else {
        return true;
    };
    principal.permissions.contains(&permission)
        || ROLE_PERMISSIONS
            .iter()
            .any(|(role, granted)| *role == principal.role && granted.contains(&permission))
}

/// Whether `target` is within `actor`'s reach.
pub fn in_scope(actor: &Actor, target: Target<'_>) -> bool {
    let Actor::Principal(principal) = actor else {
        return true;
    };
    let own = |id: &str| !id.is_empty() && id == principal.name;
    match (principal.role, target) {
        (Role::Hq, _) | (_, Target::Registry | Target::Unread(..)) => true,
        (Role::Outlet, Target::Order(order)) => own(&order.outlet_id),
        (Role::Outlet, Target::Outlet(outlet)) => own(&outlet.id),
        (Role::Outlet, Target::Person(person)) => own(&person.outlet_id),
        (Role::Engineer, Target::Order(order)) => own(&order.engineer_id),
        (Role::Engineer, Target::Person(person)) => own(&person.id),
        (Role::Engineer, Target::Outlet(_)) => false,
        (_, target) => target.region().is_empty() || actor.acts_in(target.region()),
    }
}

/// `PERMISSION_DENIED` unless `actor` holds `permission` and `target` is
/// in its scope. Denials name the permission and why.
pub fn check(actor: &Actor, permission: Permission, target: Target<'_>) -> Result<()> {
    if !holds(actor, permission) {
        let reason = format!(
            "{actor} does not hold {}, which {} hold",
            permission.name(),
            holders(permission)
        );
        return Err(KernelError::denied(
            actor,
            permission.name(),
            (target.name(), target.region()),
            reason,
        ));
    }
    if !in_scope(actor, target) {
        let reason = format!(
            "{} is outside {actor}'s scope: {}",
            target.name(),
            scope(actor)
        );
        return Err(KernelError::denied(
            actor,
            permission.name(),
            (target.name(), target.region()),
            reason,
        ));
    }
    Ok(())
}

/// The regions a list may show `actor` for `permission` when it asks for
/// `region`: the one it names if in scope, else all of its own (`None`:
/// every region).
pub fn list_regions(
    actor: &Actor,
    permission: Permission,
    region: &str,
) -> Result<Option<Vec<String>>> {
    check(actor, permission, Target::Region(region))?;
    if !region.is_empty() {
        return Ok(Some(vec![region.to_owned()]));
    }
    Ok(actor.visible_regions().map(<[String]>::to_vec))
}

/// A list's outlet or engineer filter for `actor`, who may list only its
/// `own` records (an outlet's, an engineer's) if it has any: the filter
/// `requested` asks for, which must then be its own (else denied), or its
/// own if it asks for none.
pub fn own_filter(
    actor: &Actor,
    own: Option<&str>,
    permission: Permission,
    requested: &str,
) -> Result<Option<String>> {
    match own {
        None => Ok((!requested.is_empty()).then(|| requested.to_owned())),
        Some(own) if requested.is_empty() || requested == own => Ok(Some(own.to_owned())),
        Some(own) => Err(KernelError::denied(
            actor,
            permission.name(),
            (requested.to_owned(), ""),
            format!("{actor} lists only its own records ({own})"),
        )),
    }
}

/// Who holds `permission` by role, in words.
fn holders(permission: Permission) -> String {
    let roles: Vec<&str> = ROLE_PERMISSIONS
        .iter()
        .filter(|(_, granted)| granted.contains(&permission))
        .map(|(role, _)| role.name())
        .collect();
    if roles.is_empty() {
        return "only the kernel and partner systems given it".to_owned();
    }
    format!("{} and partner systems given it", roles.join(", "))
}

/// `actor`'s scope, in words.
fn scope(actor: &Actor) -> String {
    match actor.principal() {
        None => "everything".to_owned(),
        Some(p) => match p.role {
            Role::Hq => "every region".to_owned(),
            Role::Outlet => format!("its own outlet {}, its people and orders", p.name),
            Role::Engineer => "the orders assigned to it".to_owned(),
            _ if p.regions.is_empty() => "no region".to_owned(),
            _ => format!("the regions {}", p.regions.join(", ")),
        },
    }
}

/// The permission an order step needs.
pub fn step_permission(step: Step) -> Permission {
    match step {
        Step::Dispatch => OrdersDispatch,
        Step::Accept | Step::Refuse | Step::Contact | Step::Complete => OrdersWork,
        Step::Arrive => OrdersArrive,
        Step::Callback | Step::CheckQuality | Step::Invalidate | Step::AdvanceComplaint => {
            OrdersFollowUp
        }
        Step::Cancel => OrdersCancel,
        Step::Settle => OrdersSettle,
    }
}

/// `PERMISSION_DENIED` unless `actor` may take `step` on `order`. A partner
/// system may cancel only what it created.
pub fn check_step(step: Step, actor: &Actor, order: &Order) -> Result<()> {
    let permission = step_permission(step);
    check(actor, permission, Target::Order(order))?;
    let created_by_other = || {
        order
            .history
            .first()
            .is_none_or(|created| created.actor != actor.to_string())
    };
    if step == Step::Cancel && actor.role() == Some(Role::Partner) && created_by_other() {
        let reason = format!(
            "a partner system cancels only the orders it created; {actor} did not create this one"
        );
        return Err(KernelError::denied(
            actor,
            permission.name(),
            (Target::Order(order).name(), &order.region),
            reason,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order {
            id: "ord_1".into(),
            region: "shanghai".into(),
            outlet_id: "out_1".into(),
            engineer_id: "per_1".into(),
            ..Order::default()
        }
    }

    #[test]
    fn outlets_and_engineers_act_only_on_their_own_orders() {
        let order = order();
        let own = Actor::new(Role::Engineer, "per_1", &["shanghai"]);
        let other = Actor::new(Role::Engineer, "per_2", &["shanghai"]);
        assert!(check_step(Step::Arrive, &own, &order).is_ok());
        assert!(check_step(Step::Arrive, &other, &order).is_err());
        let outlet = Actor::new(Role::Outlet, "out_1", &["shanghai"]);
        assert!(check_step(Step::Accept, &outlet, &order).is_ok());
        assert!(check_step(Step::Arrive, &outlet, &order).is_err());
        let elsewhere = Actor::new(Role::Outlet, "out_2", &["shanghai"]);
        assert!(check_step(Step::Accept, &elsewhere, &order).is_err());
        assert!(check_step(Step::Callback, &own, &order).is_err());
    }

    #[test]
    fn region_roles_stay_in_their_regions() {
        let order = order();
        let shanghai = Actor::new(Role::CallCentre, "07", &["shanghai"]);
        let beijing = Actor::new(Role::CallCentre, "08", &["beijing"]);
        assert!(check_step(Step::Callback, &shanghai, &order).is_ok());
        let denied = check_step(Step::Callback, &beijing, &order);
        assert!(
            matches!(&denied, Err(KernelError::Denied { permission: "orders.follow-up", reason, .. }) if reason.contains("beijing")),
            "{denied:?}"
        );
        assert!(check_step(Step::Settle, &Actor::hq("boss"), &order).is_err());
        assert!(check_step(Step::Settle, &Actor::Kernel, &order).is_ok());
    }

    #[test]
    fn a_partner_holds_what_it_was_given() {
        let mut partner = Actor::new(Role::Partner, "crm", &["shanghai"]);
        assert!(!holds(&partner, OrdersCreate));
        if let Actor::Principal(p) = &mut partner {
            p.permissions = vec![OrdersCreate, OrdersCancel];
        }
        assert!(check(&partner, OrdersCreate, Target::Region("shanghai")).is_ok());
        assert!(check(&partner, OrdersCreate, Target::Region("beijing")).is_err());
        // It cancels only what it created.
        let mut order = order();
        assert!(check_step(Step::Cancel, &partner, &order).is_err());
        order.history.push(xingji_api::v1::HistoryEntry {
            actor: "partner:crm".into(),
            ..Default::default()
        });
        assert!(check_step(Step::Cancel, &partner, &order).is_ok());
    }

    #[test]
    fn every_permission_has_one_name() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.name()), Some(*permission));
        }
        let hq = Actor::hq("boss");
        for permission in Permission::ALL {
            assert_eq!(holds(&hq, *permission), *permission != OrdersSettle);
        }
        assert!(holds(&Actor::Kernel, OrdersSettle));
    }
}
