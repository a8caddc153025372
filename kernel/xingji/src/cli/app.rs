//! The top of the command line: global flags, the command groups, and the
//! dispatch of a client command to its group.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::audit::AuditCommand;
use super::birthdays::BirthdaysArgs;
use super::connection::Connection;
use super::credentials::{Credential, CredentialFlags};
use super::errors::{ClientError, FieldFlags};
use super::month::MonthCommand;
use super::orders::OrdersCommand;
use super::outlets::OutletsCommand;
use super::output::Output;
use super::people::PeopleCommand;
use super::plugins::PluginsCommand;
use super::serve::ServeArgs;
use super::tls::TlsArgs;
use super::tokens::TokensCommand;
use super::tours::ToursArgs;
use super::warranty::WarrantyCommand;
use super::wit::WitArgs;

/// Xingji (星级): the after-sales service platform.
///
/// One binary is both the server (`xingji serve`) and a client of its gRPC
/// API for regional IT and partners (`xingji outlets`, `people`, `orders`,
/// `plugins`).
/// Enum values are given in short form: `--tier star-centre`,
/// `--product-line washing-machine`.
#[derive(Debug, Parser)]
#[command(name = "xingji", version)]
pub struct Cli {
    /// The server that client commands call, as a URL with its scheme:
    /// http:// (plaintext) or https:// (TLS; see --ca-file).
    #[arg(
        long,
        global = true,
        env = "XINGJI_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    pub server: String,
    /// Call as <role>:<name> with the token saved for it in --tokens-dir
    /// (`xingji tokens issue --save` saves one; `serve --demo` saves its
    /// people's): hq:<name>, regional-it:<name>, call-centre:<name>,
    /// auditor:<name>, partner:<name>, outlet:<outlet id>,
    /// engineer:<person id>.
    #[arg(
        long = "as",
        global = true,
        env = "XINGJI_AS",
        value_name = "ROLE:NAME"
    )]
    pub acting_as: Option<String>,
    /// Call with this bearer token (a JWT from your identity provider).
    #[arg(long, global = true, env = "XINGJI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Call with the bearer token in this file.
    #[arg(long, global = true, env = "XINGJI_TOKEN_FILE", value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Where --as finds saved tokens.
    #[arg(
        long,
        global = true,
        env = "XINGJI_TOKENS_DIR",
        default_value = "data/tokens",
        value_name = "DIR"
    )]
    pub tokens_dir: PathBuf,
    /// --ca-file, --cert, --key: TLS to an https:// --server.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// End each call after this many seconds (sent to the server as the
    /// call's deadline): a client never hangs.
    #[arg(
        long,
        global = true,
        env = "XINGJI_TIMEOUT",
        default_value_t = super::connection::DEFAULT_TIMEOUT_SECONDS,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub timeout: u64,
    /// Print only this field of the answer, for scripts: a dot path of
    /// field names as printed (id, next_page_token, history.0.action);
    /// strings without quotes, an unset field as an empty line.
    #[arg(long, global = true, value_name = "FIELD")]
    pub value: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: gRPC on --listen, the store in --data-dir.
    Serve(ServeArgs),
    /// The service network: outlets (star centres, sub-outlets, …).
    #[command(subcommand)]
    Outlets(OutletsCommand),
    /// Service staff and their licences.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Work orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Plugins: install them, and choose which one each region runs.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// The month close: outlet grades and settlement statements.
    #[command(subcommand)]
    Month(MonthCommand),
    /// The Jiujiu extended warranty: quotes, sales, contracts.
    #[command(subcommand)]
    Warranty(WarrantyCommand),
    /// Appliance-birthday visits due in a window (and their orders).
    #[command(
        override_usage = "xingji birthdays [OPTIONS] <REGION> <FROM> <TO>\n       xingji birthdays [OPTIONS] <REGION> --month <MONTH>"
    )]
    Birthdays(BirthdaysArgs),
    /// Plan rural tours out of an outlet, and dispatch them.
    Tours(ToursArgs),
    /// The audit trail, in the store (--data-dir): verify its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Tokens of the embedded issuer, signed with its key in --data-dir.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// The plugin contract (WIT) this kernel runs: print it, or write its
    /// files out (--out) for a plugin crate to build against.
    Wit(WitArgs),
}

impl Command {
    /// Which flag sets each field of this command's request.
    pub fn flags(&self) -> FieldFlags {
        match self {
            Command::Serve(_) | Command::Audit(_) | Command::Tokens(_) | Command::Wit(_) => &[],
            Command::Outlets(command) => command.flags(),
            Command::People(command) => command.flags(),
            Command::Orders(command) => command.flags(),
            Command::Plugins(command) => command.flags(),
            Command::Month(command) => command.flags(),
            Command::Warranty(command) => command.flags(),
            Command::Birthdays(args) => args.flags(),
            Command::Tours(args) => args.flags(),
        }
    }
}

/// Runs a client command against `cli.server`.
pub async fn run_client(cli: Cli) -> Result<(), ClientError> {
    // Checked before connecting: there is nothing to connect to.
    if let Command::Serve(_) | Command::Audit(_) | Command::Tokens(_) | Command::Wit(_) =
        cli.command
    {
        return Err(not_a_client());
    }
    // `plugins sign`, `keygen`, `check` and `run` are the author's, offline.
    if let Command::Plugins(command) = &cli.command
        && command.is_local()
    {
        return command.run_local().await;
    }
    let flags = cli.command.flags();
    let out = Output::new(cli.value);
    let credential = Credential::from_flags(&CredentialFlags {
        token: cli.token.as_deref(),
        token_file: cli.token_file.as_deref(),
        acting_as: cli.acting_as.as_deref(),
        tokens_dir: &cli.tokens_dir,
    })?;
    let timeout = std::time::Duration::from_secs(cli.timeout);
    let conn = Connection::open(&cli.server, credential, &cli.tls, timeout).await?;
    let result = match cli.command {
        Command::Serve(_) | Command::Audit(_) | Command::Tokens(_) | Command::Wit(_) => {
            Err(not_a_client())
        }
        Command::Outlets(command) => command.run(&conn, &out).await,
        Command::People(command) => command.run(&conn, &out).await,
        Command::Orders(command) => command.run(&conn, &out).await,
        Command::Plugins(command) => command.run(&conn, &out).await,
        Command::Month(command) => command.run(&conn, &out).await,
        Command::Warranty(command) => command.run(&conn, &out).await,
        Command::Birthdays(args) => args.run(&conn, &out).await,
        Command::Tours(args) => args.run(&conn, &out).await,
    };
    result.map_err(|error| conn.explain(error.with_flags(flags)))
}

fn not_a_client() -> ClientError {
    ClientError::Usage(
        "`xingji serve` runs the server, and `xingji audit` and `xingji tokens` work on its data directory; they are not client commands"
            .into(),
    )
}
