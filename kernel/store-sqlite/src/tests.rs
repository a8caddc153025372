//! What is SQLite's own, beside the conformance suite (which tests the
//! store's behaviour through the traits: `tests/conformance.rs`).

/// Migrations 0006 (the first open-loads triggers, for files made before
/// 0010) and 0010 (the backfill of `in_hand`, which the kernel writes from
/// then on) name the orders in hand with a status range in SQL: it must be
/// the API's one definition of "in hand".
#[test]
fn the_sql_status_ranges_are_the_definition_of_in_hand() {
    for (sql, count) in [
        (include_str!("../migrations/sqlite/0006_open_loads.sql"), 5),
        (
            include_str!("../migrations/sqlite/0010_kernel_indexes.sql"),
            1,
        ),
    ] {
        check_ranges(sql, count);
    }
}

fn check_ranges(sql: &str, count: usize) {
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
    assert_eq!(ranges.len(), count, "the ranges of:\n{sql}");
    for (low, high) in ranges {
        assert_eq!(low..=high, xingji_api::statuses::IN_HAND);
    }
}
