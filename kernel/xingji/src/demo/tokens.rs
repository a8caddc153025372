//! Tokens for the demo's people, so that the README's walk can say who
//! acts with `--as <role>:<name>`: signed by the embedded issuer and saved
//! in the tokens directory at every start of `serve --demo` (a week's
//! validity, renewed by the next start).

use std::path::Path;
use std::time::Duration;

use xingji_api::v1::{Outlet, Person};
use xingji_core::paging::read_all;
use xingji_identity::{EmbeddedIssuer, TokenRequest};
use xingji_store::{OutletFilter, PersonFilter, prelude::*};

use super::data::REGIONS;
use crate::tokens::save_token;

/// How long a demo token is valid.
const DEMO_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Saves a token in `dir` for headquarters (`hq:demo`, `hq:finance`), the
/// call centre (`call-centre:07`), an auditor (`auditor:demo`), each
/// region's IT (`regional-it:<region>`), and every outlet and engineer of
/// `store`. Returns how many.
pub async fn save_demo_tokens(
    store: &dyn Store,
    issuer: &EmbeddedIssuer,
    audience: &str,
    dir: &Path,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let all: Vec<String> = REGIONS.iter().map(|r| r.id.to_owned()).collect();
    let token = |role: &str, subject: &str, regions: &[String]| TokenRequest {
        subject: subject.to_owned(),
        role: role.to_owned(),
        regions: regions.to_vec(),
        ttl: DEMO_TTL,
        audience: audience.to_owned(),
        ..TokenRequest::default()
    };
    let mut wanted = vec![
        token("hq", "demo", &[]),
        token("hq", "finance", &[]),
        token("call-centre", "07", &all),
        token("auditor", "demo", &all),
    ];
    for region in &all {
        wanted.push(token("regional-it", region, std::slice::from_ref(region)));
    }
    for outlet in read_all::<Outlet>(store, &OutletFilter::default()).await? {
        wanted.push(token("outlet", &outlet.id, &[]));
    }
    for person in read_all::<Person>(store, &PersonFilter::default()).await? {
        wanted.push(token("engineer", &person.id, &[]));
    }
    for request in &wanted {
        let principal = format!("{}:{}", request.role, request.subject);
        save_token(dir, &principal, &issuer.issue(request.clone())?)?;
    }
    Ok(wanted.len())
}
