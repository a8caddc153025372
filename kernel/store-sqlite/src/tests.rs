//! What is SQLite's own, beside the conformance suite (which tests the
//! store's behaviour through the traits: `tests/conformance.rs`).

/// The open-loads triggers count the orders in hand with a status range
/// in SQL: it must be the API's one definition of "in hand".
#[test]
fn the_sql_status_range_is_the_definition_of_in_hand() {
    let sql = include_str!("../migrations/sqlite/0006_open_loads.sql");
    let ranges: Vec<(i32, i32)> = sql
        .split("BETWEEN ")
        .skip(1)
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let low = words.next().and_then(|w| w.parse().ok());
            let and = words.next();
            let high = words.next().and_then(|w| {
                w.trim_end_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .ok()
            });
            match (low, and, high) {
                (Some(low), Some("AND"), Some(high)) => (low, high),
                _ => panic!("an unreadable range in: BETWEEN {rest}"),
            }
        })
        .collect();
    assert_eq!(ranges.len(), 5, "one range per trigger and the backfill");
    for (low, high) in ranges {
        assert_eq!(low..=high, xingji_api::statuses::IN_HAND);
    }
}
