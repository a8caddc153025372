//! Who a request says acts: the `xingji-actor` metadata. Until
//! authentication lands this is the client's own word.

use xingji_core::actor::Actor;

/// The metadata key a client sets to say who acts, recorded in order
/// history.
pub const ACTOR_HEADER: &str = "xingji-actor";

/// The longest actor the metadata may name.
const MAX_ACTOR: usize = 100;

/// Who `request` says acts; anonymous if it does not say, or says it in
/// something other than printable ASCII of at most 100 characters.
pub fn actor<T>(request: &tonic::Request<T>) -> Actor {
    let value = request
        .metadata()
        .get(ACTOR_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= MAX_ACTOR)
        .unwrap_or("anonymous");
    Actor::parse(value)
}
