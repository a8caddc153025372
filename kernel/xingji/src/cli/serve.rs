//! `xingji serve`: its flags, and the configuration they make.

use std::path::PathBuf;

use clap::Args;

use crate::config::{Config, LogFormat, Overrides, StoreConfig};

/// `xingji serve` flags; each overrides the config file and environment.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML config file (default: ./xingji.toml if it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The address to serve on [default: 127.0.0.1:50051].
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Where to keep the store [default: ./data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed a demo network (three regions) if the store is empty.
    #[arg(long)]
    pub demo: bool,
    /// Log lines as text or JSON [default: text].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Seconds shutdown waits for calls in flight before dropping them
    /// [default: 10].
    #[arg(long)]
    pub shutdown_grace_seconds: Option<u64>,
    /// Keep records in this PostgreSQL database (`postgres://…`), shared
    /// with other kernels, instead of SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    pub store_url: Option<String>,
}

impl ServeArgs {
    /// The configuration: defaults, file, environment, then these flags.
    pub fn config(&self) -> Result<Config, Box<figment::Error>> {
        let overrides = Overrides {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            demo: self.demo.then_some(true),
            log_format: self.log_format,
            shutdown_grace_seconds: self.shutdown_grace_seconds,
            store: self.store_url.clone().map(|url| StoreConfig { url: Some(url) }),
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}
