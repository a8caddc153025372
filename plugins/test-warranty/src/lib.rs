//! Test only: a warranty plugin that uses every capability of its world and
//! reports what it saw in the plans it returns:
//!
//! - `years` = how many quotes this region has asked for so far, counted in
//!   the plugin's key-value store (so it shows that kv persists, per region);
//! - `price` = how many outlets `records` shows it (so it shows that records
//!   are the calling region's only).
//!
//! An appliance with a negative price makes it panic after counting, to show
//! that a failed call's kv writes are dropped.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/warranty",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::warranty_plans::{Appliance, Contract, Guest as Warranty, Plan};
use xingji::plugins::{kv, log, records};
use xingji_plugin_sdk::wit::types::{Date, Params};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

impl Warranty for Component {
    fn quote(appliance: Appliance, _today: Date, _params: Params) -> Result<Vec<Plan>, String> {
        let count = kv::get("quotes")
            .and_then(|bytes| bytes.try_into().ok())
            .map(u32::from_le_bytes)
            .unwrap_or(0)
            + 1;
        kv::set("quotes", &count.to_le_bytes())?;
        let outlets = records::list_outlets("", 1000).len();
        log::log(
            log::Level::Info,
            &format!("quote {count}, {outlets} outlets"),
        );
        if appliance.price < 0 {
            panic!("negative price, after counting quote {count}");
        }
        Ok(vec![Plan {
            years: count,
            price: outlets as i64,
        }])
    }

    fn purchase(
        _request_key: String,
        _appliance: Appliance,
        _years: u32,
        _customer_phone: String,
        _today: Date,
        _params: Params,
    ) -> Result<Contract, String> {
        Err("test-warranty sells nothing".into())
    }

    fn get_contract(_id: String) -> Option<Contract> {
        None
    }

    fn list_contracts(_after: String, _limit: u32) -> Vec<Contract> {
        Vec::new()
    }

    fn claim(_serial: String, _order_id: String, _today: Date) -> Option<Contract> {
        None
    }
}
