//! Record ids: `<kind>_<ULID>` (`out_`, `per_`, `ord_`, `aud_`, `lic_`).

/// A new record id: a prefix naming the kind, then a ULID. ULIDs from one
/// generator are monotonic, so ids sort in creation order even within one
/// millisecond, and lists ordered by id are oldest first.
pub fn new_id(prefix: &str) -> String {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let ulid = GENERATOR
        .lock()
        .ok()
        .and_then(|mut generator| generator.generate().ok())
        .unwrap_or_else(|| ulid::Ulid::from_datetime(std::time::SystemTime::now()));
    format!("{prefix}_{ulid}")
}

/// The smallest id of `prefix` a record made at Unix time `seconds` can
/// have: with ULID ids, a time window is a range of ids.
pub fn first_id_at(prefix: &str, seconds: i64) -> String {
    let ms = u64::try_from(seconds.max(0)).unwrap_or(0) * 1000;
    format!("{prefix}_{}", ulid::Ulid::from_parts(ms, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_creation_order() {
        let ids: Vec<String> = (0..100).map(|_| new_id("ord")).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(first_id_at("ord", 0) < ids[0]);
    }
}
