//! `--value FIELD`: one field of the answer, so that a script can write
//! `ORDER=$(xingji … orders create … --value id)`.
//!
//! The path is checked against the answer's message type before the call is
//! made (a typo must not cost a second order), and read from the answer's
//! proto JSON after it: proto3 JSON leaves out fields at their default, so a
//! field of the type that is absent from the JSON prints as an empty line.

use prost_reflect::{Kind, MessageDescriptor};

/// One step of a `--value` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A field, by its proto name.
    Field(String),
    /// An element of a repeated field, from 0.
    Index(usize),
}

/// What a path has reached so far.
enum Shape {
    Message(MessageDescriptor),
    List(Kind),
    Leaf,
}

impl Shape {
    fn of(kind: Kind) -> Shape {
        match kind {
            // Well-known types print as one JSON value (a timestamp as an
            // RFC 3339 string), so they have no fields to step into.
            Kind::Message(message) if !message.full_name().starts_with("google.protobuf.") => {
                Shape::Message(message)
            }
            _ => Shape::Leaf,
        }
    }
}

/// The steps of `path` (`history.0.action`) in answers of type `answer`, or
/// why it names no field of them.
pub fn resolve(path: &str, answer: &MessageDescriptor) -> Result<Vec<Step>, String> {
    let wrong = |why: String| format!("--value {path:?}: {why}");
    let mut shape = Shape::Message(answer.clone());
    let mut steps = Vec::new();
    let mut walked = String::new();
    for segment in path.split('.') {
        let here = if walked.is_empty() {
            "the answer".to_owned()
        } else {
            walked.clone()
        };
        shape = match shape {
            Shape::Message(message) => {
                let Some(field) = message.get_field_by_name(segment) else {
                    let known: Vec<String> =
                        message.fields().map(|f| f.name().to_owned()).collect();
                    return Err(wrong(format!(
                        "{segment:?} is not a field of {here} ({}); its fields: {}",
                        message.full_name(),
                        known.join(", ")
                    )));
                };
                steps.push(Step::Field(segment.to_owned()));
                if field.is_list() {
                    Shape::List(field.kind())
                } else if field.is_map() {
                    Shape::Leaf
                } else {
                    Shape::of(field.kind())
                }
            }
            Shape::List(kind) => {
                let index = segment.parse::<usize>().map_err(|_| {
                    wrong(format!(
                        "{here} is a list: give an index, e.g. {here}.0.{segment}"
                    ))
                })?;
                steps.push(Step::Index(index));
                Shape::of(kind)
            }
            Shape::Leaf => {
                return Err(wrong(format!("{here} is a single value, without fields")));
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(segment);
    }
    Ok(steps)
}

/// The value at `steps` of `json` as a script reads it: a string raw, a
/// number or boolean as JSON, an object or list as indented JSON, and an
/// empty string for a field the answer leaves unset.
pub fn pick(json: &serde_json::Value, steps: &[Step]) -> String {
    let mut at = Some(json);
    for step in steps {
        at = at.and_then(|value| match step {
            Step::Field(name) => value.get(name),
            Step::Index(index) => value.get(index),
        });
    }
    match at {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(value @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            serde_json::to_string_pretty(value).unwrap_or_default()
        }
        Some(value) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::descriptors::POOL;
    use super::*;

    fn order() -> MessageDescriptor {
        POOL.get_message_by_name("xingji.v1.Order")
            .expect("Order is in the descriptor set")
    }

    #[test]
    fn paths_follow_fields_lists_and_nested_messages() {
        assert_eq!(
            resolve("history.0.action", &order()).expect("a path"),
            vec![
                Step::Field("history".into()),
                Step::Index(0),
                Step::Field("action".into())
            ]
        );
        resolve("appliance.purchase_date.year", &order()).expect("a date's year");
        resolve("create_time", &order()).expect("a timestamp");
    }

    #[test]
    fn paths_that_are_not_fields_name_the_known_ones() {
        let error = resolve("outlet", &order()).expect_err("no such field");
        assert!(error.contains("\"outlet\" is not a field of the answer (xingji.v1.Order)"));
        assert!(error.contains("outlet_id"), "{error}");
        let error = resolve("customer.nmae", &order()).expect_err("a typo");
        assert!(error.contains("its fields: name, phone"), "{error}");
        let error = resolve("history.action", &order()).expect_err("no index");
        assert!(error.contains("history is a list"), "{error}");
        let error = resolve("create_time.seconds", &order()).expect_err("a leaf");
        assert!(error.contains("create_time is a single value"), "{error}");
        assert!(resolve("", &order()).is_err());
        assert!(resolve("id.", &order()).is_err());
    }

    #[test]
    fn picking_prints_strings_raw_and_unset_fields_empty() {
        let json = serde_json::json!({
            "id": "ord_1",
            "version": "3",
            "customer": {"vip": true},
            "history": [{"action": "created"}],
        });
        let at = |path: &str| pick(&json, &resolve(path, &order()).expect("a path"));
        assert_eq!(at("id"), "ord_1");
        assert_eq!(at("version"), "3");
        assert_eq!(at("customer.vip"), "true");
        assert_eq!(at("history.0.action"), "created");
        assert_eq!(at("history.1.action"), "");
        assert_eq!(at("outlet_id"), "");
        assert_eq!(at("customer"), "{\n  \"vip\": true\n}");
    }
}
