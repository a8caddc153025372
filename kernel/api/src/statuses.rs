//! What an order's status means beyond its name: the one definition of an
//! open order and of an order in hand, which the kernel's workflow, its
//! store's SQL and the month close all use.

use std::ops::RangeInclusive;

use crate::v1::OrderStatus;

/// The statuses in hand, as numbers: what the store's SQL compares
/// (`status BETWEEN 2 AND 5`). A test ties the two.
pub const IN_HAND: RangeInclusive<i32> = 2..=5;

impl OrderStatus {
    /// Open: the order's life is not over — neither completed nor ended.
    /// Its SLA clocks run, and it can still be cancelled or invalidated.
    /// INTAKE to ON_SITE.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::Intake
                | OrderStatus::Dispatched
                | OrderStatus::Accepted
                | OrderStatus::Contacted
                | OrderStatus::OnSite
        )
    }

    /// In hand: an outlet and engineer have the order and have not finished
    /// it, so it counts against their load (dispatch) and their backlog
    /// (the month close). DISPATCHED to ON_SITE: an order in intake is in
    /// no one's hands.
    pub const fn is_in_hand(self) -> bool {
        matches!(
            self,
            OrderStatus::Dispatched
                | OrderStatus::Accepted
                | OrderStatus::Contacted
                | OrderStatus::OnSite
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_hand_is_the_numbered_range_and_open_but_intake() {
        for value in -1..20 {
            let Ok(status) = OrderStatus::try_from(value) else {
                assert!(!IN_HAND.contains(&value), "{value} is not a status");
                continue;
            };
            assert_eq!(status.is_in_hand(), IN_HAND.contains(&value), "{status:?}");
            assert_eq!(
                status.is_open(),
                status.is_in_hand() || status == OrderStatus::Intake,
                "{status:?}"
            );
        }
    }
}
