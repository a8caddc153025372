//! Who acts: the `<role>:<name>` a request names. Until authentication binds
//! it to a credential this is the caller's own word; `crate::access` holds
//! the rules that decide what each may do.

use std::fmt;

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// `hq:<name>`: customer-service headquarters.
    Hq(String),
    /// `call-centre:<name>`: callbacks, quality control, complaints.
    CallCentre(String),
    /// `system:<name>`: a partner's or our own integration.
    System(String),
    /// `auditor:<name>`: a mystery customer.
    Auditor(String),
    /// `outlet:<outlet id>`: an outlet's staff, for its own orders.
    Outlet(String),
    /// `engineer:<person id>`: an engineer, for the orders assigned to them.
    Engineer(String),
    /// The kernel itself (`xingji`): automatic dispatch, the month close.
    Kernel,
    /// Anything else, or nothing: may create and read, not move orders.
    Anonymous(String),
}

impl Actor {
    /// Reads an actor from `<role>:<name>` (anything else is anonymous).
    pub fn parse(value: &str) -> Actor {
        let Some((role, name)) = value.split_once(':') else {
            return Actor::Anonymous(value.to_owned());
        };
        let name = name.to_owned();
        if name.is_empty() {
            return Actor::Anonymous(value.to_owned());
        }
        match role {
            "hq" => Actor::Hq(name),
            "call-centre" => Actor::CallCentre(name),
            "system" => Actor::System(name),
            "auditor" => Actor::Auditor(name),
            "outlet" => Actor::Outlet(name),
            "engineer" => Actor::Engineer(name),
            _ => Actor::Anonymous(value.to_owned()),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Hq(name) => write!(f, "hq:{name}"),
            Actor::CallCentre(name) => write!(f, "call-centre:{name}"),
            Actor::System(name) => write!(f, "system:{name}"),
            Actor::Auditor(name) => write!(f, "auditor:{name}"),
            Actor::Outlet(id) => write!(f, "outlet:{id}"),
            Actor::Engineer(id) => write!(f, "engineer:{id}"),
            Actor::Kernel => f.write_str("xingji"),
            Actor::Anonymous(value) => f.write_str(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print_back() {
        for text in [
            "hq:boss",
            "call-centre:07",
            "outlet:out_1",
            "engineer:per_1",
        ] {
            assert_eq!(Actor::parse(text).to_string(), text);
        }
        assert_eq!(Actor::parse("outlet:"), Actor::Anonymous("outlet:".into()));
        assert_eq!(Actor::parse("xingji"), Actor::Anonymous("xingji".into()));
        assert_eq!(Actor::parse("pilot:x"), Actor::Anonymous("pilot:x".into()));
    }
}
