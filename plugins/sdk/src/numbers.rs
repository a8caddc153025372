//! Integer arithmetic for money, permille and hundredths of a point: one
//! rounding rule (halves away from zero), no floats.

use std::fmt;

/// `num / den` rounded to the nearest integer, halves away from zero
/// (2.5 → 3, −2.5 → −3). A zero `den` gives 0 rather than a panic; callers
/// decide what an empty denominator means before they divide.
pub fn div_round(num: i128, den: i128) -> i128 {
    if den == 0 {
        return 0;
    }
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let (quotient, remainder) = (num / den, num % den);
    if remainder.abs() * 2 >= den {
        quotient + num.signum()
    } else {
        quotient
    }
}

/// `part / whole` in permille, rounded half up; `None` if `whole` is 0.
/// Not capped: a rate above 1000 ‰ is for the caller to cap.
pub fn permille(part: u64, whole: u64) -> Option<u64> {
    if whole == 0 {
        return None;
    }
    // u64 × 1000 fits in i128; a quotient past u64 saturates.
    let value = div_round(i128::from(part) * 1000, i128::from(whole));
    Some(u64::try_from(value).unwrap_or(u64::MAX))
}

/// A whole number scaled by 10^`decimals`, for display: `Fixed(8550, 2)`
/// shows `85.50`, `Fixed(-125, 2)` shows `-1.25`, `Fixed(7, 0)` shows `7`.
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub i128, pub u32);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(value, decimals) = *self;
        let sign = if value < 0 { "-" } else { "" };
        let magnitude = value.unsigned_abs();
        if decimals == 0 {
            return write!(f, "{sign}{magnitude}");
        }
        let scale = 10u128.pow(decimals.min(30));
        write!(
            f,
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = decimals as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_halves_away_from_zero() {
        let cases: &[(i128, i128, i128)] = &[
            (0, 7, 0),
            (5, 2, 3),
            (-5, 2, -3),
            (7, 2, 4),
            (-7, 2, -4),
            (4, 3, 1),
            (-4, 3, -1),
            (5, 3, 2),
            (-5, 3, -2),
            (1, 1000, 0),
            (-499, 1000, 0),
            (-500, 1000, -1),
            (500, 1000, 1),
            (5, -2, -3),
            (-5, -2, 3),
            (123, 0, 0),
            // L × (T − 1000) / 1000 for a negative coefficient.
            (12_345 * -100, 1000, -1235),
            (12_345 * -99, 1000, -1222),
        ];
        for &(num, den, want) in cases {
            assert_eq!(div_round(num, den), want, "{num} / {den}");
        }
    }

    #[test]
    fn permilles() {
        assert_eq!(permille(0, 0), None);
        assert_eq!(permille(31, 34), Some(912));
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(1, 2000), Some(1)); // 0.5 ‰ rounds up
        assert_eq!(permille(3, 1), Some(3000));
        assert_eq!(permille(u64::MAX, 1), Some(u64::MAX));
        assert_eq!(permille(u64::MAX, u64::MAX), Some(1000));
    }

    #[test]
    fn fixed_display() {
        let cases: &[(i128, u32, &str)] = &[
            (8550, 2, "85.50"),
            (-125, 2, "-1.25"),
            (5, 2, "0.05"),
            (-5, 2, "-0.05"),
            (0, 2, "0.00"),
            (7, 0, "7"),
            (-7, 0, "-7"),
            (1234, 3, "1.234"),
        ];
        for &(value, decimals, want) in cases {
            assert_eq!(Fixed(value, decimals).to_string(), want);
        }
    }
}
