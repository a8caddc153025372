//! The plugin author's offline commands, with no server: `plugins check`
//! (every check an install makes that needs no store) and `plugins run` (a
//! call of the component on a request file, under the slot's production
//! limits).

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use xingji_core::plugins::vet::{self, Vetted, vet};
use xingji_core::settings::PluginsConfig;
use xingji_plugin_host::record::RecordedDispatch;
use xingji_plugin_host::{HostServices, Limits, Plugin, Transcript};

use super::errors::{ClientError, FieldFlags};
use crate::config::{Config, Overrides};
use crate::grpc::status::status;
use crate::signing::read_signed;

/// The actor an offline check names in its refusals.
const OFFLINE: &str = "plugins check";

/// Which flag sets each field `check` blames.
const CHECK: FieldFlags = &[("component", "<FILE>"), ("signature", "--signature")];

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path)
        .map_err(|error| ClientError::Usage(format!("{flag} {}: {error}", path.display())))
}

/// The `[plugins]` section of the deployment's config (`--config`, else
/// `xingji.toml` here if there is one, else the defaults).
fn plugins_config(config: Option<&Path>) -> Result<PluginsConfig, ClientError> {
    Config::load(config, &Overrides::default())
        .map(|config| config.plugins)
        .map_err(|error| ClientError::Usage(format!("--config: {error}")))
}

/// `plugins check FILE`: loads the component as an install would, with
/// its signature (`--signature`, else FILE.sigstore.json if there is one),
/// and prints what it is.
pub async fn check(
    file: &Path,
    signature: Option<&Path>,
    config: Option<&Path>,
) -> Result<(), ClientError> {
    let config = plugins_config(config)?;
    let (component, signature) = read_signed(file, signature).map_err(ClientError::Usage)?;
    let Vetted { plugin, publisher } = vet(&config, OFFLINE, &component, &signature)
        .await
        .map_err(|error| ClientError::Refused {
            status: status(error),
            flags: CHECK,
        })?;
    let answer = json!({
        "plugin": plugin.id(),
        "slot": plugin.slot.to_string(),
        "wit_version": plugin.wit_version,
        "description": plugin.manifest.description,
        "author": plugin.manifest.author,
        "publisher": publisher,
        "sha256": plugin.sha256,
        "size_bytes": component.len(),
        "checks": "passed: size, signature, shape, compile, WIT version and world, imports, manifest; \
                   the install also checks that no other publisher owns the name",
    });
    print_json(&answer)
}

/// `plugins run FILE --request FILE.json`: calls the component once, under
/// its slot's production limits, and prints the result, the time, fuel,
/// peak memory and the lines it logged. With `--skeleton`, prints
/// arguments of the right shape instead.
pub async fn run(
    file: &Path,
    request: Option<&Path>,
    skeleton: bool,
    function: Option<&str>,
) -> Result<(), ClientError> {
    let component = read(file, "<FILE>")?;
    let plugin = load(&component).await?;
    let request = match request {
        Some(request) if !skeleton => request,
        _ => {
            let arguments = plugin
                .skeleton(function)
                .map_err(|error| ClientError::Usage(format!("--function: {error}")))?;
            return print_json(&arguments);
        }
    };
    let text = if request == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|error| ClientError::Usage(format!("--request -: {error}")))?;
        text
    } else {
        String::from_utf8(read(request, "--request")?).map_err(|_| {
            ClientError::Usage(format!("--request {}: not UTF-8", request.display()))
        })?
    };
    let arguments: Value = serde_json::from_str(&text)
        .map_err(|error| ClientError::Usage(format!("--request: not JSON: {error}")))?;
    let transcript = call(&plugin, function, &arguments).await?;
    print_json(&report(&plugin, &transcript))
}

/// The component loaded as an install would (signature aside).
pub async fn load(component: &[u8]) -> Result<Plugin, ClientError> {
    vet::load(&PluginsConfig::default(), component)
        .await
        .map_err(|error| ClientError::Refused {
            status: status(error),
            flags: CHECK,
        })
}

/// Calls `function` (by default the export's only one) with `arguments`,
/// under the slot's production limits, with capabilities over nothing:
/// `records` finds nothing, `kv` starts empty, `order-writer` makes no
/// order.
pub async fn call(
    plugin: &Plugin,
    function: Option<&str>,
    arguments: &Value,
) -> Result<Transcript, ClientError> {
    let services: Arc<dyn HostServices> = Arc::new(Offline::default());
    plugin
        .call_by_name(
            function,
            arguments,
            Limits::for_slot(plugin.slot),
            Some(services),
        )
        .await
        .map_err(|error| ClientError::Usage(format!("{}: {error}", plugin.id())))
}

/// What `run` prints.
pub fn report(plugin: &Plugin, transcript: &Transcript) -> Value {
    json!({
        "plugin": plugin.id(),
        "slot": plugin.slot.to_string(),
        "wit_version": plugin.wit_version,
        "result": transcript.result,
        "time_ms": transcript.cost.duration.as_secs_f64() * 1000.0,
        "fuel": transcript.cost.fuel,
        "peak_memory_bytes": transcript.peak_memory,
        "log": transcript.log.iter().map(|line| json!({"level": line.level, "message": line.message})).collect::<Vec<_>>(),
    })
}

fn print_json(value: &Value) -> Result<(), ClientError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| ClientError::Usage(error.to_string()))?;
    println!("{text}");
    Ok(())
}

/// The capabilities of an offline run: no records, a kv store that lives
/// for the one call, and an order writer that makes nothing.
#[derive(Default)]
struct Offline {
    kv: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

use xingji_plugin_host::bindings::host::xingji::plugins::{order_writer, types};

#[async_trait::async_trait]
impl HostServices for Offline {
    async fn get_outlet(&self, _: String) -> Result<Option<types::Outlet>, String> {
        Ok(None)
    }
    async fn list_outlets(&self, _: String, _: u32) -> Result<Vec<types::Outlet>, String> {
        Ok(Vec::new())
    }
    async fn get_person(&self, _: String) -> Result<Option<types::Person>, String> {
        Ok(None)
    }
    async fn list_people(
        &self,
        _: String,
        _: String,
        _: u32,
    ) -> Result<Vec<types::Person>, String> {
        Ok(Vec::new())
    }
    async fn get_order(&self, _: String) -> Result<Option<types::Order>, String> {
        Ok(None)
    }
    async fn list_orders(&self, _: String, _: u32) -> Result<Vec<types::Order>, String> {
        Ok(Vec::new())
    }
    async fn kv_get(&self, key: String) -> Result<Option<Vec<u8>>, String> {
        Ok(self.kv().get(&key).cloned())
    }
    async fn kv_set(&self, key: String, value: Vec<u8>) -> Result<Result<(), String>, String> {
        self.kv().insert(key, value);
        Ok(Ok(()))
    }
    async fn kv_delete(&self, key: String) -> Result<(), String> {
        self.kv().remove(&key);
        Ok(())
    }
    async fn kv_list_keys(
        &self,
        prefix: String,
        after: String,
        limit: u32,
    ) -> Result<Vec<String>, String> {
        Ok(self
            .kv()
            .keys()
            .filter(|key| key.starts_with(&prefix) && **key > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }
    async fn create_order(&self, _: order_writer::NewOrder) -> Result<String, String> {
        Err("an offline run makes no orders".to_owned())
    }
}

impl Offline {
    fn kv(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Vec<u8>>> {
        self.kv.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `plugins run FILE --replay ORDER_ID`: runs the component on the request
/// the order's (last) active dispatch decision was made from, and prints
/// both answers and whether they are the same.
pub async fn replay(
    file: &Path,
    decisions: xingji_api::v1::ListOrderDecisionsResponse,
) -> Result<(), ClientError> {
    use xingji_api::v1::DecisionRole;
    let recorded = decisions
        .decisions
        .into_iter()
        .rev()
        .find(|d| d.role() == DecisionRole::Active)
        .ok_or_else(|| {
            ClientError::Usage(
                "--replay: the order has no recorded dispatch decision (it was never dispatched by a plugin, or before decisions were recorded)"
                    .to_owned(),
            )
        })?;
    let recording = serde_json::from_str::<Value>(&recorded.request_json)
        .ok()
        .and_then(|json| serde_json::from_value::<RecordedDispatch>(json["request"].clone()).ok())
        .ok_or_else(|| {
            ClientError::Usage(format!(
                "--replay: the recorded request does not read back: {}",
                recorded.error
            ))
        })?;
    let component = read(file, "<FILE>")?;
    let plugin = load(&component).await?;
    // As the kernel would call it: a 0.2.0 plugin without what 0.2.0 lacks.
    let request = recording.to_json_at(&plugin.wit_version);
    let transcript = call(&plugin, None, &request).await?;
    let before: Value = serde_json::from_str(&recorded.answer_json).unwrap_or(Value::Null);
    let mut answer = report(&plugin, &transcript);
    answer["order_id"] = json!(recorded.order_id);
    answer["recorded_plugin"] = json!(recorded.plugin);
    answer["recorded"] = before.clone();
    answer["same"] = json!(before == transcript.result);
    print_json(&answer)
}
