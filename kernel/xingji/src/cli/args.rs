//! Argument types and value parsers that several command groups share.
//!
//! Empty strings and `unspecified` enums are how the API says "no filter" or
//! "not given", so their defaults are hidden from help: `[default: ""]`
//! would tell a user nothing true that the flag's text does not.

use clap::Args;
use xingji_api::v1::GeoPoint;

use super::descriptors::POOL;

/// Paging flags of every `list` with a region filter.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Only records of this region [default: all regions].
    #[arg(long, default_value = "", hide_default_value = true)]
    pub region: String,
    /// At most this many records (1 to 1000) [default: 50].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub page_size: i32,
    /// The next_page_token of the page before [default: the first page].
    #[arg(long, default_value = "", hide_default_value = true)]
    pub page_token: String,
}

/// A field-to-flag table of a list with [`PageArgs`]: the entries of the
/// paging flags, then those given.
macro_rules! page_flags {
    ($($entry:expr),* $(,)?) => {
        &[
            ("region", "--region"),
            ("page_size", "--page-size"),
            ("page_token", "--page-token"),
            $($entry),*
        ]
    };
}
pub(crate) use page_flags;

/// The list request `$request { … }` with the region and paging of `$page`
/// (a [`PageArgs`]), and the other fields as given.
macro_rules! page_request {
    ($page:expr, $request:ident { $($fields:tt)* }) => {{
        let page = $page;
        $request {
            region: page.region,
            page_size: page.page_size,
            page_token: page.page_token,
            $($fields)*
        }
    }};
}
pub(crate) use page_request;

/// Paging flags of a list within one record (no region).
#[derive(Debug, Args)]
pub struct PagingArgs {
    /// At most this many records (1 to 1000) [default: 50].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub page_size: i32,
    /// The next_page_token of the page before [default: the first page].
    #[arg(long, default_value = "", hide_default_value = true)]
    pub page_token: String,
}

/// A location that may be left out (both flags or neither).
#[derive(Debug, Args)]
pub struct LocationArgs {
    /// Latitude in degrees (with --lon).
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Longitude in degrees (with --lat).
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
}

impl LocationArgs {
    /// The point, if both flags were given.
    pub fn point(&self) -> Option<GeoPoint> {
        Some(GeoPoint {
            lat: self.lat?,
            lon: self.lon?,
        })
    }
}

/// A location the server requires.
#[derive(Debug, Args)]
pub struct RequiredLocation {
    /// Latitude in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub lat: f64,
    /// Longitude in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub lon: f64,
}

impl RequiredLocation {
    /// The point.
    pub fn point(&self) -> GeoPoint {
        GeoPoint {
            lat: self.lat,
            lon: self.lon,
        }
    }
}

/// A clap parser for values of the proto enum `full_name` in short form:
/// `star-centre` for `OUTLET_TIER_STAR_CENTRE` (the full name works too).
pub fn enum_arg(
    full_name: &'static str,
) -> impl Fn(&str) -> Result<i32, String> + Clone + Send + Sync + 'static {
    move |input: &str| {
        let descriptor = POOL
            .get_enum_by_name(full_name)
            .ok_or_else(|| format!("no enum type {full_name}"))?;
        let prefix = descriptor
            .values()
            .find(|v| v.number() == 0)
            .map(|v| v.name().trim_end_matches("UNSPECIFIED").to_owned())
            .unwrap_or_default();
        let wanted = input.trim().to_uppercase().replace('-', "_");
        descriptor
            .values()
            .find(|v| v.name() == wanted || v.name() == format!("{prefix}{wanted}"))
            .map(|v| v.number())
            .ok_or_else(|| {
                let names: Vec<String> = descriptor
                    .values()
                    .filter(|v| v.number() != 0)
                    .map(|v| {
                        v.name()
                            .trim_start_matches(&prefix)
                            .to_lowercase()
                            .replace('_', "-")
                    })
                    .collect();
                format!("one of: {}", names.join(", "))
            })
    }
}

/// Parses an RFC 3339 time with its offset: `2026-11-29T10:00:00+08:00`,
/// `2026-11-29T02:00:00Z`. A time without an offset is refused rather than
/// read as UTC, which would put a Beijing appointment eight hours late.
pub fn time_arg(input: &str) -> Result<prost_types::Timestamp, String> {
    let wrong = || {
        format!("{input:?} is not an RFC 3339 time with its offset, e.g. 2026-11-29T10:00:00+08:00")
    };
    let (_, time) = input.split_once(['T', 't']).ok_or_else(wrong)?;
    if !(time.ends_with(['Z', 'z']) || time.contains(['+', '-'])) {
        return Err(wrong());
    }
    input.parse().map_err(|_| wrong())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_need_an_offset_and_a_real_date() {
        let beijing = time_arg("2026-11-29T10:00:00+08:00").expect("parses");
        let utc = time_arg("2026-11-29T02:00:00Z").expect("parses");
        assert_eq!(beijing, utc);
        assert_eq!(beijing.seconds, 1_795_917_600);
        assert_eq!(
            time_arg("2026-11-29t02:00:00.5z").expect("parses").nanos,
            500_000_000
        );
        assert_eq!(
            time_arg("2026-11-28T21:00:00-05:00").expect("parses"),
            utc,
            "a negative offset"
        );
        for bad in [
            "2026-11-29",
            "2026-11-29T10:00:00",
            "2026-11-29 10:00:00+08:00",
            "2026-02-30T10:00:00+08:00",
            "2026-11-29T25:00:00+08:00",
            "2026-11-29T10:00+08:00",
            "tomorrow",
            "",
        ] {
            let error = time_arg(bad).expect_err(bad);
            assert!(error.contains("RFC 3339"), "{error}");
        }
    }

    #[test]
    fn enums_read_short_and_full_names() {
        let tier = enum_arg("xingji.v1.OutletTier");
        let star = tier("star-centre").expect("short");
        assert_eq!(tier("OUTLET_TIER_STAR_CENTRE"), Ok(star));
        let error = tier("castle").expect_err("no such tier");
        assert!(error.contains("star-centre"), "{error}");
    }
}
