//! Plain helpers shared by the plugins. No WIT types here: each plugin's
//! bindings are its own, so only what works on plain values is shared.

pub mod month;
pub mod numbers;
pub mod settings;

/// Implements `plugin.describe` for `$component` from the plugin crate's
/// Cargo metadata (name, version, description), with `$author`: the
/// manifest then cannot drift from the package. Use it beside
/// `wit_bindgen::generate!`, whose `exports` module it names.
#[macro_export]
macro_rules! describe_from_cargo {
    ($component:ty, $author:expr) => {
        impl exports::xingji::plugins::plugin::Guest for $component {
            fn describe() -> exports::xingji::plugins::plugin::Manifest {
                exports::xingji::plugins::plugin::Manifest {
                    name: env!("CARGO_PKG_NAME").into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    description: env!("CARGO_PKG_DESCRIPTION").into(),
                    author: $author.into(),
                }
            }
        }
    };
}

/// Distances from one point, the customer, to many, the outlets. Within a
/// region (well under 100 km) the equirectangular approximation is within
/// 0.1 % of the great circle and needs no trigonometry per outlet: on the
/// dispatch hot path that is most of the plugin's own work.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    lat: f64,
    lon: f64,
    /// Kilometres per degree of longitude here.
    km_per_lon: f64,
}

/// Kilometres per degree of latitude (and of longitude at the equator).
const KM_PER_DEGREE: f64 = 6371.0 * std::f64::consts::PI / 180.0;

impl Origin {
    /// Distances from `lat`, `lon` (degrees).
    pub fn new(lat: f64, lon: f64) -> Self {
        Origin {
            lat,
            lon,
            km_per_lon: KM_PER_DEGREE * lat.to_radians().cos(),
        }
    }

    /// Kilometres to `lat`, `lon`.
    pub fn km_to(&self, lat: f64, lon: f64) -> f64 {
        let north = (lat - self.lat) * KM_PER_DEGREE;
        let east = (lon - self.lon) * self.km_per_lon;
        (north * north + east * east).sqrt()
    }
}

/// Great-circle distance in kilometres between two points in degrees.
pub fn km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (la1, la2) = (lat1.to_radians(), lat2.to_radians());
    let dla = la2 - la1;
    let dlo = (lon2 - lon1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// The value of the numeric parameter `name`, if set, a number and not
/// negative.
pub fn param(params: &[(String, String)], name: &str) -> Option<f64> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value.trim().parse::<f64>().ok())
        .filter(|value| value.is_finite() && *value >= 0.0)
}

/// An engineer as dispatch sees it, in plain values.
#[derive(Debug, Clone, Copy)]
pub struct Engineer {
    /// Index of the engineer's outlet.
    pub outlet: usize,
    /// On duty, skilled in the product line and not eliminated.
    pub eligible: bool,
    /// Open orders.
    pub load: u32,
    /// On a warning licence: counts double, so gets fewer dispatches.
    pub warned: bool,
}

/// For each of `outlets` outlets, its eligible engineer with the least
/// weighted load ((open orders + 1), doubled on a warning licence), as an
/// index into `engineers`; the first wins a tie. One pass, so the cost
/// grows with outlets plus engineers, not their product.
pub fn least_loaded(outlets: usize, engineers: impl Iterator<Item = Engineer>) -> Vec<Option<u32>> {
    let mut best: Vec<Option<(u32, u32)>> = vec![None; outlets];
    for (index, engineer) in engineers.enumerate() {
        if !engineer.eligible {
            continue;
        }
        let Some(slot) = best.get_mut(engineer.outlet) else {
            continue;
        };
        let weight = engineer
            .load
            .saturating_add(1)
            .saturating_mul(if engineer.warned { 2 } else { 1 });
        if slot.is_none_or(|(least, _)| weight < least) {
            *slot = Some((weight, index as u32));
        }
    }
    best.into_iter()
        .map(|slot| slot.map(|(_, index)| index))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert!(km(31.2, 121.4, 31.2, 121.4).abs() < 1e-9);
        // One degree of latitude is about 111 km.
        assert!((km(31.0, 121.0, 32.0, 121.0) - 111.2).abs() < 0.5);
        // Shanghai to Beijing, about 1070 km.
        assert!((km(31.23, 121.47, 39.90, 116.40) - 1068.0).abs() < 15.0);
        // Within a region the cheap distance agrees with the great circle.
        let customer = Origin::new(31.199, 121.400);
        for (lat, lon) in [(31.2, 121.4), (31.23, 121.4), (31.3, 121.55), (30.9, 121.1)] {
            let exact = km(31.199, 121.400, lat, lon);
            assert!(
                (customer.km_to(lat, lon) - exact).abs() <= exact * 0.001 + 1e-9,
                "{lat} {lon}"
            );
        }
    }

    #[test]
    fn least_loaded_engineers() {
        let e = |outlet, eligible, load, warned| Engineer {
            outlet,
            eligible,
            load,
            warned,
        };
        let engineers = [
            e(0, true, 3, false),  // 0: weight 4
            e(0, true, 1, true),   // 1: weight 4, but later: the first wins the tie
            e(0, true, 0, true),   // 2: weight 2: least
            e(1, false, 0, false), // 3: not eligible
            e(2, true, 5, false),  // 4: the only one of outlet 2
            e(9, true, 0, false),  // 5: no such outlet
        ];
        assert_eq!(
            least_loaded(3, engineers.into_iter()),
            [Some(2), None, Some(4)]
        );
        assert_eq!(
            least_loaded(2, [e(0, true, 1, false), e(0, true, 1, true)].into_iter()),
            [Some(0), None]
        );
    }

    #[test]
    fn params() {
        let params = vec![
            ("speed_kmh".to_owned(), " 25 ".to_owned()),
            ("bad".to_owned(), "fast".to_owned()),
            ("neg".to_owned(), "-1".to_owned()),
        ];
        assert_eq!(param(&params, "speed_kmh"), Some(25.0));
        assert_eq!(param(&params, "bad"), None);
        assert_eq!(param(&params, "neg"), None);
        assert_eq!(param(&params, "missing"), None);
    }
}
