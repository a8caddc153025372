//! Customers' personal information (China's PIPL): who sees a customer's
//! phone number, address and exact location in full, and how everyone else
//! sees them. The one rule is [`sees_customer`]; every answer that carries
//! a customer goes through [`order_for`] or [`contract_for`].

use xingji_api::v1::{GeoPoint, Order, WarrantyContract};

use crate::actor::{Actor, Role};

/// Whether `actor` needs `order`'s customer in full: the call centre of the
/// order's region, and the order's own outlet and engineer while it is
/// open. (The kernel, for its plugins, too.) Everyone else — headquarters
/// and regional IT included — sees it masked.
pub fn sees_customer(actor: &Actor, order: &Order) -> bool {
    let Some(principal) = actor.principal() else {
        return true;
    };
    let own = |id: &str| !id.is_empty() && id == principal.name;
    match principal.role {
        Role::CallCentre => actor.acts_in(&order.region),
        Role::Outlet => own(&order.outlet_id) && order.status().is_open(),
        Role::Engineer => own(&order.engineer_id) && order.status().is_open(),
        _ => false,
    }
}

/// Whether `actor` sees warranty buyers' phone numbers: the call centre of
/// the contract's region, which answers the buyers' claims.
pub fn sees_buyer(actor: &Actor, contract: &WarrantyContract) -> bool {
    match actor.principal() {
        None => true,
        Some(principal) => principal.role == Role::CallCentre && actor.acts_in(&contract.region),
    }
}

/// `order` as `actor` may see it.
pub fn order_for(actor: &Actor, mut order: Order) -> Order {
    if !sees_customer(actor, &order)
        && let Some(customer) = order.customer.as_mut()
    {
        customer.phone = mask_phone(&customer.phone);
        customer.address = mask_address(&customer.address);
        customer.location = customer.location.map(blur);
    }
    order
}

/// `contract` as `actor` may see it.
pub fn contract_for(actor: &Actor, mut contract: WarrantyContract) -> WarrantyContract {
    if !sees_buyer(actor, &contract) {
        contract.customer_phone = mask_phone(&contract.customer_phone);
    }
    contract
}

/// `13912345678` (or `139-1234-5678`) as `139****5678`: the carrier prefix
/// and the last four digits, which is how Chinese services show a number
/// to someone who must recognise, not dial, it.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return if phone.is_empty() {
            String::new()
        } else {
            "****".to_owned()
        };
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// An address down to its district: the first six characters (province or
/// municipality and district, `上海市徐汇区`), at most half of it.
pub fn mask_address(address: &str) -> String {
    if address.is_empty() {
        return String::new();
    }
    let keep = (address.chars().count() / 2).min(6);
    let head: String = address.chars().take(keep).collect();
    format!("{head}****")
}

/// A location to two decimals (about a kilometre): enough for a map of
/// demand, not to find a door.
fn blur(point: GeoPoint) -> GeoPoint {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    GeoPoint {
        lat: round(point.lat),
        lon: round(point.lon),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_addresses_mask() {
        assert_eq!(mask_phone("13912345678"), "139****5678");
        assert_eq!(mask_phone("139-1234-5678"), "139****5678");
        assert_eq!(mask_phone("021-6412-3456"), "021****3456");
        assert_eq!(mask_phone("110"), "****");
        assert_eq!(mask_phone(""), "");
        assert_eq!(
            mask_address("上海市徐汇区漕溪北路 88 号"),
            "上海市徐汇区****"
        );
        assert_eq!(mask_address("北京"), "北****");
    }
}
