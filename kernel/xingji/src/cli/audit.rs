//! `xingji audit …`: the audit trail, read from the store itself rather
//! than through a server: `verify` checks the whole hash chain offline.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use xingji_store::audit::{VerifyError, verify_chain};
use xingji_store::prelude::*;
use xingji_store_sqlite::SqliteStore;

use crate::config::{Config, Overrides};
use crate::server::{BoxError, DATABASE_FILE};

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
    pub async fn open(&self) -> Result<(Config, SqliteStore), BoxError> {
        let overrides = Overrides {
            data_dir: self.data_dir.clone(),
            ..Overrides::default()
        };
        let config = Config::load(self.config.as_deref(), &overrides)?;
        let path = config.data_dir.join(DATABASE_FILE);
        if !path.is_file() {
            return Err(format!(
                "no store at {}: give the directory `xingji serve` uses with --data-dir",
                path.display()
            )
            .into());
        }
        let store = SqliteStore::open(&path)
            .await
            .map_err(|error| format!("cannot open store {}: {error}", path.display()))?;
        Ok((config, store))
    }
}

async fn verify(args: &StoreArgs) -> Result<(), BoxError> {
    let (config, store) = args.open().await?;
    let path = config.data_dir.join(DATABASE_FILE);
    let store: &dyn Store = &store;
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
            Err(format!("cannot read the audit trail in {}: {error}", path.display()).into())
        }
    }
}
