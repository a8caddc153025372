//! The key-value store behind a trait, so that the contract rules run
//! natively in tests over a map, and over the host's `kv` in the component;
//! and the compact encoding of a contract.

use crate::dates::Day;
use crate::exports::xingji::plugins::warranty_plans::{Appliance, Contract};
use crate::rules::{LINES, date};
use xingji_plugin_sdk::wit::line_index;
use xingji_plugin_sdk::wit::types::Date;

/// The plugin's key-value store (WIT `kv`).
pub trait Store {
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Fails, with the reason, on a store limit.
    fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String>;
    fn delete(&mut self, key: &str);
    /// Keys starting with `prefix`, ordered, after `after`, at most `limit`.
    fn list_keys(&self, prefix: &str, after: &str, limit: u32) -> Vec<String>;
}

/// Sets every key of `writes`, or none: if one fails, the keys set before
/// it get their old values back (the host applies a call's writes
/// together, and a call that returns an error still succeeds, so a half
/// write would stay).
pub fn set_all(store: &mut impl Store, writes: &[(String, Vec<u8>)]) -> Result<(), String> {
    let mut done: Vec<(&str, Option<Vec<u8>>)> = Vec::with_capacity(writes.len());
    for (key, value) in writes {
        let before = store.get(key);
        if let Err(error) = store.set(key, value) {
            for (key, before) in done.into_iter().rev() {
                match before {
                    // It was there before this call, so it fits again.
                    Some(old) => {
                        let _ = store.set(key, &old);
                    }
                    None => store.delete(key),
                }
            }
            return Err(format!("the store refused `{key}`: {error}"));
        }
        done.push((key, before));
    }
    Ok(())
}

/// The layout version of an encoded contract.
const VERSION: u8 = 1;

/// A contract, without its id (that is in its key), in 54 bytes plus its
/// serial and phone: version, product line, the appliance's price,
/// purchase date, years, price, sold, start, end, claims, then the serial
/// and the phone each as a u16 length and UTF-8. Numbers little-endian; a
/// date is an i32 year, a month and a day.
pub fn encode(contract: &Contract) -> Vec<u8> {
    let a = &contract.appliance;
    let mut out = Vec::with_capacity(54 + a.serial.len() + contract.customer_phone.len());
    out.push(VERSION);
    out.push(line_index(a.product_line) as u8);
    out.extend_from_slice(&a.price.to_le_bytes());
    put_date(&mut out, a.purchase_date);
    out.extend_from_slice(&contract.years.to_le_bytes());
    out.extend_from_slice(&contract.price.to_le_bytes());
    for day in [contract.sold, contract.start, contract.end] {
        put_date(&mut out, day);
    }
    out.extend_from_slice(&contract.claims.to_le_bytes());
    for text in [&a.serial, &contract.customer_phone] {
        // Callers keep both short (64 bytes); never more than u16.
        let bytes = &text.as_bytes()[..text.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

fn put_date(out: &mut Vec<u8>, date: Date) {
    out.extend_from_slice(&date.year.to_le_bytes());
    out.push(date.month);
    out.push(date.day);
}

/// The contract `id` from its encoding; `None` if it is not one.
pub fn decode(id: &str, bytes: &[u8]) -> Option<Contract> {
    let mut r = Reader(bytes);
    if r.take::<1>()? != [VERSION] {
        return None;
    }
    let (product_line, _, _) = *LINES.get(usize::from(r.take::<1>()?[0]))?;
    let appliance_price = i64::from_le_bytes(r.take()?);
    let purchase = r.date()?;
    let years = u32::from_le_bytes(r.take()?);
    let price = i64::from_le_bytes(r.take()?);
    let (sold, start, end) = (r.date()?, r.date()?, r.date()?);
    let claims = u32::from_le_bytes(r.take()?);
    let serial = r.text()?;
    let customer_phone = r.text()?;
    if !r.0.is_empty() {
        return None;
    }
    Some(Contract {
        id: id.to_owned(),
        appliance: Appliance {
            product_line,
            price: appliance_price,
            purchase_date: date(purchase),
            serial,
        },
        years,
        price,
        customer_phone,
        sold: date(sold),
        start: date(start),
        end: date(end),
        claims,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn date(&mut self) -> Option<Day> {
        let year = i32::from_le_bytes(self.take()?);
        let [month, day] = self.take()?;
        Day::new(year, month, day)
    }

    fn text(&mut self) -> Option<String> {
        let len = usize::from(u16::from_le_bytes(self.take()?));
        if self.0.len() < len {
            return None;
        }
        let (text, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8(text.to_vec()).ok()
    }
}

/// An in-memory store with the host's limits, for the tests.
#[cfg(test)]
pub mod memory {
    use std::collections::BTreeMap;

    use super::Store;

    #[derive(Debug, Default, Clone, PartialEq)]
    pub struct Memory {
        pub map: BTreeMap<String, Vec<u8>>,
        /// Keys and values in all, at most; 0: the host's 16 MiB.
        pub quota: usize,
    }

    impl Memory {
        pub fn used(&self) -> usize {
            self.map.iter().map(|(k, v)| k.len() + v.len()).sum()
        }
    }

    impl Store for Memory {
        fn get(&self, key: &str) -> Option<Vec<u8>> {
            self.map.get(key).cloned()
        }

        fn set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
            if key.is_empty() || key.len() > 256 {
                return Err("a key is 1 to 256 bytes".into());
            }
            if value.len() > 64 << 10 {
                return Err("a value is at most 65536 bytes".into());
            }
            let quota = if self.quota == 0 {
                16 << 20
            } else {
                self.quota
            };
            let old = self.map.get(key).map_or(0, |v| key.len() + v.len());
            if self.used() - old + key.len() + value.len() > quota {
                return Err(format!("over the quota of {quota} bytes"));
            }
            self.map.insert(key.to_owned(), value.to_vec());
            Ok(())
        }

        fn delete(&mut self, key: &str) {
            self.map.remove(key);
        }

        fn list_keys(&self, prefix: &str, after: &str, limit: u32) -> Vec<String> {
            self.map
                .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
                .map(|(k, _)| k)
                .filter(|k| k.starts_with(prefix))
                .take(limit.min(1000) as usize)
                .cloned()
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::Memory;
    use super::*;
    use crate::rules::tests::{appliance, d};
    use xingji_plugin_sdk::wit::types::ProductLine;

    fn contract() -> Contract {
        Contract {
            id: "JJ-000042".into(),
            appliance: appliance(
                ProductLine::WaterHeater,
                259_900,
                d(2024, 2, 29),
                "WH-热水器-9",
            ),
            years: 2,
            price: 19_900,
            customer_phone: "13812345678".into(),
            sold: date(d(2025, 1, 31)),
            start: date(d(2027, 2, 28)),
            end: date(d(2029, 2, 27)),
            claims: 7,
        }
    }

    #[test]
    fn round_trip() {
        let c = contract();
        let bytes = encode(&c);
        assert_eq!(bytes.len(), 54 + c.appliance.serial.len() + 11);
        assert_eq!(decode("JJ-000042", &bytes), Some(c.clone()));
        // Every product line survives.
        for (line, _, _) in LINES {
            let mut c = c.clone();
            c.appliance.product_line = line;
            assert_eq!(decode("JJ-000042", &encode(&c)), Some(c));
        }
        // Empty texts and extremes.
        let mut c = c;
        c.appliance.serial.clear();
        c.customer_phone.clear();
        c.appliance.price = i64::MAX;
        c.claims = u32::MAX;
        assert_eq!(decode("JJ-000042", &encode(&c)), Some(c));
    }

    #[test]
    fn not_a_contract() {
        let bytes = encode(&contract());
        // Every truncation, a byte too many, another version, another line,
        // a date that is not one.
        for len in 0..bytes.len() {
            assert_eq!(decode("x", &bytes[..len]), None, "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode("x", &longer), None);
        let mut version = bytes.clone();
        version[0] = 2;
        assert_eq!(decode("x", &version), None);
        let mut line = bytes.clone();
        line[1] = 7;
        assert_eq!(decode("x", &line), None);
        let mut day = bytes.clone();
        day[15] = 30; // purchase day: 30 February
        assert_eq!(decode("x", &day), None);
        let mut utf8 = bytes.clone();
        utf8[56] = 0xff; // inside the serial
        assert_eq!(decode("x", &utf8), None);
    }

    #[test]
    fn all_or_nothing() {
        let mut store = Memory::default();
        store.set("a", b"old").unwrap();
        let writes = |big: usize| {
            vec![
                ("a".to_owned(), b"new".to_vec()),
                ("b".to_owned(), b"new".to_vec()),
                ("c".to_owned(), vec![0; big]),
            ]
        };
        let before = store.clone();
        let err = set_all(&mut store, &writes(65537)).unwrap_err();
        assert_eq!(err, "the store refused `c`: a value is at most 65536 bytes");
        assert_eq!(store, before);
        set_all(&mut store, &writes(1)).unwrap();
        assert_eq!(store.get("a").as_deref(), Some(&b"new"[..]));
        assert_eq!(store.get("b").as_deref(), Some(&b"new"[..]));
        // A long key fails the same way.
        let before = store.clone();
        let long = vec![("a".to_owned(), b"x".to_vec()), ("k".repeat(257), vec![])];
        assert!(
            set_all(&mut store, &long)
                .unwrap_err()
                .contains("a key is 1 to 256 bytes")
        );
        assert_eq!(store, before);
    }
}
