//! `xingji audit …`: the audit trail, read from the store itself rather
//! than through a server: `verify` checks the whole hash chain offline.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use std::sync::Arc;
use xingji_store::audit::{VerifyError, verify_chain};
use xingji_store::prelude::*;

use crate::config::StoreConfig;
use crate::config::{Config, Overrides};
use crate::server::{BoxError, DATABASE_FILE, open_store, redact};

/// `xingji audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail's hash chain in the store, offline: every
    /// entry's hash, every link, no gaps, and the filter columns against
    /// each entry. Safe beside a running server. Prints the event count and
    /// the head hash (keep it: entries cut off the end cannot be seen
    /// otherwise); names the first bad entry and fails if any is bad.
    Verify(StoreArgs),
}

/// Where the store is: as `xingji serve` finds it.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// A TOML config file whose data_dir to use (default: ./xingji.toml if
    /// it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The store's directory [default: ./data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The PostgreSQL store's URL, as `xingji serve --store-url` (default:
    /// the config's store.url, or XINGJI_STORE_URL).
    #[arg(long, value_name = "URL")]
    pub store_url: Option<String>,
}

impl AuditCommand {
    /// Runs the command on the store; no server is involved.
    pub async fn run(&self) -> Result<(), BoxError> {
        match self {
            AuditCommand::Verify(args) => verify(args).await,
        }
    }
}

impl StoreArgs {
    /// The config these flags name, and its store — which must exist:
    /// opening creates a missing file, and a wrong directory would then
    /// pass for an empty one.
    pub async fn open(&self) -> Result<(Config, Arc<dyn Store>), BoxError> {
        let overrides = Overrides {
            data_dir: self.data_dir.clone(),
            store: self
                .store_url
                .clone()
                .map(|url| StoreConfig { url: Some(url) }),
            ..Overrides::default()
        };
        let config = Config::load(self.config.as_deref(), &overrides)?;
        if config.store.url.is_none() {
            let path = config.data_dir.join(DATABASE_FILE);
            if !path.is_file() {
                return Err(format!(
                    "no store at {}: give the directory `xingji serve` uses with --data-dir, or its --store-url",
                    path.display()
                )
                .into());
            }
        }
        let store = open_store(&config).await?;
        Ok((config, store))
    }

    /// Where [`Self::open`]'s store is, for messages.
    fn describe(config: &Config) -> String {
        match &config.store.url {
            Some(url) => redact(url),
            None => config.data_dir.join(DATABASE_FILE).display().to_string(),
        }
    }
}

async fn verify(args: &StoreArgs) -> Result<(), BoxError> {
    let (config, store) = args.open().await?;
    let place = StoreArgs::describe(&config);
    let store: &dyn Store = store.as_ref();
    let progress = |checked: u64| {
        let mut stderr = std::io::stderr().lock();
        // Progress only: a closed stderr must not stop the check.
        let _ = write!(stderr, "\rverifying the audit chain: {checked} events");
        let _ = stderr.flush();
    };
    let verified = verify_chain(
        async |after, limit| store.audit_chain(after, limit).await,
        progress,
    )
    .await;
    eprintln!();
    match verified {
        Ok(head) => {
            println!(
                "audit chain verified: {} events, head {}",
                head.events, head.hash
            );
            Ok(())
        }
        Err(VerifyError::Broken(broken)) => Err(format!(
            "the audit chain is broken at seq {}: {}",
            broken.seq, broken.reason
        )
        .into()),
        Err(VerifyError::Read(error)) => {
            Err(format!("cannot read the audit trail in {place}: {error}").into())
        }
    }
}
