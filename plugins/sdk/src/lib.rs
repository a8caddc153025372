//! What the plugins share. [`wit`] generates the type-only WIT interfaces
//! (`types`, `month`) once; every plugin maps them to it with
//! wit-bindgen's `with`, so a `MonthOrder` or a `Grade` is one Rust type
//! here and in every plugin, and the rules here ([`month`], [`dispatch`])
//! take them as the kernel sends them. A slot's export types (a
//! `dispatch-request`, an `outlet-statement`) are each plugin's own: the
//! kit works on plain values there, and macros such as
//! [`describe_from_cargo!`] and [`dispatch_network!`] expand in the plugin
//! over its own bindings.

pub mod dispatch;
pub mod host;
pub mod month;
pub mod numbers;
pub mod settings;
#[cfg(not(target_arch = "wasm32"))]
pub mod test_host;
pub mod wit;

/// The bindings of a dispatch plugin, so that the tests here expand
/// [`dispatch_network!`] and [`dispatch_request!`] as a plugin does.
#[cfg(test)]
mod dispatch_world {
    wit_bindgen::generate!({
        path: "../wit/0.3.0",
        world: "xingji:plugins/dispatch",
        with: {
            "xingji:plugins/types@0.3.0": crate::wit::types,
            "xingji:plugins/log@0.3.0": crate::host::v0_3::log,
            "xingji:plugins/records@0.3.0": crate::host::v0_3::records,
        },
    });
}
#[cfg(test)]
use dispatch_world::exports;

/// Implements the `plugin` export for `$component`: `describe` from the
/// plugin crate's Cargo metadata (name, version, description), with
/// `$author`, so the manifest cannot drift from the package; and, for a
/// world of WIT 0.3.0 or later, `check-params` with `check_params = f`,
/// where `f(&[(String, String)]) -> Result<T, String>` reads the region's
/// parameters as the plugin's calls do (its `Ok` value is dropped). Use it
/// beside `wit_bindgen::generate!`, whose `exports` module it names.
#[macro_export]
macro_rules! describe_from_cargo {
    (@describe $author:expr) => {
        fn describe() -> exports::xingji::plugins::plugin::Manifest {
            exports::xingji::plugins::plugin::Manifest {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
                description: env!("CARGO_PKG_DESCRIPTION").into(),
                author: $author.into(),
            }
        }
    };
    ($component:ty, $author:expr) => {
        impl exports::xingji::plugins::plugin::Guest for $component {
            $crate::describe_from_cargo!(@describe $author);
        }
    };
    ($component:ty, $author:expr, check_params = $check:expr) => {
        impl exports::xingji::plugins::plugin::Guest for $component {
            $crate::describe_from_cargo!(@describe $author);

            fn check_params(params: Vec<(String, String)>) -> Result<(), String> {
                ($check)(&params).map(|_| ())
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
