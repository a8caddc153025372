//! `campaign-birthday`: the appliance-birthday campaign (家电过生日,
//! DOMAIN.md §6). The rules are in [`rules`], plain functions tested
//! natively; this file only reads the region's orders through `records`
//! and writes the visits through `order-writer`. See `plugins/README.md`
//! for the rules and parameters.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/campaign",
    with: {
        "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types,
        "xingji:plugins/log@0.2.0": xingji_plugin_sdk::host::log,
        "xingji:plugins/records@0.2.0": xingji_plugin_sdk::host::records,
        "xingji:plugins/order-writer@0.2.0": xingji_plugin_sdk::host::order_writer,
    },
});

mod rules;

use exports::xingji::plugins::birthday_campaign::{Guest, Visit, Window};
use xingji_plugin_sdk::host::log::{Level, log};
use xingji_plugin_sdk::host::order_writer::create_order;
use xingji_plugin_sdk::host::records::{get_order, list_orders};
use xingji_plugin_sdk::wit::types::Params;

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji");

/// Orders read per `records.list-orders` call (its maximum).
const PAGE: u32 = 1000;

/// Failed creates quoted in the error or logged one a line; the rest are
/// counted. (The kernel bounds a call's log to 100 lines.)
const QUOTED_FAILURES: usize = 5;

/// The longest log line this plugin writes, in bytes.
const MAX_LINE: usize = 1000;

impl Guest for Component {
    fn run(window: Window, dry_run: bool, params: Params) -> Result<Vec<Visit>, String> {
        let rules = rules::Rules::from_params(&params)?;
        let (from, to) = rules::window(&window)?;

        // The installed base: every order of the region, by id, a page at
        // a time until a short page.
        let mut base = rules::Base::default();
        let mut after = String::new();
        loop {
            let page = list_orders(&after, PAGE);
            let full = page.len() >= PAGE as usize;
            let last = page.last().map(|order| order.id.clone());
            for order in &page {
                base.add(order)?;
            }
            match last {
                Some(last) if full => {
                    if last <= after {
                        return Err(format!(
                            "records.list-orders returned a full page not after {after:?}"
                        ));
                    }
                    after = last;
                }
                _ => break,
            }
        }

        let due = base.birthdays(from, to, &rules);
        let mut visits = Vec::with_capacity(due.len());
        let mut failed = Vec::new();
        let mut changed = 0usize;
        for due in due {
            let mut visit = due.visit.clone();
            if !dry_run {
                // The customer's details come from the appliance's latest
                // order, read again. The request key makes the create
                // idempotent: a key used before returns the order it made,
                // and one used with details that have changed since names
                // that order in its refusal.
                let made = get_order(&visit.source_order)
                    .ok_or_else(|| format!("order {} is gone", visit.source_order))
                    .and_then(|source| create_order(&rules::new_order(&due, &source)));
                match made {
                    Ok(id) => visit.order_id = id,
                    Err(why) => match rules::made_before(&why) {
                        Some(id) => {
                            changed += 1;
                            visit.order_id = id.to_owned();
                        }
                        None => failed.push(format!(
                            "serial {:?} birthday {}: {why}",
                            visit.serial, due.birthday
                        )),
                    },
                }
            }
            visits.push(visit);
        }

        if !failed.is_empty() && failed.len() == visits.len() {
            // Nothing was made: failing loses nothing.
            return Err(format!(
                "none of the {} birthday visits could be created: {}{}",
                failed.len(),
                failed[..failed.len().min(QUOTED_FAILURES)].join("; "),
                more(failed.len())
            ));
        }
        // Some were made: they are returned (and the kernel dispatches
        // them); those that failed keep an empty order-id, and running the
        // window again retries them.
        for line in failed.iter().take(QUOTED_FAILURES) {
            log(Level::Warn, &clip(&format!("not created: {line}")));
        }
        if failed.len() > QUOTED_FAILURES {
            log(
                Level::Warn,
                &format!("not created:{}", more(failed.len()).trim_start_matches(';')),
            );
        }
        let summary = if dry_run {
            format!("{} birthdays in {from} to {to} (dry run)", visits.len())
        } else {
            format!(
                "{} birthdays in {from} to {to}: {} visit orders created or found by key, {} made before from other details, {} not created",
                visits.len(),
                visits.len() - changed - failed.len(),
                changed,
                failed.len()
            )
        };
        log(Level::Info, &summary);
        Ok(visits)
    }
}

/// `; and N more` for the failures past those quoted.
fn more(failed: usize) -> String {
    if failed > QUOTED_FAILURES {
        format!("; and {} more", failed - QUOTED_FAILURES)
    } else {
        String::new()
    }
}

/// A log line cut to at most [`MAX_LINE`] bytes, on a character boundary.
fn clip(line: &str) -> String {
    if line.len() <= MAX_LINE {
        return line.to_owned();
    }
    let mut end = MAX_LINE - 3;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}
