//! The board page's back end over real HTTP: the Web SDK calls it serves
//! (ID tokens, createAppCard, createStickyNote, get, sync, remove) and the
//! live feed that redraws an item when REST changes it.

use std::time::Duration;

use crate::support::sandbox::{encode, status_and_json, TestServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

async fn sdk(server: &TestServer, method: &str, args: Value) -> (u16, Value) {
    let url = format!(
        "{}/sandbox/host/boards/{}/sdk",
        server.base,
        encode(&server.board())
    );
    status_and_json(
        server
            .client
            .post(url)
            .json(&json!({ "method": method, "args": args }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn id_tokens_are_hs256_with_the_client_secret_and_miros_claims() {
    let server = TestServer::start().await;
    let (status, body) = sdk(&server, "board.getIdToken", json!([])).await;
    assert_eq!(status, 200);
    let token = body["result"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    assert_eq!(claims["sub"], server.str("client_id"));
    assert_eq!(claims["user"], server.str("user_id"));
    assert_eq!(claims["team"], server.str("team_id"));
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    let mut mac = Hmac::<Sha256>::new_from_slice(server.str("client_secret").as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        .expect("signed with the client secret");
}

#[tokio::test]
async fn apps_create_read_sync_and_remove_cards_through_the_sdk() {
    let server = TestServer::start().await;
    let (status, info) = sdk(&server, "board.getInfo", json!([])).await;
    assert_eq!(
        (status, info["result"]["id"].as_str()),
        (200, Some(server.board().as_str()))
    );
    let (_, user) = sdk(&server, "board.getUserInfo", json!([])).await;
    assert_eq!(user["result"]["id"], server.str("user_id"));

    let props = json!({"title": "From the SDK", "status": "connected", "style": {"cardTheme": "#ff0000"}, "x": 40, "fields": [{"value": "v"}]});
    let (status, created) = sdk(&server, "board.createAppCard", json!([props])).await;
    assert_eq!(status, 200, "{created}");
    let card = &created["result"];
    assert_eq!(
        (
            card["type"].as_str(),
            card["owned"].as_bool(),
            card["x"].as_f64()
        ),
        (Some("app_card"), Some(true), Some(40.0))
    );
    assert_eq!(card["style"]["cardTheme"], "#ff0000");
    let id = card["id"].as_str().unwrap().to_owned();

    // REST sees the same card, with REST's names.
    let token = server.token().await;
    let path = format!("/v2/boards/{}/app_cards/{id}", encode(&server.board()));
    let (_, rest) = status_and_json(
        server
            .rest(Method::GET, &path, &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            rest["data"]["title"].as_str(),
            rest["style"]["fillColor"].as_str()
        ),
        (Some("From the SDK"), Some("#ff0000"))
    );

    let mut changed = card.clone();
    changed["title"] = json!("Synced");
    changed["status"] = json!("disabled");
    let (status, synced) = sdk(&server, "board.sync", json!([changed])).await;
    assert_eq!(
        (status, synced["result"]["title"].as_str()),
        (200, Some("Synced"))
    );
    let (_, by_id) = sdk(&server, "board.getById", json!([id])).await;
    assert_eq!(by_id["result"]["status"], "disabled");

    let (_, found) = sdk(
        &server,
        "board.get",
        json!([{"type": "app_card", "id": [id.clone(), "0"]}]),
    )
    .await;
    assert_eq!(found["result"].as_array().unwrap().len(), 1);
    let (_, cards) = sdk(&server, "board.get", json!([{"type": "card"}])).await;
    assert!(cards["result"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["type"] == "card"));

    let (status, bad) = sdk(&server, "board.sync", json!([{"id": id, "status": "gone"}])).await;
    assert_eq!(status, 400);
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("data.status"),
        "{bad}"
    );

    let (status, _) = sdk(&server, "board.remove", json!([{"id": id}])).await;
    assert_eq!(status, 200);
    let (status, missing) = sdk(&server, "board.getById", json!([id])).await;
    assert_eq!(status, 404, "{missing}");
    let (status, _) = sdk(&server, "board.teleport", json!([])).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_sdk_cannot_change_another_apps_card() {
    let server = TestServer::start().await;
    let (_, cards) = sdk(&server, "board.get", json!([{"type": "app_card"}])).await;
    let foreign = cards["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["owned"] == false)
        .expect("the seed has another app's card")
        .clone();
    let mut changed = foreign.clone();
    changed["title"] = json!("Mine now");
    let (status, _) = sdk(&server, "board.sync", json!([changed])).await;
    assert_eq!(status, 403);
    let (status, _) = sdk(&server, "board.remove", json!([{"id": foreign["id"]}])).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_rest_patch_reaches_the_board_page_feed() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board = server.board();
    let mut feed = server
        .client
        .get(format!(
            "{}/sandbox/host/boards/{}/events",
            server.base,
            encode(&board)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.headers()["content-type"], "text/event-stream");
    let (_, items) = status_and_json(
        server
            .client
            .get(format!(
                "{}/sandbox/host/boards/{}/items",
                server.base,
                encode(&board)
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = items["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v2/boards/{}/app_cards/{id}", encode(&board));
    let (status, _) = status_and_json(
        server
            .rest(Method::PATCH, &path, &token)
            .json(&json!({"data": {"title": "Live"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);

    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = feed.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: upsert") && seen.contains("\"Live\"") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "feed so far: {seen}");
    assert!(seen.contains(&id));
}

#[tokio::test]
async fn apps_create_find_sync_and_remove_sticky_notes_through_the_sdk() {
    let server = TestServer::start().await;
    let props = json!({"content": "<p>From the SDK</p>", "x": -80, "y": 40, "style": {"fillColor": "cyan"}});
    let (status, created) = sdk(&server, "board.createStickyNote", json!([props])).await;
    assert_eq!(status, 200, "{created}");
    let note = &created["result"];
    assert_eq!(
        (
            note["type"].as_str(),
            note["content"].as_str(),
            note["shape"].as_str(),
            note["x"].as_f64(),
            note["width"].as_f64(),
            note["height"].as_f64()
        ),
        (
            Some("sticky_note"),
            Some("<p>From the SDK</p>"),
            Some("square"),
            Some(-80.0),
            Some(199.0),
            Some(228.0)
        )
    );
    // The SDK's defaults, and no rotation: the SDK's StickyNote has none.
    assert_eq!(
        note["style"],
        json!({"fillColor": "cyan", "textAlign": "center", "textAlignVertical": "middle"})
    );
    assert!(note.get("rotation").is_none(), "{note}");
    assert_eq!(note["tagIds"], json!([]));
    let id = note["id"].as_str().unwrap().to_owned();

    let (_, found) = sdk(&server, "board.get", json!([{"type": "sticky_note"}])).await;
    let found = found["result"].as_array().unwrap();
    assert_eq!(
        found.iter().map(|n| n["id"].clone()).collect::<Vec<_>>(),
        [json!(id)]
    );

    // `sync` sends every property back: a changed height scales the width,
    // the unchanged width does not count as set.
    let mut changed = note.clone();
    changed["content"] = json!("Synced");
    changed["height"] = json!(456);
    let (status, synced) = sdk(&server, "board.sync", json!([changed])).await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(
        (
            synced["result"]["content"].as_str(),
            synced["result"]["width"].as_f64(),
            synced["result"]["height"].as_f64()
        ),
        (Some("Synced"), Some(398.0), Some(456.0))
    );

    // REST sees the same note.
    let token = server.token().await;
    let path = format!("/v2/boards/{}/sticky_notes/{id}", encode(&server.board()));
    let (_, rest) = status_and_json(
        server
            .rest(Method::GET, &path, &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            rest["data"]["content"].as_str(),
            rest["style"]["fillColor"].as_str()
        ),
        (Some("Synced"), Some("cyan"))
    );

    for (props, field) in [
        (json!({"width": 100, "height": 100}), "geometry"),
        (json!({"style": {"fillColor": "teal"}}), "style.fillColor"),
        (json!({"shape": "circle"}), "data.shape"),
    ] {
        let (status, bad) = sdk(&server, "board.createStickyNote", json!([props])).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            bad["error"]["message"].as_str().unwrap().contains(field),
            "{field}: {bad}"
        );
    }

    let (status, _) = sdk(&server, "board.remove", json!([{"id": id}])).await;
    assert_eq!(status, 200);
    let (status, _) = sdk(&server, "board.getById", json!([id])).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_rest_sticky_note_reaches_the_board_page_feed() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board = server.board();
    let mut feed = server
        .client
        .get(format!(
            "{}/sandbox/host/boards/{}/events",
            server.base,
            encode(&board)
        ))
        .send()
        .await
        .unwrap();
    let (status, created) = status_and_json(
        server
            .rest(
                Method::POST,
                &format!("/v2/boards/{}/sticky_notes", encode(&board)),
                &token,
            )
            .json(&json!({"data": {"content": "Live note"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = feed.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: upsert") && seen.contains("Live note") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "feed so far: {seen}");
    assert!(
        seen.contains(&id) && seen.contains("\"sticky_note\""),
        "{seen}"
    );
}
