//! `xingji tokens issue`: an operator signs a token with the embedded
//! issuer's key in the data directory — on the server's machine, like the
//! key itself — and the issue is appended to the store's audit trail.

use std::time::Duration;

use clap::{Args, Subcommand};
use xingji_api::v1::{AuditEvent, AuditOutcome};
use xingji_core::actor::Role;
use xingji_core::calendar::now;
use xingji_core::permission::Permission;
use xingji_identity::TokenRequest;

use super::audit::StoreArgs;
use crate::server::BoxError;
use crate::tokens::{TOKENS_DIR, embedded_issuer, save_token};

/// The longest a token may live: a credential that outlives its holder's
/// job is a risk, and the embedded issuer has no revocation list.
const MAX_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

/// `xingji tokens …`
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Sign a token with the embedded issuer's key in --data-dir, for a
    /// principal: prints it (or saves it for `--as` with --save) and
    /// records the issue in the audit trail. Run it where the server's data
    /// directory is.
    Issue(IssueArgs),
}

/// What `tokens issue` signs.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The role: hq, regional-it, call-centre, outlet, engineer, auditor or
    /// partner.
    #[arg(long)]
    pub role: String,
    /// Who it is: a name for hq, regional-it, call-centre, auditor and
    /// partner; the outlet's id for outlet; the person's id for engineer.
    #[arg(long)]
    pub subject: String,
    /// A region the principal acts in (regional-it, call-centre, auditor,
    /// partner); repeat for several.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// A partner's permission (orders.create, orders.read, …); repeat for
    /// several.
    #[arg(long = "permission", value_name = "PERMISSION")]
    pub permissions: Vec<String>,
    /// How long it is valid: N followed by s, m, h or d (at most 90d).
    #[arg(long, default_value = "8h")]
    pub ttl: String,
    /// Save it in <data dir>/tokens/<role>/<subject>.jwt, for the CLI's
    /// `--as <role>:<subject>`, instead of printing it.
    #[arg(long)]
    pub save: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

impl TokensCommand {
    /// Runs the command on the data directory; no server is involved.
    pub async fn run(&self) -> Result<(), BoxError> {
        match self {
            TokensCommand::Issue(args) => issue(args).await,
        }
    }
}

async fn issue(args: &IssueArgs) -> Result<(), BoxError> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
        format!("--role {:?}: one of {}", args.role, roles.join(", "))
    })?;
    for permission in &args.permissions {
        if Permission::parse(permission).is_none() {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
            return Err(format!("--permission {permission:?}: one of {}", known.join(", ")).into());
        }
    }
    if !args.permissions.is_empty() && role != Role::Partner {
        return Err("--permission is for --role partner; other roles take their role's".into());
    }
    let region_role = !matches!(role, Role::Hq | Role::Outlet | Role::Engineer);
    if region_role && args.regions.is_empty() {
        return Err(format!(
            "--region: a {} acts in named regions; give at least one",
            role.name()
        )
        .into());
    }
    let ttl = parse_ttl(&args.ttl)?;
    let (config, store) = args.store.open().await?;
    let Some(issuer) = embedded_issuer(&config)? else {
        return Err("the embedded issuer is off ([identity.embedded] enabled = false): tokens come from your identity provider".into());
    };
    let request = TokenRequest {
        subject: args.subject.clone(),
        role: role.name().to_owned(),
        regions: if region_role {
            args.regions.clone()
        } else {
            Vec::new()
        },
        outlet: (role == Role::Outlet).then(|| args.subject.clone()),
        person: (role == Role::Engineer).then(|| args.subject.clone()),
        permissions: args.permissions.clone(),
        ttl,
        audience: config.identity.audience.clone(),
    };
    let token = issuer.issue(request)?;
    let principal = format!("{}:{}", role.name(), args.subject);
    // Audited before it is handed out: a token no one can account for is
    // worse than one never issued.
    let operator = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    let event = AuditEvent {
        time: Some(now()),
        principal: format!("operator:{operator}"),
        operation: "tokens.issue".to_owned(),
        target: format!("tokens/{principal}"),
        region: args.regions.first().cloned().unwrap_or_default(),
        outcome: AuditOutcome::Ok as i32,
        detail: format!(
            "valid {} s; regions [{}]; permissions [{}]",
            ttl.as_secs(),
            args.regions.join(", "),
            args.permissions.join(", ")
        ),
        ..AuditEvent::default()
    };
    store.append_audit(event).await?;
    if args.save {
        let saved = save_token(&config.data_dir.join(TOKENS_DIR), &principal, &token)?;
        println!("{}", saved.display());
    } else {
        println!("{token}");
    }
    Ok(())
}

/// `N` followed by `s`, `m`, `h` or `d`, at most [`MAX_TTL`].
fn parse_ttl(text: &str) -> Result<Duration, String> {
    let wrong =
        || format!("--ttl {text:?}: give N followed by s, m, h or d (8h, 30d), at most 90d");
    let unit = text.chars().last().ok_or_else(wrong)?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(wrong()),
    };
    let count: u64 = text[..text.len() - 1].parse().map_err(|_| wrong())?;
    let ttl = Duration::from_secs(count.checked_mul(seconds).ok_or_else(wrong)?);
    if ttl.is_zero() || ttl > MAX_TTL {
        return Err(wrong());
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_with_their_unit() {
        assert_eq!(parse_ttl("8h"), Ok(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_ttl("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_ttl("90s"), Ok(Duration::from_secs(90)));
        for bad in [
            "",
            "8",
            "h",
            "0h",
            "91d",
            "-1h",
            "8x",
            "99999999999999999999d",
        ] {
            let error = parse_ttl(bad).expect_err(bad);
            assert!(error.starts_with("--ttl"), "{error}");
        }
    }
}
