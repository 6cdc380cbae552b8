//! `GET /.well-known/miro-sandbox`: everything a tool or test needs to
//! talk to the sandbox as our app would: the REST base (clients append
//! `/v2/...`), the OAuth endpoints and credentials, the seed team, user
//! and boards at the top level, every team with its user and boards under
//! `teams`, and the board pages. A second registered app is listed
//! under `other_apps` so tests can act as an app that does not own our
//! cards. Served only in sandbox mode.

use axum::{extract::State, Json};
use serde_json::{json, Value};

use super::{render::urlencode, Sandbox};

pub async fn discovery(State(sandbox): State<Sandbox>) -> Json<Value> {
    let public = &sandbox.settings().public_url;
    let board_url = |id: &str| format!("{public}/sandbox/boards/{}", urlencode(id));
    let teams: Vec<Value> = {
        let world = sandbox.world();
        world
            .teams
            .iter()
            .map(|team| {
                let boards: Vec<&str> = world
                    .boards
                    .iter()
                    .filter(|b| b.team_id == team.id)
                    .map(|b| b.id.as_str())
                    .collect();
                json!({
                    "team_id": team.id,
                    "name": team.name,
                    "user_id": world.first_user_of(&team.id).map(|u| u.id.clone()),
                    "board_ids": boards,
                    "board_urls": boards.iter().map(|id| board_url(id)).collect::<Vec<_>>(),
                })
            })
            .collect()
    };
    let seed = &teams[0];
    let app = sandbox.app_client();
    let others: Vec<Value> = sandbox.0.apps[1..]
        .iter()
        .map(|a| json!({ "name": a.name, "client_id": a.client_id, "client_secret": a.client_secret, "redirect_uri": a.redirect_uri }))
        .collect();
    Json(json!({
        "rest_base": sandbox.rest_base(),
        "authorize_url": format!("{public}/sandbox/oauth/authorize"),
        "token_url": format!("{}/v1/oauth/token", sandbox.rest_base()),
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": app.redirect_uri,
        "team_id": seed["team_id"],
        "user_id": seed["user_id"],
        "board_ids": seed["board_ids"],
        "board_urls": seed["board_urls"],
        "teams": teams,
        "sdk_url": format!("{public}/sandbox/sdk/v2/miro.js"),
        "app_sdk_uri": sandbox.settings().app_sdk_uri,
        "other_apps": others,
    }))
}
