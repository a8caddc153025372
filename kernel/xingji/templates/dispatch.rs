//! `{{name}}`: a dispatch plugin. Of the outlets that can take the order
//! (the shared rules of `xingji_plugin_sdk::dispatch`: in reach, active,
//! serving the product line, with room and a ready engineer), it sends
//! the order to the one with the fewest open orders, then the nearest.
//! Built for WIT 0.3.0, whose request carries ids, engineers' levels and
//! certifications, and whose world may read the region's records
//! (`xingji_plugin_sdk::host::v0_3::records`; what a plugin reads there is
//! not recorded, so a decision made from it replays only as exactly as the
//! records are unchanged).

wit_bindgen::generate!({
    path: "wit/{{wit_version}}",
    world: "xingji:plugins/dispatch@{{wit_version}}",
    with: {
        "xingji:plugins/types@{{wit_version}}": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@{{wit_version}}": xingji_plugin_sdk::host::v0_3::log,
        "xingji:plugins/records@{{wit_version}}": xingji_plugin_sdk::host::v0_3::records,
    },
});

use exports::xingji::plugins::dispatcher::{Assignment, Decision, DispatchRequest, Guest};
use xingji_plugin_sdk::dispatch::{self, Rules, ZeroCapacity};
use xingji_plugin_sdk::host::v0_3::log::{Level, log};

struct Component;

// The component's exports, for the kernel. In `cargo test` (native) the
// tests call `Component` directly, and a native library cannot export
// these names.
#[cfg(target_arch = "wasm32")]
export!(Component);

// `plugin.describe`, from this crate's name, version and description; and
// `plugin.check-params`, which the kernel calls before an activation
// switches a region to new parameters: `rules` refusing refuses it.
xingji_plugin_sdk::describe_from_cargo!(Component, "{{author}}", check_params = rules);

/// The region's parameters (`speed_kmh`, `warning_load_factor`) read into
/// the shared rules; an error names the parameter.
fn rules(params: &[(String, String)]) -> Result<Rules, String> {
    dispatch::settings(params).and_then(|settings| Rules::read(&settings, ZeroCapacity::Unlimited))
}

impl Guest for Component {
    fn choose(request: DispatchRequest) -> Decision {
        // The region's parameters (`speed_kmh`, `warning_load_factor`); a
        // bad value refuses the order, naming it.
        let rules = match rules(&request.params) {
            Ok(rules) => rules,
            Err(error) => return Decision::Refuse(format!("misconfigured: {error}")),
        };
        let network = xingji_plugin_sdk::dispatch_network!(&request);
        let candidates = dispatch::candidates(&network, &rules);
        log(Level::Debug, &format!("{} outlets can take the order", candidates.len()));
        let Some(best) = candidates.iter().min_by_key(|candidate| {
            let outlet = &network.outlets[candidate.outlet];
            (outlet.open_orders, candidate.travel.metres(), candidate.outlet)
        }) else {
            return Decision::Refuse(dispatch::refusal(&network, &rules));
        };
        Decision::Assign(Assignment {
            outlet: best.outlet as u32,
            engineer: best.pick.engineer as u32,
            reason: format!(
                "fewest open orders of {} in reach ({:.1} km): {}",
                candidates.len(),
                best.travel.km,
                // The request carries the outlet's id (WIT 0.3.0).
                request.outlets[best.outlet].id
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use xingji_plugin_sdk::dispatch::fixtures::{engineer, network, outlet, params};
    use xingji_plugin_sdk::dispatch::Outlet;
    use xingji_plugin_sdk::test_host::{self, TestHost};

    use super::*;

    #[test]
    fn the_least_loaded_outlet_in_reach_wins() {
        TestHost::new().install();
        // Three outlets 1, 2 and 20 km north of the customer; the nearest
        // is busy, the farthest out of reach.
        let net = network(
            vec![
                Outlet { open_orders: 5, ..outlet(1.0) },
                outlet(2.0),
                outlet(20.0),
            ],
            vec![engineer(0), engineer(1), engineer(2)],
        );
        let request = xingji_plugin_sdk::dispatch_request!(net, Vec::new());
        let Decision::Assign(assignment) = Component::choose(request) else {
            panic!("refused")
        };
        assert_eq!((assignment.outlet, assignment.engineer), (1, 1));
        assert!(assignment.reason.ends_with(": outlet-1"), "{}", assignment.reason);
        let logged: Vec<String> = test_host::logged().into_iter().map(|(_, line)| line).collect();
        assert_eq!(logged, ["2 outlets can take the order"]);
    }

    #[test]
    fn a_bad_parameter_refuses_and_says_which() {
        TestHost::new().install();
        let net = network(vec![outlet(1.0)], vec![engineer(0)]);
        let request = xingji_plugin_sdk::dispatch_request!(net, params(&[("speed_kmh", "fast")]));
        let Decision::Refuse(reason) = Component::choose(request) else {
            panic!("assigned")
        };
        assert!(reason.contains("speed_kmh"), "{reason}");
    }

    #[test]
    fn check_params_refuses_what_choose_would() {
        use exports::xingji::plugins::plugin::Guest as _;
        assert_eq!(Component::check_params(params(&[("speed_kmh", "25")])), Ok(()));
        let error = Component::check_params(params(&[("speed_kmh", "fast")])).unwrap_err();
        assert!(error.contains("speed_kmh"), "{error}");
    }
}
