//! Strict parameters: a region's settings for a plugin that moves money or
//! grades outlets must not be silently ignored. Every name must be known
//! and set at most once, every value a number in range, or the call fails
//! with an error naming the parameter.

use std::ops::RangeInclusive;

use crate::numbers::Fixed;

/// The parameters of one call, checked.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    params: &'a [(String, String)],
}

impl<'a> Settings<'a> {
    /// Checks that every name is one `known` accepts and that none is set
    /// twice.
    pub fn new(
        params: &'a [(String, String)],
        known: impl Fn(&str) -> bool,
    ) -> Result<Self, String> {
        if let Some((name, _)) = params.iter().find(|(name, _)| !known(name)) {
            return Err(format!("unknown parameter `{name}`"));
        }
        let mut names: Vec<&str> = params.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!("parameter `{}` is set more than once", twice[0]));
        }
        Ok(Settings { params })
    }

    /// The raw value of `name`, if set.
    fn raw(&self, name: &str) -> Option<&'a str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The yes-or-no `name` (`true` or `false`), `default` if not set.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.raw(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(raw) => Err(format!(
                "parameter `{name}`: `{raw}` is not `true` or `false`"
            )),
        }
    }

    /// The whole number `name`, `default` if not set.
    pub fn whole(
        &self,
        name: &str,
        default: i64,
        range: RangeInclusive<i64>,
    ) -> Result<i64, String> {
        self.scaled(name, 0, default, range)
    }

    /// The decimal number `name` with at most `decimals` digits after the
    /// point, as a whole number of 10^−`decimals` units: with 2 decimals
    /// `0.25` is 25 and `90` is 9000. `default` and `range` are in those
    /// units. `default` if not set.
    pub fn scaled(
        &self,
        name: &str,
        decimals: u32,
        default: i64,
        range: RangeInclusive<i64>,
    ) -> Result<i64, String> {
        let Some(raw) = self.raw(name) else {
            return Ok(default);
        };
        let show = |v: i64| Fixed(i128::from(v), decimals).to_string();
        let value = parse_scaled(raw, decimals).ok_or_else(|| {
            if decimals == 0 {
                format!("parameter `{name}`: `{raw}` is not a whole number")
            } else {
                format!(
                    "parameter `{name}`: `{raw}` is not a number with at most {decimals} decimals"
                )
            }
        })?;
        if !range.contains(&value) {
            return Err(format!(
                "parameter `{name}`: {} is out of range ({} to {})",
                show(value),
                show(*range.start()),
                show(*range.end())
            ));
        }
        Ok(value)
    }
}

/// Parses `[-]digits[.digits]` (surrounding spaces allowed) into a whole
/// number of 10^−`decimals` units; `None` if malformed, with more decimals
/// than allowed, or too large for an `i64`.
fn parse_scaled(raw: &str, decimals: u32) -> Option<i64> {
    let text = raw.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (text.contains('.') && fraction.is_empty())
        || fraction.len() > decimals as usize
    {
        return None;
    }
    let mut value: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        if value > i128::from(i64::MAX) {
            return None;
        }
    }
    for _ in fraction.len()..decimals as usize {
        value = value.checked_mul(10)?;
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parsing() {
        let cases: &[(&str, u32, Option<i64>)] = &[
            ("90", 2, Some(9000)),
            (" 0.25 ", 2, Some(25)),
            ("0.5", 2, Some(50)),
            ("+1.5", 2, Some(150)),
            ("-5", 2, Some(-500)),
            ("-0.05", 2, Some(-5)),
            ("7", 0, Some(7)),
            ("007", 0, Some(7)),
            ("0.125", 2, None),
            ("1.", 2, None),
            (".5", 2, None),
            ("1.5", 0, None),
            ("", 0, None),
            ("-", 0, None),
            ("abc", 0, None),
            ("1e3", 0, None),
            ("1_000", 0, None),
            ("--1", 0, None),
            ("9223372036854775807", 0, Some(i64::MAX)),
            ("9223372036854775808", 0, None),
            ("99999999999999999999999999999999999999999", 0, None),
            ("92233720368547758", 2, Some(9_223_372_036_854_775_800)),
            ("92233720368547759", 2, None),
        ];
        for &(raw, decimals, want) in cases {
            assert_eq!(parse_scaled(raw, decimals), want, "{raw:?} with {decimals}");
        }
    }

    #[test]
    fn settings() {
        let known = |name: &str| name.starts_with("a.") || name == "b";
        let p = params(&[("a.x", "12"), ("b", "0.75")]);
        let s = Settings::new(&p, known).unwrap();
        assert_eq!(s.whole("a.x", 5, 0..=100), Ok(12));
        assert_eq!(s.whole("a.y", 5, 0..=100), Ok(5));
        assert_eq!(s.scaled("b", 2, 0, 0..=100), Ok(75));

        let err = s.whole("a.x", 5, 0..=10).unwrap_err();
        assert_eq!(err, "parameter `a.x`: 12 is out of range (0 to 10)");
        let err = s.scaled("b", 1, 0, 0..=10).unwrap_err();
        assert!(
            err.contains("`b`") && err.contains("at most 1 decimals"),
            "{err}"
        );
        let err = s.scaled("b", 2, 0, 0..=50).unwrap_err();
        assert_eq!(err, "parameter `b`: 0.75 is out of range (0.00 to 0.50)");

        let p = params(&[("a.x", "ten")]);
        let err = Settings::new(&p, known)
            .unwrap()
            .whole("a.x", 0, 0..=10)
            .unwrap_err();
        assert_eq!(err, "parameter `a.x`: `ten` is not a whole number");

        let p = params(&[("c", "1")]);
        assert_eq!(
            Settings::new(&p, known).unwrap_err(),
            "unknown parameter `c`"
        );
        let p = params(&[("a.x", "1"), ("b", "1"), ("a.x", "2")]);
        assert_eq!(
            Settings::new(&p, known).unwrap_err(),
            "parameter `a.x` is set more than once"
        );
        assert!(Settings::new(&[], known).is_ok());
    }
}
