//! Plain helpers shared by the plugins. No WIT types here: each plugin's
//! bindings are its own, so only what works on plain values is shared.

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
