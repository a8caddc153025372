//! Test only: a dispatch plugin built for WIT 0.3.0, choosing by what only
//! 0.3.0 gives it. Of the on-duty engineers certified for the order's
//! product line (licence not eliminated, outlet active), the highest level
//! wins, then the highest certification for the line, then the fewest open
//! orders, then the first listed. Its reason names the engineer and outlet
//! by id and the outlet by the name `records` returns for that id, so the
//! kernel's tests see ids, levels, certifications and `records` at work.
//! Its parameter `levels_below` (0 to 3) bounds how far below gold it goes:
//! `check-params` refuses any other value.

wit_bindgen::generate!({
    path: "../../wit/0.3.0",
    world: "xingji:plugins/dispatch",
    with: {
        "xingji:plugins/types@0.3.0": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@0.3.0": xingji_plugin_sdk::host::v0_3::log,
        "xingji:plugins/records@0.3.0": xingji_plugin_sdk::host::v0_3::records,
    },
});

use exports::xingji::plugins::dispatcher::{
    Assignment, CandidateEngineer, Decision, DispatchRequest, Guest as Dispatcher,
};
use xingji_plugin_sdk::host::v0_3::records;
use xingji_plugin_sdk::wit::types::{LicenceState, OutletStatus};

struct Component;

#[cfg(target_arch = "wasm32")]
export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests", check_params = check_params);

impl Dispatcher for Component {
    fn choose(request: DispatchRequest) -> Decision {
        let below = match check_params(&request.params) {
            Ok(below) => below,
            Err(error) => return Decision::Refuse(format!("misconfigured: {error}")),
        };
        let line = xingji_plugin_sdk::wit::line_flag(request.order.product_line);
        // The level certified for the line: 3 senior, 2 intermediate, 1 junior.
        let certified = |e: &CandidateEngineer| {
            let c = &e.certified;
            [(c.senior, 3u8), (c.intermediate, 2), (c.junior, 1)]
                .into_iter()
                .find(|(lines, _)| lines.contains(line))
                .map(|(_, level)| level)
        };
        let best = request
            .engineers
            .iter()
            .enumerate()
            .filter(|(_, e)| e.on_duty && e.licence_state != LicenceState::Eliminated)
            .filter(|(_, e)| 3 - e.level as u8 <= below)
            .filter(|(_, e)| {
                request
                    .outlets
                    .get(e.outlet as usize)
                    .is_some_and(|o| o.status == OutletStatus::Active)
            })
            .filter_map(|(i, e)| certified(e).map(|level| (i, e, level)))
            .min_by_key(|(i, e, level)| {
                (
                    std::cmp::Reverse(e.level as u8),
                    std::cmp::Reverse(*level),
                    e.open_orders,
                    *i,
                )
            });
        let Some((index, engineer, _)) = best else {
            return Decision::Refuse("no certified engineer on duty".to_owned());
        };
        let outlet = &request.outlets[engineer.outlet as usize];
        let Some(record) = records::get_outlet(&outlet.id) else {
            return Decision::Refuse(format!("records has no outlet {}", outlet.id));
        };
        Decision::Assign(Assignment {
            outlet: engineer.outlet,
            engineer: index as u32,
            reason: format!(
                "level {:?} engineer {} of {} ({}) for order {}",
                engineer.level, engineer.id, outlet.id, record.name, request.order.id
            ),
        })
    }
}

/// Its one parameter: `levels_below`, how many levels under gold it may
/// go (0 to 3, default 3); anything else is refused, naming it.
fn check_params(params: &[(String, String)]) -> Result<u8, String> {
    let mut below = 3;
    for (name, value) in params {
        if name == "levels_below" {
            below = value
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= 3)
                .ok_or_else(|| format!("levels_below: {value:?} is not 0 to 3"))?;
        }
    }
    Ok(below)
}
