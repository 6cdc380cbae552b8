//! Validates JSON bodies against Miro's official OpenAPI spec
//! (`../shared/miro/openapi.json` beside the project, or `MIRO_OPENAPI_SPEC`).
//!
//! A small recursive checker for the OpenAPI 3.0 subset the spec uses:
//! `$ref`, `type`, `nullable`, `enum`, `properties`/`required`,
//! `additionalProperties`, `items`, `minItems`/`maxItems`,
//! `minLength`/`maxLength`, `minimum`/`maximum`, `allOf`/`oneOf`/`anyOf`,
//! and the formats `date-time`, `int32` and `int64`. `pattern` is not
//! checked. Annotations (`description`, `example`, `readOnly`...) are
//! ignored.
//!
//! **Strict mode** (on for responses and requests): an object member the
//! schema does not declare is an error wherever the schema lists
//! `properties` and says nothing of `additionalProperties`, so a misspelt
//! field (`created_at` for `createdAt`) fails. Members declared by any
//! `allOf` branch count as declared. `oneOf` is checked like `anyOf`: the
//! spec's branches overlap (objects with no required members), so "matches
//! at least one branch, strictly" is the meaningful test.
//!
//! **Where the spec cannot be followed as written**:
//! - Most error responses point at `#/components/responses/4xx`, which the
//!   document does not have. Every 4xx/5xx answer is therefore checked
//!   against the `Error` schema, and must carry `status` (equal to the HTTP
//!   status), `code`, `message` and `type: "error"`. `context` may be
//!   `null`, as in Miro's documented error bodies, though the spec types it
//!   as an object.
//! - 401, 403, 500 and 503 are accepted for every operation (see
//!   [`ANY_OPERATION`]); any other status must be listed for the operation.
//! - A response the spec gives no content (204) must have no body.
//! - `Item.data` (bulk create's answer) lists only document and image data,
//!   though bulk create makes app cards and cards; the validator adds the
//!   `AppCardData` and `CardData` branches before checking.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

/// Statuses any operation may answer, listed or not: most operations
/// reference a shared set of error responses (`#/components/responses/401`,
/// `403`, `500`...) that the document lacks, and Miro's error codes include
/// `401 tokenNotProvided` and `403 forbiddenAccess` for every endpoint.
const ANY_OPERATION: &[u16] = &[401, 403, 500, 503];

/// The loaded spec.
pub struct OpenApi {
    doc: Value,
}

impl OpenApi {
    /// The spec, loaded once per test binary.
    pub fn get() -> &'static OpenApi {
        static SPEC: OnceLock<OpenApi> = OnceLock::new();
        SPEC.get_or_init(|| {
            let path = std::env::var("MIRO_OPENAPI_SPEC").unwrap_or_else(|_| {
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../shared/miro/openapi.json"
                )
                .to_owned()
            });
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("Miro's OpenAPI spec is not at {path} ({e}); set MIRO_OPENAPI_SPEC")
            });
            let mut doc: Value = serde_json::from_str(&text).expect("the spec is JSON");
            // See the module docs: bulk create answers with app cards and cards.
            if let Some(branches) = doc
                .pointer_mut("/components/schemas/ItemData/oneOf")
                .and_then(Value::as_array_mut)
            {
                branches.push(json!({ "$ref": "#/components/schemas/AppCardData" }));
                branches.push(json!({ "$ref": "#/components/schemas/CardData" }));
            }
            OpenApi { doc }
        })
    }

    fn operation(&self, method: &str, path: &str) -> &Value {
        let operation = &self.doc["paths"][path][method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "the spec has no operation {method} {path}"
        );
        operation
    }

    /// Checks a response body (`Value::Null` for none) for an operation and status.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let responses = &self.operation(method, path)["responses"];
        let listed = responses.get(status.to_string());
        if listed.is_none() && !ANY_OPERATION.contains(&status) {
            return Err(vec![format!(
                "the spec lists no {status} answer for {method} {path}"
            )]);
        }
        let mut checker = Checker {
            doc: &self.doc,
            strict: true,
            errors: Vec::new(),
        };
        if status >= 400 {
            // Miro's documented errors send `"context": null` where the
            // spec types it as an object: accept that one deviation.
            let mut shape = body.clone();
            if shape.get("context") == Some(&Value::Null) {
                shape.as_object_mut().map(|m| m.remove("context"));
            }
            checker.check(&self.doc["components"]["schemas"]["Error"], &shape, "");
            for member in ["status", "code", "message", "type"] {
                if body.get(member).is_none() {
                    checker
                        .errors
                        .push(format!("/{member}: Miro's error shape requires it"));
                }
            }
            if body["status"] != json!(status) {
                checker.errors.push(format!(
                    "/status: {} is not the HTTP status {status}",
                    body["status"]
                ));
            }
            if body["type"] != "error" {
                checker
                    .errors
                    .push(format!("/type: {} is not \"error\"", body["type"]));
            }
        } else {
            match listed.and_then(|r| r.pointer("/content/application~1json/schema")) {
                Some(schema) if status != 204 => checker.check(schema, body, ""),
                _ if !body.is_null() => checker.errors.push(format!(
                    "the spec gives {status} no body, but one came: {body}"
                )),
                _ => {}
            }
        }
        checker.finish()
    }

    /// Checks a JSON request body against the operation's `requestBody`.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Result<(), Vec<String>> {
        let operation = self.operation(method, path);
        let Some(schema) = operation.pointer("/requestBody/content/application~1json/schema")
        else {
            return Err(vec![format!("{method} {path} takes no JSON body")]);
        };
        let mut checker = Checker {
            doc: &self.doc,
            strict: true,
            errors: Vec::new(),
        };
        checker.check(schema, body, "");
        checker.finish()
    }

    /// The spec's path template for a concrete path, e.g.
    /// `/v2/boards/uXjV=/items/345` → `/v2/boards/{board_id}/items/{item_id}`.
    /// With `?tag_id=`, the tag operations' template wins over the item's.
    pub fn match_path(&self, method: &str, concrete: &str) -> Option<String> {
        let (concrete, query) = concrete.split_once('?').unwrap_or((concrete, ""));
        let tagging = query.split('&').any(|p| p.starts_with("tag_id="));
        let segments: Vec<&str> = concrete.trim_matches('/').split('/').collect();
        let method = method.to_ascii_lowercase();
        let paths = self.doc["paths"].as_object()?;
        let mut candidates: Vec<&String> = paths
            .iter()
            .filter(|(_, ops)| ops.get(&method).is_some())
            .map(|(template, _)| template)
            .filter(|template| {
                let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
                parts.len() == segments.len()
                    && parts
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .collect();
        // The most literal template wins (`/items/bulk` over `/items/{item_id}`).
        // Variants such as `{board_id_PlatformTags}` or the multipart bulk
        // upload lose to the plain template, unless the query picks tags.
        candidates.sort_by_key(|t| {
            let variant = t.contains("_Platform") && !(tagging && t.contains("PlatformTags"));
            (t.matches('{').count(), variant)
        });
        candidates.first().map(|t| (*t).clone())
    }
}

/// Panics with every problem and the body when a response breaks the spec.
pub fn assert_response(method: &str, path: &str, status: u16, body: &Value) {
    if let Err(errors) = OpenApi::get().check_response(method, path, status, body) {
        panic!(
            "{method} {path} answered {status} against the spec:\n  {}\nbody: {}",
            errors.join("\n  "),
            serde_json::to_string_pretty(body).unwrap_or_default()
        );
    }
}

/// Panics with every problem when a request body breaks the spec.
pub fn assert_request(method: &str, path: &str, body: &Value) {
    if let Err(errors) = OpenApi::get().check_request(method, path, body) {
        panic!(
            "{method} {path} request against the spec:\n  {}\nbody: {body}",
            errors.join("\n  ")
        );
    }
}

struct Checker<'a> {
    doc: &'a Value,
    strict: bool,
    errors: Vec<String>,
}

impl<'a> Checker<'a> {
    fn finish(self) -> Result<(), Vec<String>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference.strip_prefix('#').unwrap_or(reference);
            schema = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        schema
    }

    /// Problems `value` would have against `schema`, without recording them.
    fn problems(&self, schema: &'a Value, value: &Value, at: &str) -> Vec<String> {
        let mut sub = Checker {
            doc: self.doc,
            strict: self.strict,
            errors: Vec::new(),
        };
        sub.check(schema, value, at);
        sub.errors
    }

    fn check(&mut self, schema: &'a Value, value: &Value, at: &str) {
        let schema = self.resolve(schema);
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            let strict = std::mem::replace(&mut self.strict, false);
            for branch in branches {
                self.check(branch, value, at);
            }
            self.strict = strict;
            if strict {
                let declared = self.declared(schema);
                self.unknown_members(value, &declared, at);
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(keyword).and_then(Value::as_array) {
                let results: Vec<Vec<String>> = branches
                    .iter()
                    .map(|b| self.problems(b, value, at))
                    .collect();
                if !results.iter().any(Vec::is_empty) {
                    let closest = results.into_iter().min_by_key(Vec::len).unwrap_or_default();
                    self.errors.push(format!(
                        "{at}: matches none of the {keyword} branches; closest: {}",
                        closest.join("; ")
                    ));
                }
            }
        }
        self.check_type(schema, value, at);
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                self.errors.push(format!(
                    "{at}: {value} is not one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        match value {
            Value::Object(members) => self.check_object(schema, members, at),
            Value::Array(items) => self.check_array(schema, items, at),
            Value::String(text) => self.check_string(schema, text, at),
            Value::Number(_) => self.check_number(schema, value, at),
            _ => {}
        }
    }

    fn check_type(&mut self, schema: &Value, value: &Value, at: &str) {
        let Some(expected) = schema.get("type").and_then(Value::as_str) else {
            return;
        };
        let ok = match expected {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !ok {
            self.errors
                .push(format!("{at}: {value} is not of type {expected}"));
        }
    }

    /// The member names a schema (or its `allOf` branches) declares.
    fn declared(&self, schema: &'a Value) -> Vec<&'a String> {
        let schema = self.resolve(schema);
        let mut names: Vec<&String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        for branch in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            names.extend(self.declared(branch));
        }
        names
    }

    fn unknown_members(&mut self, value: &Value, declared: &[&String], at: &str) {
        if let Value::Object(members) = value {
            for name in members.keys() {
                if !declared.contains(&name) {
                    self.errors
                        .push(format!("{at}/{name}: not a member the spec declares here"));
                }
            }
        }
    }

    fn check_object(&mut self, schema: &'a Value, members: &Map<String, Value>, at: &str) {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !members.contains_key(name) {
                self.errors
                    .push(format!("{at}/{name}: required but missing"));
            }
        }
        for (name, member) in members {
            let here = format!("{at}/{name}");
            if let Some(member_schema) = properties.and_then(|p| p.get(name)) {
                self.check(member_schema, member, &here);
                continue;
            }
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => self
                    .errors
                    .push(format!("{here}: not allowed (additionalProperties: false)")),
                Some(extra @ Value::Object(_)) => self.check(extra, member, &here),
                None if self.strict && properties.is_some() && schema.get("allOf").is_none() => {
                    self.errors
                        .push(format!("{here}: not a member the spec declares here"));
                }
                _ => {}
            }
        }
    }

    fn check_array(&mut self, schema: &'a Value, items: &[Value], at: &str) {
        let count = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if count < min {
                self.errors
                    .push(format!("{at}: {count} items, fewer than {min}"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if count > max {
                self.errors
                    .push(format!("{at}: {count} items, more than {max}"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{at}/{index}"));
            }
        }
    }

    fn check_string(&mut self, schema: &Value, text: &str, at: &str) {
        let length = text.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|min| length < min)
        {
            self.errors
                .push(format!("{at}: {text:?} is shorter than minLength"));
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|max| length > max)
        {
            self.errors
                .push(format!("{at}: {text:?} is longer than maxLength"));
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .is_err()
        {
            self.errors
                .push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
        }
    }

    fn check_number(&mut self, schema: &Value, value: &Value, at: &str) {
        let number = value.as_f64().unwrap_or_default();
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|min| number < min)
        {
            self.errors
                .push(format!("{at}: {value} is below the minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|max| number > max)
        {
            self.errors
                .push(format!("{at}: {value} is above the maximum"));
        }
        if schema.get("type").and_then(Value::as_str) == Some("integer") {
            let fits = match schema.get("format").and_then(Value::as_str) {
                Some("int32") => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                Some("int64") => value.as_i64().is_some(),
                _ => true,
            };
            if !fits {
                self.errors
                    .push(format!("{at}: {value} does not fit the integer format"));
            }
        }
    }
}
