//! A call of any function of a plugin's slot export by name, with its
//! arguments and results as JSON: what `xingji plugins run` uses to try a
//! component on a request file, whatever its slot and WIT version. It runs
//! in the same [`Call`] as the typed calls (the same limits, fuel, deadline
//! and capabilities), and reports what the call cost and logged.
//!
//! The JSON follows the WIT, with its names as written there:
//!
//! | WIT | JSON |
//! |---|---|
//! | `bool`, integers, floats | `true`, `42`, `1.5` |
//! | `char`, `string` | `"x"`, `"text"` |
//! | `list<T>`, `tuple<…>` | an array |
//! | `record` | an object keyed by field name (`customer-location`) |
//! | `enum` | the case's name: `"air-conditioner"` |
//! | `flags` | an array of the set flags' names |
//! | `variant` | `{"assign": …}`, or `"refuse"` for a case without payload |
//! | `option<T>` | `null`, or the value |
//! | `result<T, E>` | `{"ok": …}` or `{"err": …}` (`{"ok": null}` without payload) |
//!
//! An argument that does not fit is refused with the path of the value at
//! fault (`request.outlets[2].location.lat`) and what was expected.

use std::sync::Arc;

use serde_json::{Map, Number, Value};
use wasmtime::component::types::{ComponentExtern, ComponentFunc, ComponentItem, Type};
use wasmtime::component::{InstancePre, Val};

use crate::call::{Call, CallCost, PluginError, bounded};
use crate::plugin::Plugin;
use crate::sandbox::{HostServices, HostState, Limits, LogLine};
use crate::slot::WIT_PACKAGE;

/// What a call by name answered, cost and logged.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The function's result, as JSON (`null` for a function without one).
    pub result: Value,
    /// Fuel and time.
    pub cost: CallCost,
    /// The most linear memory the call held at once, in bytes.
    pub peak_memory: usize,
    /// Its log lines, in order.
    pub log: Vec<LogLine>,
}

/// Why a call by name did not run, or failed.
#[derive(Debug, thiserror::Error)]
pub enum CallByNameError {
    /// No such function in the slot's export (or none was named, and it
    /// has several); names the ones there are.
    #[error("{}", if .function.is_empty() {
        format!("{interface} has several functions: name one of {}", .functions.join(", "))
    } else {
        format!("{interface} has no function {function:?}; it has {}", .functions.join(", "))
    })]
    NoFunction {
        /// The export, `xingji:plugins/dispatcher@0.2.0`.
        interface: String,
        /// The function asked for.
        function: String,
        /// The functions there are.
        functions: Vec<String>,
    },
    /// An argument does not fit the function's parameters.
    #[error("{path}: {message}")]
    Argument {
        /// Where in the arguments: `request.outlets[2].location`.
        path: String,
        /// What was expected.
        message: String,
    },
    /// The plugin's call failed.
    #[error(transparent)]
    Plugin(#[from] PluginError),
}

impl Plugin {
    /// Calls `function` (by default the export's only function) of the
    /// plugin's slot export with `arguments`, a
    /// JSON object keyed by the WIT parameter names (one parameter: its
    /// value alone is accepted too), within `limits`, with `services` behind
    /// the capabilities its slot grants.
    pub async fn call_by_name(
        &self,
        function: Option<&str>,
        arguments: &Value,
        limits: Limits,
        services: Option<Arc<dyn HostServices>>,
    ) -> Result<Transcript, CallByNameError> {
        let interface = self.export_interface();
        // Arguments are read against the export's type before anything
        // runs: a wrong one is the caller's error, not the plugin's.
        let (function, ty) = self.resolve(function)?;
        let params: Vec<(String, Type)> = ty
            .params()
            .map(|(name, ty)| (name.to_owned(), ty))
            .collect();
        let args = arguments_to_vals(&params, arguments)?;
        let results = ty.results().len();
        bounded(limits, async {
            let mut call = Call::new(self.engine(), self.ticker(), limits, services);
            call.store().data_mut().keep_log();
            let instance = self.instance_pre();
            let result = call_in(instance, &mut call, &interface, &function, &args, results).await;
            let peak_memory = call.store().data().peak_memory();
            let log = call.store().data_mut().take_log();
            let (result, cost) = call.finish(result)?;
            Ok(Transcript {
                result,
                cost,
                peak_memory,
                log,
            })
        })
        .await
    }
}

impl Plugin {
    /// `xingji:plugins/dispatcher@0.2.0`: the slot's export, at the
    /// plugin's WIT version.
    fn export_interface(&self) -> String {
        format!("{WIT_PACKAGE}/{}@{}", self.slot.export(), self.wit_version)
    }

    /// The function `function` of the slot's export (by default its only
    /// one), by name, with its type.
    fn resolve(&self, function: Option<&str>) -> Result<(String, ComponentFunc), CallByNameError> {
        let interface = self.export_interface();
        let engine = self.engine();
        let component = self.instance_pre().component().component_type();
        let functions: Vec<(String, ComponentFunc)> = match component.get_export(engine, &interface)
        {
            Some(ComponentExtern {
                ty: ComponentItem::ComponentInstance(instance),
                ..
            }) => instance
                .exports(engine)
                .filter_map(|(name, export)| match export.ty {
                    ComponentItem::ComponentFunc(func) => Some((name.to_owned(), func)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let no_function = |function: &str| CallByNameError::NoFunction {
            interface: interface.clone(),
            function: function.to_owned(),
            functions: functions.iter().map(|(name, _)| name.clone()).collect(),
        };
        match function {
            Some(name) => functions
                .iter()
                .find(|(n, _)| n == name)
                .cloned()
                .ok_or_else(|| no_function(name)),
            None if functions.len() == 1 => Ok(functions[0].clone()),
            None => Err(no_function("")),
        }
    }

    /// Arguments of the right shape for `function` (by default the
    /// export's only one): zeros, empty strings and lists, `null` options,
    /// the first case of each enum and variant. A request to fill in.
    pub fn skeleton(&self, function: Option<&str>) -> Result<Value, CallByNameError> {
        let (_, func) = self.resolve(function)?;
        Ok(Value::Object(
            func.params()
                .map(|(name, ty)| (name.to_owned(), skeleton(&ty)))
                .collect(),
        ))
    }
}

/// A value of type `ty` with nothing in it.
fn skeleton(ty: &Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(false),
        Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64 => Value::from(0),
        Type::Float32 | Type::Float64 => float(0.0),
        Type::Char => Value::String("a".to_owned()),
        Type::String => Value::String(String::new()),
        Type::List(_) | Type::Flags(_) | Type::Map(_) => Value::Array(Vec::new()),
        Type::Tuple(tuple) => Value::Array(tuple.types().map(|ty| skeleton(&ty)).collect()),
        Type::Record(record) => Value::Object(
            record
                .fields()
                .map(|field| (field.name.to_owned(), skeleton(&field.ty)))
                .collect(),
        ),
        Type::Enum(cases) => cases
            .names()
            .next()
            .map_or(Value::Null, |name| Value::String(name.to_owned())),
        Type::Variant(variant) => match variant.cases().next() {
            Some(case) => match case.ty {
                Some(ty) => single(case.name, skeleton(&ty)),
                None => Value::String(case.name.to_owned()),
            },
            None => Value::Null,
        },
        Type::Option(_) => Value::Null,
        Type::Result(result) => single("ok", result.ok().map_or(Value::Null, |ty| skeleton(&ty))),
        _ => Value::Null,
    }
}

/// Instantiates the component in `call` and calls function `function` of
/// export `interface` with `args`, expecting `results` results.
async fn call_in(
    instance: &InstancePre<HostState>,
    call: &mut Call,
    interface: &str,
    function: &str,
    args: &[Val],
    results: usize,
) -> wasmtime::Result<Value> {
    let store = call.store();
    let instance = instance.instantiate_async(&mut *store).await?;
    let func = instance
        .get_export_index(&mut *store, None, interface)
        .and_then(|export| instance.get_export_index(&mut *store, Some(&export), function))
        .and_then(|index| instance.get_func(&mut *store, index))
        .ok_or_else(|| wasmtime::Error::msg(format!("no function {function} in {interface}")))?;
    let mut results = vec![Val::Bool(false); results];
    func.call_async(&mut *store, args, &mut results).await?;
    Ok(match results.as_slice() {
        [] => Value::Null,
        [one] => to_json(one),
        many => Value::Array(many.iter().map(to_json).collect()),
    })
}

/// The arguments of a function with `params` from `arguments`.
fn arguments_to_vals(
    params: &[(String, Type)],
    arguments: &Value,
) -> Result<Vec<Val>, CallByNameError> {
    let object = arguments.as_object();
    // One parameter may be given as its value alone, unless the value is
    // an object keyed by exactly that parameter's name.
    if let [(name, ty)] = params
        && !object.is_some_and(|o| o.len() == 1 && o.contains_key(name))
    {
        return Ok(vec![from_json(ty, arguments, name)?]);
    }
    let Some(object) = object else {
        return Err(CallByNameError::Argument {
            path: "arguments".to_owned(),
            message: format!(
                "expected an object with the parameters {}",
                names(params.iter().map(|(n, _)| n.as_str()))
            ),
        });
    };
    if let Some(unknown) = object.keys().find(|k| !params.iter().any(|(n, _)| n == *k)) {
        return Err(CallByNameError::Argument {
            path: unknown.clone(),
            message: format!(
                "no such parameter; the parameters are {}",
                names(params.iter().map(|(n, _)| n.as_str()))
            ),
        });
    }
    params
        .iter()
        .map(|(name, ty)| {
            let value = object.get(name).ok_or_else(|| CallByNameError::Argument {
                path: name.clone(),
                message: "missing".to_owned(),
            })?;
            from_json(ty, value, name)
        })
        .collect()
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn wrong(path: &str, message: impl Into<String>) -> CallByNameError {
    CallByNameError::Argument {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// `value` as a component value of type `ty`; `path` names it in errors.
fn from_json(ty: &Type, value: &Value, path: &str) -> Result<Val, CallByNameError> {
    macro_rules! integer {
        ($variant:ident, $int:ty) => {{
            let n = value
                .as_i64()
                .map(i128::from)
                .or_else(|| value.as_u64().map(i128::from))
                .ok_or_else(|| {
                    wrong(
                        path,
                        concat!("expected an integer (", stringify!($int), ")"),
                    )
                })?;
            Val::$variant(<$int>::try_from(n).map_err(|_| {
                wrong(
                    path,
                    format!("{n} is out of range for {}", stringify!($int)),
                )
            })?)
        }};
    }
    Ok(match ty {
        Type::Bool => Val::Bool(
            value
                .as_bool()
                .ok_or_else(|| wrong(path, "expected true or false"))?,
        ),
        Type::S8 => integer!(S8, i8),
        Type::U8 => integer!(U8, u8),
        Type::S16 => integer!(S16, i16),
        Type::U16 => integer!(U16, u16),
        Type::S32 => integer!(S32, i32),
        Type::U32 => integer!(U32, u32),
        Type::S64 => integer!(S64, i64),
        Type::U64 => integer!(U64, u64),
        Type::Float32 => Val::Float32(number(value, path)? as f32),
        Type::Float64 => Val::Float64(number(value, path)?),
        Type::Char => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong(path, "expected a one-character string"))?;
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => return Err(wrong(path, "expected a one-character string")),
            }
        }
        Type::String => Val::String(
            value
                .as_str()
                .ok_or_else(|| wrong(path, "expected a string"))?
                .to_owned(),
        ),
        Type::List(list) => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong(path, "expected an array"))?;
            let element = list.ty();
            Val::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| from_json(&element, item, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Tuple(tuple) => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong(path, "expected an array"))?;
            let types: Vec<Type> = tuple.types().collect();
            if items.len() != types.len() {
                return Err(wrong(
                    path,
                    format!("expected an array of {} values", types.len()),
                ));
            }
            Val::Tuple(
                types
                    .iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (ty, item))| from_json(ty, item, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Record(record) => {
            let object = value
                .as_object()
                .ok_or_else(|| wrong(path, "expected an object"))?;
            let fields: Vec<_> = record.fields().map(|f| (f.name.to_owned(), f.ty)).collect();
            if let Some(unknown) = object.keys().find(|k| !fields.iter().any(|(n, _)| n == *k)) {
                return Err(wrong(
                    &format!("{path}.{unknown}"),
                    format!(
                        "no such field; the fields are {}",
                        names(fields.iter().map(|(n, _)| n.as_str()))
                    ),
                ));
            }
            Val::Record(
                fields
                    .iter()
                    .map(|(name, ty)| {
                        let field = format!("{path}.{name}");
                        let value = object.get(name).ok_or_else(|| wrong(&field, "missing"))?;
                        Ok((name.clone(), from_json(ty, value, &field)?))
                    })
                    .collect::<Result<_, CallByNameError>>()?,
            )
        }
        Type::Enum(cases) => {
            let name = value.as_str().unwrap_or_default();
            if !cases.names().any(|case| case == name) {
                return Err(wrong(
                    path,
                    format!("expected one of {}", names(cases.names())),
                ));
            }
            Val::Enum(name.to_owned())
        }
        Type::Flags(flags) => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong(path, "expected an array of flag names"))?;
            let mut set = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let name = item.as_str().unwrap_or_default();
                if !flags.names().any(|flag| flag == name) {
                    return Err(wrong(
                        &format!("{path}[{i}]"),
                        format!("expected one of {}", names(flags.names())),
                    ));
                }
                set.push(name.to_owned());
            }
            Val::Flags(set)
        }
        Type::Variant(variant) => {
            let cases: Vec<_> = variant.cases().map(|c| (c.name.to_owned(), c.ty)).collect();
            let expected = || {
                format!(
                    "expected one of {}",
                    cases
                        .iter()
                        .map(|(name, ty)| match ty {
                            Some(_) => format!("{{\"{name}\": …}}"),
                            None => format!("\"{name}\""),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let (name, payload) = match value {
                Value::String(name) => (name.as_str(), None),
                Value::Object(object) if object.len() == 1 => {
                    let (name, payload) = object
                        .iter()
                        .next()
                        .ok_or_else(|| wrong(path, expected()))?;
                    (name.as_str(), Some(payload))
                }
                _ => return Err(wrong(path, expected())),
            };
            let (_, ty) = cases
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| wrong(path, expected()))?;
            let inner = format!("{path}.{name}");
            let payload = match (ty, payload) {
                (Some(ty), Some(payload)) => Some(Box::new(from_json(ty, payload, &inner)?)),
                (None, None | Some(Value::Null)) => None,
                _ => return Err(wrong(path, expected())),
            };
            Val::Variant(name.to_owned(), payload)
        }
        Type::Option(option) => match value {
            Value::Null => Val::Option(None),
            value => Val::Option(Some(Box::new(from_json(&option.ty(), value, path)?))),
        },
        Type::Result(result) => {
            let object = value
                .as_object()
                .filter(|o| o.len() == 1)
                .ok_or_else(|| wrong(path, "expected {\"ok\": …} or {\"err\": …}"))?;
            let payload =
                |ty: Option<Type>, key: &str| -> Result<Option<Box<Val>>, CallByNameError> {
                    let value = &object[key];
                    match ty {
                        Some(ty) => Ok(Some(Box::new(from_json(
                            &ty,
                            value,
                            &format!("{path}.{key}"),
                        )?))),
                        None if value.is_null() => Ok(None),
                        None => Err(wrong(
                            &format!("{path}.{key}"),
                            "expected null: this case has no payload",
                        )),
                    }
                };
            if object.contains_key("ok") {
                Val::Result(Ok(payload(result.ok(), "ok")?))
            } else if object.contains_key("err") {
                Val::Result(Err(payload(result.err(), "err")?))
            } else {
                return Err(wrong(path, "expected {\"ok\": …} or {\"err\": …}"));
            }
        }
        other => {
            return Err(wrong(
                path,
                format!("values of type {other:?} cannot be given as JSON"),
            ));
        }
    })
}

fn number(value: &Value, path: &str) -> Result<f64, CallByNameError> {
    value
        .as_f64()
        .ok_or_else(|| wrong(path, "expected a number"))
}

/// A component value as JSON, the inverse of [`from_json`].
pub fn to_json(value: &Val) -> Value {
    match value {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => Value::from(*n),
        Val::U8(n) => Value::from(*n),
        Val::S16(n) => Value::from(*n),
        Val::U16(n) => Value::from(*n),
        Val::S32(n) => Value::from(*n),
        Val::U32(n) => Value::from(*n),
        Val::S64(n) => Value::from(*n),
        Val::U64(n) => Value::from(*n),
        Val::Float32(n) => float(f64::from(*n)),
        Val::Float64(n) => float(*n),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            Value::Array(items.iter().map(to_json).collect())
        }
        Val::Map(pairs) => Value::Array(
            pairs
                .iter()
                .map(|(k, v)| Value::Array(vec![to_json(k), to_json(v)]))
                .collect(),
        ),
        Val::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), to_json(value)))
                .collect(),
        ),
        Val::Enum(name) => Value::String(name.clone()),
        Val::Flags(names) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        Val::Variant(name, None) => Value::String(name.clone()),
        Val::Variant(name, Some(payload)) => single(name, to_json(payload)),
        Val::Option(None) => Value::Null,
        Val::Option(Some(value)) => to_json(value),
        Val::Result(Ok(value)) => single("ok", value.as_deref().map_or(Value::Null, to_json)),
        Val::Result(Err(value)) => single("err", value.as_deref().map_or(Value::Null, to_json)),
        Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
            Value::String("<handle>".to_owned())
        }
    }
}

fn float(n: f64) -> Value {
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn single(key: &str, value: Value) -> Value {
    let mut object = Map::new();
    object.insert(key.to_owned(), value);
    Value::Object(object)
}
