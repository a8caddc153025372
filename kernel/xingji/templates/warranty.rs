//! `{{name}}`: an extended warranty. Plans of 1 to 3 extra years, each
//! year priced at `rate_percent` (default 5) of the appliance's price,
//! for appliances under `max_age_years` (default 3) old. Contracts are
//! kept in the plugin's key-value store as JSON.

wit_bindgen::generate!({
    path: "wit/{{wit_version}}",
    world: "xingji:plugins/warranty@{{wit_version}}",
    // Contracts compare in the tests.
    additional_derives: [PartialEq],
    with: {
        "xingji:plugins/types@{{wit_version}}": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@{{wit_version}}": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@{{wit_version}}": xingji_plugin_sdk::host::records,
        "xingji:plugins/kv@{{wit_version}}": xingji_plugin_sdk::host::kv,
    },
});

use exports::xingji::plugins::warranty_plans::{Appliance, Contract, Guest, Plan};
use serde_json::{Value, json};
use xingji_plugin_sdk::host::kv;
use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::types::Date;
use xingji_plugin_sdk::wit::{LINES, line_index, line_name};

struct Component;

// The component's exports, for the kernel. In `cargo test` (native) the
// tests call `Component` directly, and a native library cannot export
// these names.
#[cfg(target_arch = "wasm32")]
export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "{{author}}");

fn plans(appliance: &Appliance, today: &Date, params: &[(String, String)]) -> Result<Vec<Plan>, String> {
    let settings = Settings::new(params, |name| name == "rate_percent" || name == "max_age_years")?;
    let rate = settings.whole("rate_percent", 5, 0..=100)?;
    let max_age = settings.whole("max_age_years", 3, 0..=30)?;
    if i64::from(today.year - appliance.purchase_date.year) >= max_age {
        return Err(format!("only appliances under {max_age} years old are covered"));
    }
    Ok((1..=3)
        .map(|years| Plan { years, price: appliance.price * rate * i64::from(years) / 100 })
        .collect())
}

fn date_json(date: &Date) -> Value {
    json!([date.year, date.month, date.day])
}

fn date_of(value: &Value) -> Option<Date> {
    Some(Date {
        year: value.get(0)?.as_i64()? as i32,
        month: value.get(1)?.as_u64()? as u8,
        day: value.get(2)?.as_u64()? as u8,
    })
}

fn save(contract: &Contract) -> Result<(), String> {
    let value = json!({
        "id": contract.id,
        "line": line_name(contract.appliance.product_line),
        "price": contract.appliance.price,
        "bought": date_json(&contract.appliance.purchase_date),
        "serial": contract.appliance.serial,
        "years": contract.years,
        "cost": contract.price,
        "phone": contract.customer_phone,
        "sold": date_json(&contract.sold),
        "start": date_json(&contract.start),
        "end": date_json(&contract.end),
        "claims": contract.claims,
    });
    kv::set(&format!("contract/{}", contract.id), value.to_string().as_bytes())
}

fn load(id: &str) -> Option<Contract> {
    let value: Value = serde_json::from_slice(&kv::get(&format!("contract/{id}"))?).ok()?;
    let line = value["line"].as_str()?;
    Some(Contract {
        id: value["id"].as_str()?.to_owned(),
        appliance: Appliance {
            product_line: *LINES.iter().find(|l| line_name(**l) == line)?,
            price: value["price"].as_i64()?,
            purchase_date: date_of(&value["bought"])?,
            serial: value["serial"].as_str()?.to_owned(),
        },
        years: value["years"].as_u64()? as u32,
        price: value["cost"].as_i64()?,
        customer_phone: value["phone"].as_str()?.to_owned(),
        sold: date_of(&value["sold"])?,
        start: date_of(&value["start"])?,
        end: date_of(&value["end"])?,
        claims: value["claims"].as_u64()? as u32,
    })
}

impl Guest for Component {
    fn quote(appliance: Appliance, today: Date, params: Vec<(String, String)>) -> Result<Vec<Plan>, String> {
        plans(&appliance, &today, &params)
    }

    fn purchase(
        request_key: String,
        appliance: Appliance,
        years: u32,
        customer_phone: String,
        today: Date,
        params: Vec<(String, String)>,
    ) -> Result<Contract, String> {
        // The same request key returns the contract it made.
        let made = format!("request/{request_key}");
        if let Some(id) = kv::get(&made) {
            return load(&String::from_utf8_lossy(&id)).ok_or_else(|| "a contract went missing".to_owned());
        }
        let plan = plans(&appliance, &today, &params)?
            .into_iter()
            .find(|plan| plan.years == years)
            .ok_or_else(|| format!("no plan of {years} years"))?;
        let id = format!("c-{}-{}", line_index(appliance.product_line), appliance.serial);
        // Cover starts after the maker's year, counted from the purchase.
        let start_year = appliance.purchase_date.year + 1;
        let contract = Contract {
            id: id.clone(),
            start: Date { year: start_year, ..appliance.purchase_date },
            end: Date { year: start_year + years as i32, ..appliance.purchase_date },
            appliance,
            years,
            price: plan.price,
            customer_phone,
            sold: today,
            claims: 0,
        };
        save(&contract)?;
        kv::set(&made, id.as_bytes())?;
        Ok(contract)
    }

    fn get_contract(id: String) -> Option<Contract> {
        load(&id)
    }

    fn list_contracts(after: String, limit: u32) -> Vec<Contract> {
        let after = if after.is_empty() { String::new() } else { format!("contract/{after}") };
        kv::list_keys("contract/", &after, limit.min(100))
            .iter()
            .filter_map(|key| load(key.trim_start_matches("contract/")))
            .collect()
    }

    fn claim(serial: String, order_id: String, today: Date) -> Option<Contract> {
        let key = |date: &Date| (date.year, date.month, date.day);
        let mut contract = Self::list_contracts(String::new(), 100)
            .into_iter()
            .find(|c| c.appliance.serial == serial && key(&c.start) <= key(&today) && key(&today) <= key(&c.end))?;
        // Once per order.
        let claimed = format!("claim/{order_id}");
        if kv::get(&claimed).is_none() {
            contract.claims += 1;
            save(&contract).ok()?;
            kv::set(&claimed, contract.id.as_bytes()).ok()?;
        }
        Some(contract)
    }
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::test_host::{self, TestHost};
    use xingji_plugin_sdk::wit::types::ProductLine;

    use super::*;

    fn fridge() -> Appliance {
        Appliance {
            product_line: ProductLine::Refrigerator,
            price: 400_000,
            purchase_date: Date { year: 2025, month: 5, day: 1 },
            serial: "SN1".into(),
        }
    }

    #[test]
    fn sells_once_per_request_and_counts_a_claim_once_per_order() {
        TestHost::new().install();
        let today = Date { year: 2026, month: 12, day: 1 };
        let plans = Component::quote(fridge(), today, Vec::new()).expect("plans");
        assert_eq!(plans[1].price, 40_000);
        let sold = Component::purchase("r1".into(), fridge(), 2, "138".into(), today, Vec::new()).expect("sold");
        let again = Component::purchase("r1".into(), fridge(), 2, "138".into(), today, Vec::new()).expect("sold");
        assert_eq!(sold, again);
        assert_eq!(test_host::kv_entries().len(), 2);
        let claimed = Component::claim("SN1".into(), "ord_9".into(), today).expect("covered");
        let claimed_again = Component::claim("SN1".into(), "ord_9".into(), today).expect("covered");
        assert_eq!((claimed.claims, claimed_again.claims), (1, 1));
        assert!(Component::claim("SN2".into(), "ord_9".into(), today).is_none());
    }
}
