//! `xingji plugins …`: install plugins, and choose which one each region
//! runs in each slot.

use std::path::PathBuf;

use clap::Subcommand;
use xingji_api::v1::plugin_service_client::PluginServiceClient;
use xingji_api::v1::*;

use super::args::{PageArgs, enum_arg, page_flags, page_request};
use super::authoring;
use super::connection::Connection;
use super::errors::{ClientError, FieldFlags};
use super::output::Output;
use super::template::NewArgs;
use crate::signing::{read_signed, sign_file, write_key_pair};

/// `xingji plugins …`
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Install a plugin: a component (.wasm) built for wasm32-wasip2, with
    /// its signature FILE.sigstore.json if there is one.
    Install {
        /// The .wasm file.
        file: PathBuf,
        /// Its signature (a Sigstore bundle) [default: FILE.sigstore.json
        /// if it exists, else none: unsigned].
        #[arg(long)]
        signature: Option<PathBuf>,
    },
    /// Sign a component as its publisher: writes FILE.sigstore.json, which
    /// `install` sends with it. Works offline.
    Sign {
        /// The .wasm file.
        file: PathBuf,
        /// The publisher's private key (PKCS#8 PEM, as `keygen` or
        /// `openssl genpkey -algorithm ed25519` writes it).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the signature [default: FILE.sigstore.json].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a component offline, as an install would: its size, its
    /// signature against the publishers of --config (or xingji.toml), its
    /// WIT version and world, what it imports, and its manifest. Prints
    /// what it is.
    Check {
        /// The .wasm file.
        file: PathBuf,
        /// Its signature [default: FILE.sigstore.json if it exists, else
        /// none: unsigned].
        #[arg(long)]
        signature: Option<PathBuf>,
        /// The deployment's config, for its [plugins] section (publishers,
        /// allow_unsigned, bounds) [default: xingji.toml if it exists].
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write a new plugin crate for a world into an empty directory: its
    /// WIT, the plugin SDK with its test host, a toolchain file naming the
    /// wasm target, a README and a passing test. Works offline.
    New(NewArgs),
    /// Call a component offline on a request, under its slot's production
    /// limits: prints the result, the time, fuel, peak memory and what it
    /// logged. Records are empty and kv starts empty.
    Run {
        /// The .wasm file.
        file: PathBuf,
        /// The call's arguments as JSON (`-`: standard input): an object
        /// keyed by the WIT parameter names, or the value of the only one.
        /// `plugins/README.md` gives the mapping and samples.
        #[arg(long, required_unless_present_any = ["skeleton", "replay"])]
        request: Option<PathBuf>,
        /// Run it instead on the request a real order's dispatch was
        /// decided from, as the server (--server) recorded it, and compare
        /// with the recorded decision.
        #[arg(long, value_name = "ORDER_ID", conflicts_with_all = ["request", "skeleton"])]
        replay: Option<String>,
        /// Print arguments of the right shape for the function (zeros,
        /// empty strings and lists, first cases) instead of calling it: a
        /// request file to fill in.
        #[arg(long, conflicts_with = "request")]
        skeleton: bool,
        /// The function of the slot's interface to call [default: its only
        /// one].
        #[arg(long)]
        function: Option<String>,
    },
    /// Run an installed plugin as the shadow of a region's slot: it decides
    /// beside the active plugin on live orders, never applied, and both
    /// decisions are recorded (`shadow-report`). Dispatch only.
    Shadow {
        /// The region.
        region: String,
        /// The slot.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// The plugin as NAME@VERSION; leave out with --end.
        #[arg(required_unless_present = "end")]
        plugin: Option<String>,
        /// End the slot's shadow.
        #[arg(long, conflicts_with = "plugin")]
        end: bool,
        /// Why, for the history.
        #[arg(long, default_value = "", hide_default_value = true)]
        reason: String,
    },
    /// How a region's shadow agreed with the active plugin: the agreement
    /// rate and the latest decisions that differ.
    ShadowReport {
        /// The region.
        region: String,
        /// The slot.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// How many differing decisions to show, 1 to 100 [default: 20].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        max_differing: i32,
    },
    /// The plugin decisions recorded for an order, with the requests they
    /// were made from.
    Decisions {
        /// The order's id.
        order: String,
    },
    /// Make a publisher's key pair: DIR/NAME.key (private, mode 0600) and
    /// DIR/NAME.pub (for a deployment's [[plugins.publishers]]). Works
    /// offline.
    Keygen {
        /// The directory to write them in.
        #[arg(long)]
        out: PathBuf,
        /// The publisher's name.
        #[arg(long)]
        name: String,
    },
    /// Uninstall a plugin version no region runs, with its compiled
    /// artifacts.
    Uninstall {
        /// The plugin as NAME@VERSION, e.g. dispatch-balanced@1.0.0.
        plugin: String,
    },
    /// List the installed plugins.
    List {
        /// Only plugins of this slot (dispatch, warranty, campaign, tour,
        /// evaluation, settlement).
        #[arg(long, value_parser = enum_arg("xingji.v1.PluginSlot"), default_value = "unspecified", hide_default_value = true)]
        slot: i32,
    },
    /// Show which plugin a region runs in each slot, and why.
    Active {
        /// The region, e.g. shanghai.
        region: String,
    },
    /// Make a region run an installed plugin in its slot.
    Activate {
        /// The region, e.g. shanghai.
        region: String,
        /// The slot: dispatch, warranty, campaign, tour, evaluation or settlement.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// The plugin as NAME@VERSION, e.g. dispatch-balanced@1.0.0.
        plugin: String,
        /// Why, for the history.
        #[arg(long, default_value = "", hide_default_value = true)]
        reason: String,
        /// A parameter the activation runs with, NAME=VALUE (repeatable):
        /// they replace the config's for this region and slot, take effect
        /// at once, and come back with a rollback to this activation. A
        /// plugin of WIT 0.3.0 checks them first; a value it refuses
        /// refuses the activation.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = param_arg)]
        params: Vec<(String, String)>,
    },
    /// Return a region's slot to the plugin it ran before the activation in
    /// force: each rollback walks back one, down to the config's or the
    /// default plugin.
    Rollback {
        /// The region.
        region: String,
        /// The slot.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// Why, for the history.
        #[arg(long, default_value = "", hide_default_value = true)]
        reason: String,
    },
    /// Return a region's slot to its config's or the default plugin,
    /// whatever was activated since.
    Reset {
        /// The region.
        region: String,
        /// The slot.
        #[arg(value_parser = enum_arg("xingji.v1.PluginSlot"))]
        slot: i32,
        /// Why, for the history.
        #[arg(long, default_value = "", hide_default_value = true)]
        reason: String,
    },
    /// The history of activations and rollbacks, newest first.
    History {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Calls, failures and time per plugin since the server started.
    Stats {
        /// Only this region [default: all regions].
        #[arg(long, default_value = "", hide_default_value = true)]
        region: String,
    },
}

const INSTALL: FieldFlags = &[("component", "<FILE>"), ("signature", "--signature")];
const UNINSTALL: FieldFlags = &[("name", "<PLUGIN>"), ("version", "<PLUGIN>")];
const LIST: FieldFlags = &[("slot", "--slot")];
const ACTIVE: FieldFlags = &[("region", "<REGION>")];
const ACTIVATE: FieldFlags = &[
    ("region", "<REGION>"),
    ("slot", "<SLOT>"),
    ("name", "<PLUGIN>"),
    ("version", "<PLUGIN>"),
    ("reason", "--reason"),
    ("params", "--param"),
];
/// A rollback's and a reset's.
const UNDO: FieldFlags = &[
    ("region", "<REGION>"),
    ("slot", "<SLOT>"),
    ("reason", "--reason"),
];
const HISTORY: FieldFlags = page_flags![];
const SHADOW: FieldFlags = &[
    ("region", "<REGION>"),
    ("slot", "<SLOT>"),
    ("name", "<PLUGIN>"),
    ("version", "<PLUGIN>"),
    ("reason", "--reason"),
];
const SHADOW_REPORT: FieldFlags = &[
    ("region", "<REGION>"),
    ("slot", "<SLOT>"),
    ("max_differing", "--max-differing"),
];
const DECISIONS: FieldFlags = &[("order_id", "<ORDER>")];
const STATS: FieldFlags = &[("region", "--region")];

impl PluginsCommand {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            PluginsCommand::Install { .. } => INSTALL,
            PluginsCommand::Uninstall { .. } => UNINSTALL,
            PluginsCommand::Decisions { .. }
            | PluginsCommand::Run {
                replay: Some(_), ..
            } => DECISIONS,
            PluginsCommand::Sign { .. }
            | PluginsCommand::Keygen { .. }
            | PluginsCommand::Check { .. }
            | PluginsCommand::New(_)
            | PluginsCommand::Run { .. } => &[],
            PluginsCommand::List { .. } => LIST,
            PluginsCommand::Active { .. } => ACTIVE,
            PluginsCommand::Activate { .. } => ACTIVATE,
            PluginsCommand::Rollback { .. } | PluginsCommand::Reset { .. } => UNDO,
            PluginsCommand::History { .. } => HISTORY,
            PluginsCommand::Shadow { .. } => SHADOW,
            PluginsCommand::ShadowReport { .. } => SHADOW_REPORT,
            PluginsCommand::Stats { .. } => STATS,
        }
    }

    /// Whether it works offline, with no server.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            PluginsCommand::Sign { .. }
                | PluginsCommand::Keygen { .. }
                | PluginsCommand::Check { .. }
                | PluginsCommand::New(_)
                | PluginsCommand::Run { replay: None, .. }
        )
    }

    /// Runs an offline command: `sign`, `keygen`, `new`, `check` or `run`.
    pub async fn run_local(&self) -> Result<(), ClientError> {
        match self {
            PluginsCommand::Check {
                file,
                signature,
                config,
            } => authoring::check(file, signature.as_deref(), config.as_deref()).await?,
            PluginsCommand::New(args) => args.run()?,
            PluginsCommand::Run {
                file,
                request,
                skeleton,
                function,
                replay: None,
            } => authoring::run(file, request.as_deref(), *skeleton, function.as_deref()).await?,
            PluginsCommand::Sign { file, key, out } => {
                let written = sign_file(file, key, out.clone()).map_err(ClientError::Usage)?;
                println!("{}", written.display());
            }
            PluginsCommand::Keygen { out, name } => {
                let (key, public) = write_key_pair(out, name).map_err(ClientError::Usage)?;
                println!("{}\n{}", key.display(), public.display());
            }
            _ => {
                return Err(ClientError::Usage("this command calls a server".to_owned()));
            }
        }
        Ok(())
    }

    /// Calls the server and prints its answer.
    pub async fn run(self, conn: &Connection, out: &Output) -> Result<(), ClientError> {
        let mut client =
            PluginServiceClient::new(conn.channel()).max_decoding_message_size(64 << 20);
        match self {
            PluginsCommand::Install { file, signature } => {
                let (component, signature) =
                    read_signed(&file, signature.as_deref()).map_err(ClientError::Usage)?;
                let request = InstallPluginRequest {
                    component,
                    signature,
                };
                out.print(client.install_plugin(request)).await
            }
            PluginsCommand::Uninstall { plugin } => {
                let (name, version) = name_and_version(&plugin)?;
                let request = UninstallPluginRequest { name, version };
                out.print(client.uninstall_plugin(request)).await
            }
            PluginsCommand::Sign { .. }
            | PluginsCommand::Keygen { .. }
            | PluginsCommand::Check { .. }
            | PluginsCommand::New(_)
            | PluginsCommand::Run { replay: None, .. } => self.run_local().await,
            PluginsCommand::Run {
                file,
                replay: Some(order_id),
                ..
            } => {
                let request = ListOrderDecisionsRequest { order_id };
                let decisions = client.list_order_decisions(request).await?.into_inner();
                authoring::replay(&file, decisions).await
            }
            PluginsCommand::Shadow {
                region,
                slot,
                plugin,
                end: _,
                reason,
            } => {
                let (name, version) = match plugin {
                    Some(plugin) => name_and_version(&plugin)?,
                    None => (String::new(), String::new()),
                };
                let request = ShadowPluginRequest {
                    region,
                    slot,
                    name,
                    version,
                    reason,
                };
                out.print(client.shadow_plugin(request)).await
            }
            PluginsCommand::ShadowReport {
                region,
                slot,
                max_differing,
            } => {
                let request = GetShadowReportRequest {
                    region,
                    slot,
                    max_differing,
                };
                out.print(client.get_shadow_report(request)).await
            }
            PluginsCommand::Decisions { order } => {
                let request = ListOrderDecisionsRequest { order_id: order };
                out.print(client.list_order_decisions(request)).await
            }
            PluginsCommand::List { slot } => {
                let request = ListPluginsRequest {
                    slot,
                    page_size: 1000,
                    ..Default::default()
                };
                out.print(client.list_plugins(request)).await
            }
            PluginsCommand::Active { region } => {
                let request = GetRegionPluginsRequest { region };
                out.print(client.get_region_plugins(request)).await
            }
            PluginsCommand::Activate {
                region,
                slot,
                plugin,
                reason,
                params,
            } => {
                let (name, version) = name_and_version(&plugin)?;
                let request = ActivatePluginRequest {
                    region,
                    slot,
                    name,
                    version,
                    reason,
                    params: params
                        .into_iter()
                        .map(|(name, value)| PluginParam { name, value })
                        .collect(),
                };
                out.print(client.activate_plugin(request)).await
            }
            PluginsCommand::Rollback {
                region,
                slot,
                reason,
            } => {
                let request = RollbackPluginRequest {
                    region,
                    slot,
                    reason,
                };
                out.print(client.rollback_plugin(request)).await
            }
            PluginsCommand::Reset {
                region,
                slot,
                reason,
            } => {
                let request = ResetPluginRequest {
                    region,
                    slot,
                    reason,
                };
                out.print(client.reset_plugin(request)).await
            }
            PluginsCommand::History { page } => {
                let request = page_request!(page, ListActivationsRequest {});
                out.print(client.list_activations(request)).await
            }
            PluginsCommand::Stats { region } => {
                let request = GetPluginStatsRequest { region };
                out.print(client.get_plugin_stats(request)).await
            }
        }
    }
}

/// `NAME@VERSION` split.
fn name_and_version(plugin: &str) -> Result<(String, String), ClientError> {
    plugin
        .split_once('@')
        .map(|(name, version)| (name.to_owned(), version.to_owned()))
        .ok_or_else(|| ClientError::Usage(format!("{plugin:?}: give the plugin as NAME@VERSION")))
}

/// `--param NAME=VALUE`.
fn param_arg(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))?;
    if name.is_empty() {
        return Err(format!("{text:?} has no name before `=`"));
    }
    Ok((name.to_owned(), value.to_owned()))
}
