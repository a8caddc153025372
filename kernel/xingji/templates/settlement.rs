//! `{{name}}`: a monthly settlement. Each outlet is paid `fee_fen`
//! (default 5000, 50 yuan) per order to settle; engineers get no pay
//! lines here.

wit_bindgen::generate!({
    path: "wit/{{wit_version}}",
    world: "xingji:plugins/settlement@{{wit_version}}",
    with: {
        "xingji:plugins/types@{{wit_version}}": xingji_plugin_sdk::wit::types,
        "xingji:plugins/month@{{wit_version}}": xingji_plugin_sdk::wit::month,
        "xingji:plugins/log@{{wit_version}}": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@{{wit_version}}": xingji_plugin_sdk::host::records,
    },
});

use exports::xingji::plugins::settler::{Guest, Line, OutletAccount, OutletStatement, Settlement};
use xingji_plugin_sdk::settings::Settings;
use xingji_plugin_sdk::wit::month::MonthFacts;

struct Component;

// The component's exports, for the kernel. In `cargo test` (native) the
// tests call `Component` directly, and a native library cannot export
// these names.
#[cfg(target_arch = "wasm32")]
export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "{{author}}");

impl Guest for Component {
    fn settle(
        month: MonthFacts,
        accounts: Vec<OutletAccount>,
        params: Vec<(String, String)>,
    ) -> Result<Settlement, String> {
        let settings = Settings::new(&params, |name| name == "fee_fen")?;
        let fee = settings.whole("fee_fen", 5000, 0..=1_000_000)?;
        if accounts.len() != month.outlets.len() {
            return Err(format!("{} accounts for {} outlets", accounts.len(), month.outlets.len()));
        }
        let mut orders = vec![0u32; month.outlets.len()];
        for order in month.orders.iter().filter(|order| order.to_settle) {
            *orders
                .get_mut(order.outlet as usize)
                .ok_or_else(|| format!("an order names outlet {}, which is not in the month", order.outlet))? += 1;
        }
        let outlets = orders
            .into_iter()
            .map(|count| {
                let amount = fee * i64::from(count);
                OutletStatement {
                    labour: amount,
                    coefficient_permille: 1000,
                    adjustment: 0,
                    incentives: 0,
                    total: amount,
                    lines: vec![Line { item: "orders".into(), count, unit: fee, amount, note: String::new() }],
                    rejected: 0,
                }
            })
            .collect();
        Ok(Settlement { outlets, engineers: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::test_host::TestHost;
    use xingji_plugin_sdk::wit::month::{Incentive, MonthOrder, OutletFacts};
    use xingji_plugin_sdk::wit::types::{Grade, OrderKind, OutletStatus, ProductLine};

    use super::*;

    fn order(outlet: u32) -> MonthOrder {
        MonthOrder {
            outlet, engineer: None, kind: OrderKind::Repair, product_line: ProductLine::Tv,
            completed: true, open_at_end: false, overdue_at_end: false, to_settle: true,
            reached: true, satisfied: true, parts: 0, part_due: false, part_returned: false,
            finding_agreed: false, machine_parts_3m: 0, repeat_of: None, on_time: true,
            promise_broken: false, major: false,
        }
    }

    #[test]
    fn pays_the_fee_per_order() {
        TestHost::new().install();
        let facts = OutletFacts { status: OutletStatus::Active, c_months: 0, audits: 0, audit_score_sum: 0, delights: 0, improvements: 0 };
        let month = MonthFacts { year: 2026, month: 11, outlets: vec![facts], engineers: 0, orders: vec![order(0), order(0)] };
        let account = OutletAccount { grade: Grade::B, score: 80, incentive: Incentive::None };
        let settlement = Component::settle(month, vec![account], vec![("fee_fen".into(), "3000".into())]).expect("settled");
        assert_eq!(settlement.outlets[0].total, 6000);
    }
}
