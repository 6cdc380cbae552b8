//! The spec validator itself: a contract test is only as good as its
//! ability to reject a wrong body, so every rule is shown to pass a right
//! document built by hand from Miro's spec and to fail a broken one, with a
//! message naming the JSON pointer of the problem.

use std::path::Path;

use crate::support::openapi::{assert_response, OpenApi};
use serde_json::{json, Value};

const APP_CARD: &str = "/v2/boards/{board_id}/app_cards/{item_id}";
const BULK: &str = "/v2/boards/{board_id}/items/bulk";
const CASES: &str = "/v2/orgs/{org_id}/cases";
const TAG: &str = "/v2/boards/{board_id}/tags/{tag_id}";
const NONE: [&str; 0] = [];
const UNDECLARED: &str = "not declared by the spec here (strict mode)";

/// A complete `AppCardItem`, every member the spec declares.
fn app_card() -> Value {
    json!({
        "id": "3458764517517852417",
        "type": "app_card",
        "data": {
            "title": "Ship it", "description": "d", "status": "connected", "owned": true,
            "fields": [{"value": "v", "iconShape": "round", "fillColor": "#ffffff",
                        "iconUrl": "https://x/i.png", "textColor": "#000000", "tooltip": "t"}]
        },
        "style": {"fillColor": "#2d9bf0"},
        "position": {"x": 0.0, "y": 1.5, "origin": "center", "relativeTo": "canvas_center"},
        "geometry": {"width": 320.0, "height": 94.0, "rotation": 0.0},
        "createdAt": "2026-11-24T10:00:00.000Z",
        "createdBy": {"id": "3458764517517852400", "type": "user"},
        "modifiedAt": "2026-11-24T10:00:00Z",
        "modifiedBy": {"id": "3458764517517852400", "type": "user"},
        "parent": {"id": "3458764517517852999", "links": {"self": "https://api.miro.com/p"}},
        "links": {"self": "https://api.miro.com/v2/boards/b/app_cards/1", "related": "r"}
    })
}

/// A page of `GET /v2/orgs/{org_id}/cases`: `allOf` of `Pagination` and `data`.
fn cases_page() -> Value {
    let user = json!({"id": "1", "email": "a@b.c", "firstName": "A", "lastName": "B"});
    json!({
        "size": 1, "total": 1, "limit": 100, "cursor": "c", "type": "cursor-list",
        "data": [{"id": "42", "organizationId": "7", "name": "Case", "createdBy": user,
                  "lastModifiedBy": user, "createdAt": "2026-11-24T10:00:00Z",
                  "lastModifiedAt": "2026-11-24T10:00:00+02:00"}]
    })
}

/// The validator's problems with a response.
fn answer(method: &str, path: &str, status: u16, body: &Value) -> Vec<String> {
    let result = OpenApi::get().check_response(method, path, status, body);
    result.err().unwrap_or_default()
}

/// The validator's problems with a request body.
fn request(method: &str, path: &str, body: &Value) -> Vec<String> {
    let result = OpenApi::get().check_request(method, path, body);
    result.err().unwrap_or_default()
}

/// A copy of `body` with `change` applied.
fn with(body: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut body = body.clone();
    change(&mut body);
    body
}

fn rename(body: &mut Value, from: &str, to: &str) {
    let members = body.as_object_mut().unwrap();
    let value = members.remove(from).unwrap();
    members.insert(to.to_owned(), value);
}

fn remove(body: &mut Value, member: &str) {
    body.as_object_mut().unwrap().remove(member);
}

#[test]
fn a_complete_app_card_passes() {
    assert_eq!(answer("GET", APP_CARD, 200, &app_card()), NONE);
    assert_response("PATCH", APP_CARD, 200, &app_card());
}

#[test]
fn each_mistake_in_an_app_card_is_named_at_its_path() {
    let fails = |change: fn(&mut Value), expected: &str| {
        let body = with(&app_card(), change);
        assert_eq!(answer("GET", APP_CARD, 200, &body), [expected]);
    };
    fails(
        |b| b["data"]["fields"][0]["iconShape"] = json!("triangle"),
        r#"/data/fields/0/iconShape: "triangle" is not one of ["round","square"]"#,
    );
    fails(
        |b| rename(b, "createdAt", "created_at"),
        &format!("/created_at: {UNDECLARED}"),
    );
    let colour = format!("/data/colour: {UNDECLARED}");
    fails(|b| b["data"]["colour"] = json!("red"), &colour);
    let id = "/id: 3458764517517852417 is not of type string";
    fails(|b| b["id"] = json!(3458764517517852417_u64), id);
    fails(
        |b| b["createdAt"] = json!("2026-11-24 10:00:00"),
        r#"/createdAt: "2026-11-24 10:00:00" is not an RFC 3339 date-time"#,
    );
    fails(
        |b| b["modifiedAt"] = json!("2026-11-24T10:00:00"),
        r#"/modifiedAt: "2026-11-24T10:00:00" is not an RFC 3339 date-time"#,
    );
    fails(|b| remove(b, "type"), "/type: required, but missing");
    let width = r#"/geometry/width: "320" is not of type number"#;
    fails(|b| b["geometry"]["width"] = json!("320"), width);
    let owned = "/data/owned: null is not of type boolean";
    fails(|b| b["data"]["owned"] = Value::Null, owned);
}

#[test]
fn date_times_take_a_z_or_an_offset() {
    for good in ["2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123+02:00"] {
        let body = with(&app_card(), |b| b["createdAt"] = json!(good));
        assert_eq!(answer("GET", APP_CARD, 200, &body), NONE);
    }
    for bad in ["2026-11-24", "2026-13-24T10:00:00Z", "yesterday"] {
        let body = with(&app_card(), |b| b["createdAt"] = json!(bad));
        assert_eq!(answer("GET", APP_CARD, 200, &body).len(), 1, "{bad}");
    }
}

#[test]
fn numbers_are_checked_for_integer_format_and_bounds() {
    assert_eq!(answer("GET", CASES, 200, &cases_page()), NONE);
    let fails = |change: fn(&mut Value), expected: &str| {
        let body = with(&cases_page(), change);
        assert_eq!(answer("GET", CASES, 200, &body), [expected]);
    };
    fails(|b| b["limit"] = json!(0), "/limit: 0 breaks minimum 1");
    fails(
        |b| b["limit"] = json!(101),
        "/limit: 101 breaks maximum 100",
    );
    let size = r#"/size: 1099511627776 is out of range for "int32""#;
    fails(|b| b["size"] = json!(1_u64 << 40), size);
    fails(
        |b| b["total"] = json!(1.5),
        "/total: 1.5 is not of type integer",
    );
}

#[test]
fn strict_mode_counts_the_members_of_every_all_of_branch() {
    // `PaginatedCaseResponse` is `allOf: [Pagination, {data}]`: the members
    // of both branches are declared, nothing else is, at any depth.
    let extra = with(&cases_page(), |b| b["nextCursor"] = json!("x"));
    let expected = format!("/nextCursor: {UNDECLARED}");
    assert_eq!(answer("GET", CASES, 200, &extra), [expected]);
    let nested = with(&cases_page(), |b| {
        rename(&mut b["data"][0], "organizationId", "orgId");
    });
    let expected = [
        "/data/0/organizationId: required, but missing".to_owned(),
        format!("/data/0/orgId: {UNDECLARED}"),
    ];
    assert_eq!(answer("GET", CASES, 200, &nested), expected);
    let pattern = with(&cases_page(), |b| b["data"][0]["id"] = json!("C-42"));
    let expected = r#"/data/0/id: "C-42" does not match ^[0-9]+$"#;
    assert_eq!(answer("GET", CASES, 200, &pattern), [expected]);
}

#[test]
fn strict_mode_needs_one_one_of_branch_to_fit_whole() {
    // `ItemCreate.data` is `oneOf` eight item data schemas.
    let item = |data: Value| json!([{"type": "shape", "data": data}]);
    let app_card = item(json!({"title": "x", "status": "connected"}));
    assert_eq!(request("POST", BULK, &app_card), NONE);
    let shape = item(json!({"content": "x", "shape": "circle"}));
    assert_eq!(request("POST", BULK, &shape), NONE);
    // Each member fits some branch, but no branch declares both.
    let mixed = request(
        "POST",
        BULK,
        &item(json!({"title": "x", "shape": "circle"})),
    );
    assert_eq!(mixed.len(), 1, "{mixed:?}");
    let expected = "/0/data: matches none of the 8 oneOf branches; closest, AppCardData: ";
    assert!(mixed[0].starts_with(expected), "{mixed:?}");
    let wrong = request(
        "POST",
        BULK,
        &item(json!({"content": "x", "shape": "blob"})),
    );
    let expected = r#"closest, ShapeData: /0/data/shape: "blob" is not one of"#;
    assert!(wrong[0].contains(expected), "{wrong:?}");
}

/// A small spec for what Miro's does not use: `oneOf` beside `properties`,
/// `oneOf` inside `allOf`, `nullable`, `additionalProperties`.
fn synthetic_spec() -> OpenApi {
    let one_of = json!([
        {"properties": {"a": {"type": "string"}}},
        {"properties": {"b": {"type": "string", "nullable": true}}}
    ]);
    let schema = json!({
        "type": "object",
        "properties": {
            "beside": {"properties": {"kind": {"type": "string"}}, "oneOf": one_of},
            "inside": {"allOf": [{"properties": {"kind": {}}}, {"oneOf": one_of}]},
            "open": {"properties": {"kind": {}}, "additionalProperties": {"type": "integer"}},
            "free": {"type": "object"},
            "mixed": {"allOf": [{"properties": {"kind": {}}}, {"additionalProperties": true}]}
        }
    });
    let content = json!({"application/json": {"schema": schema}});
    let get = json!({"responses": {"200": {"description": "", "content": content}}});
    let spec = json!({"openapi": "3.0.1", "paths": {"/x": {"get": get}}});
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), spec.to_string()).unwrap();
    OpenApi::load(file.path())
}

#[test]
fn one_of_branches_are_judged_with_the_members_declared_around_them() {
    let spec = synthetic_spec();
    let check = |body: Value| {
        let result = spec.check_response("GET", "/x", 200, &body);
        result.err().unwrap_or_default()
    };
    for place in ["beside", "inside"] {
        assert_eq!(check(json!({place: {"kind": "k", "a": "x"}})), NONE);
        assert_eq!(check(json!({place: {"kind": "k", "b": null}})), NONE);
        let both = check(json!({place: {"kind": "k", "a": "x", "b": "y"}}));
        assert_eq!(both.len(), 1, "{both:?}");
        assert!(both[0].starts_with(&format!("/{place}: matches none of the 2 oneOf")));
        let null = check(json!({place: {"a": null}}));
        assert!(null[0].contains(&format!("/{place}/a: null is not of type string")));
    }
    let open = json!({"open": {"kind": 1, "n": 2}, "free": {"a": 1}, "mixed": {"n": 1}});
    assert_eq!(check(open), NONE);
    let wrong = r#"/open/n: "2" is not of type integer"#;
    assert_eq!(check(json!({"open": {"n": "2"}})), [wrong]);
    assert_eq!(
        check(json!({"other": 1})),
        [format!("/other: {UNDECLARED}")]
    );
}

#[test]
fn bulk_answers_may_carry_app_card_data() {
    let mut card = app_card();
    remove(&mut card, "style");
    card["links"] = json!({"self": "https://api.miro.com/v2/boards/b/items/1"});
    let answered = json!({"type": "bulk-list", "data": [card]});
    assert_eq!(answer("POST", BULK, 201, &answered), NONE);
}

#[test]
fn error_answers_must_have_miros_shape() {
    let good = json!({"status": 404, "code": "notFound", "message": "m", "type": "error"});
    let fails = |status: u16, change: fn(&mut Value), expected: &str| {
        let body = with(&good, change);
        assert_eq!(answer("GET", APP_CARD, status, &body), [expected]);
    };
    assert_eq!(answer("GET", APP_CARD, 404, &good), NONE);
    let with_context = with(&good, |b| b["context"] = Value::Null);
    assert_eq!(answer("GET", APP_CARD, 404, &with_context), NONE);
    let unlisted_401 = with(&good, |b| b["status"] = json!(401));
    assert_eq!(answer("GET", APP_CARD, 401, &unlisted_401), NONE);
    fails(404, |b| remove(b, "type"), "/type: required, but missing");
    let code = "/code: missing, though Miro's errors have it";
    fails(404, |b| remove(b, "code"), code);
    fails(400, |_| {}, "/status: 404 is not the HTTP status 400");
    fails(
        404,
        |b| b["type"] = json!("oops"),
        r#"/type: "oops" is not "error""#,
    );
    fails(
        404,
        |b| b["detail"] = json!("x"),
        &format!("/detail: {UNDECLARED}"),
    );
    let unlisted = format!("the spec lists no 418 answer for GET {APP_CARD}");
    fails(418, |_| {}, &unlisted);
    assert!(
        !answer("GET", APP_CARD, 200, &good).is_empty(),
        "an error as a 200"
    );
}

#[test]
fn an_operations_own_error_schema_applies_too() {
    let fields = json!([{"field": "0.data.title", "message": "too long"}]);
    let bulk = json!({"status": 400, "code": "invalidParameters", "message": "m",
                      "context": {"fields": fields}, "type": "error"});
    assert_eq!(answer("POST", BULK, 400, &bulk), NONE);
    let broken = with(&bulk, |b| {
        rename(&mut b["context"]["fields"][0], "field", "path");
    });
    let expected = [
        "/context/fields/0/field: required, but missing".to_owned(),
        format!("/context/fields/0/path: {UNDECLARED}"),
    ];
    assert_eq!(answer("POST", BULK, 400, &broken), expected);
    let tag = json!({"status": 404, "code": "notFound", "message": "m", "context": null,
                     "type": "error"});
    assert_eq!(answer("DELETE", TAG, 404, &tag), NONE);
}

#[test]
fn a_204_must_have_no_body() {
    assert_eq!(answer("DELETE", APP_CARD, 204, &Value::Null), NONE);
    let answered = answer("DELETE", APP_CARD, 204, &json!({"deleted": true}));
    assert_eq!(
        answered,
        ["(root): the spec gives 204 no body, but one came"]
    );
    // The spec gives the tag's 204 an object schema; a 204 still has no body.
    assert_eq!(answer("DELETE", TAG, 204, &Value::Null), NONE);
    assert_eq!(answer("DELETE", TAG, 204, &json!({})).len(), 1);
}

#[test]
fn request_bodies_are_checked_against_the_request_schema() {
    let one = json!([{"type": "app_card", "data": {"title": "x"}, "position": {"x": 0, "y": 0}}]);
    assert_eq!(request("POST", BULK, &one), NONE);
    let nonsense = request(
        "POST",
        BULK,
        &with(&one, |b| b[0]["type"] = json!("nonsense")),
    );
    assert_eq!(nonsense.len(), 1);
    let expected = r#"/0/type: "nonsense" is not one of ["app_card","#;
    assert!(nonsense[0].starts_with(expected), "{nonsense:?}");
    let empty = request("POST", BULK, &json!([]));
    assert_eq!(empty, ["(root): 0 items breaks minItems 1"]);
    let many = request("POST", BULK, &Value::Array(vec![one[0].clone(); 21]));
    assert_eq!(many, ["(root): 21 items breaks maxItems 20"]);
    let typo = request("PATCH", APP_CARD, &json!({"data": {"titel": "x"}}));
    assert_eq!(typo, [format!("/data/titel: {UNDECLARED}")]);
    assert_eq!(
        request("PATCH", APP_CARD, &json!({"data": {"title": "x"}})),
        NONE
    );
    assert_eq!(
        request("PATCH", APP_CARD, &Value::Null).len(),
        1,
        "a required body"
    );
    assert_eq!(
        request("GET", APP_CARD, &json!({})).len(),
        1,
        "GET takes no body"
    );
    assert_eq!(request("GET", APP_CARD, &Value::Null), NONE);
}

#[test]
fn unknown_operations_are_problems_not_passes() {
    let unknown = answer("GET", "/v2/nothing", 200, &json!({}));
    assert_eq!(unknown, ["the spec has no operation GET /v2/nothing"]);
    assert!(!request("PUT", APP_CARD, &json!({})).is_empty());
}

#[test]
fn concrete_paths_map_to_the_specs_templates() {
    let maps = |method: &str, path: &str, expected: Option<&str>| {
        let found = OpenApi::get().match_path(method, path);
        assert_eq!(found.as_deref(), expected, "{method} {path}");
    };
    let item = Some("/v2/boards/{board_id}/items/{item_id}");
    let item_tag = Some("/v2/boards/{board_id_PlatformTags}/items/{item_id}");
    maps(
        "DELETE",
        "/v2/boards/uXjVOfjkmAk=/items/3458764517517852417",
        item,
    );
    maps(
        "DELETE",
        "/v2/boards/uXjVOfjkmAk=/items/345?tag_id=9",
        item_tag,
    );
    maps(
        "POST",
        "/v2/boards/uXjVOfjkmAk=/items/345?tag_id=9",
        item_tag,
    );
    maps("POST", "/v2/boards/uXjVOfjkmAk=/items/345", None);
    let by_tag = Some("/v2/boards/{board_id_PlatformTags}/items");
    maps("GET", "/v2/boards/b/items?limit=10&tag_id=9", by_tag);
    let by_parent = Some("/v2/boards/{board_id_PlatformContainers}/items");
    maps("GET", "/v2/boards/b/items?parent_item_id=3", by_parent);
    maps(
        "GET",
        "/v2/boards/b/items?limit=10",
        Some("/v2/boards/{board_id}/items"),
    );
    maps("POST", "/v2/boards/b/items/bulk", Some(BULK));
    maps(
        "patch",
        "https://api.miro.com/v2/boards/b/app_cards/1",
        Some(APP_CARD),
    );
    maps("GET", "/v2/boards/b/app_cards/", None);
    maps("GET", "/v2/nothing/here", None);
}

#[test]
fn assert_response_panics_with_every_problem_and_the_body() {
    let body = with(&app_card(), |b| {
        b["data"]["fields"][0]["iconShape"] = json!("triangle");
        b["id"] = json!(1);
    });
    let panic = std::panic::catch_unwind(|| assert_response("GET", APP_CARD, 200, &body));
    let payload = panic.expect_err("a wrong body must panic");
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("/id: 1 is not of type string"),
        "{message}"
    );
    assert!(message.contains("/data/fields/0/iconShape: "), "{message}");
    assert!(
        message.contains(r#""iconShape": "triangle""#),
        "pretty body: {message}"
    );
}

#[test]
#[should_panic(expected = "/nowhere/miro/openapi.json")]
fn a_missing_spec_says_where_it_was_looked_for() {
    OpenApi::load(Path::new("/nowhere/miro/openapi.json"));
}
