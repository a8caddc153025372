//! `{{name}}`: an appliance-birthday campaign. Every appliance bought on
//! an order of the region has a birthday each year on its purchase day;
//! for each birthday in the window, one visit order (a birthday visit),
//! made once however often the window is run.

wit_bindgen::generate!({
    path: "wit/{{wit_version}}",
    world: "xingji:plugins/campaign@{{wit_version}}",
    with: {
        "xingji:plugins/types@{{wit_version}}": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@{{wit_version}}": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@{{wit_version}}": xingji_plugin_sdk::host::records,
        "xingji:plugins/order-writer@{{wit_version}}": xingji_plugin_sdk::host::order_writer,
    },
});

use exports::xingji::plugins::birthday_campaign::{Guest, Visit, Window};
use xingji_plugin_sdk::host::order_writer::{NewOrder, create_order};
use xingji_plugin_sdk::host::records::list_orders;
use xingji_plugin_sdk::wit::types::{Date, OrderKind};

struct Component;

// The component's exports, for the kernel. In `cargo test` (native) the
// tests call `Component` directly, and a native library cannot export
// these names.
#[cfg(target_arch = "wasm32")]
export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "{{author}}");

fn key(date: &Date) -> (i32, u8, u8) {
    (date.year, date.month, date.day)
}

impl Guest for Component {
    fn run(window: Window, dry_run: bool, _params: Vec<(String, String)>) -> Result<Vec<Visit>, String> {
        let mut visits = Vec::new();
        let mut after = String::new();
        loop {
            let page = list_orders(&after, 500);
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            for order in page.iter().filter(|order| order.kind == OrderKind::Installation) {
                let Some(bought) = order.purchase_date else { continue };
                for year in window.from.year..=window.to.year {
                    let birthday = Date { year, month: bought.month, day: bought.day };
                    if year <= bought.year || key(&birthday) < key(&window.from) || key(&birthday) > key(&window.to) {
                        continue;
                    }
                    let order_id = if dry_run {
                        String::new()
                    } else {
                        create_order(&NewOrder {
                            // The same birthday never makes a second order.
                            request_key: format!("birthday/{}/{year}", order.serial),
                            kind: OrderKind::BirthdayVisit,
                            customer_name: order.customer_name.clone(),
                            customer_phone: order.customer_phone.clone(),
                            customer_address: order.customer_address.clone(),
                            customer_location: order.customer_location,
                            vip: order.vip,
                            product_line: order.product_line,
                            model: order.model.clone(),
                            serial: order.serial.clone(),
                            purchase_date: order.purchase_date,
                            price: 0,
                            description: format!("{} years since it was bought", year - bought.year),
                        })?
                    };
                    visits.push(Visit {
                        source_order: order.id.clone(),
                        serial: order.serial.clone(),
                        product_line: order.product_line,
                        vip: order.vip,
                        birthday,
                        years: (year - bought.year) as u32,
                        order_id,
                    });
                }
            }
        }
        Ok(visits)
    }
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::test_host::{self, TestHost};
    use xingji_plugin_sdk::wit::types::{Geo, Order, OrderStatus, ProductLine};

    use super::*;

    fn installed(id: &str, serial: &str, bought: Date) -> Order {
        Order {
            id: id.into(), kind: OrderKind::Installation, status: OrderStatus::Completed,
            customer_name: "王芳".into(), customer_phone: "13800000000".into(),
            customer_address: "上海".into(), customer_location: Geo { lat: 31.2, lon: 121.4 },
            vip: false, product_line: ProductLine::Refrigerator, model: "BCD-500".into(),
            serial: serial.into(), purchase_date: Some(bought), price: 300_000,
            outlet_id: String::new(), engineer_id: String::new(), created: 0,
        }
    }

    #[test]
    fn one_visit_per_birthday_in_the_window_made_once() {
        let day = |year, month, day| Date { year, month, day };
        TestHost::new()
            .orders(vec![
                installed("ord_1", "SN1", day(2023, 12, 10)),
                installed("ord_2", "SN2", day(2024, 6, 1)),
            ])
            .install();
        let window = Window { from: day(2026, 12, 1), to: day(2026, 12, 31) };
        let visits = Component::run(window, false, Vec::new()).expect("ran");
        assert_eq!(visits.len(), 1);
        assert_eq!((visits[0].serial.as_str(), visits[0].years), ("SN1", 3));
        let window = Window { from: day(2026, 12, 1), to: day(2026, 12, 31) };
        let again = Component::run(window, false, Vec::new()).expect("ran");
        assert_eq!(again[0].order_id, visits[0].order_id);
        assert_eq!(test_host::created_orders().len(), 1);
    }
}
