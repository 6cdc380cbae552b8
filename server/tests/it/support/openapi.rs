//! Validates JSON request and response bodies against Miro's official
//! OpenAPI 3.0 spec (`../shared/miro/openapi.json` beside the workspace, or
//! the file named by `MIRO_OPENAPI_SPEC`), for the contract tests of the
//! sandbox and of the Miro client. This module owns loading the spec,
//! finding an operation's schemas, the rules for statuses and error bodies,
//! and matching concrete paths to the spec's templates; [`schema`] owns the
//! schema checker (and its strict mode, on for responses and requests).
//!
//! **Where the spec cannot be taken as written**:
//! - Most error responses point at `#/components/responses/4xx`, which the
//!   document lacks. Every 4xx/5xx body is checked against the `Error`
//!   schema (with the operation's own error schema, where it has one) and
//!   must carry `status` (the HTTP status), `code`, `message` and
//!   `type: "error"`. `context: null` is accepted, as Miro sends it.
//! - 401, 403, 500 and 503 are accepted for every operation
//!   ([`ANY_OPERATION`]); any other status must be listed for it.
//! - A 204, or a status the spec gives no content, must have no body
//!   (`Value::Null`).
//! - `ItemData` (bulk create's answer) lists only document and image data,
//!   though bulk create makes app cards, cards and sticky notes:
//!   `AppCardData`, `CardData` and `StickyNoteData` are added to its
//!   branches on loading.

mod schema;

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::{json, Value};

use schema::{child, Checker};

/// Statuses any operation may answer though the spec does not list them.
pub const ANY_OPERATION: &[u16] = &[401, 403, 500, 503];

/// The parsed spec and a cache of its compiled `pattern`s.
pub struct OpenApi {
    doc: Value,
    patterns: Mutex<HashMap<String, Result<Regex, String>>>,
}

impl OpenApi {
    /// The spec, loaded once per test binary.
    pub fn get() -> &'static OpenApi {
        static SPEC: OnceLock<OpenApi> = OnceLock::new();
        const BESIDE: &str = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/miro/openapi.json"
        );
        SPEC.get_or_init(|| {
            let path = std::env::var("MIRO_OPENAPI_SPEC").unwrap_or_else(|_| BESIDE.into());
            OpenApi::load(Path::new(&path))
        })
    }

    /// Loads a spec file; panics saying where it looked if it cannot.
    pub fn load(path: &Path) -> OpenApi {
        let shown = path.display();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!("no OpenAPI spec at {shown} ({e}); put Miro's there or set MIRO_OPENAPI_SPEC")
        });
        let mut doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{shown} is not JSON: {e}"));
        let item_data = doc.pointer_mut("/components/schemas/ItemData/oneOf");
        if let Some(branches) = item_data.and_then(Value::as_array_mut) {
            branches.push(json!({ "$ref": "#/components/schemas/AppCardData" }));
            branches.push(json!({ "$ref": "#/components/schemas/CardData" }));
            branches.push(json!({ "$ref": "#/components/schemas/StickyNoteData" }));
        }
        let patterns = Mutex::default();
        OpenApi { doc, patterns }
    }

    /// Validates a response body (`Value::Null` for none) for an operation
    /// (`path` as the spec writes it) and status.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let listed = self.operation(method, path)?["responses"].get(status.to_string());
        if listed.is_none() && !(status >= 400 && ANY_OPERATION.contains(&status)) {
            let problem = format!("the spec lists no {status} answer for {method} {path}");
            return Err(vec![problem]);
        }
        let schema = listed.and_then(|response| self.body_schema(response));
        let mut checker = Checker::new(self);
        if status >= 400 {
            check_error(&mut checker, status, schema, body);
        } else if let Some(schema) = schema.filter(|_| status != 204) {
            checker.check(schema, body, "");
        } else if !body.is_null() {
            checker.fail(
                "",
                format_args!("the spec gives {status} no body, but one came"),
            );
        }
        checker.finish()
    }

    /// Validates a JSON request body (`Value::Null` for none) against the
    /// operation's `requestBody` schema.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Result<(), Vec<String>> {
        let operation = self.operation(method, path)?;
        let request = operation.get("requestBody").and_then(|r| self.resolve(r));
        let schema = request.and_then(|r| r.pointer("/content/application~1json/schema"));
        let required = request.is_some_and(|r| r["required"] == true);
        match (schema, body) {
            (None, Value::Null) if request.is_none() => Ok(()),
            (None, _) => Err(vec![format!("{method} {path} takes no JSON body")]),
            (Some(_), Value::Null) if required => {
                Err(vec![format!("{method} {path} needs a body")])
            }
            (Some(_), Value::Null) => Ok(()),
            (Some(schema), _) => {
                let mut checker = Checker::new(self);
                checker.check(schema, body, "");
                checker.finish()
            }
        }
    }

    /// The spec's path template for a concrete path (query included), e.g.
    /// `/v2/boards/uXjV=/items/345` → `/v2/boards/{board_id}/items/{item_id}`.
    /// A template whose required query parameters are absent does not fit;
    /// of the rest, the most literal wins, then the one needing the most
    /// query parameters (`?tag_id=` picks `{board_id_PlatformTags}`), then
    /// one without a `_Platform` variant name.
    pub fn match_path(&self, method: &str, concrete_path: &str) -> Option<String> {
        let (path, query) = concrete_path.split_once('?').unwrap_or((concrete_path, ""));
        let path = match path.split_once("://") {
            Some((_, rest)) => &rest[rest.find('/')?..],
            None => path,
        };
        let names = query.split('&').filter_map(|pair| pair.split('=').next());
        let given: BTreeSet<&str> = names.collect();
        let segments: Vec<&str> = path.split('/').collect();
        let method = method.to_ascii_lowercase();
        let mut best = None;
        for (template, item) in self.doc["paths"].as_object()? {
            let Some(operation) = item.get(&method) else {
                continue;
            };
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    part == segment || (part.starts_with('{') && !segment.is_empty())
                });
            let required = self.required_query(item, operation);
            if fits && required.iter().all(|name| given.contains(name)) {
                let holes = parts.iter().filter(|part| part.starts_with('{')).count();
                let platform = template.contains("_Platform");
                let rank = (holes, Reverse(required.len()), platform, template);
                best = best.into_iter().chain([rank]).min();
            }
        }
        best.map(|(.., template)| template.clone())
    }

    fn operation(&self, method: &str, path: &str) -> Result<&Value, Vec<String>> {
        let operation = &self.doc["paths"][path][method.to_ascii_lowercase()];
        if operation.is_object() {
            Ok(operation)
        } else {
            Err(vec![format!("the spec has no operation {method} {path}")])
        }
    }

    /// Follows `$ref`s; `None` if one dangles.
    fn resolve<'a>(&'a self, mut value: &'a Value) -> Option<&'a Value> {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            value = self.doc.pointer(reference.strip_prefix('#')?)?;
        }
        Some(value)
    }

    /// The JSON schema of a response, if it has one that resolves.
    fn body_schema<'a>(&'a self, response: &'a Value) -> Option<&'a Value> {
        let content = self.resolve(response)?.get("content")?.as_object()?;
        let media = content
            .get("application/json")
            .or(content.values().next())?;
        let schema = media.get("schema")?;
        self.resolve(schema).map(|_| schema)
    }

    /// Names of the required query parameters of an operation.
    fn required_query<'a>(&'a self, item: &'a Value, operation: &'a Value) -> Vec<&'a str> {
        let lists = [item, operation].map(|o| o["parameters"].as_array());
        let parameters = lists.into_iter().flatten().flatten();
        let resolved = parameters.filter_map(|p| self.resolve(p));
        let required = resolved.filter(|p| p["in"] == "query" && p["required"] == true);
        required.filter_map(|p| p["name"].as_str()).collect()
    }

    /// Whether `text` matches the spec's `pattern` (compiled once).
    fn matches(&self, pattern: &str, text: &str) -> Result<bool, String> {
        let mut cache = self.patterns.lock().unwrap_or_else(|e| e.into_inner());
        let compiled = cache.entry(pattern.to_owned());
        let compiled = compiled.or_insert_with(|| Regex::new(pattern).map_err(|e| e.to_string()));
        let compiled = compiled.as_ref().map_err(Clone::clone)?;
        Ok(compiled.is_match(text))
    }
}

/// An error answer: the `Error` schema (with the operation's own error
/// schema, if any) and the members every Miro error has.
fn check_error(checker: &mut Checker<'_>, status: u16, own: Option<&Value>, body: &Value) {
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let schema = match own {
        Some(own) => json!({ "allOf": [own, error] }),
        None => error,
    };
    let mut shape = body.clone();
    if let Some(members) = shape.as_object_mut() {
        if members.get("context") == Some(&Value::Null) {
            members.remove("context");
        }
    }
    checker.check(&schema, &shape, "");
    for member in ["status", "code", "message", "type"] {
        let at = child("", member);
        let reported = checker
            .errors
            .iter()
            .any(|e| e.starts_with(&format!("{at}:")));
        if body.get(member).is_none() && !reported {
            checker.fail(&at, format_args!("missing, though Miro's errors have it"));
        }
    }
    let sent = &body["status"];
    if !sent.is_null() && sent != &json!(status) {
        checker.fail(
            "/status",
            format_args!("{sent} is not the HTTP status {status}"),
        );
    }
    let sent = &body["type"];
    if !sent.is_null() && sent != "error" {
        checker.fail("/type", format_args!("{sent} is not \"error\""));
    }
}

/// Panics with every problem and the pretty body if a response breaks the spec.
pub fn assert_response(method: &str, path_template: &str, status: u16, body: &Value) {
    let result = OpenApi::get().check_response(method, path_template, status, body);
    let what = format!("{method} {path_template} answered {status}");
    or_panic(result, &what, body);
}

/// Panics with every problem and the pretty body if a request body breaks the spec.
pub fn assert_request(method: &str, path_template: &str, body: &Value) {
    let result = OpenApi::get().check_request(method, path_template, body);
    let what = format!("{method} {path_template} was sent a body");
    or_panic(result, &what, body);
}

fn or_panic(result: Result<(), Vec<String>>, what: &str, body: &Value) {
    if let Err(errors) = result {
        let body = serde_json::to_string_pretty(body).unwrap_or_default();
        let errors = errors.join("\n  ");
        panic!("{what} against the spec:\n  {errors}\nbody: {body}");
    }
}
