//! The spec validator itself: each contract test is only as good as its
//! ability to reject a wrong body, so every rule is shown to fail.

mod support;

use serde_json::{json, Value};
use support::openapi::OpenApi;

const APP_CARD: &str = "/v2/boards/{board_id}/app_cards/{item_id}";

fn app_card() -> Value {
    json!({
        "id": "3458764517517852417",
        "type": "app_card",
        "data": {"title": "t", "description": "d", "status": "connected", "owned": true,
                 "fields": [{"value": "v", "iconShape": "round", "fillColor": "#ffffff"}]},
        "style": {"fillColor": "#2d9bf0"},
        "position": {"x": 0.0, "y": 1.5, "origin": "center", "relativeTo": "canvas_center"},
        "geometry": {"width": 320.0, "height": 94.0},
        "createdAt": "2026-11-24T10:00:00.000Z",
        "createdBy": {"id": "1", "type": "user"},
        "modifiedAt": "2026-11-24T10:00:00.000Z",
        "modifiedBy": {"id": "1", "type": "user"},
        "links": {"self": "http://x/v2/boards/b/app_cards/1"}
    })
}

fn errors_for(body: &Value) -> Vec<String> {
    OpenApi::get()
        .check_response("GET", APP_CARD, 200, body)
        .err()
        .unwrap_or_default()
}

#[test]
fn a_correct_app_card_passes() {
    assert_eq!(errors_for(&app_card()), Vec::<String>::new());
}

/// Breaks a correct body in one way.
type Breakage = Box<dyn Fn(&mut Value)>;

#[test]
fn each_kind_of_mistake_is_reported_at_its_path() {
    let cases: Vec<(&str, Breakage, &str)> = vec![
        (
            "enum",
            Box::new(|b| b["data"]["fields"][0]["iconShape"] = json!("triangle")),
            "/data/fields/0/iconShape",
        ),
        (
            "unknown member",
            Box::new(|b| {
                let v = b["createdAt"].take();
                b.as_object_mut().unwrap().remove("createdAt");
                b["created_at"] = v;
            }),
            "/created_at",
        ),
        (
            "type",
            Box::new(|b| b["id"] = json!(3458764517517852417_u64)),
            "/id",
        ),
        (
            "date-time",
            Box::new(|b| b["createdAt"] = json!("yesterday")),
            "/createdAt",
        ),
        (
            "required",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("type");
            }),
            "/type",
        ),
        (
            "nested unknown",
            Box::new(|b| b["data"]["colour"] = json!("red")),
            "/data/colour",
        ),
    ];
    for (name, break_it, path) in cases {
        let mut body = app_card();
        break_it(&mut body);
        let errors = errors_for(&body);
        assert!(
            errors.iter().any(|e| e.starts_with(path)),
            "{name}: expected an error at {path}, got {errors:?}"
        );
    }
}

#[test]
fn error_answers_must_have_miros_shape() {
    let spec = OpenApi::get();
    let good = json!({"status": 404, "code": "notFound", "message": "gone", "context": null, "type": "error"});
    assert_eq!(spec.check_response("GET", APP_CARD, 404, &good), Ok(()));
    let mut no_type = good.clone();
    no_type.as_object_mut().unwrap().remove("type");
    assert!(spec.check_response("GET", APP_CARD, 404, &no_type).is_err());
    assert!(spec
        .check_response(
            "GET",
            APP_CARD,
            404,
            &json!({"status": 400, "code": "x", "message": "m", "type": "error"})
        )
        .is_err());
    assert!(
        spec.check_response("GET", APP_CARD, 418, &good).is_err(),
        "a status the spec does not list"
    );
}

#[test]
fn a_204_must_have_no_body() {
    let spec = OpenApi::get();
    assert_eq!(
        spec.check_response("DELETE", APP_CARD, 204, &Value::Null),
        Ok(())
    );
    assert!(spec
        .check_response("DELETE", APP_CARD, 204, &json!({"deleted": true}))
        .is_err());
}

#[test]
fn request_bodies_are_checked_too() {
    let spec = OpenApi::get();
    let bulk = "/v2/boards/{board_id}/items/bulk";
    assert_eq!(
        spec.check_request(
            "POST",
            bulk,
            &json!([{"type": "app_card", "data": {"title": "x"}}])
        ),
        Ok(())
    );
    assert!(spec
        .check_request("POST", bulk, &json!([{"type": "nonsense"}]))
        .is_err());
    assert!(spec
        .check_request("PATCH", APP_CARD, &json!({"data": {"status": "archived"}}))
        .is_err());
    assert!(spec
        .check_request("PATCH", APP_CARD, &json!({"data": {"titel": "typo"}}))
        .is_err());
}

#[test]
fn concrete_paths_map_to_the_specs_templates() {
    let spec = OpenApi::get();
    assert_eq!(
        spec.match_path(
            "DELETE",
            "/v2/boards/uXjVOfjkmAk=/items/3458764517517852417"
        )
        .as_deref(),
        Some("/v2/boards/{board_id}/items/{item_id}")
    );
    assert_eq!(
        spec.match_path("POST", "/v2/boards/b/items/bulk")
            .as_deref(),
        Some("/v2/boards/{board_id}/items/bulk")
    );
    assert_eq!(
        spec.match_path("POST", "/v2/boards/b/items/1?tag_id=2")
            .as_deref(),
        Some("/v2/boards/{board_id_PlatformTags}/items/{item_id}")
    );
    assert_eq!(spec.match_path("GET", "/v2/nothing/here"), None);
}
