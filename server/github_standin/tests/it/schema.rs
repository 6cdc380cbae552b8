//! A small JSON Schema (draft-07) validator for the schemas in
//! `shared/github/webhooks/schemas/`: the keywords those files use, with
//! `$ref` resolved against the referring file's `$id` (so `user.schema.json`
//! inside `common/issue.schema.json` is `common/user.schema.json`). A
//! keyword it does not know fails the validation rather than passing
//! silently.

use std::{collections::HashMap, path::PathBuf};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;

/// Keywords that say nothing about validity.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "examples",
    "tsAdditionalProperties",
];

pub struct Schemas {
    /// By `$id`-style key: `common/issue.schema.json`, `issues/opened.schema.json`.
    files: HashMap<String, Value>,
}

/// Where the schemas are: `GITHUB_SCHEMAS`, or `shared/` beside the repository.
pub fn root() -> PathBuf {
    std::env::var_os("GITHUB_SCHEMAS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/github/webhooks/schemas")
        },
        PathBuf::from,
    )
}

impl Schemas {
    pub fn load() -> Self {
        let root = root();
        let mut files = HashMap::new();
        for dir in ["common", "issues", "label"] {
            let entries = std::fs::read_dir(root.join(dir))
                .unwrap_or_else(|e| panic!("reading {}: {e}", root.join(dir).display()));
            for entry in entries {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.insert(
                    format!("{dir}/{name}"),
                    serde_json::from_str(&text).unwrap(),
                );
            }
        }
        Self { files }
    }

    /// Every way `value` breaks the schema file `key` (empty: it is valid).
    pub fn errors(&self, key: &str, value: &Value) -> Vec<String> {
        let schema = self
            .files
            .get(key)
            .unwrap_or_else(|| panic!("no schema {key}"));
        let mut errors = Vec::new();
        self.check(schema, key, value, "$", &mut errors);
        errors
    }

    /// Panics, listing the errors, unless `value` is valid.
    pub fn assert_valid(&self, key: &str, value: &Value) {
        let errors = self.errors(key, value);
        assert!(
            errors.is_empty(),
            "{key}: {} errors:\n{}",
            errors.len(),
            errors.join("\n")
        );
    }

    /// `reference` read from inside the file `base`.
    fn resolve(&self, base: &str, reference: &str) -> (&Value, String) {
        assert!(
            !reference.starts_with('#'),
            "fragment $ref {reference} is not supported"
        );
        let key = match base.rfind('/') {
            Some(slash) if !reference.contains('/') => format!("{}/{reference}", &base[..slash]),
            _ => reference.to_owned(),
        };
        let schema = self
            .files
            .get(&key)
            .unwrap_or_else(|| panic!("unresolved $ref {reference} from {base}"));
        (schema, key)
    }

    fn check(&self, schema: &Value, base: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                errors.push(format!("{at}: not allowed"));
            }
            return;
        };
        for (keyword, rule) in schema {
            match keyword.as_str() {
                "$ref" => {
                    let (target, key) = self.resolve(base, rule.as_str().unwrap());
                    self.check(target, &key, value, at, errors);
                }
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        _ => panic!("bad type {rule}"),
                    };
                    if !types.iter().any(|t| has_type(value, t)) {
                        errors.push(format!("{at}: {value} is not of type {types:?}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(value) {
                        errors.push(format!("{at}: {value} is not one of {rule}"));
                    }
                }
                "const" if rule != value => errors.push(format!("{at}: {value} is not {rule}")),
                "const" => {}
                "required" => {
                    if let Some(object) = value.as_object() {
                        for name in rule.as_array().unwrap().iter().filter_map(Value::as_str) {
                            if !object.contains_key(name) {
                                errors.push(format!("{at}: missing required '{name}'"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Some(object) = value.as_object() {
                        for (name, sub) in rule.as_object().unwrap() {
                            if let Some(member) = object.get(name) {
                                self.check(sub, base, member, &format!("{at}.{name}"), errors);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Some(object) = value.as_object() {
                        let known = schema.get("properties").and_then(Value::as_object);
                        for (name, member) in object {
                            if known.is_some_and(|k| k.contains_key(name)) {
                                continue;
                            }
                            match rule {
                                Value::Bool(false) => {
                                    errors.push(format!("{at}: unexpected member '{name}'"));
                                }
                                Value::Bool(true) => {}
                                sub => {
                                    self.check(sub, base, member, &format!("{at}.{name}"), errors);
                                }
                            }
                        }
                    }
                }
                "items" => {
                    if let Some(items) = value.as_array() {
                        for (i, item) in items.iter().enumerate() {
                            self.check(rule, base, item, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                "allOf" => {
                    for sub in rule.as_array().unwrap() {
                        self.check(sub, base, value, at, errors);
                    }
                }
                "anyOf" | "oneOf" => {
                    let passing = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|sub| {
                            let mut inner = Vec::new();
                            self.check(sub, base, value, at, &mut inner);
                            inner.is_empty()
                        })
                        .count();
                    let ok = if keyword == "oneOf" {
                        passing == 1
                    } else {
                        passing >= 1
                    };
                    if !ok {
                        errors.push(format!(
                            "{at}: {passing} of the {keyword} alternatives match {value}"
                        ));
                    }
                }
                "format" => check_format(rule.as_str().unwrap(), value, at, errors),
                other if ANNOTATIONS.contains(&other) => {}
                other => errors.push(format!(
                    "{at}: the validator does not know the keyword '{other}'"
                )),
            }
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        other => panic!("unknown type {other}"),
    }
}

fn check_format(format: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(text) = value.as_str() else {
        return;
    };
    let ok = match format {
        "date-time" => time::OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        "uri" => url::Url::parse(text).is_ok(),
        // A template is a URI once its `{…}` expressions are taken out.
        "uri-template" => {
            let mut bare = String::new();
            let mut depth = 0;
            for c in text.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ if depth == 0 => bare.push(c),
                    _ => {}
                }
            }
            depth == 0 && url::Url::parse(&bare).is_ok()
        }
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: '{text}' is not a {format}"));
    }
}
