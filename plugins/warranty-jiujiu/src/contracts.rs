//! Contracts: selling one, finding one, and counting the repairs it covers,
//! over a [`Store`]. The layout:
//!
//! | key | value |
//! |---|---|
//! | `counter` | the number of the last contract, decimal |
//! | `contract/<id>` | the contract ([`crate::store::encode`]) |
//! | `serial/<serial>` | the ids of the machine's contracts, comma-separated, oldest first |
//! | `request/<request-key>` | the id of the contract the purchase made |
//! | `claim/<order-id>` | the id of the contract that covered the order |

use crate::dates::Day;
use crate::exports::xingji::plugins::warranty_plans::{Appliance, Contract};
use crate::rules::{Rules, date, day};
use crate::store::{self, Store};
use xingji_plugin_sdk::wit::types::Date;

/// The longest serial and customer phone, bytes (the kernel's serials are
/// at most 64).
pub const MAX_TEXT: usize = 64;
/// The longest request key and order id, bytes (as `CreateOrder`'s
/// `request_id`).
pub const MAX_KEY: usize = 128;
/// The most contracts `list-contracts` returns.
pub const MAX_LIST: u32 = 1000;
/// The last contract number: ids stay six digits, so that their order is
/// the order of sale. The 16 MiB store fills long before.
const MAX_NUMBER: u32 = 999_999;

const COUNTER: &str = "counter";

fn contract_key(id: &str) -> String {
    format!("contract/{id}")
}

fn serial_key(serial: &str) -> String {
    format!("serial/{serial}")
}

fn request_key(key: &str) -> String {
    format!("request/{key}")
}

fn claim_key(order_id: &str) -> String {
    format!("claim/{order_id}")
}

/// The contract with this id, if any (and readable).
pub fn get(store: &impl Store, id: &str) -> Option<Contract> {
    if id.is_empty() || id.len() > MAX_KEY {
        return None;
    }
    store
        .get(&contract_key(id))
        .and_then(|bytes| store::decode(id, &bytes))
}

/// Contracts in id order after `after` (empty: from the first), at most
/// `limit` (at most [`MAX_LIST`]).
pub fn list(store: &impl Store, after: &str, limit: u32) -> Vec<Contract> {
    let after = if after.is_empty() {
        String::new()
    } else {
        contract_key(after)
    };
    store
        .list_keys("contract/", &after, limit.min(MAX_LIST))
        .iter()
        .filter_map(|key| get(store, &key["contract/".len()..]))
        .collect()
}

/// The contracts of `serial`, oldest first, or the id of one that cannot
/// be read.
fn of_serial(store: &impl Store, serial: &str) -> Result<Vec<Contract>, String> {
    let Some(ids) = store.get(&serial_key(serial)) else {
        return Ok(Vec::new());
    };
    let ids = String::from_utf8(ids)
        .map_err(|_| format!("the index of serial `{serial}` cannot be read"))?;
    ids.split(',')
        .map(|id| get(store, id).ok_or_else(|| format!("contract {id} cannot be read")))
        .collect()
}

/// Checks a text field: 1 to `max` bytes, no control characters, no space
/// at either end (so that it matches the same text elsewhere).
fn text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.is_empty()
        || value.len() > max
        || value.chars().any(char::is_control)
        || value.trim() != value
    {
        return Err(format!(
            "{field}: must be 1 to {max} bytes, without control characters or spaces at either end"
        ));
    }
    Ok(())
}

/// Sells the plan of `years` for `appliance` on `today`, idempotently on
/// `key` (see `plugins/README.md`).
pub fn purchase(
    store: &mut impl Store,
    rules: &Rules,
    key: &str,
    appliance: &Appliance,
    years: u32,
    phone: &str,
    today: Date,
) -> Result<Contract, String> {
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "request-key: must be 1 to {MAX_KEY} printable ASCII characters without spaces"
        ));
    }
    if let Some(id) = store.get(&request_key(key)) {
        let id = String::from_utf8_lossy(&id);
        let made = get(store, &id).ok_or_else(|| {
            format!("request-key `{key}` made contract {id}, which cannot be read")
        })?;
        if made.appliance == *appliance && made.years == years && made.customer_phone == phone {
            return Ok(made);
        }
        return Err(format!(
            "request-key `{key}` already made contract {id} for another appliance, plan or phone: use a new request-key for a new contract"
        ));
    }
    let today = day(today, "today")?;
    text("customer-phone", phone, MAX_TEXT)?;
    text("appliance.serial", &appliance.serial, MAX_TEXT)?;
    let plans = rules.quote(appliance, today)?;
    let Some(plan) = plans.iter().find(|plan| plan.years == years) else {
        let offered: Vec<String> = plans.iter().map(|p| p.years.to_string()).collect();
        return Err(format!(
            "no {years}-year plan: the plans are of {} years",
            offered.join(", ")
        ));
    };
    let serial = &appliance.serial;
    let contracts = of_serial(store, serial)?;
    if let Some(active) = contracts
        .iter()
        .find(|c| day(c.end, "end").is_ok_and(|end| end >= today))
    {
        return Err(format!(
            "serial `{serial}` already has contract {}, which covers it from {} to {}",
            active.id,
            show(active.start),
            show(active.end)
        ));
    }
    let purchase = day(appliance.purchase_date, "appliance.purchase-date")?;
    let (Some(start), Some(after_end)) = (
        purchase.anniversary(rules.base_years),
        purchase.anniversary(rules.base_years + years),
    ) else {
        return Err(format!(
            "appliance.purchase-date {purchase}: the cover would end after the year 9999"
        ));
    };
    let number = match store.get(COUNTER) {
        None => 1,
        Some(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or("the contract counter cannot be read")?
            .saturating_add(1),
    };
    if number > MAX_NUMBER {
        return Err(format!(
            "this region has sold {MAX_NUMBER} contracts, the most it can number"
        ));
    }
    let id = format!("JJ-{number:06}");
    let contract = Contract {
        id: id.clone(),
        appliance: appliance.clone(),
        years,
        price: plan.price,
        customer_phone: phone.to_owned(),
        sold: date(today),
        start: date(start),
        end: date(after_end.add_days(-1)),
        claims: 0,
    };
    let mut ids: Vec<&str> = contracts.iter().map(|c| c.id.as_str()).collect();
    ids.push(&id);
    store::set_all(
        store,
        &[
            (COUNTER.to_owned(), number.to_string().into_bytes()),
            (contract_key(&id), store::encode(&contract)),
            (serial_key(serial), ids.join(",").into_bytes()),
            (request_key(key), id.clone().into_bytes()),
        ],
    )?;
    Ok(contract)
}

/// A repair of `serial` on order `order_id`, completed on `today`: the
/// contract that covers it, with the claim counted once per order; `None`
/// if none covers it. An error only if the store refuses the write.
pub fn claim(
    store: &mut impl Store,
    serial: &str,
    order_id: &str,
    today: Date,
) -> Result<Option<Contract>, String> {
    if order_id.is_empty()
        || order_id.len() > MAX_KEY
        || serial.is_empty()
        || serial.len() > MAX_TEXT
    {
        return Ok(None);
    }
    let Ok(today) = day(today, "today") else {
        return Ok(None);
    };
    if let Some(id) = store.get(&claim_key(order_id)) {
        return Ok(get(store, &String::from_utf8_lossy(&id)));
    }
    // A contract that cannot be read covers nothing.
    let Ok(contracts) = of_serial(store, serial) else {
        return Ok(None);
    };
    let covers = |c: &Contract| match (day(c.start, "start"), day(c.end, "end")) {
        (Ok(start), Ok(end)) => start <= today && today <= end,
        _ => false,
    };
    let Some(mut contract) = contracts.into_iter().rev().find(covers) else {
        return Ok(None);
    };
    contract.claims = contract.claims.saturating_add(1);
    store::set_all(
        store,
        &[
            (contract_key(&contract.id), store::encode(&contract)),
            (claim_key(order_id), contract.id.clone().into_bytes()),
        ],
    )?;
    Ok(Some(contract))
}

fn show(date: Date) -> String {
    Day::new(date.year, date.month, date.day).map_or_else(|| format!("{date:?}"), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{appliance, d, params};
    use crate::store::memory::Memory;
    use xingji_plugin_sdk::wit::types::ProductLine;

    const PHONE: &str = "13812345678";

    fn buy(
        store: &mut Memory,
        key: &str,
        a: &Appliance,
        years: u32,
        today: Day,
    ) -> Result<Contract, String> {
        purchase(store, &Rules::default(), key, a, years, PHONE, date(today))
    }

    fn dates(c: &Contract) -> (Day, Day, Day) {
        let day = |date: Date| Day::new(date.year, date.month, date.day).unwrap();
        (day(c.sold), day(c.start), day(c.end))
    }

    fn fridge(serial: &str, bought: Day) -> Appliance {
        appliance(ProductLine::Refrigerator, 399_900, bought, serial)
    }

    #[test]
    fn cover_dates() {
        // (bought, sold, years, start, end)
        let cases = [
            (
                d(2021, 5, 10),
                d(2021, 5, 10),
                1,
                d(2024, 5, 10),
                d(2025, 5, 9),
            ),
            (
                d(2021, 5, 10),
                d(2024, 5, 9),
                3,
                d(2024, 5, 10),
                d(2027, 5, 9),
            ),
            // Month and year boundaries.
            (
                d(2021, 1, 1),
                d(2022, 1, 1),
                1,
                d(2024, 1, 1),
                d(2024, 12, 31),
            ),
            (
                d(2021, 12, 31),
                d(2022, 1, 1),
                2,
                d(2024, 12, 31),
                d(2026, 12, 30),
            ),
            (
                d(2021, 3, 1),
                d(2021, 3, 1),
                1,
                d(2024, 3, 1),
                d(2025, 2, 28),
            ),
            (
                d(2022, 3, 1),
                d(2022, 3, 1),
                1,
                d(2025, 3, 1),
                d(2026, 2, 28),
            ),
            (
                d(2020, 3, 1),
                d(2020, 3, 1),
                1,
                d(2023, 3, 1),
                d(2024, 2, 29),
            ),
            (
                d(2021, 5, 1),
                d(2021, 5, 1),
                2,
                d(2024, 5, 1),
                d(2026, 4, 30),
            ),
            // A purchase on 29 February: the maker's warranty ends on 27
            // February 2027, cover starts on the 28th (the anniversary in a
            // common year) and ends the day before an anniversary.
            (
                d(2024, 2, 29),
                d(2024, 2, 29),
                1,
                d(2027, 2, 28),
                d(2028, 2, 28),
            ),
            (
                d(2024, 2, 29),
                d(2025, 2, 28),
                2,
                d(2027, 2, 28),
                d(2029, 2, 27),
            ),
            (
                d(2024, 2, 29),
                d(2027, 2, 27),
                3,
                d(2027, 2, 28),
                d(2030, 2, 27),
            ),
            (
                d(2021, 2, 28),
                d(2021, 2, 28),
                3,
                d(2024, 2, 28),
                d(2027, 2, 27),
            ),
        ];
        for (n, (bought, sold, years, start, end)) in cases.into_iter().enumerate() {
            let mut store = Memory::default();
            let serial = format!("S{n}");
            let c = buy(&mut store, "k", &fridge(&serial, bought), years, sold)
                .unwrap_or_else(|e| panic!("{bought} {years}: {e}"));
            assert_eq!(dates(&c), (sold, start, end), "{bought} + {years}");
            assert_eq!(c.years, years);
            assert_eq!(c.claims, 0);
            assert_eq!(get(&store, &c.id), Some(c));
        }
    }

    #[test]
    fn eligibility_edges() {
        let mut store = Memory::default();
        let leap = fridge("LEAP", d(2024, 2, 29));
        // The last day of eligibility and the first day after.
        let err = buy(&mut store, "late", &leap, 1, d(2027, 2, 28)).unwrap_err();
        assert!(err.contains("3 years old"), "{err}");
        assert!(store.map.is_empty(), "a refusal writes nothing");
        let c = buy(&mut store, "last", &leap, 1, d(2027, 2, 27)).unwrap();
        assert_eq!(dates(&c).1, d(2027, 2, 28));
    }

    #[test]
    fn refusals() {
        let r = Rules::default();
        let a = fridge("F-1", d(2024, 1, 10));
        let today = date(d(2024, 6, 1));
        let mut bad_serial = a.clone();
        bad_serial.serial = String::new();
        let mut long_serial = a.clone();
        long_serial.serial = "s".repeat(65);
        let mut spaced_serial = a.clone();
        spaced_serial.serial = " F-1".into();
        let mut cheap = a.clone();
        cheap.price = 0;
        let mut future = a.clone();
        future.purchase_date = date(d(2024, 6, 2));
        let long_key = "k".repeat(129);
        // (key, appliance, years, phone, today, a part of the error)
        let cases: Vec<(&str, &Appliance, u32, &str, Date, &str)> = vec![
            ("", &a, 1, PHONE, today, "request-key: must be 1 to 128"),
            ("a b", &a, 1, PHONE, today, "request-key: must be"),
            (&long_key, &a, 1, PHONE, today, "request-key: must be"),
            (
                "k",
                &a,
                1,
                "",
                today,
                "customer-phone: must be 1 to 64 bytes",
            ),
            ("k", &a, 1, "   ", today, "customer-phone: must be"),
            (
                "k",
                &bad_serial,
                1,
                PHONE,
                today,
                "appliance.serial: must be 1 to 64 bytes",
            ),
            (
                "k",
                &long_serial,
                1,
                PHONE,
                today,
                "appliance.serial: must be",
            ),
            (
                "k",
                &spaced_serial,
                1,
                PHONE,
                today,
                "appliance.serial: must be",
            ),
            (
                "k",
                &a,
                4,
                PHONE,
                today,
                "no 4-year plan: the plans are of 1, 2, 3 years",
            ),
            ("k", &a, 0, PHONE, today, "no 0-year plan"),
            (
                "k",
                &cheap,
                1,
                PHONE,
                today,
                "appliance.price must be more than 0 fen",
            ),
            ("k", &future, 1, PHONE, today, "is after today (2024-06-01)"),
            (
                "k",
                &a,
                1,
                PHONE,
                Date {
                    year: 2024,
                    month: 2,
                    day: 30,
                },
                "today: 2024-02-30 is not a date",
            ),
            ("k", &a, 1, PHONE, date(d(2027, 1, 10)), "3 years old"),
        ];
        let mut store = Memory::default();
        for (key, appliance, years, phone, today, want) in cases {
            let err = purchase(&mut store, &r, key, appliance, years, phone, today).unwrap_err();
            assert!(err.contains(want), "{key} {years} {phone:?}: {err}");
        }
        assert!(store.map.is_empty(), "a refusal writes nothing");
        // A plan the region's params do not offer.
        let r = Rules::from_params(&params(&[("plans", "2")])).unwrap();
        let err = purchase(&mut store, &r, "k", &a, 1, PHONE, today).unwrap_err();
        assert_eq!(err, "no 1-year plan: the plans are of 2 years");
    }

    #[test]
    fn idempotent_purchase() {
        let mut store = Memory::default();
        let a = fridge("F-1", d(2024, 1, 10));
        let first = buy(&mut store, "req-1", &a, 2, d(2024, 6, 1)).unwrap();
        assert_eq!(first.id, "JJ-000001");
        // 3999 × 70 ‰ = 279.93 → 280 yuan.
        assert_eq!(first.price, 28_000);
        let after_first = store.clone();
        // The same request again, even on a later day or past eligibility,
        // or with other params: the same contract, nothing written.
        for today in [d(2024, 6, 1), d(2024, 6, 2), d(2030, 1, 1)] {
            assert_eq!(buy(&mut store, "req-1", &a, 2, today), Ok(first.clone()));
        }
        let dearer = Rules::from_params(&params(&[("rate.2", "100")])).unwrap();
        let again = purchase(
            &mut store,
            &dearer,
            "req-1",
            &a,
            2,
            PHONE,
            date(d(2024, 6, 1)),
        );
        assert_eq!(again, Ok(first.clone()));
        assert_eq!(store, after_first);
        // The same key with other arguments: an error naming the key.
        let mut other_serial = a.clone();
        other_serial.serial = "F-2".into();
        let mut other_price = a.clone();
        other_price.price += 1;
        let mut other_line = a.clone();
        other_line.product_line = ProductLine::Tv;
        let mut other_date = a.clone();
        other_date.purchase_date = date(d(2024, 1, 11));
        let cases = [
            (&other_serial, 2, PHONE),
            (&other_price, 2, PHONE),
            (&other_line, 2, PHONE),
            (&other_date, 2, PHONE),
            (&a, 1, PHONE),
            (&a, 2, "13900000000"),
        ];
        for (appliance, years, phone) in cases {
            let err = purchase(
                &mut store,
                &Rules::default(),
                "req-1",
                appliance,
                years,
                phone,
                date(d(2024, 6, 1)),
            )
            .unwrap_err();
            assert_eq!(
                err,
                "request-key `req-1` already made contract JJ-000001 for another appliance, plan or phone: use a new request-key for a new contract"
            );
        }
        assert_eq!(store, after_first);
        // A new key for another machine: the next number.
        let second = buy(&mut store, "req-2", &other_serial, 1, d(2024, 6, 1)).unwrap();
        assert_eq!(second.id, "JJ-000002");
        assert_eq!(store.get("counter").as_deref(), Some(&b"2"[..]));
        assert_eq!(
            store.get("request/req-2").as_deref(),
            Some(&b"JJ-000002"[..])
        );
        assert_eq!(store.get("serial/F-2").as_deref(), Some(&b"JJ-000002"[..]));
    }

    #[test]
    fn one_contract_per_serial() {
        let mut store = Memory::default();
        let a = fridge("F-1", d(2024, 1, 10));
        let first = buy(&mut store, "k1", &a, 1, d(2024, 6, 1)).unwrap();
        // Will cover (before its start), and also on the last day of
        // eligibility: refused, whatever the plan or key.
        for (key, years, today) in [("k2", 1, d(2024, 6, 1)), ("k3", 3, d(2027, 1, 9))] {
            let err = buy(&mut store, key, &a, years, today).unwrap_err();
            assert_eq!(
                err,
                "serial `F-1` already has contract JJ-000001, which covers it from 2027-01-10 to 2028-01-09"
            );
        }
        // Another appliance record with the same serial, bought later (a
        // replacement machine): still refused while the first contract runs.
        let replacement = fridge("F-1", d(2027, 6, 1));
        let err = buy(&mut store, "k4", &replacement, 1, d(2027, 6, 1)).unwrap_err();
        assert!(err.contains("already has contract JJ-000001"), "{err}");
        // Once it has ended, the serial may be covered again.
        let second = buy(&mut store, "k5", &replacement, 2, d(2028, 1, 10)).unwrap();
        assert_eq!(second.id, "JJ-000002");
        assert_eq!(
            store.get("serial/F-1").as_deref(),
            Some(&b"JJ-000001,JJ-000002"[..])
        );
        assert_eq!(get(&store, "JJ-000001"), Some(first));
    }

    #[test]
    fn claims() {
        let mut store = Memory::default();
        let a = fridge("F-1", d(2021, 5, 10));
        // Cover from 2024-05-10 to 2026-05-09.
        let c = buy(&mut store, "k", &a, 2, d(2022, 1, 1)).unwrap();
        assert_eq!((dates(&c).1, dates(&c).2), (d(2024, 5, 10), d(2026, 5, 9)));
        let claim_on = |store: &mut Memory, order: &str, today: Day| {
            claim(store, "F-1", order, date(today))
                .unwrap()
                .map(|c| c.claims)
        };
        // (order, today, claims after, or None: not covered)
        let cases = [
            ("o1", d(2024, 5, 9), None),     // the maker's last day
            ("o2", d(2022, 1, 1), None),     // the day it was sold
            ("o3", d(2024, 5, 10), Some(1)), // the first day
            ("o3", d(2024, 5, 10), Some(1)), // the same order: not again
            ("o3", d(2024, 7, 1), Some(1)),  // the same order, another day
            ("o4", d(2025, 12, 31), Some(2)),
            ("o5", d(2026, 1, 1), Some(3)),
            ("o6", d(2026, 5, 9), Some(4)),  // the last day
            ("o7", d(2026, 5, 10), None),    // the day after
            ("o4", d(2026, 5, 10), Some(4)), // counted before: returned, not counted
            ("", d(2025, 1, 1), None),       // no order id
        ];
        for (order, today, want) in cases {
            assert_eq!(claim_on(&mut store, order, today), want, "{order} {today}");
        }
        assert_eq!(get(&store, "JJ-000001").unwrap().claims, 4);
        assert_eq!(store.get("claim/o6").as_deref(), Some(&b"JJ-000001"[..]));
        assert_eq!(store.get("claim/o7"), None);
        // Other machines, bad dates: not covered.
        assert_eq!(
            claim(&mut store, "F-2", "o8", date(d(2025, 1, 1))),
            Ok(None)
        );
        let not_a_date = Date {
            year: 2025,
            month: 13,
            day: 1,
        };
        assert_eq!(claim(&mut store, "F-1", "o8", not_a_date), Ok(None));
        assert_eq!(
            claim(&mut store, "F-1", &"o".repeat(129), date(d(2025, 1, 1))),
            Ok(None)
        );
        assert_eq!(get(&store, "JJ-000001").unwrap().claims, 4);
    }

    #[test]
    fn leap_day_claims() {
        let mut store = Memory::default();
        let a = fridge("LEAP", d(2024, 2, 29));
        let c = buy(&mut store, "k", &a, 1, d(2024, 3, 1)).unwrap();
        assert_eq!((dates(&c).1, dates(&c).2), (d(2027, 2, 28), d(2028, 2, 28)));
        // (today, covered)
        let cases = [
            (d(2027, 2, 27), false),
            (d(2027, 2, 28), true),
            (d(2028, 2, 28), true),
            (d(2028, 2, 29), false),
        ];
        for (n, (today, covered)) in cases.into_iter().enumerate() {
            let got = claim(&mut store, "LEAP", &format!("o{n}"), date(today)).unwrap();
            assert_eq!(got.is_some(), covered, "{today}");
        }
    }

    #[test]
    fn store_failures_write_nothing() {
        // A store almost full: the purchase fails on its last write and
        // leaves the store as it was.
        let mut store = Memory::default();
        let a = fridge("F-1", d(2024, 1, 10));
        buy(&mut store, "k1", &a, 1, d(2024, 6, 1)).unwrap();
        store.quota = store.used() + 100;
        let before = store.clone();
        let b = fridge("F-2", d(2024, 1, 10));
        let err = buy(&mut store, "k2", &b, 1, d(2024, 6, 1)).unwrap_err();
        assert!(err.starts_with("the store refused `"), "{err}");
        assert!(err.contains("over the quota"), "{err}");
        assert_eq!(store, before);
        // A claim that cannot be written is an error, and counts nothing.
        store.quota = store.used() + 5;
        let before = store.clone();
        let err = claim(&mut store, "F-1", "order-1", date(d(2027, 2, 1))).unwrap_err();
        assert!(err.contains("over the quota"), "{err}");
        assert_eq!(store, before);
    }

    #[test]
    fn numbering_and_listing() {
        let mut store = Memory::default();
        let bought = d(2024, 1, 10);
        for n in 1..=12 {
            let a = fridge(&format!("F-{n}"), bought);
            let c = buy(&mut store, &format!("k{n}"), &a, 1, d(2024, 6, 1)).unwrap();
            assert_eq!(c.id, format!("JJ-{n:06}"));
        }
        let ids = |list: Vec<Contract>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(
            ids(list(&store, "", 3)),
            ["JJ-000001", "JJ-000002", "JJ-000003"]
        );
        assert_eq!(
            ids(list(&store, "JJ-000003", 2)),
            ["JJ-000004", "JJ-000005"]
        );
        assert_eq!(ids(list(&store, "JJ-000011", 1000)), ["JJ-000012"]);
        assert_eq!(ids(list(&store, "JJ-000012", 1000)), Vec::<String>::new());
        assert_eq!(list(&store, "", 0), []);
        assert_eq!(list(&store, "", u32::MAX).len(), 12);
        // `after` need not be an id.
        assert_eq!(ids(list(&store, "JJ-00001", 1)), ["JJ-000010"]);
        assert_eq!(get(&store, "JJ-000013"), None);
        assert_eq!(get(&store, ""), None);
        // The counter near its end.
        store.set("counter", b"999998").unwrap();
        let c = buy(
            &mut store,
            "k-last",
            &fridge("F-last", bought),
            1,
            d(2024, 6, 1),
        )
        .unwrap();
        assert_eq!(c.id, "JJ-999999");
        let err = buy(
            &mut store,
            "k-over",
            &fridge("F-over", bought),
            1,
            d(2024, 6, 1),
        )
        .unwrap_err();
        assert!(err.contains("999999 contracts"), "{err}");
        // Storage: about 150 bytes a contract with short keys and serials.
        let per = store.used() / 13;
        assert!((100..200).contains(&per), "{per} bytes a contract");
    }

    #[test]
    fn list_is_capped() {
        let mut store = Memory::default();
        let bought = d(2024, 1, 10);
        for n in 1..=1001 {
            let a = fridge(&format!("F-{n}"), bought);
            buy(&mut store, &format!("k{n}"), &a, 1, d(2024, 6, 1)).unwrap();
        }
        assert_eq!(list(&store, "", u32::MAX).len(), 1000);
        assert_eq!(list(&store, "JJ-001000", u32::MAX).len(), 1);
    }
}
