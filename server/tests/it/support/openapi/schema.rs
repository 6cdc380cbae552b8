//! The schema checker behind [`super::OpenApi`]: walks a JSON value and an
//! OpenAPI 3.0 schema together and collects every problem, each message
//! starting with the JSON pointer of the offending value, e.g.
//! `/data/fields/0/iconShape: "triangle" is not one of ["round","square"]`.
//!
//! Checked: `$ref`, `type`, `nullable`, `enum`, `required`, `properties`,
//! `additionalProperties`, `items`, `allOf`/`oneOf`/`anyOf`,
//! `minItems`/`maxItems`, `minLength`/`maxLength`, `minimum`/`maximum`,
//! `pattern`, and the formats `date-time` (RFC 3339, `Z` or an offset) and
//! `int32`/`int64` on integers. Other keywords (`description`, `example`,
//! `readOnly`, `discriminator`...) are annotations.
//!
//! **Strict mode**: an object member is an error unless declared, wherever
//! the schema lists `properties` and says nothing of `additionalProperties`.
//! The declared members are those of the whole schema at that place: its
//! own `properties`, those of every `allOf` branch, and those of the
//! `oneOf`/`anyOf` branch the value matched. A branch matches only if the
//! value passes it strictly (each member declared by the branch or around
//! it). `oneOf` is checked like `anyOf`: the spec's branches overlap
//! (objects with no required members), so "exactly one" would reject valid
//! bodies.

use std::collections::BTreeSet;
use std::fmt::Arguments;

use serde_json::{Map, Value};

use super::OpenApi;

/// Which members of an object the schema applying to it declares.
#[derive(Clone)]
enum Declared {
    /// No `properties` anywhere: any member goes.
    Unstated,
    /// Only these members go (in strict mode).
    Names(BTreeSet<String>),
    /// `additionalProperties` was given: any member goes.
    Open,
}

impl Declared {
    /// What one schema declares, ignoring its combinators.
    fn of(schema: &Value) -> Declared {
        match (&schema["properties"], schema.get("additionalProperties")) {
            (_, Some(_)) => Declared::Open,
            (Value::Object(p), None) => Declared::Names(p.keys().cloned().collect()),
            _ => Declared::Unstated,
        }
    }

    fn merge(&mut self, other: Declared) {
        match (&mut *self, other) {
            (Declared::Open, _) | (_, Declared::Unstated) => {}
            (Declared::Names(mine), Declared::Names(theirs)) => mine.extend(theirs),
            (_, other) => *self = other,
        }
    }
}

/// Checks values against one spec's schemas, collecting problems.
pub(super) struct Checker<'a> {
    spec: &'a OpenApi,
    strict: bool,
    pub(super) errors: Vec<String>,
}

impl<'a> Checker<'a> {
    /// A checker in strict mode.
    pub(super) fn new(spec: &'a OpenApi) -> Self {
        let errors = Vec::new();
        Checker {
            spec,
            strict: true,
            errors,
        }
    }

    pub(super) fn finish(self) -> Result<(), Vec<String>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// Records a problem at a JSON pointer (the root shown as `(root)`).
    pub(super) fn fail(&mut self, at: &str, message: Arguments<'_>) {
        let at = if at.is_empty() { "(root)" } else { at };
        self.errors.push(format!("{at}: {message}"));
    }

    /// Checks the value at a place (the root, a member, an item): the
    /// schema, then (in strict mode) the members nothing declared.
    pub(super) fn check(&mut self, schema: &Value, value: &Value, at: &str) {
        let declared = self.eval(schema, value, at, &Declared::Unstated);
        if self.strict {
            self.report_unknown(&declared, value, at);
        }
    }

    fn report_unknown(&mut self, declared: &Declared, value: &Value, at: &str) {
        if let (Declared::Names(names), Value::Object(members)) = (declared, value) {
            for name in members.keys().filter(|name| !names.contains(*name)) {
                let here = child(at, name);
                self.fail(
                    &here,
                    format_args!("not declared by the spec here (strict mode)"),
                );
            }
        }
    }

    /// Checks `value` against `schema`, returning which of its members the
    /// schema declares; `around` is what enclosing schemas declare.
    fn eval(&mut self, schema: &Value, value: &Value, at: &str, around: &Declared) -> Declared {
        let Some(schema) = self.spec.resolve(schema) else {
            self.fail(at, format_args!("the spec's {} dangles", schema["$ref"]));
            return Declared::Open;
        };
        if value.is_null() && schema["nullable"] == true {
            return Declared::Open;
        }
        self.check_scalar(schema, value, at);
        match value {
            Value::Object(members) => self.check_members(schema, members, at),
            Value::Array(items) => self.check_items(schema, items, at),
            _ => {}
        }
        let mut declared = Declared::of(schema);
        let mut here = around.clone();
        here.merge(self.statically_declared(schema));
        for branch in branches(schema, "allOf") {
            declared.merge(self.eval(branch, value, at, &here));
        }
        for keyword in ["oneOf", "anyOf"] {
            if !branches(schema, keyword).is_empty() {
                declared.merge(self.choose(schema, keyword, value, at, &here));
            }
        }
        declared
    }

    /// What a schema declares whatever the value: its own `properties` and
    /// those of its `allOf` branches.
    fn statically_declared(&self, schema: &Value) -> Declared {
        let mut declared = Declared::of(schema);
        let all_of = branches(schema, "allOf").iter();
        for branch in all_of.filter_map(|b| self.spec.resolve(b)) {
            declared.merge(self.statically_declared(branch));
        }
        declared
    }

    /// The first `oneOf`/`anyOf` branch the value passes strictly; if none,
    /// one error quoting the problems of the closest branch.
    fn choose(
        &mut self,
        schema: &Value,
        keyword: &str,
        value: &Value,
        at: &str,
        around: &Declared,
    ) -> Declared {
        let options = branches(schema, keyword);
        let outside = std::mem::take(&mut self.errors);
        let mut closest: Option<(Vec<String>, String)> = None;
        for (index, option) in options.iter().enumerate() {
            let declared = self.eval(option, value, at, around);
            if self.strict {
                let mut all = around.clone();
                all.merge(declared.clone());
                self.report_unknown(&all, value, at);
            }
            let problems = std::mem::take(&mut self.errors);
            if problems.is_empty() {
                self.errors = outside;
                return declared;
            }
            if closest
                .as_ref()
                .is_none_or(|(c, _)| problems.len() < c.len())
            {
                let name = option["$ref"].as_str().and_then(|r| r.rsplit('/').next());
                closest = Some((problems, name.map_or(format!("#{index}"), str::to_owned)));
            }
        }
        self.errors = outside;
        let (problems, name) = closest.unwrap_or_default();
        let (count, problems) = (options.len(), problems.join("; "));
        let message = format!("matches none of the {count} {keyword} branches; closest, {name}");
        self.fail(at, format_args!("{message}: {problems}"));
        Declared::Open
    }

    fn check_scalar(&mut self, schema: &Value, value: &Value, at: &str) {
        if let Some(expected) = schema["type"].as_str() {
            let fits = match expected {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !fits {
                return self.fail(
                    at,
                    format_args!("{} is not of type {expected}", show(value)),
                );
            }
        }
        let allowed = &schema["enum"];
        if allowed.as_array().is_some_and(|list| !list.contains(value)) {
            self.fail(at, format_args!("{} is not one of {allowed}", show(value)));
        }
        if let Value::Number(number) = value {
            let n = number.as_f64().unwrap_or(f64::NAN);
            for keyword in ["minimum", "maximum"] {
                self.bound(schema, keyword, n, &number.to_string(), at);
            }
            let fits = match (schema["type"] == "integer", schema["format"].as_str()) {
                (true, Some("int32")) => number
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .is_some(),
                (true, Some("int64")) => number.as_i64().is_some(),
                _ => true,
            };
            if !fits {
                let format = &schema["format"];
                self.fail(at, format_args!("{number} is out of range for {format}"));
            }
        }
        let Value::String(text) = value else { return };
        let length = text.chars().count();
        for keyword in ["minLength", "maxLength"] {
            let shown = format!("{} ({length} characters)", show(value));
            self.bound(schema, keyword, length as f64, &shown, at);
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            match self.spec.matches(pattern, text) {
                Ok(true) => {}
                Ok(false) => {
                    self.fail(at, format_args!("{} does not match {pattern}", show(value)));
                }
                Err(e) => self.fail(at, format_args!("the spec's pattern {pattern} fails: {e}")),
            }
        }
        let rfc3339 = &time::format_description::well_known::Rfc3339;
        if schema["format"] == "date-time" && time::OffsetDateTime::parse(text, rfc3339).is_err() {
            self.fail(
                at,
                format_args!("{} is not an RFC 3339 date-time", show(value)),
            );
        }
    }

    fn check_members(&mut self, schema: &Value, members: &Map<String, Value>, at: &str) {
        let required = schema["required"].as_array().into_iter().flatten();
        for name in required.filter_map(Value::as_str) {
            if !members.contains_key(name) {
                self.fail(&child(at, name), format_args!("required, but missing"));
            }
        }
        for (name, member) in members {
            let here = child(at, name);
            match (
                schema["properties"].get(name),
                &schema["additionalProperties"],
            ) {
                (Some(declared), _) => self.check(declared, member, &here),
                (None, extra @ Value::Object(_)) => self.check(extra, member, &here),
                (None, Value::Bool(false)) => self.fail(&here, format_args!("not allowed here")),
                _ => {}
            }
        }
    }

    fn check_items(&mut self, schema: &Value, items: &[Value], at: &str) {
        for keyword in ["minItems", "maxItems"] {
            let shown = format!("{} items", items.len());
            self.bound(schema, keyword, items.len() as f64, &shown, at);
        }
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{at}/{index}"));
            }
        }
    }

    /// Checks a `min...`/`max...` keyword against a value's size or magnitude.
    fn bound(&mut self, schema: &Value, keyword: &str, actual: f64, shown: &str, at: &str) {
        let Some(limit) = schema[keyword].as_f64() else {
            return;
        };
        let below = keyword.starts_with("min") && actual < limit;
        if below || (keyword.starts_with("max") && actual > limit) {
            self.fail(at, format_args!("{shown} breaks {keyword} {limit}"));
        }
    }
}

/// A value for a message: compact JSON, cut short if long.
fn show(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The JSON pointer of member `name` of the value at `at`.
pub(super) fn child(at: &str, name: &str) -> String {
    format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"))
}

fn branches<'s>(schema: &'s Value, keyword: &str) -> &'s [Value] {
    schema[keyword].as_array().map_or(&[], Vec::as_slice)
}
