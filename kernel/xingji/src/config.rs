//! The server's configuration, in figment layers: built-in defaults, then
//! the TOML file, then `XINGJI_*` environment variables, then flags.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use xingji_core::settings::{AdmissionConfig, PluginsConfig, RegionConfig};
use xingji_identity::IdentityConfig;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "xingji.toml";

/// How the server is set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The address to serve gRPC on.
    pub listen: SocketAddr,
    /// Where the store keeps its files; created if missing.
    pub data_dir: PathBuf,
    /// Seed the demo network when the store is empty.
    pub demo: bool,
    /// `text` or `json` logs, on standard error.
    pub log_format: LogFormat,
    /// Which logs to keep, as a tracing `EnvFilter` (`info`,
    /// `xingji=debug,info`). `RUST_LOG` overrides it.
    pub log_filter: String,
    /// Dispatch every new order at once through its region's dispatch
    /// plugin. Off (a deployment whose dispatch another system drives, or
    /// tests of `DispatchOrder` itself), orders wait in intake for
    /// `DispatchOrder`.
    pub auto_dispatch: bool,
    /// How long shutdown waits for the calls in flight before it drops
    /// them, in seconds. (The systemd unit's `TimeoutStopSec` allows this
    /// and a margin.)
    pub shutdown_grace_seconds: u64,
    /// Serve gRPC reflection without a credential (it shows only the
    /// public API's shape). Health checking is always open.
    pub open_reflection: bool,
    /// How callers are authenticated: the embedded issuer, external token
    /// issuers (an OIDC identity provider's JWKS, static keys), and client
    /// certificates (`[identity]`).
    #[serde(default)]
    pub identity: IdentityConfig,
    /// The regions this deployment serves, with their settings, by region
    /// id (a region also comes into being with its first outlet).
    #[serde(default)]
    pub regions: BTreeMap<String, RegionConfig>,
    /// The plugin sandbox: concurrency caps, install bounds, trusted
    /// publishers (`[plugins]`).
    #[serde(default)]
    pub plugins: PluginsConfig,
    /// Where records are kept (`[store]`): SQLite in `data_dir` unless a
    /// PostgreSQL `url` is given.
    #[serde(default)]
    pub store: StoreConfig,
    /// Admission control (`[admission]`): how many orders may be in intake
    /// at once, per region and in all; beyond, `RESOURCE_EXHAUSTED` at once.
    #[serde(default)]
    pub admission: AdmissionConfig,
    /// TLS on the gRPC listener (`[tls]`). Without it the server speaks
    /// plaintext: for loopback and the demo only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
}

/// `[tls]`: the server's certificate and key, and the authorities whose
/// client certificates it verifies (mutual TLS). Unknown keys are refused:
/// a misspelt `client_ca_file` must not silently turn client certificates
/// off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server's certificate chain, PEM, leaf first.
    pub cert_file: PathBuf,
    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// PEM bundle of the authorities that sign partners' client
    /// certificates. Given, the server asks every caller for a certificate
    /// and verifies one that is presented; a caller without one still
    /// connects (it authenticates with a token instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca_file: Option<PathBuf>,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("data"),
            demo: false,
            log_format: LogFormat::Text,
            log_filter: "info".to_owned(),
            auto_dispatch: true,
            shutdown_grace_seconds: 10,
            open_reflection: true,
            identity: IdentityConfig::default(),
            regions: BTreeMap::new(),
            plugins: PluginsConfig::default(),
            store: StoreConfig::default(),
            admission: AdmissionConfig::default(),
            tls: None,
        }
    }
}

/// `[store]`: which database holds the records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgres://user@host:port/database` (libpq's URL form, with its
    /// `sslmode` and other parameters): the kernel keeps everything there,
    /// and several kernels may share it. Unset: one kernel's SQLite file,
    /// `<data_dir>/xingji.db`. Plugin artifacts and the embedded issuer's
    /// key stay in `data_dir` either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Settings given as flags; `None` leaves the lower layers' value.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--demo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    /// `--log-format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// `--shutdown-grace-seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_seconds: Option<u64>,
    /// `--store-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreConfig>,
}

impl Config {
    /// Loads the layers. `file` must exist when given; without it,
    /// [`DEFAULT_CONFIG_FILE`] is read if it exists.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Box<figment::Error>> {
        let default = Path::new(DEFAULT_CONFIG_FILE);
        let file = match file {
            Some(path) if !path.exists() => {
                return Err(Box::new(figment::Error::from(format!(
                    "config file {} does not exist",
                    path.display()
                ))));
            }
            Some(path) => Some(path),
            None => default.exists().then_some(default),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment
            .merge(Env::prefixed("XINGJI_").only(&[
                "listen",
                "data_dir",
                "demo",
                "log_format",
                "log_filter",
                "shutdown_grace_seconds",
            ]))
            // `XINGJI_STORE_URL` is `store.url`.
            .merge(
                Env::prefixed("XINGJI_STORE_")
                    .only(&["url"])
                    .map(|key| format!("store.{key}").into()),
            )
            // `XINGJI_TLS_CERT_FILE` is `tls.cert_file`, and so on.
            .merge(
                Env::prefixed("XINGJI_TLS_")
                    .only(&["cert_file", "key_file", "client_ca_file"])
                    .map(|key| format!("tls.{key}").into()),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's test API returns figment::Error
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "listen = \"127.0.0.1:6000\"\ndata_dir = \"/tmp/x\"\ndemo = true\n",
            )?;
            jail.set_env("XINGJI_DATA_DIR", "/tmp/from-env");
            jail.set_env("XINGJI_STORE_URL", "postgres://kernel@db/xingji");
            let flags = Overrides {
                demo: Some(false),
                ..Overrides::default()
            };
            let config = Config::load(Some(Path::new("custom.toml")), &flags).map_err(|e| *e)?;
            assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 6000)));
            assert_eq!(config.data_dir, PathBuf::from("/tmp/from-env"));
            assert!(!config.demo);
            assert_eq!(config.log_format, LogFormat::Text);
            assert!(Config::load(Some(Path::new("missing.toml")), &flags).is_err());
            assert_eq!(config.tls, None, "plaintext unless [tls] is given");
            assert_eq!(
                config.store.url.as_deref(),
                Some("postgres://kernel@db/xingji")
            );
            let flag = Overrides {
                store: Some(StoreConfig {
                    url: Some("postgres://other/db".into()),
                }),
                ..Overrides::default()
            };
            let config = Config::load(None, &flag).map_err(|e| *e)?;
            assert_eq!(config.store.url.as_deref(), Some("postgres://other/db"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test API returns figment::Error
    fn tls_comes_from_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "tls.toml",
                "[tls]\ncert_file = \"server.pem\"\nkey_file = \"server.key\"\n",
            )?;
            let flags = Overrides::default();
            let config = Config::load(Some(Path::new("tls.toml")), &flags).map_err(|e| *e)?;
            assert_eq!(
                config.tls,
                Some(TlsConfig {
                    cert_file: PathBuf::from("server.pem"),
                    key_file: PathBuf::from("server.key"),
                    client_ca_file: None,
                })
            );
            jail.set_env("XINGJI_TLS_CLIENT_CA_FILE", "partners.pem");
            let config = Config::load(Some(Path::new("tls.toml")), &flags).map_err(|e| *e)?;
            let tls = config.tls.expect("[tls]");
            assert_eq!(tls.client_ca_file, Some(PathBuf::from("partners.pem")));
            assert_eq!(tls.cert_file, PathBuf::from("server.pem"));

            // A misspelt key is an error, not mutual TLS silently off.
            jail.create_file(
                "typo.toml",
                "[tls]\ncert_file = \"a\"\nkey_file = \"b\"\nclient_ca = \"c\"\n",
            )?;
            let error = Config::load(Some(Path::new("typo.toml")), &flags)
                .expect_err("an unknown [tls] key")
                .to_string();
            assert!(error.contains("client_ca"), "{error}");
            // A key without its certificate is an error too.
            jail.create_file("half.toml", "[tls]\nkey_file = \"b\"\n")?;
            let error = Config::load(Some(Path::new("half.toml")), &flags)
                .expect_err("no cert_file")
                .to_string();
            assert!(error.contains("cert_file"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test API returns figment::Error
    fn the_deploy_example_loads_with_and_without_its_tls_section() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/xingji.toml");
        let text = std::fs::read_to_string(example).expect("deploy/xingji.toml");
        // The example's [tls] lines, as an operator turns them on.
        let with_tls: String = text
            .lines()
            .map(|line| {
                let on = ["# [tls]", "# cert_file", "# key_file", "# client_ca_file"]
                    .iter()
                    .any(|key| line.starts_with(key));
                if on { &line[2..] } else { line }
            })
            .collect::<Vec<_>>()
            .join("\n");
        figment::Jail::expect_with(|jail| {
            jail.create_file("plain.toml", &text)?;
            jail.create_file("tls.toml", &with_tls)?;
            let flags = Overrides::default();
            let plain = Config::load(Some(Path::new("plain.toml")), &flags).map_err(|e| *e)?;
            assert_eq!(plain.tls, None);
            let tls = Config::load(Some(Path::new("tls.toml")), &flags).map_err(|e| *e)?;
            assert_eq!(
                tls.tls,
                Some(TlsConfig {
                    cert_file: PathBuf::from("/etc/xingji/tls/server.pem"),
                    key_file: PathBuf::from("/etc/xingji/tls/server.key"),
                    client_ca_file: Some(PathBuf::from("/etc/xingji/tls/partners-ca.pem")),
                })
            );
            assert_eq!(tls.regions, plain.regions, "[tls] takes no region's keys");
            Ok(())
        });
    }
}
