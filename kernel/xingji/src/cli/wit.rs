//! `xingji wit`: the plugin contracts (WIT) this kernel runs, carried in
//! the binary. No server is involved.

use std::io::Write;
use std::path::PathBuf;

use xingji_plugin_host::{SUPPORTED_WIT_VERSIONS, Slot, WIT_PACKAGE, WIT_PACKAGES, WitPackage};

use crate::server::BoxError;

/// `xingji wit`'s flags.
#[derive(Debug, clap::Args)]
pub struct WitArgs {
    /// Only this version of the contract (one of those the kernel runs);
    /// with --out, its files go straight into the directory.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Write the contract's files into this directory (created if missing)
    /// instead of printing them: one subdirectory per version, or the
    /// `wit/` folder a plugin crate builds against with --version.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl WitArgs {
    /// Prints the contracts, or writes their files into `--out`.
    pub fn run(&self) -> Result<(), BoxError> {
        let packages: Vec<&WitPackage> = match &self.version {
            None => WIT_PACKAGES.iter().collect(),
            Some(version) => vec![
                WIT_PACKAGES
                    .iter()
                    .find(|p| p.version == version)
                    .ok_or_else(|| {
                        format!(
                            "--version {version}: this kernel runs {}",
                            SUPPORTED_WIT_VERSIONS.join(", ")
                        )
                    })?,
            ],
        };
        let Some(dir) = &self.out else {
            let mut text = format!(
                "// {WIT_PACKAGE}: this kernel runs plugins built for {}\n",
                SUPPORTED_WIT_VERSIONS.join(", ")
            );
            for slot in Slot::ALL {
                text += &format!("//   {slot} at {}\n", slot.wit_versions().join(", "));
            }
            for package in packages {
                for (name, file) in package.files {
                    text += &format!("\n// ---- wit/{}/{name}\n{file}", package.version);
                }
            }
            // A reader that stops early (`xingji wit | head`) is not an
            // error.
            return match std::io::stdout().lock().write_all(text.as_bytes()) {
                Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
                _ => Ok(()),
            };
        };
        let failed = |error: std::io::Error| format!("--out {}: {error}", dir.display());
        for package in &packages {
            let into = match self.version {
                Some(_) => dir.clone(),
                None => dir.join(package.version),
            };
            std::fs::create_dir_all(&into).map_err(failed)?;
            for (name, text) in package.files {
                std::fs::write(into.join(name), text).map_err(failed)?;
            }
            println!(
                "wrote {WIT_PACKAGE}@{} ({} files) into {}",
                package.version,
                package.files.len(),
                into.display()
            );
        }
        Ok(())
    }
}
