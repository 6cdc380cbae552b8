//! The sandbox against Miro's official OpenAPI spec, over real HTTP: every
//! endpoint the app uses, and create board (which the benchmark uses), with
//! valid and invalid requests, and every answer validated against the
//! schema the spec gives for that status (error answers against Miro's
//! error shape). Plus the behaviours the spec's
//! prose describes: defaults, partial PATCH, ownership, cursor paging to the
//! end, all-or-nothing bulk create with indexed errors, tags, and sticky
//! notes (defaults, fixed aspect ratio, named colours, writable by any app).

use crate::support::{
    openapi::assert_response,
    sandbox::{encode, status_and_json, TestServer},
};
use reqwest::Method;
use serde_json::{json, Value};

/// One call to the REST API: sends `body` (if any) to `path` and checks the
/// answer against the spec's operation `template`.
struct Api<'a> {
    server: &'a TestServer,
    token: String,
}

impl Api<'_> {
    async fn call(
        &self,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.server.rest(method.clone(), path, &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let (status, json) = status_and_json(request.send().await.unwrap()).await;
        assert_response(method.as_str(), template, status, &json);
        (status, json)
    }
}

async fn api(server: &TestServer) -> Api<'_> {
    Api {
        server,
        token: server.token().await,
    }
}

const APP_CARDS: &str = "/v2/boards/{board_id}/app_cards";
const APP_CARD: &str = "/v2/boards/{board_id}/app_cards/{item_id}";
const CARDS: &str = "/v2/boards/{board_id}/cards";
const CARD: &str = "/v2/boards/{board_id}/cards/{item_id}";
const STICKY_NOTES: &str = "/v2/boards/{board_id}/sticky_notes";
const STICKY_NOTE: &str = "/v2/boards/{board_id}/sticky_notes/{item_id}";
const ITEMS: &str = "/v2/boards/{board_id}/items";
const ITEM: &str = "/v2/boards/{board_id}/items/{item_id}";
const BULK: &str = "/v2/boards/{board_id}/items/bulk";
const TAGS: &str = "/v2/boards/{board_id}/tags";
const TAG: &str = "/v2/boards/{board_id}/tags/{tag_id}";
const ITEM_TAGS: &str = "/v2/boards/{board_id}/items/{item_id}/tags";
const ITEMS_BY_TAG: &str = "/v2/boards/{board_id_PlatformTags}/items";
const ITEM_TAG: &str = "/v2/boards/{board_id_PlatformTags}/items/{item_id}";

fn field_names(error: &Value) -> Vec<String> {
    error["context"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn boards_list_filter_page_and_get() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let (status, all) = api
        .call(Method::GET, "/v2/boards", "/v2/boards", None)
        .await;
    assert_eq!((status, all["total"].as_u64()), (200, Some(2)));
    let (_, found) = api
        .call(Method::GET, "/v2/boards", "/v2/boards?query=SPRINT", None)
        .await;
    assert_eq!(found["data"][0]["name"], "Sprint board");
    let (_, team) = api
        .call(
            Method::GET,
            "/v2/boards",
            &format!("/v2/boards?team_id={}&limit=1", server.str("team_id")),
            None,
        )
        .await;
    assert_eq!(
        (team["total"].as_u64(), team["size"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(team["links"]["next"].is_string());
    let (_, other_team) = api
        .call(Method::GET, "/v2/boards", "/v2/boards?team_id=1", None)
        .await;
    assert_eq!(other_team["total"], 0);
    let (status, error) = api
        .call(Method::GET, "/v2/boards", "/v2/boards?limit=51", None)
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["limit".to_owned()])
    );

    let board = server.board();
    let (status, one) = api
        .call(
            Method::GET,
            "/v2/boards/{board_id}",
            &format!("/v2/boards/{}", encode(&board)),
            None,
        )
        .await;
    assert_eq!((status, one["id"].as_str()), (200, Some(board.as_str())));
    let (status, _) = api
        .call(
            Method::GET,
            "/v2/boards/{board_id}",
            "/v2/boards/nope",
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_created_board_is_the_callers_listed_and_takes_items() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    server.clear_request_log().await;
    let body = json!({"name": "Fan-out 1", "description": "Made by a test",
        "policy": {"sharingPolicy": {"teamAccess": "edit"}}});
    let (status, board) = api
        .call(Method::POST, "/v2/boards", "/v2/boards", Some(body))
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        (&board["name"], &board["description"]),
        (&json!("Fan-out 1"), &json!("Made by a test"))
    );
    // The caller's team, owned by the caller: the app's token may write.
    assert_eq!(board["team"]["id"], server.str("team_id"));
    assert_eq!(board["owner"]["id"], server.str("user_id"));
    assert_eq!(board["currentUserMembership"]["role"], "owner");
    let id = board["id"].as_str().unwrap().to_owned();
    let path = format!("/v2/boards/{}", encode(&id));
    assert!(board["links"]["self"].as_str().unwrap().ends_with(&path));
    let credits = server.request_entries().await[0]["credits"].clone();
    assert_eq!(credits, 500, "create board is Level 3");

    let (_, listed) = api
        .call(
            Method::GET,
            "/v2/boards",
            &format!("/v2/boards?team_id={}", server.str("team_id")),
            None,
        )
        .await;
    assert_eq!(listed["total"], 3);
    assert!(listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["id"] == id));
    let (status, got) = api
        .call(Method::GET, "/v2/boards/{board_id}", &path, None)
        .await;
    assert_eq!((status, &got["name"]), (200, &json!("Fan-out 1")));

    let (status, _) = api
        .call(
            Method::POST,
            APP_CARDS,
            &format!("{path}/app_cards"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 201);
    let bulk = json!([{"type": "app_card", "data": {"title": "Second"}}]);
    let (status, _) = api
        .call(
            Method::POST,
            BULK,
            &format!("{path}/items/bulk"),
            Some(bulk),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(item_total(&api, &path).await, 2);

    // Every member is optional: Miro's defaults.
    let (status, untitled) = api
        .call(Method::POST, "/v2/boards", "/v2/boards", Some(json!({})))
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        (&untitled["name"], &untitled["description"]),
        (&json!("Untitled"), &json!(""))
    );
    assert_ne!(untitled["id"], json!(id));
}

#[tokio::test]
async fn an_invalid_board_create_names_each_field_and_creates_nothing() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let bad = json!({"name": "", "description": "x".repeat(301), "policy": {
        "permissionsPolicy": {"copyAccess": "everyone"},
        "sharingPolicy": {"access": "public"}}});
    let (status, error) = api
        .call(Method::POST, "/v2/boards", "/v2/boards", Some(bad))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        field_names(&error),
        [
            "name",
            "description",
            "policy.permissionsPolicy.copyAccess",
            "policy.sharingPolicy.access"
        ]
    );
    let (status, _) = api
        .call(
            Method::POST,
            "/v2/boards",
            "/v2/boards",
            Some(json!({"name": "x".repeat(61)})),
        )
        .await;
    assert_eq!(status, 400);
    // A team the caller is not in, or a space the sandbox does not have.
    for body in [json!({"teamId": "1"}), json!({"projectId": "1"})] {
        let (status, _) = api
            .call(Method::POST, "/v2/boards", "/v2/boards", Some(body))
            .await;
        assert_eq!(status, 404);
    }
    let (_, all) = api
        .call(Method::GET, "/v2/boards", "/v2/boards", None)
        .await;
    assert_eq!(all["total"], 2);
}

#[tokio::test]
async fn app_cards_create_with_defaults_update_partially_and_delete() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));

    let (status, created) = api
        .call(
            Method::POST,
            APP_CARDS,
            &format!("{board}/app_cards"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["data"]["status"], "disconnected");
    assert_eq!(created["data"]["title"], "sample app card item");
    assert_eq!(created["data"]["owned"], true);
    assert_eq!(created["style"]["fillColor"], "#2d9bf0");
    assert_eq!(created["geometry"]["width"], 320.0);
    assert!(created["id"].is_string());
    let path = format!("{board}/app_cards/{}", created["id"].as_str().unwrap());

    let fields = json!([{"value": "High", "tooltip": "Priority", "fillColor": "#ffd02f", "textColor": "#1a1a1a",
        "iconUrl": "https://icons.test/p.svg", "iconShape": "square"}]);
    let (status, updated) = api
        .call(Method::PATCH, APP_CARD, &path, Some(json!({"data": {"title": "<p>Ship <script>x</script>it</p>", "status": "connected", "fields": fields}})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        updated["data"]["title"], "<p>Ship xit</p>",
        "Miro strips tags it does not keep"
    );
    assert_eq!(updated["data"]["fields"], fields);

    // PATCH is partial: only the description changes.
    let (_, again) = api
        .call(
            Method::PATCH,
            APP_CARD,
            &path,
            Some(json!({"data": {"description": "<em>Soon</em>"}})),
        )
        .await;
    assert_eq!(again["data"]["title"], "<p>Ship xit</p>");
    assert_eq!(again["data"]["fields"], fields);
    assert_eq!(again["data"]["description"], "<em>Soon</em>");
    assert_eq!(again["style"]["fillColor"], "#2d9bf0");

    let (_, got) = api.call(Method::GET, APP_CARD, &path, None).await;
    assert_eq!(got["data"], again["data"]);

    let (status, body) = api.call(Method::DELETE, APP_CARD, &path, None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, _) = api.call(Method::GET, APP_CARD, &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(
            Method::POST,
            APP_CARDS,
            "/v2/boards/nope/app_cards",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invalid_app_card_input_names_each_field_and_changes_nothing() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let (_, created) = api
        .call(
            Method::POST,
            APP_CARDS,
            &format!("{board}/app_cards"),
            Some(json!({"data": {"title": "Keep me"}})),
        )
        .await;
    let path = format!("{board}/app_cards/{}", created["id"].as_str().unwrap());

    let bad = json!({"data": {"title": "Changed", "status": "archived", "fields": [
        {"fillColor": "red", "iconShape": "triangle", "iconUrl": "http://insecure.test/i.png"}]},
        "style": {"fillColor": "#12"}, "geometry": {"height": 200}});
    let (status, error) = api.call(Method::PATCH, APP_CARD, &path, Some(bad)).await;
    assert_eq!(status, 400);
    let mut names = field_names(&error);
    names.sort();
    assert_eq!(
        names,
        [
            "data.fields.0.fillColor",
            "data.fields.0.iconShape",
            "data.fields.0.iconUrl",
            "data.status",
            "geometry.height",
            "style.fillColor"
        ]
    );

    let (status, error) = api
        .call(
            Method::PATCH,
            APP_CARD,
            &path,
            Some(json!({"data": {"title": 5}})),
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["data.title".to_owned()])
    );
    let response = server
        .rest(Method::PATCH, &path, &api.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, error) = status_and_json(response).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("invalidParameters"))
    );

    let (_, unchanged) = api.call(Method::GET, APP_CARD, &path, None).await;
    assert_eq!(unchanged["data"]["title"], "Keep me");
}

#[tokio::test]
async fn only_the_creating_app_may_write_an_app_card_others_may_read_and_move_it() {
    let server = TestServer::start().await;
    let ours = api(&server).await;
    let other = Api {
        server: &server,
        token: server.grant_other_app().await["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let (_, created) = ours
        .call(
            Method::POST,
            APP_CARDS,
            &format!("{board}/app_cards"),
            Some(json!({})),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("{board}/app_cards/{id}");

    let (status, seen) = other.call(Method::GET, APP_CARD, &path, None).await;
    assert_eq!(
        (status, seen["data"]["owned"].as_bool()),
        (200, Some(false))
    );
    let (status, error) = other
        .call(
            Method::PATCH,
            APP_CARD,
            &path,
            Some(json!({"data": {"title": "Hijacked"}})),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("forbiddenAccess"))
    );
    let (status, _) = other.call(Method::DELETE, APP_CARD, &path, None).await;
    assert_eq!(status, 403);
    let (status, _) = other
        .call(Method::DELETE, ITEM, &format!("{board}/items/{id}"), None)
        .await;
    assert_eq!(status, 403);
    let (status, moved) = other
        .call(
            Method::PATCH,
            ITEM,
            &format!("{board}/items/{id}"),
            Some(json!({"position": {"x": 500, "y": -20}})),
        )
        .await;
    assert_eq!(
        (status, moved["position"]["x"].as_f64()),
        (200, Some(500.0))
    );
    let (_, still) = ours.call(Method::GET, APP_CARD, &path, None).await;
    assert_eq!(still["data"]["title"], "sample app card item");
}

#[tokio::test]
async fn cards_validate_assignee_and_due_date() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let user = server.str("user_id");
    let (status, card) = api
        .call(Method::POST, CARDS, &format!("{board}/cards"), Some(json!({"data": {"title": "Plan", "assigneeId": user, "dueDate": "2026-12-01T10:00:00Z"}, "style": {"cardTheme": "#f24726"}})))
        .await;
    assert_eq!(
        (
            status,
            card["type"].as_str(),
            card["style"]["cardTheme"].as_str()
        ),
        (201, Some("card"), Some("#f24726"))
    );
    let path = format!("{board}/cards/{}", card["id"].as_str().unwrap());
    let (status, error) = api
        .call(
            Method::PATCH,
            CARD,
            &path,
            Some(json!({"data": {"assigneeId": "42", "dueDate": "next week"}})),
        )
        .await;
    let mut names = field_names(&error);
    names.sort();
    assert_eq!(
        (status, names),
        (
            400,
            vec!["data.assigneeId".to_owned(), "data.dueDate".to_owned()]
        )
    );
    let (status, got) = api.call(Method::GET, CARD, &path, None).await;
    assert_eq!((status, got["data"]["title"].as_str()), (200, Some("Plan")));
    // A card is not an app card.
    let (status, _) = api
        .call(
            Method::GET,
            APP_CARD,
            &path.replace("/cards/", "/app_cards/"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api.call(Method::DELETE, CARD, &path, None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn sticky_notes_follow_the_spec_from_create_to_delete() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));

    // Created with the spec's defaults: square, light yellow, centred at
    // the top, and Miro's default size for a square note.
    let (status, created) = api
        .call(
            Method::POST,
            STICKY_NOTES,
            &format!("{board}/sticky_notes"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, created["type"].as_str()),
        (201, Some("sticky_note"))
    );
    assert_eq!(created["data"], json!({"content": "", "shape": "square"}));
    assert_eq!(
        created["style"],
        json!({"fillColor": "light_yellow", "textAlign": "center", "textAlignVertical": "top"})
    );
    assert_eq!(
        created["geometry"],
        json!({"width": 199.0, "height": 228.0})
    );
    assert_eq!(
        (
            created["position"]["x"].as_f64(),
            created["position"]["y"].as_f64()
        ),
        (Some(0.0), Some(0.0))
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("{board}/sticky_notes/{id}");
    assert!(created["links"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/sticky_notes/{id}")));

    let (status, got) = api.call(Method::GET, STICKY_NOTE, &path, None).await;
    assert_eq!((status, &got), (200, &created));

    // PATCH is partial; content keeps only the tags Miro keeps.
    let (status, updated) = api
        .call(
            Method::PATCH,
            STICKY_NOTE,
            &path,
            Some(
                json!({"data": {"content": "<p>Ship <script>x</script><s>it</s></p>"},
                "position": {"x": 400, "y": -120}}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["data"]["content"], "<p>Ship x<s>it</s></p>");
    assert_eq!(updated["position"]["x"], 400.0);
    let (_, recoloured) = api
        .call(
            Method::PATCH,
            STICKY_NOTE,
            &path,
            Some(json!({"style": {"fillColor": "pink", "textAlign": "left"}})),
        )
        .await;
    assert_eq!(recoloured["data"], updated["data"]);
    assert_eq!(
        recoloured["style"],
        json!({"fillColor": "pink", "textAlign": "left", "textAlignVertical": "top"})
    );
    // One side sets the size; the other follows the shape's aspect ratio.
    let (_, wider) = api
        .call(
            Method::PATCH,
            STICKY_NOTE,
            &path,
            Some(json!({"geometry": {"width": 398}})),
        )
        .await;
    assert_eq!(wider["geometry"], json!({"width": 398.0, "height": 456.0}));
    let (_, rectangle) = api
        .call(
            Method::PATCH,
            STICKY_NOTE,
            &path,
            Some(json!({"data": {"shape": "rectangle"}})),
        )
        .await;
    assert_eq!(
        (rectangle["data"]["shape"].as_str(), &rectangle["geometry"]),
        (Some("rectangle"), &json!({"width": 700.0, "height": 456.0}))
    );
    assert_eq!(rectangle["data"]["content"], "<p>Ship x<s>it</s></p>");

    // The generic endpoints see it, with the type filter.
    let (status, listed) = api
        .call(
            Method::GET,
            ITEMS,
            &format!("{board}/items?type=sticky_note"),
            None,
        )
        .await;
    assert_eq!((status, listed["total"].as_u64()), (200, Some(1)));
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert_eq!(listed["data"][0]["data"], rectangle["data"]);
    let item = format!("{board}/items/{id}");
    let (status, generic) = api.call(Method::GET, ITEM, &item, None).await;
    assert_eq!(
        (status, generic["type"].as_str(), &generic["data"]),
        (200, Some("sticky_note"), &rectangle["data"])
    );
    let (status, moved) = api
        .call(
            Method::PATCH,
            ITEM,
            &item,
            Some(json!({"position": {"x": -50, "y": 75}})),
        )
        .await;
    assert_eq!((status, moved["position"]["y"].as_f64()), (200, Some(75.0)));

    // Bulk create makes sticky notes, and names a bad one's fields.
    let (status, bulk) = api
        .call(
            Method::POST,
            BULK,
            &format!("{board}/items/bulk"),
            Some(json!([
                {"type": "sticky_note", "data": {"content": "one"}, "style": {"fillColor": "blue"}},
                {"type": "sticky_note", "data": {"shape": "rectangle"}, "position": {"x": 300}},
            ])),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(bulk["data"][0]["type"], "sticky_note");
    assert_eq!(bulk["data"][0]["data"]["content"], "one");
    assert_eq!(
        bulk["data"][1]["geometry"],
        json!({"width": 350.0, "height": 228.0})
    );
    assert!(bulk["data"][1]["links"]["self"]
        .as_str()
        .unwrap()
        .contains("/sticky_notes/"));
    let (status, error) = api
        .call(
            Method::POST,
            BULK,
            &format!("{board}/items/bulk"),
            Some(json!([
                {"type": "sticky_note"},
                {"type": "sticky_note", "style": {"fillColor": "purple"}, "geometry": {"width": 10, "height": 10}},
            ])),
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (
            400,
            vec!["1.style.fillColor".to_owned(), "1.geometry".to_owned()]
        )
    );
    let (_, listed) = api
        .call(
            Method::GET,
            ITEMS,
            &format!("{board}/items?type=sticky_note"),
            None,
        )
        .await;
    assert_eq!(
        listed["total"], 3,
        "the failed bulk request created nothing"
    );

    // Tags attach to sticky notes.
    let (_, tag) = api
        .call(
            Method::POST,
            TAGS,
            &format!("{board}/tags"),
            Some(json!({"title": "idea", "fillColor": "yellow"})),
        )
        .await;
    let tag_id = tag["id"].as_str().unwrap();
    let (status, _) = api
        .call(
            Method::POST,
            ITEM_TAG,
            &format!("{item}?tag_id={tag_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, tags) = api
        .call(Method::GET, ITEM_TAGS, &format!("{item}/tags"), None)
        .await;
    assert_eq!(tags["tags"][0]["id"], tag_id);

    // A sticky note is no card, and deleting it removes it.
    let (status, _) = api
        .call(
            Method::GET,
            CARD,
            &path.replace("/sticky_notes/", "/cards/"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = api.call(Method::DELETE, STICKY_NOTE, &path, None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, _) = api.call(Method::GET, STICKY_NOTE, &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = api.call(Method::GET, ITEM, &item, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invalid_sticky_note_input_names_each_field_and_changes_nothing() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let (_, created) = api
        .call(
            Method::POST,
            STICKY_NOTES,
            &format!("{board}/sticky_notes"),
            Some(json!({"data": {"content": "Keep me"}, "style": {"fillColor": "green"}})),
        )
        .await;
    let path = format!("{board}/sticky_notes/{}", created["id"].as_str().unwrap());

    let bad = json!({"data": {"content": "Changed", "shape": "circle"},
        "style": {"fillColor": "#ff0000", "textAlign": "justify", "textAlignVertical": "center"},
        "geometry": {"width": 300, "height": 300}, "parent": {"id": "3458764500000000099"}});
    let (status, error) = api.call(Method::PATCH, STICKY_NOTE, &path, Some(bad)).await;
    assert_eq!(status, 400);
    let mut names = field_names(&error);
    names.sort();
    assert_eq!(
        names,
        [
            "data.shape",
            "geometry",
            "parent.id",
            "style.fillColor",
            "style.textAlign",
            "style.textAlignVertical"
        ]
    );
    for (body, field) in [
        (json!({"geometry": {"width": -1}}), "geometry.width"),
        (json!({"geometry": {"height": 0}}), "geometry.height"),
        (json!({"geometry": {"rotation": 15}}), "geometry.rotation"),
        (json!({"data": {"content": 5}}), "data.content"),
    ] {
        let (status, error) = api
            .call(Method::PATCH, STICKY_NOTE, &path, Some(body))
            .await;
        assert_eq!((status, field_names(&error)), (400, vec![field.to_owned()]));
    }
    let (status, error) = api
        .call(
            Method::POST,
            STICKY_NOTES,
            &format!("{board}/sticky_notes"),
            Some(json!({"style": {"fillColor": "light_purple"}})),
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["style.fillColor".to_owned()])
    );

    let (_, unchanged) = api.call(Method::GET, STICKY_NOTE, &path, None).await;
    assert_eq!(unchanged, created);
    let (_, listed) = api
        .call(
            Method::GET,
            ITEMS,
            &format!("{board}/items?type=sticky_note"),
            None,
        )
        .await;
    assert_eq!(listed["total"], 1, "the refused create made nothing");
}

#[tokio::test]
async fn any_app_may_write_a_sticky_note() {
    let server = TestServer::start().await;
    let ours = api(&server).await;
    let other = Api {
        server: &server,
        token: server.grant_other_app().await["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let (_, created) = ours
        .call(
            Method::POST,
            STICKY_NOTES,
            &format!("{board}/sticky_notes"),
            Some(json!({"data": {"content": "ours"}})),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("{board}/sticky_notes/{id}");
    let (status, changed) = other
        .call(
            Method::PATCH,
            STICKY_NOTE,
            &path,
            Some(json!({"data": {"content": "theirs"}})),
        )
        .await;
    assert_eq!(
        (status, changed["data"]["content"].as_str()),
        (200, Some("theirs"))
    );
    let (status, _) = other
        .call(Method::DELETE, ITEM, &format!("{board}/items/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = ours.call(Method::GET, STICKY_NOTE, &path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_item_cursor_pages_to_the_end_without_repeats() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    for chunk in 0..2 {
        let items: Vec<Value> = (0..12)
            .map(|i| json!({"type": "app_card", "data": {"title": format!("c{chunk}-{i}")}}))
            .collect();
        let (status, _) = api
            .call(
                Method::POST,
                BULK,
                &format!("{board}/items/bulk"),
                Some(json!(items)),
            )
            .await;
        assert_eq!(status, 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = 0;
    for _ in 0..20 {
        let path = match &cursor {
            Some(c) => format!("{board}/items?type=app_card&limit=10&cursor={c}"),
            None => format!("{board}/items?type=app_card&limit=10"),
        };
        let (status, page) = api.call(Method::GET, ITEMS, &path, None).await;
        assert_eq!(status, 200);
        total = page["total"].as_u64().unwrap();
        seen.extend(page["data"].as_array().unwrap().iter().map(|i| {
            assert_eq!(i["type"], "app_card");
            i["id"].as_str().unwrap().to_owned()
        }));
        cursor = page["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert!(cursor.is_none(), "paging did not end");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len(), total),
        (29, 29, 29),
        "5 seeded + 24 created app cards"
    );

    let (status, error) = api
        .call(
            Method::GET,
            ITEMS,
            &format!("{board}/items?type=widget"),
            None,
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["type".to_owned()])
    );
    let (status, _) = api
        .call(Method::GET, ITEMS, &format!("{board}/items?limit=5"), None)
        .await;
    assert_eq!(status, 400, "limit is 10 to 50");

    let (status, item) = api
        .call(
            Method::GET,
            ITEM,
            &format!("{board}/items/{}", seen[0]),
            None,
        )
        .await;
    assert_eq!((status, item["id"].as_str()), (200, Some(seen[0].as_str())));
    let (status, _) = api
        .call(
            Method::DELETE,
            ITEM,
            &format!("{board}/items/{}", seen[0]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .call(
            Method::GET,
            ITEM,
            &format!("{board}/items/{}", seen[0]),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn item_total(api: &Api<'_>, board: &str) -> u64 {
    let (_, page) = api
        .call(Method::GET, ITEMS, &format!("{board}/items?limit=50"), None)
        .await;
    page["total"].as_u64().unwrap()
}

#[tokio::test]
async fn bulk_create_is_all_or_nothing_and_names_the_failing_items() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let before = item_total(&api, &board).await;
    let items = json!([
        {"type": "app_card", "data": {"title": "fine"}},
        {"type": "app_card", "data": {"status": "lost"}},
        {"type": "card", "data": {"title": "fine too"}},
        {"type": "card", "style": {"cardTheme": "blue"}},
        {"type": "unicorn"},
    ]);
    let (status, error) = api
        .call(
            Method::POST,
            BULK,
            &format!("{board}/items/bulk"),
            Some(items),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        field_names(&error),
        ["1.data.status", "3.style.cardTheme", "4.type"]
    );
    assert_eq!(
        item_total(&api, &board).await,
        before,
        "nothing is created when one item fails"
    );

    let too_many: Vec<Value> = (0..21).map(|_| json!({"type": "app_card"})).collect();
    let (status, _) = api
        .call(
            Method::POST,
            BULK,
            &format!("{board}/items/bulk"),
            Some(json!(too_many)),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = api
        .call(
            Method::POST,
            BULK,
            &format!("{board}/items/bulk"),
            Some(json!([])),
        )
        .await;
    assert_eq!(status, 400);

    let (status, created) = api
        .call(
            Method::POST,
            BULK,
            &format!("{board}/items/bulk"),
            Some(json!([{"type": "app_card"}, {"type": "card", "data": {"title": "t"}}])),
        )
        .await;
    assert_eq!((status, created["type"].as_str()), (201, Some("bulk-list")));
    assert_eq!(created["data"][1]["type"], "card");
    assert_eq!(item_total(&api, &board).await, before + 2);
}

#[tokio::test]
async fn tags_attach_detach_and_follow_their_limits() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let (status, tag) = api
        .call(
            Method::POST,
            TAGS,
            &format!("{board}/tags"),
            Some(json!({"title": "urgent"})),
        )
        .await;
    assert_eq!((status, tag["fillColor"].as_str()), (201, Some("red")));
    let tag_id = tag["id"].as_str().unwrap().to_owned();
    let (status, error) = api
        .call(
            Method::POST,
            TAGS,
            &format!("{board}/tags"),
            Some(json!({"title": "urgent"})),
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["title".to_owned()])
    );
    let (status, error) = api
        .call(
            Method::POST,
            TAGS,
            &format!("{board}/tags"),
            Some(json!({"title": "x", "fillColor": "pink"})),
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["fillColor".to_owned()])
    );
    let (status, _) = api
        .call(
            Method::POST,
            TAGS,
            &format!("{board}/tags"),
            Some(json!({"fillColor": "blue"})),
        )
        .await;
    assert_eq!(status, 400, "title is required");

    let (_, card) = api
        .call(
            Method::POST,
            CARDS,
            &format!("{board}/cards"),
            Some(json!({})),
        )
        .await;
    let card_id = card["id"].as_str().unwrap().to_owned();
    let item = format!("{board}/items/{card_id}");
    let (status, body) = api
        .call(
            Method::POST,
            ITEM_TAG,
            &format!("{item}?tag_id={tag_id}"),
            None,
        )
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, tags) = api
        .call(Method::GET, ITEM_TAGS, &format!("{item}/tags"), None)
        .await;
    assert_eq!(tags["tags"][0]["id"], tag_id.as_str());
    let (_, tagged) = api
        .call(
            Method::GET,
            ITEMS_BY_TAG,
            &format!("{board}/items?tag_id={tag_id}"),
            None,
        )
        .await;
    assert_eq!(
        (tagged["total"].as_u64(), tagged["data"][0]["id"].as_str()),
        (Some(1), Some(card_id.as_str()))
    );

    // Detaching with DELETE ?tag_id= never deletes the item.
    let (status, _) = api
        .call(
            Method::DELETE,
            ITEM_TAG,
            &format!("{item}?tag_id={tag_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .call(Method::GET, CARD, &format!("{board}/cards/{card_id}"), None)
        .await;
    assert_eq!(status, 200);

    let mut ids = Vec::new();
    for n in 0..9 {
        let (_, t) = api
            .call(
                Method::POST,
                TAGS,
                &format!("{board}/tags"),
                Some(json!({"title": format!("t{n}"), "fillColor": "blue"})),
            )
            .await;
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..8] {
        let (status, _) = api
            .call(Method::POST, ITEM_TAG, &format!("{item}?tag_id={id}"), None)
            .await;
        assert_eq!(status, 204);
    }
    let (status, error) = api
        .call(
            Method::POST,
            ITEM_TAG,
            &format!("{item}?tag_id={}", ids[8]),
            None,
        )
        .await;
    assert_eq!(
        (status, field_names(&error)),
        (400, vec!["tag_id".to_owned()])
    );

    let (_, app_card) = api
        .call(
            Method::POST,
            APP_CARDS,
            &format!("{board}/app_cards"),
            Some(json!({})),
        )
        .await;
    let (status, _) = api
        .call(
            Method::POST,
            ITEM_TAG,
            &format!(
                "{board}/items/{}?tag_id={tag_id}",
                app_card["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 400, "REST tags cards and sticky notes only");

    let (status, listed) = api
        .call(Method::GET, TAGS, &format!("{board}/tags?limit=5"), None)
        .await;
    assert_eq!(
        (status, listed["total"].as_u64(), listed["size"].as_u64()),
        (200, Some(10), Some(5))
    );
    let tag_path = format!("{board}/tags/{}", ids[0]);
    let (status, renamed) = api
        .call(
            Method::PATCH,
            TAG,
            &tag_path,
            Some(json!({"title": "renamed", "fillColor": "cyan"})),
        )
        .await;
    assert_eq!(
        (
            status,
            renamed["title"].as_str(),
            renamed["fillColor"].as_str()
        ),
        (200, Some("renamed"), Some("cyan"))
    );
    let (status, _) = api.call(Method::GET, TAG, &tag_path, None).await;
    assert_eq!(status, 200);
    let (status, _) = api.call(Method::DELETE, TAG, &tag_path, None).await;
    assert_eq!(status, 204);
    let (_, tags) = api
        .call(Method::GET, ITEM_TAGS, &format!("{item}/tags"), None)
        .await;
    assert_eq!(
        tags["tags"].as_array().unwrap().len(),
        7,
        "a deleted tag leaves every item"
    );
    let (status, _) = api.call(Method::GET, TAG, &tag_path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unknown_endpoints_answer_miros_404() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let (status, body) = status_and_json(
        server
            .rest(Method::GET, "/v2/boards/x/widgets", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str(), body["type"].as_str()),
        (404, Some("notFound"), Some("error"))
    );
}

#[tokio::test]
async fn token_info_and_revoke_answer_as_the_spec_says() {
    let server = TestServer::start().await;
    let api = api(&server).await;
    let (status, _) = api
        .call(Method::GET, "/v1/oauth-token", "/v1/oauth-token", None)
        .await;
    assert_eq!(status, 200);
    let bad = Api {
        server: &server,
        token: "sbx_at_unknown".to_owned(),
    };
    let (status, _) = bad
        .call(Method::GET, "/v1/oauth-token", "/v1/oauth-token", None)
        .await;
    assert_eq!(status, 400);

    let body = json!({ "accessToken": api.token, "clientId": server.str("client_id"), "clientSecret": server.str("client_secret") });
    crate::support::openapi::assert_request("POST", "/v2/oauth/revoke", &body);
    for expected in [204, 404] {
        let response = server
            .client
            .post(format!("{}/v2/oauth/revoke", server.rest_base()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, json) = status_and_json(response).await;
        assert_response("POST", "/v2/oauth/revoke", status, &json);
        assert_eq!(status, expected);
    }
}
