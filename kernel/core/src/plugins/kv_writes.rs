//! The limits on a plugin's key-value store, checked on every operation, and
//! one call's writes, kept aside until the call's commit: bounded as they
//! come in, so that what the host holds for a call is bounded and its commit
//! is one small transaction.
//!
//! A write refused for a bound of the call (its keys, its bytes) or of the
//! store (the quota) fails the call, whatever the plugin did with the
//! error: a later write traps, and the commit writes nothing. A call's
//! writes are applied all or none, as before the bounds.

use std::collections::BTreeMap;

/// The longest key, in bytes (also the longest `list-keys` prefix and
/// `after`).
pub const KV_KEY_BYTES: usize = 256;
/// The largest value, in bytes.
pub const KV_VALUE_BYTES: usize = 64 << 10;
/// The most one plugin may keep in one region, keys and values.
pub const KV_TOTAL_BYTES: u64 = 16 << 20;
/// The most one call may write, keys and values, counting each key once
/// however often it is written (a delete counts its key): 16 of the
/// largest values. It bounds what the host holds for a call, and the commit
/// it makes (one transaction holding the store's write lock) stays small:
/// 1 MiB is a commit of milliseconds, where the unbounded 15,000 × 64 KiB
/// of issue 13 held the lock for 19 s.
pub const KV_CALL_BYTES: u64 = 1 << 20;
/// The most keys one call may write (set or delete), for the same reasons:
/// each is a statement of the commit's transaction.
pub const KV_CALL_KEYS: usize = 1000;

/// Checks the key of a `get`, `set` or `delete`.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > KV_KEY_BYTES {
        return Err(format!(
            "a kv key is 1 to {KV_KEY_BYTES} bytes, not {}",
            key.len()
        ));
    }
    Ok(())
}

/// Checks `list-keys`' `prefix` or `after` (`what`), which may be empty.
pub fn check_bound(what: &str, text: &str) -> Result<(), String> {
    if text.len() > KV_KEY_BYTES {
        return Err(format!(
            "a kv list-keys {what} is at most {KV_KEY_BYTES} bytes, not {}",
            text.len()
        ));
    }
    Ok(())
}

/// Checks the value of a `set`.
pub fn check_value(value: &[u8]) -> Result<(), String> {
    if value.len() > KV_VALUE_BYTES {
        return Err(format!(
            "a kv value is at most {KV_VALUE_BYTES} bytes, not {}",
            value.len()
        ));
    }
    Ok(())
}

/// The quota's refusal, the same whether found before the commit or by the
/// store's last guard inside it.
pub fn over_quota(used: u64) -> String {
    format!("key-value quota exceeded: {used} bytes, the limit is {KV_TOTAL_BYTES}")
}

/// Writes to commit, by key: `None` deletes.
pub type KvWrites = Vec<(String, Option<Vec<u8>>)>;

/// One pending write.
struct Write {
    /// The new value; `None` deletes.
    value: Option<Vec<u8>>,
    /// The bytes the key and its value took in the store before the call.
    stored: u64,
}

impl Write {
    /// What the host holds for it.
    fn held(key: &str, value: Option<&[u8]>) -> u64 {
        (key.len() + value.map_or(0, <[u8]>::len)) as u64
    }

    /// What the key and its value will take in the store.
    fn after(key: &str, value: Option<&[u8]>) -> u64 {
        value.map_or(0, |v| (key.len() + v.len()) as u64)
    }
}

/// A call's key-value writes, by key, bounded as they come in.
#[derive(Default)]
pub struct PendingWrites {
    writes: BTreeMap<String, Write>,
    /// What the host holds: the keys and values of `writes`.
    held: u64,
    /// The plugin's stored usage in the region, read at the first write.
    usage: Option<u64>,
    /// The usage after the writes, as far as they are known.
    projected: u64,
    /// Why a write was refused for a bound: the call then fails.
    refused: Option<String>,
}

impl PendingWrites {
    /// The call's own write of `key`: `Some(None)` if it deleted the key,
    /// `None` if it did not write it.
    pub fn get(&self, key: &str) -> Option<Option<&[u8]>> {
        self.writes.get(key).map(|w| w.value.as_deref())
    }

    /// The written keys in `(prefix, after)`'s range with whether each is
    /// set (or deleted), in order.
    pub fn keys_in(&self, prefix: &str, after: &str) -> Vec<(String, bool)> {
        self.writes
            .iter()
            .filter(|(key, _)| key.starts_with(prefix) && key.as_str() > after)
            .map(|(key, write)| (key.clone(), write.value.is_some()))
            .collect()
    }

    /// How many keys the call wrote.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Whether the call wrote nothing.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The refusal that fails the call, if a write was refused for a bound.
    pub fn refused(&self) -> Result<(), String> {
        self.refused.clone().map_or(Ok(()), Err)
    }

    /// Whether the plugin's stored usage must be read before a write.
    pub fn needs_usage(&self) -> bool {
        self.usage.is_none()
    }

    /// Sets the plugin's stored usage, read once per call.
    pub fn set_usage(&mut self, usage: u64) {
        if self.usage.is_none() {
            self.usage = Some(usage);
            self.projected = usage;
        }
    }

    /// Whether the stored size of `key` must be read before writing it:
    /// the first time the call writes it.
    pub fn needs_stored(&self, key: &str) -> bool {
        !self.writes.contains_key(key)
    }

    /// Checks and keeps a write of `key` (`None` deletes), whose key and
    /// value took `stored` bytes in the store before the call (ignored if the
    /// call wrote the key before). Keys and values are checked already. A
    /// refusal for a bound fails the call: it is kept, and returned again.
    pub fn write(
        &mut self,
        key: String,
        value: Option<Vec<u8>>,
        stored: u64,
    ) -> Result<(), String> {
        self.refused()?;
        let new_held = Write::held(&key, value.as_deref());
        let new_after = Write::after(&key, value.as_deref());
        let (old_held, old_after, stored) = match self.writes.get(&key) {
            Some(write) => (
                Write::held(&key, write.value.as_deref()),
                Write::after(&key, write.value.as_deref()),
                write.stored,
            ),
            None if self.writes.len() >= KV_CALL_KEYS => {
                return self.refuse(format!("a call writes at most {KV_CALL_KEYS} kv keys"));
            }
            None => (0, stored, stored),
        };
        let held = self.held.saturating_sub(old_held) + new_held;
        if held > KV_CALL_BYTES {
            return self.refuse(format!(
                "a call writes at most {KV_CALL_BYTES} bytes of kv keys and values, \
                 not {held}"
            ));
        }
        // Only a write that adds to the store can take it over the quota:
        // a delete or a smaller value is always allowed.
        let projected = self.projected.saturating_sub(old_after) + new_after;
        if new_after > old_after && projected > KV_TOTAL_BYTES {
            return self.refuse(over_quota(projected));
        }
        self.held = held;
        self.projected = projected;
        self.writes.insert(key, Write { value, stored });
        Ok(())
    }

    fn refuse(&mut self, why: String) -> Result<(), String> {
        self.refused = Some(why.clone());
        Err(why)
    }

    /// The writes to commit, leaving none; the refusal if a write was
    /// refused for a bound.
    pub fn take(&mut self) -> Result<KvWrites, String> {
        self.refused()?;
        self.held = 0;
        Ok(std::mem::take(&mut self.writes)
            .into_iter()
            .map(|(key, write)| (key, write.value))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(usage: u64) -> PendingWrites {
        let mut pending = PendingWrites::default();
        pending.set_usage(usage);
        pending
    }

    #[test]
    fn every_operation_checks_its_key_with_one_message() {
        let long = "k".repeat(KV_KEY_BYTES + 1);
        assert_eq!(
            check_key(&long),
            Err(format!(
                "a kv key is 1 to 256 bytes, not {}",
                KV_KEY_BYTES + 1
            ))
        );
        assert!(check_key("").is_err());
        assert!(check_key(&long[1..]).is_ok(), "256 bytes is a key");
        assert!(check_bound("prefix", "").is_ok());
        assert!(check_bound("after", &long[1..]).is_ok());
        assert!(check_bound("after", &long).unwrap_err().contains("after"));
        assert!(check_value(&vec![0; KV_VALUE_BYTES]).is_ok());
        assert!(check_value(&vec![0; KV_VALUE_BYTES + 1]).is_err());
    }

    #[test]
    fn the_call_holds_at_most_its_bytes_counting_a_key_once() {
        let mut p = pending(0);
        // 16 values of the largest size, their keys 1 byte short of them.
        let value = vec![0; KV_VALUE_BYTES - 1];
        for i in 0..16 {
            p.write(format!("{i:x}"), Some(value.clone()), 0)
                .expect("within");
        }
        assert_eq!(p.held, KV_CALL_BYTES);
        // Overwriting a key replaces what it held; a delete holds its key.
        p.write("0".into(), Some(value.clone()), 0)
            .expect("an overwrite");
        p.write("0".into(), None, 0).expect("a delete");
        assert_eq!(p.held, KV_CALL_BYTES - (KV_VALUE_BYTES as u64 - 1));
        let why = p.write("z".into(), vec![0; KV_VALUE_BYTES].into(), 0);
        assert_eq!(
            why,
            Err("a call writes at most 1048576 bytes of kv keys and values, not 1048578".into())
        );
        // From then on every write, and the commit, are refused.
        assert_eq!(p.write("x".into(), None, 0), why);
        assert_eq!(p.take().map(|w| w.len()), why.map(|()| 0));
    }

    #[test]
    fn the_call_writes_at_most_its_keys() {
        let mut p = pending(0);
        for i in 0..KV_CALL_KEYS {
            p.write(format!("k{i}"), None, 0).expect("within");
        }
        p.write("k0".into(), Some(b"again".to_vec()), 0)
            .expect("a key written before");
        assert_eq!(
            p.write("one-more".into(), None, 0),
            Err("a call writes at most 1000 kv keys".into())
        );
        assert!(p.take().is_err());
    }

    #[test]
    fn the_quota_counts_the_store_and_the_calls_changes() {
        // 10 bytes short of the quota, with "old" storing 3 + 97 bytes.
        let mut p = pending(KV_TOTAL_BYTES - 10);
        p.write("new".into(), Some(vec![0; 7]), 0)
            .expect("exactly at the quota");
        assert_eq!(
            p.write("more".into(), Some(Vec::new()), 0),
            Err(format!(
                "key-value quota exceeded: {} bytes, the limit is {KV_TOTAL_BYTES}",
                KV_TOTAL_BYTES + 4
            ))
        );
        let mut p = pending(KV_TOTAL_BYTES);
        p.write("old".into(), Some(vec![1; 97]), 100)
            .expect("an overwrite of the same size, at the quota");
        p.write("old".into(), None, 0)
            .expect("a delete frees 100 bytes");
        p.write("new".into(), Some(vec![0; 97]), 0)
            .expect("which a new key may take");
        assert!(p.write("x".into(), Some(Vec::new()), 0).is_err());
        // Over the quota (a lowered limit, say), shrinking is still allowed.
        let mut p = pending(KV_TOTAL_BYTES + 50);
        p.write("old".into(), Some(vec![0; 10]), 100)
            .expect("smaller");
        let writes = p.take().expect("writes");
        assert_eq!(writes, [("old".to_owned(), Some(vec![0; 10]))]);
    }
}
