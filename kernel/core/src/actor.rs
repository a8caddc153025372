//! Who acts: an authenticated principal — a role from the business, a
//! name, the regions it acts in and, for a partner system, the permissions
//! it was given — or the kernel itself. The credential is checked before a
//! request reaches the core (`xingji::grpc::auth`, `crate::principals`);
//! `crate::access` decides what each may do.

use std::fmt;

use crate::permission::Permission;

/// The roles of the business (DOMAIN.md), as credentials name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Customer-service headquarters: everything, in every region.
    Hq,
    /// A region's IT department: plugins, the network's settings, the
    /// month close, the audit trail.
    RegionalIt,
    /// The call centre: intake, callbacks, quality control, complaints.
    CallCentre,
    /// An outlet's staff: the outlet's own orders and people.
    Outlet,
    /// An engineer: the orders assigned to them.
    Engineer,
    /// A mystery customer: audits of outlets.
    Auditor,
    /// A partner's system: exactly the permissions it was given.
    Partner,
}

impl Role {
    /// Every role a credential may name.
    pub const ALL: [Role; 7] = [
        Role::Hq,
        Role::RegionalIt,
        Role::CallCentre,
        Role::Outlet,
        Role::Engineer,
        Role::Auditor,
        Role::Partner,
    ];

    /// The role's name in credentials and history (`call-centre`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Hq => "hq",
            Role::RegionalIt => "regional-it",
            Role::CallCentre => "call-centre",
            Role::Outlet => "outlet",
            Role::Engineer => "engineer",
            Role::Auditor => "auditor",
            Role::Partner => "partner",
        }
    }

    /// The role named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }

    /// Whether the role acts in every region.
    pub fn everywhere(self) -> bool {
        self == Role::Hq
    }
}

/// Who acts on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An authenticated principal.
    Principal(Principal),
    /// The kernel itself (`xingji`): automatic dispatch, the month close's
    /// settling. No credential can name it.
    Kernel,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What it is in the business.
    pub role: Role,
    /// Its name: the outlet's id for an outlet, the person's id for an
    /// engineer, the credential's subject for the others.
    pub name: String,
    /// The regions it acts in (ignored for `hq`, which acts in all). An
    /// outlet's and an engineer's is the region of their record.
    pub regions: Vec<String>,
    /// A partner system's permissions; other roles take their role's.
    pub permissions: Vec<Permission>,
}

impl Actor {
    /// `role:name` acting in `regions`, with no explicit permissions.
    pub fn new(role: Role, name: impl Into<String>, regions: &[&str]) -> Actor {
        Actor::Principal(Principal {
            role,
            name: name.into(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            permissions: Vec::new(),
        })
    }

    /// Headquarters' `name`.
    pub fn hq(name: impl Into<String>) -> Actor {
        Actor::new(Role::Hq, name, &[])
    }

    /// The principal, unless this is the kernel.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::Principal(principal) => Some(principal),
            Actor::Kernel => None,
        }
    }

    /// The role, unless this is the kernel.
    pub fn role(&self) -> Option<Role> {
        self.principal().map(|p| p.role)
    }

    /// Whether this is `role` named `name`: the outlet `outlet:<id>`, the
    /// engineer `engineer:<id>`.
    pub fn is(&self, role: Role, name: &str) -> bool {
        self.principal()
            .is_some_and(|p| p.role == role && !name.is_empty() && p.name == name)
    }

    /// The outlet whose own records alone an outlet's staff may list.
    pub fn own_outlet(&self) -> Option<&str> {
        self.principal()
            .filter(|p| p.role == Role::Outlet)
            .map(|p| p.name.as_str())
    }

    /// The engineer whose assigned orders alone they may list.
    pub fn own_person(&self) -> Option<&str> {
        self.principal()
            .filter(|p| p.role == Role::Engineer)
            .map(|p| p.name.as_str())
    }

    /// Whether the actor acts in `region`.
    pub fn acts_in(&self, region: &str) -> bool {
        match self {
            Actor::Kernel => true,
            Actor::Principal(p) => p.role.everywhere() || p.regions.iter().any(|r| r == region),
        }
    }

    /// The regions a list with no region may show: `None` for all.
    pub fn visible_regions(&self) -> Option<&[String]> {
        match self {
            Actor::Kernel => None,
            Actor::Principal(p) if p.role.everywhere() => None,
            Actor::Principal(p) => Some(&p.regions),
        }
    }
}

impl fmt::Display for Actor {
    /// `role:name`, as history and the audit trail record it; the kernel is
    /// `xingji`, which no `role:name` can be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Kernel => f.write_str("xingji"),
            Actor::Principal(p) => write!(f, "{}:{}", p.role.name(), p.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_print_and_parse_back() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse("xingji"), None);
        assert_eq!(Role::parse("system"), None);
        let outlet = Actor::new(Role::Outlet, "out_1", &["shanghai"]);
        assert_eq!(outlet.to_string(), "outlet:out_1");
        assert!(outlet.is(Role::Outlet, "out_1"));
        assert!(!outlet.is(Role::Outlet, ""));
        assert!(outlet.acts_in("shanghai"));
        assert!(!outlet.acts_in("beijing"));
        assert!(Actor::hq("boss").acts_in("beijing"));
        assert_eq!(Actor::Kernel.to_string(), "xingji");
    }
}
