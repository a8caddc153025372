//! Test only: counts the region's orders as "due" (through `records`) and,
//! unless a dry run, tries to create one visit through `order-writer`.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/campaign",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::birthday_campaign::{Guest, Visit, Window};
use xingji::plugins::order_writer::{NewOrder, create_order};
use xingji::plugins::records::list_orders;
use xingji_plugin_sdk::wit::types::{Geo, OrderKind, Params, ProductLine};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Guest for Component {
    fn run(window: Window, dry_run: bool, _params: Params) -> Result<Vec<Visit>, String> {
        let seen = list_orders("", 1000);
        let visit = |order_id: String| Visit {
            source_order: seen.first().map(|o| o.id.clone()).unwrap_or_default(),
            serial: String::new(),
            product_line: ProductLine::Tv,
            vip: false,
            birthday: window.from,
            years: seen.len() as u32,
            order_id,
        };
        if dry_run {
            return Ok(vec![visit(String::new())]);
        }
        let id = create_order(&NewOrder {
            request_key: format!(
                "{}-{}-{}",
                window.from.year, window.from.month, window.from.day
            ),
            kind: OrderKind::BirthdayVisit,
            customer_name: "Test".into(),
            customer_phone: "13800000000".into(),
            customer_address: "Test road 1".into(),
            customer_location: Geo {
                lat: 31.2,
                lon: 121.4,
            },
            vip: false,
            product_line: ProductLine::Tv,
            model: String::new(),
            serial: String::new(),
            purchase_date: None,
            price: 0,
            description: "birthday".into(),
        })?;
        Ok(vec![visit(id)])
    }
}
