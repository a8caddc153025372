//! The engineer's licence (DOMAIN.md section 2), run like a driving
//! licence: violations take points, credits give them, and the state
//! follows from the points. The points per event are our decision (the
//! source gives none) and are documented on `LicenceEventKind`.

use xingji_api::v1::{LicenceEventKind, LicenceState};

/// The points on a newly issued licence, and after a yearly review.
pub const LICENCE_POINTS: i32 = 12;
/// At or below this many points the licence is in warning.
pub const WARNING_AT: i32 = 6;
/// At or above this many points the licence is exemplary.
pub const EXEMPLARY_AT: i32 = 16;

/// The licence after `kind` happens to a licence at `points` in `state`:
/// `(points delta, points after, state after)`, or why the event does not
/// apply.
pub fn apply(
    points: i32,
    state: LicenceState,
    kind: LicenceEventKind,
) -> Result<(i32, i32, LicenceState), String> {
    use LicenceEventKind::*;
    let eliminated = state == LicenceState::Eliminated;
    let after = match kind {
        Unspecified => return Err("kind is required".to_owned()),
        Retrained if !eliminated => {
            return Err(format!(
                "only an eliminated licence is retrained; this one is {}",
                state.as_str_name()
            ));
        }
        Retrained => {
            return Ok((
                LICENCE_POINTS - points,
                LICENCE_POINTS,
                LicenceState::Normal,
            ));
        }
        // Elimination stands until retraining: no credit or review lifts it.
        _ if eliminated => points + delta(kind).min(0),
        YearlyReview => LICENCE_POINTS,
        _ => points + delta(kind),
    }
    .max(0);
    let state_after = if after == 0 || eliminated {
        LicenceState::Eliminated
    } else if after <= WARNING_AT {
        LicenceState::Warning
    } else if after >= EXEMPLARY_AT {
        LicenceState::Exemplary
    } else {
        LicenceState::Normal
    };
    Ok((after - points, after, state_after))
}

/// The points an event moves, before the floor of 0.
pub fn delta(kind: LicenceEventKind) -> i32 {
    use LicenceEventKind::*;
    match kind {
        PromiseBroken => -3,
        NonStandardService => -2,
        Overcharging => -6,
        RepeatRepair => -2,
        Delight => 2,
        SmallImprovement => 1,
        Unspecified | YearlyReview | Retrained => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LicenceEventKind::{
        Delight, NonStandardService, Overcharging, PromiseBroken, Retrained, YearlyReview,
    };
    use LicenceState::{Eliminated, Exemplary, Normal, Warning};

    fn run(events: &[LicenceEventKind]) -> (i32, LicenceState) {
        events
            .iter()
            .fold((LICENCE_POINTS, Normal), |(points, state), &kind| {
                let (_, points, state) = apply(points, state, kind).expect("applies");
                (points, state)
            })
    }

    #[test]
    fn the_state_follows_the_points() {
        assert_eq!(run(&[]), (12, Normal));
        assert_eq!(run(&[PromiseBroken, NonStandardService]), (7, Normal));
        assert_eq!(run(&[PromiseBroken, PromiseBroken]), (6, Warning));
        assert_eq!(run(&[Delight, Delight]), (16, Exemplary));
        assert_eq!(run(&[Overcharging, Overcharging]), (0, Eliminated));
        assert_eq!(
            run(&[Overcharging, Overcharging, Overcharging]),
            (0, Eliminated)
        );
        assert_eq!(
            run(&[PromiseBroken, PromiseBroken, YearlyReview]),
            (12, Normal)
        );
    }

    #[test]
    fn elimination_stands_until_retraining() {
        let gone = [Overcharging, Overcharging];
        assert_eq!(
            run(&[&gone[..], &[Delight, YearlyReview]].concat()),
            (0, Eliminated)
        );
        assert_eq!(run(&[&gone[..], &[Retrained]].concat()), (12, Normal));
        assert!(apply(12, Normal, Retrained).is_err());
        assert!(apply(12, Normal, LicenceEventKind::Unspecified).is_err());
    }
}
