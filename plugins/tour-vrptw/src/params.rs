//! The plugin's parameters, strict as in every plugin: an unknown name, a
//! name set twice or a value out of range fails the call, naming the
//! parameter.

use xingji_plugin_sdk::settings::Settings;

use crate::search::Config;

/// The names this plugin reads.
pub const NAMES: [&str; 9] = [
    "iterations",
    "fleet-share",
    "sa.start",
    "sa.end",
    "ruin.removed",
    "ruin.string",
    "ruin.split",
    "blink",
    "local.near",
];

/// The search's configuration from the region's parameters.
pub fn config(params: &[(String, String)]) -> Result<Config, String> {
    let s = Settings::new(params, |name| NAMES.contains(&name))?;
    let d = Config::default();
    let permille = |x: f64| (x * 1000.0).round() as i64;
    let t_start = s.scaled("sa.start", 4, (d.t_start * 1e4).round() as i64, 0..=100_000)?;
    let t_end = s.scaled("sa.end", 4, (d.t_end * 1e4).round() as i64, 0..=100_000)?;
    if t_end > t_start {
        return Err(format!(
            "parameter `sa.end`: {} is above `sa.start` {}",
            t_end as f64 / 1e4,
            t_start as f64 / 1e4
        ));
    }
    let mut config = d;
    config.iterations = s.whole("iterations", 0, 0..=1_000_000_000_000)? as u64;
    config.fleet_share =
        s.whole("fleet-share", permille(d.fleet_share) / 10, 0..=100)? as f64 / 100.0;
    config.t_start = t_start as f64 / 1e4;
    config.t_end = t_end as f64 / 1e4;
    config.knobs.removed = s.whole("ruin.removed", d.knobs.removed as i64, 1..=1000)? as f64;
    config.knobs.string = s.whole("ruin.string", d.knobs.string as i64, 1..=1000)? as f64;
    config.knobs.split = s.whole("ruin.split", permille(d.knobs.split), 0..=1000)? as f64 / 1000.0;
    config.knobs.blink = s.whole("blink", permille(d.knobs.blink), 0..=1000)? as f64 / 1000.0;
    config.near = s.whole("local.near", d.near as i64, 0..=1000)? as usize;
    Ok(config)
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
    fn defaults_and_overrides() {
        assert_eq!(config(&[]), Ok(Config::default()));
        let c = config(&params(&[
            ("iterations", "5000"),
            ("fleet-share", "30"),
            ("sa.start", "0.5"),
            ("sa.end", "0.0025"),
            ("ruin.removed", "15"),
            ("ruin.string", "8"),
            ("ruin.split", "250"),
            ("blink", "0"),
            ("local.near", "0"),
        ]))
        .unwrap();
        assert_eq!(c.iterations, 5000);
        assert_eq!(c.fleet_share, 0.3);
        assert_eq!((c.t_start, c.t_end), (0.5, 0.0025));
        assert_eq!(
            (c.knobs.removed, c.knobs.string, c.knobs.split),
            (15.0, 8.0, 0.25)
        );
        assert_eq!((c.knobs.blink, c.near), (0.0, 0));
    }

    #[test]
    fn strict() {
        let cases = [
            (vec![("speed", "3")], "unknown parameter `speed`"),
            (
                vec![("blink", "1"), ("blink", "2")],
                "`blink` is set more than once",
            ),
            (
                vec![("fleet-share", "101")],
                "`fleet-share`: 101 is out of range",
            ),
            (
                vec![("ruin.removed", "0")],
                "`ruin.removed`: 0 is out of range",
            ),
            (
                vec![("iterations", "lots")],
                "`iterations`: `lots` is not a whole number",
            ),
            (vec![("sa.start", "0.00001")], "`sa.start`"),
            (
                vec![("sa.start", "0.01"), ("sa.end", "0.1")],
                "`sa.end`: 0.1 is above",
            ),
        ];
        for (pairs, want) in cases {
            let err = config(&params(&pairs)).unwrap_err();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }
}
