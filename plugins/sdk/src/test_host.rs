//! The kernel's capabilities in memory, for a plugin's native tests (`cargo
//! test`): what [`host`](crate::host) is when the plugin is not built for
//! wasm32. Each test thread has its own host; a test fills it with
//! [`TestHost`] and [`TestHost::install`], calls the plugin's exports as
//! plain functions, and reads back what it logged, wrote and created.
//!
//! ```ignore
//! use xingji_plugin_sdk::test_host::{self, TestHost};
//!
//! TestHost::new().outlets(vec![outlet]).kv("plans/1", b"...").install();
//! let answer = Component::quote(appliance, today, params);
//! assert_eq!(test_host::logged().len(), 1);
//! ```
//!
//! It keeps the kernel's bounds where a plugin could come to rely on
//! their absence: `records` lists at most 1,000 by id after `after`, a kv
//! key is 1 to 256 bytes and a value at most 64 KiB (`set` refuses it as
//! the kernel does), and a call may log 100 lines. It does not drop a
//! failed call's kv writes: a test sees every write made.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::host::interfaces;
use crate::wit::types::{Order, Outlet, Person};

/// The most a `records` list answers, as the kernel.
const LIST_LIMIT: u32 = 1000;
/// The longest kv key, as the kernel.
const KV_KEY_BYTES: usize = 256;
/// The largest kv value, as the kernel.
const KV_VALUE_BYTES: usize = 64 << 10;
/// The most lines a call may log, as the kernel's default.
const LOG_LINES: usize = 100;

/// What a test gives the plugin, and what the plugin left.
#[derive(Debug, Clone)]
pub struct TestHost {
    outlets: Vec<Outlet>,
    people: Vec<Person>,
    orders: Vec<Order>,
    kv: BTreeMap<String, Vec<u8>>,
    remaining_ms: u32,
    logged: Vec<(log::Level, String)>,
    created: Vec<order_writer::NewOrder>,
}

impl Default for TestHost {
    fn default() -> Self {
        Self::new()
    }
}

impl TestHost {
    /// No records, an empty kv store, 1,000 ms of budget.
    pub fn new() -> Self {
        TestHost {
            outlets: Vec::new(),
            people: Vec::new(),
            orders: Vec::new(),
            kv: BTreeMap::new(),
            remaining_ms: 1000,
            logged: Vec::new(),
            created: Vec::new(),
        }
    }

    /// The region's outlets, as `records` gives them.
    pub fn outlets(mut self, outlets: Vec<Outlet>) -> Self {
        self.outlets = outlets;
        self
    }

    /// The region's people.
    pub fn people(mut self, people: Vec<Person>) -> Self {
        self.people = people;
        self
    }

    /// The region's orders.
    pub fn orders(mut self, orders: Vec<Order>) -> Self {
        self.orders = orders;
        self
    }

    /// A kv entry already there.
    pub fn kv(mut self, key: &str, value: &[u8]) -> Self {
        self.kv.insert(key.to_owned(), value.to_vec());
        self
    }

    /// What `budget.remaining-ms` answers.
    pub fn remaining_ms(mut self, ms: u32) -> Self {
        self.remaining_ms = ms;
        self
    }

    /// Makes this the host of the calling thread (the test's).
    pub fn install(self) {
        HOST.with(|host| *host.borrow_mut() = self);
    }
}

thread_local! {
    static HOST: RefCell<TestHost> = RefCell::new(TestHost::new());
}

fn with<T>(f: impl FnOnce(&mut TestHost) -> T) -> T {
    HOST.with(|host| f(&mut host.borrow_mut()))
}

/// The lines logged so far on this thread, in order.
pub fn logged() -> Vec<(log::Level, String)> {
    with(|host| host.logged.clone())
}

/// The kv store as the plugin left it.
pub fn kv_entries() -> BTreeMap<String, Vec<u8>> {
    with(|host| host.kv.clone())
}

/// The orders the plugin asked to create, in order.
pub fn created_orders() -> Vec<order_writer::NewOrder> {
    with(|host| host.created.clone())
}

/// Items of `items` ordered by id after `after`, at most `limit`.
fn page<T: Clone>(items: &[T], id: impl Fn(&T) -> &str, after: &str, limit: u32) -> Vec<T> {
    let mut page: Vec<&T> = items.iter().filter(|item| id(item) > after).collect();
    page.sort_by(|a, b| id(a).cmp(id(b)));
    page.into_iter()
        .take(limit.min(LIST_LIMIT) as usize)
        .cloned()
        .collect()
}

/// `log`, into the test host.
pub mod log {
    pub use super::interfaces::log::Level;

    /// Logs one line; past 100 in a test the call fails, as in the kernel.
    pub fn log(level: Level, message: &str) {
        super::with(|host| {
            assert!(
                host.logged.len() < super::LOG_LINES,
                "log limit exceeded: more than {} lines in one call",
                super::LOG_LINES
            );
            host.logged.push((level, message.to_owned()));
        });
    }
}

/// `log` of WIT 0.3.0, into the same lines as [`log`] (its levels read
/// back as 0.2.0's, which have the same names).
pub mod log_0_3 {
    pub use crate::host::v0_3::interfaces::log::Level;

    /// Logs one line, as [`super::log::log`].
    pub fn log(level: Level, message: &str) {
        use super::log::Level as Logged;
        let level = match level {
            Level::Trace => Logged::Trace,
            Level::Debug => Logged::Debug,
            Level::Info => Logged::Info,
            Level::Warn => Logged::Warn,
            Level::Error => Logged::Error,
        };
        super::log::log(level, message)
    }
}

/// `records`, over the test host's records.
pub mod records {
    use super::{LIST_LIMIT, page, with};
    use crate::wit::types::{Order, Outlet, Person};

    /// The outlet with this id, if any.
    pub fn get_outlet(id: &str) -> Option<Outlet> {
        with(|host| host.outlets.iter().find(|o| o.id == id).cloned())
    }

    /// Outlets by id after `after`, at most `limit` (at most 1,000).
    pub fn list_outlets(after: &str, limit: u32) -> Vec<Outlet> {
        with(|host| page(&host.outlets, |o| &o.id, after, limit))
    }

    /// The person with this id, if any.
    pub fn get_person(id: &str) -> Option<Person> {
        with(|host| host.people.iter().find(|p| p.id == id).cloned())
    }

    /// People (of one outlet if `outlet_id` is not empty), as
    /// `list_outlets`.
    pub fn list_people(outlet_id: &str, after: &str, limit: u32) -> Vec<Person> {
        with(|host| {
            let people: Vec<Person> = host
                .people
                .iter()
                .filter(|p| outlet_id.is_empty() || p.outlet_id == outlet_id)
                .cloned()
                .collect();
            page(&people, |p| &p.id, after, limit.min(LIST_LIMIT))
        })
    }

    /// The order with this id, if any.
    pub fn get_order(id: &str) -> Option<Order> {
        with(|host| host.orders.iter().find(|o| o.id == id).cloned())
    }

    /// Orders, as `list_outlets`.
    pub fn list_orders(after: &str, limit: u32) -> Vec<Order> {
        with(|host| page(&host.orders, |o| &o.id, after, limit))
    }
}

/// `kv`, in the test host's map.
pub mod kv {
    use super::{KV_KEY_BYTES, KV_VALUE_BYTES, with};

    fn check_key(key: &str) {
        assert!(
            (1..=KV_KEY_BYTES).contains(&key.len()),
            "a kv key is 1 to {KV_KEY_BYTES} bytes, not {}",
            key.len()
        );
    }

    /// The value of `key`, if set.
    pub fn get(key: &str) -> Option<Vec<u8>> {
        check_key(key);
        with(|host| host.kv.get(key).cloned())
    }

    /// Sets `key`; refuses a value over 64 KiB, as the kernel does.
    pub fn set(key: &str, value: &[u8]) -> Result<(), String> {
        check_key(key);
        if value.len() > KV_VALUE_BYTES {
            return Err(format!(
                "a kv value is at most {KV_VALUE_BYTES} bytes, not {}",
                value.len()
            ));
        }
        with(|host| host.kv.insert(key.to_owned(), value.to_vec()));
        Ok(())
    }

    /// Removes `key`, if set.
    pub fn delete(key: &str) {
        check_key(key);
        with(|host| host.kv.remove(key));
    }

    /// Keys starting with `prefix`, ordered, after `after`, at most `limit`.
    pub fn list_keys(prefix: &str, after: &str, limit: u32) -> Vec<String> {
        with(|host| {
            host.kv
                .keys()
                .filter(|key| key.starts_with(prefix) && key.as_str() > after)
                .take(limit as usize)
                .cloned()
                .collect()
        })
    }
}

/// `budget`, as the test host sets it.
pub mod budget {
    /// Milliseconds left, as [`TestHost::remaining_ms`](super::TestHost::remaining_ms) set.
    pub fn remaining_ms() -> u32 {
        super::with(|host| host.remaining_ms)
    }
}

/// `order-writer`, recording what the plugin creates.
pub mod order_writer {
    pub use super::interfaces::order_writer::NewOrder;

    /// Records the order and answers its id, `test-N` (the same request key
    /// answers the first one's id, as the kernel does).
    pub fn create_order(order: &NewOrder) -> Result<String, String> {
        super::with(|host| {
            let index = host
                .created
                .iter()
                .position(|o| o.request_key == order.request_key)
                .unwrap_or_else(|| {
                    host.created.push(order.clone());
                    host.created.len() - 1
                });
            Ok(format!("test-{}", index + 1))
        })
    }
}
