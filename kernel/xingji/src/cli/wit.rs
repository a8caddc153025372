//! `xingji wit`: the plugin contract (WIT) this kernel runs, carried in the
//! binary. No server is involved.

use std::path::PathBuf;

use xingji_plugin_host::{SUPPORTED_WIT_VERSIONS, WIT_FILES, WIT_FILES_VERSION, WIT_PACKAGE};

use crate::server::BoxError;

/// `xingji wit`'s flags.
#[derive(Debug, clap::Args)]
pub struct WitArgs {
    /// Write the contract's files into this directory (created if missing)
    /// instead of printing them: the `wit/` folder a plugin crate builds
    /// against.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl WitArgs {
    /// Prints the contract, or writes its files into `--out`.
    pub fn run(&self) -> Result<(), BoxError> {
        let Some(dir) = &self.out else {
            println!(
                "// {WIT_PACKAGE}: this kernel runs plugins built for {}; the files below are {}",
                SUPPORTED_WIT_VERSIONS.join(", "),
                WIT_FILES_VERSION
            );
            for (name, text) in WIT_FILES {
                println!("\n// ---- wit/{name}");
                print!("{text}");
            }
            return Ok(());
        };
        let failed = |error: std::io::Error| format!("--out {}: {error}", dir.display());
        std::fs::create_dir_all(dir).map_err(failed)?;
        for (name, text) in WIT_FILES {
            std::fs::write(dir.join(name), text).map_err(failed)?;
        }
        println!(
            "wrote {WIT_PACKAGE}@{} ({} files) into {}",
            WIT_FILES_VERSION,
            WIT_FILES.len(),
            dir.display()
        );
        Ok(())
    }
}
