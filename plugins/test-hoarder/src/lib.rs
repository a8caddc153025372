//! Test only: a warranty plugin that hoards key-value writes, to prove that
//! the kernel bounds a call's writes while it runs. `quote` does what the
//! appliance's serial says, ignoring every refusal as a hostile plugin
//! would, and answers with what its store holds then (one plan: `years` =
//! keys, `price` = bytes of keys and values):
//!
//! - `seed`: sets `seed` to a few bytes (the "earlier data");
//! - `check`: nothing; just the answer;
//! - `delete-huge:N:BYTES`: N deletes of keys of BYTES bytes;
//! - `set:N:BYTES`: N sets of keys `h/00000`… to values of BYTES bytes;
//! - `exact:BYTES:KEYS`: one key of 256 bytes to a value of 64 KiB, and
//!   KEYS - 1 more, BYTES of keys and values in all;
//! - `fill:TAG`: 16 keys `f/TAG/00`… of 64 KiB each, key and value.

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "xingji:plugins/warranty",
    with: { "xingji:plugins/types@0.2.0": xingji_plugin_sdk::wit::types },
});

use exports::xingji::plugins::warranty_plans::{Appliance, Contract, Guest as Warranty, Plan};
use xingji::plugins::kv;
use xingji_plugin_sdk::wit::types::{Date, Params};

struct Component;

export!(Component);

xingji_plugin_sdk::describe_from_cargo!(Component, "Xingji tests");

/// The kernel's largest key and value.
const KEY_BYTES: usize = 256;
const VALUE_BYTES: usize = 64 << 10;

fn number(word: Option<&str>) -> Result<usize, String> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| "a number is missing".to_owned())
}

/// Keys and bytes of keys and values, as the store and this call's writes
/// show them.
fn held() -> (u32, i64) {
    let (mut keys, mut bytes, mut after) = (0, 0, String::new());
    loop {
        let page = kv::list_keys("", &after, 1000);
        let Some(last) = page.last().cloned() else {
            return (keys, bytes);
        };
        for key in &page {
            keys += 1;
            bytes += (key.len() + kv::get(key).map_or(0, |v| v.len())) as i64;
        }
        after = last;
    }
}

fn hoard(command: &str) -> Result<(), String> {
    let mut words = command.split(':');
    match words.next() {
        Some("seed") => kv::set("seed", b"earlier data"),
        Some("check") => Ok(()),
        Some("delete-huge") => {
            let (n, bytes) = (number(words.next())?, number(words.next())?);
            let mut key = "k".repeat(bytes).into_bytes();
            for i in 0..n {
                // A different key each time, without another allocation.
                key[0] = b'a' + (i % 26) as u8;
                kv::delete(std::str::from_utf8(&key).map_err(|e| e.to_string())?);
            }
            Ok(())
        }
        Some("set") => {
            let (n, bytes) = (number(words.next())?, number(words.next())?);
            let value = vec![7; bytes];
            for i in 0..n {
                let _ignored = kv::set(&format!("h/{i:05}"), &value);
            }
            Ok(())
        }
        Some("exact") => {
            let (total, keys) = (number(words.next())?, number(words.next())?);
            let first = "K".repeat(KEY_BYTES);
            kv::set(&first, &vec![1; VALUE_BYTES])?;
            let mut left = total - KEY_BYTES - VALUE_BYTES;
            for i in 1..keys {
                let key = format!("e/{i:04}");
                // An even share of what is left, the last key the rest.
                let share = if i + 1 == keys {
                    left
                } else {
                    left / (keys - i)
                };
                kv::set(&key, &vec![2; share - key.len()])?;
                left -= share;
            }
            Ok(())
        }
        Some("fill") => {
            let tag = words.next().unwrap_or_default();
            for i in 0..16 {
                let key = format!("f/{tag}/{i:02}");
                kv::set(&key, &vec![3; VALUE_BYTES - key.len()])?;
            }
            Ok(())
        }
        _ => Err(format!("test-hoarder does not know `{command}`")),
    }
}

impl Warranty for Component {
    fn quote(appliance: Appliance, _today: Date, _params: Params) -> Result<Vec<Plan>, String> {
        // Refusals are ignored where the plugin writes on regardless; the
        // others end the call with the error.
        hoard(&appliance.serial)?;
        let (keys, bytes) = held();
        Ok(vec![Plan {
            years: keys,
            price: bytes,
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
        Err("test-hoarder sells nothing".into())
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
