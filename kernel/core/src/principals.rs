//! From a verified credential to who acts: [`Kernel::admit`] reads the role,
//! the regions and the permissions a credential claims, and checks an
//! outlet's or an engineer's against their record — so that a token of a
//! person who left, or of an eliminated outlet, stops working at once.
//! (Verifying the credential itself — signature, issuer, audience, expiry,
//! certificate chain — is the server's, before the core.)

use xingji_api::v1::{OutletStatus, PersonStatus};
use xingji_store::StoreError;

use crate::actor::{Actor, Principal, Role};
use crate::error::{KernelError, Result, quoted};
use crate::kernel::Kernel;
use crate::permission::Permission;

/// What a verified credential claims, before the kernel admits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The role's name (`call-centre`).
    pub role: String,
    /// The credential's subject.
    pub subject: String,
    /// The regions a region role acts in.
    pub regions: Vec<String>,
    /// The outlet, for the `outlet` role (else the subject).
    pub outlet: Option<String>,
    /// The person, for the `engineer` role (else the subject).
    pub person: Option<String>,
    /// A partner system's permissions, by name.
    pub permissions: Vec<String>,
}

/// The longest principal name a credential may give.
const MAX_NAME: usize = 100;

impl Kernel {
    /// Who acts with `claims`, or `UNAUTHENTICATED` saying what about the
    /// credential does not hold.
    pub async fn admit(&self, claims: Claims) -> Result<Actor> {
        let refuse = |why: String| Err(KernelError::Unauthenticated(why));
        let Some(role) = Role::parse(&claims.role) else {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            return refuse(format!(
                "the credential's role {} is not one of {}",
                quoted(&claims.role),
                roles.join(", ")
            ));
        };
        let mut permissions = Vec::with_capacity(claims.permissions.len());
        for name in &claims.permissions {
            match Permission::parse(name) {
                Some(permission) if role == Role::Partner => permissions.push(permission),
                Some(_) => {
                    return refuse(format!(
                        "only a partner credential lists permissions; a {} takes its role's",
                        role.name()
                    ));
                }
                None => return refuse(format!("unknown permission {}", quoted(name))),
            }
        }
        let (name, regions) = match role {
            Role::Outlet => self.outlet_principal(&claims).await?,
            Role::Engineer => self.engineer_principal(&claims).await?,
            Role::Hq => (claims.subject.clone(), Vec::new()),
            _ if claims.regions.is_empty() => {
                return refuse(format!(
                    "a {} credential must name the regions it acts in",
                    role.name()
                ));
            }
            _ => (claims.subject.clone(), claims.regions.clone()),
        };
        let printable = |c: char| !c.is_control();
        if name.is_empty() || name.chars().count() > MAX_NAME || !name.chars().all(printable) {
            return refuse(format!(
                "the credential's subject {} must be 1 to {MAX_NAME} printable characters",
                quoted(&name)
            ));
        }
        Ok(Actor::Principal(Principal {
            role,
            name,
            regions,
            permissions,
        }))
    }

    /// An outlet's credential: its outlet must exist and not be eliminated;
    /// it acts in the outlet's region.
    async fn outlet_principal(&self, claims: &Claims) -> Result<(String, Vec<String>)> {
        let id = claims.outlet.as_deref().unwrap_or(&claims.subject);
        let outlet = match self.store.get_outlet(id).await {
            Ok(outlet) => outlet,
            Err(StoreError::NotFound) => {
                return Err(KernelError::Unauthenticated(format!(
                    "the credential's outlet {} does not exist",
                    quoted(id)
                )));
            }
            Err(error) => return Err(KernelError::store(error, "outlet", id)),
        };
        if outlet.status() == OutletStatus::Eliminated {
            return Err(KernelError::Unauthenticated(format!(
                "the credential's outlet {} was eliminated from the network",
                quoted(id)
            )));
        }
        Ok((outlet.id, vec![outlet.region]))
    }

    /// An engineer's credential: the person must exist and be active; they
    /// act in their record's region.
    async fn engineer_principal(&self, claims: &Claims) -> Result<(String, Vec<String>)> {
        let id = claims.person.as_deref().unwrap_or(&claims.subject);
        let person = match self.store.get_person(id).await {
            Ok(person) => person,
            Err(StoreError::NotFound) => {
                return Err(KernelError::Unauthenticated(format!(
                    "the credential's person {} does not exist",
                    quoted(id)
                )));
            }
            Err(error) => return Err(KernelError::store(error, "person", id)),
        };
        if person.status() == PersonStatus::Deactivated {
            return Err(KernelError::Unauthenticated(format!(
                "the credential's person {} was deactivated",
                quoted(id)
            )));
        }
        Ok((person.id, vec![person.region]))
    }
}
