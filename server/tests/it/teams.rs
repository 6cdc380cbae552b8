//! Records belong to a team. The sandbox has two teams, each with its own
//! user and board, and the app installed in both: neither team finds,
//! opens, adds or edits the other's records, in the panel, the detail view
//! or the command line; a team the server is not set up for cannot install
//! or ask for tickets; and a caller who cannot reach a board learns nothing
//! about its cards.

use serde_json::{json, Value};
use server::{
    sandbox_install::install_and_link,
    store::{CardKey, NewLink},
};

use crate::support::{
    detail::{open, session_of, ticket},
    panel::{call, open_panel, panel_ticket},
    sandbox::{render_lock, status_and_json, TestServer},
};

/// The sandbox's seed team (its ids are fixed, so a configuration can name
/// it before the server starts).
const FIRST_TEAM: &str = "3458764500000000001";

/// The panel opened on `board` by that board's team's user: its session.
async fn panel_on(server: &TestServer, board: &str) -> String {
    let token = server.sdk_id_token_on(board).await;
    let (status, body) = panel_ticket(server, board, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let (status, html) = open_panel(server, board, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{html}");
    session_of(&html)
}

/// Every record title the panel finds for `text`, and the total it says.
async fn found(server: &TestServer, session: &str, text: &str) -> (Vec<String>, u64) {
    let (status, page) = call(
        server,
        "search_records",
        json!({"session": session, "query": {"text": text}, "after": null}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let titles = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row["record"]["fields"]["title"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    (titles, page["total"].as_u64().unwrap())
}

/// The record the other team's seeded card shows.
async fn other_teams_record(server: &TestServer) -> (CardKey, String) {
    let board = server.other_team().board;
    let links = server
        .state
        .sync
        .store()
        .links_on_board(&board)
        .await
        .unwrap();
    let link = links
        .into_iter()
        .next()
        .expect("the other team's card is linked");
    (link.card.clone(), link.record_id.unwrap())
}

#[tokio::test]
async fn each_team_finds_and_adds_only_its_own_records_in_the_panel() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let other = server.other_team();
    let (_, theirs) = other_teams_record(&server).await;

    let ours = panel_on(&server, &server.board()).await;
    let (titles, total) = found(&server, &ours, "launch plan").await;
    assert_eq!((titles.len(), total), (0, 0), "{titles:?}");
    let (titles, _) = found(&server, &ours, "").await;
    assert!(!titles.is_empty(), "the first team finds its own records");

    let mine = panel_on(&server, &other.board).await;
    let (titles, total) = found(&server, &mine, "").await;
    assert_eq!(titles, ["Other team's launch plan"], "only its own");
    assert_eq!(total, 1);

    // Putting the other team's record on our board is answered as for a
    // record that does not exist, and nothing is created.
    let (status, answer) = call(
        &server,
        "add_cards",
        json!({"request": {"session": ours, "cards": [
            {"record_id": theirs, "at": {"x": 0.0, "y": 0.0}}
        ]}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer[0]["outcome"]["Failed"]["reason"], "There is no such record (any more).",
        "{answer}"
    );
    let links = crate::support::store_of(&server.state)
        .await
        .links_for_record(&theirs)
        .await
        .unwrap();
    assert_eq!(links.len(), 1, "still only the other team's own card");

    // The rows name only boards of the caller's team, even for a record
    // both teams' boards show (a repository's, say): link the first
    // team's record on the other team's board behind the app's back.
    let (titles, _) = found(&server, &ours, "Onboarding").await;
    assert!(!titles.is_empty());
    let (status, page) = call(
        &server,
        "search_records",
        json!({"session": ours, "query": {"text": "Onboarding"}, "after": null}),
    )
    .await;
    assert_eq!(status, 200);
    let record_id = page["rows"][0]["record"]["id"].as_str().unwrap().to_owned();
    let owner = server::miro::TokenKey {
        user_id: other.user_id.clone(),
        team_id: other.team_id.clone(),
    };
    server
        .state
        .sync
        .store()
        .link_card(NewLink {
            card: &CardKey::new(&other.board, "1"),
            record_id: &record_id,
            owner: &owner,
            origin: "test",
            actor: "test",
        })
        .await
        .unwrap();
    let (_, page) = call(
        &server,
        "search_records",
        json!({"session": ours, "query": {"text": "Onboarding"}, "after": null}),
    )
    .await;
    let row = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["record"]["id"] == record_id.as_str())
        .unwrap();
    assert_eq!(row["boards"], json!([]), "{row}");
}

#[tokio::test]
async fn the_facets_are_the_callers_teams_only() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let other = server.other_team();
    let token = server.sdk_id_token_on(&other.board).await;
    let (_, body) = panel_ticket(&server, &other.board, Some(&token)).await;
    let (status, html) = open_panel(&server, &other.board, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    // The first team's samples carry the labels roadmap and support and
    // the assignees Ada, Grace and Linus; the other team's page names none.
    for word in ["roadmap", "support", "Grace", "Linus", "Onboarding"] {
        assert!(
            !html.contains(word),
            "{word} leaked into the other team's panel"
        );
    }
}

#[tokio::test]
async fn a_card_of_another_team_does_not_open_and_its_record_is_not_saved() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let (card, record_id) = other_teams_record(&server).await;

    // Our user asks for a ticket to the other team's card: refused, for
    // the board, before anything about the card is looked at.
    let ours = server.sdk_id_token().await;
    let (status, body) = ticket(&server, &card, Some(&ours)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "Your Miro account cannot reach this board.");

    // A card on our own board linked to the other team's record (a link
    // made before records had teams): it does not open for us either.
    let store = server.state.sync.store();
    let our_card = CardKey::new(server.board(), "42");
    let us = server.access_key();
    store
        .link_card(NewLink {
            card: &our_card,
            record_id: &record_id,
            owner: &us,
            origin: "test",
            actor: "test",
        })
        .await
        .unwrap();
    let (status, body) = ticket(&server, &our_card, Some(&ours)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("another team"),
        "{body}"
    );

    // The other team's own user opens its card as before.
    let theirs = server.sdk_id_token_on(&card.board_id).await;
    let (status, body) = ticket(&server, &card, Some(&theirs)).await;
    assert_eq!(status, 200, "{body}");
    let (status, html) = open(&server, &card, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(html.contains("launch plan"), "{html}");

    // A session of ours, for our card, cannot save the other team's
    // record through it: the save is refused and the record unchanged.
    let version = store
        .record(&record_id)
        .await
        .unwrap()
        .unwrap()
        .snapshot
        .version;
    let session = server::detail::session::sign(
        &server::detail::session::ViewSession::new(&us, &our_card, server::clock::now()),
        &server.state.secret_key,
    );
    let save = server
        .client
        .post(format!("{}/api/save_card", server.base))
        .json(&json!({"request": {
            "board_id": our_card.board_id, "item_id": our_card.item_id,
            "session": session, "base_version": version,
            "fields": {"title": "Taken over", "description": "", "status": "todo",
                       "assignee": "", "due_date": "", "labels": [], "custom": [], "preview": []},
        }}))
        .send()
        .await
        .unwrap();
    let (status, answer): (u16, Value) = status_and_json(save).await;
    assert_eq!(status, 403, "{answer}");
    let after = store.record(&record_id).await.unwrap().unwrap();
    assert_eq!(after.snapshot.version, version, "nothing saved");
    assert_eq!(after.snapshot.fields.title, "Other team's launch plan");
}

#[tokio::test]
async fn without_a_connection_a_linked_card_and_an_unlinked_one_answer_alike() {
    let server = TestServer::start().await;
    // Nothing installed: a valid ID token, but no connection.
    install_and_link(&server.state).await.unwrap();
    let linked = server
        .state
        .sync
        .store()
        .links_on_board(&server.board())
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.record_id.is_some())
        .unwrap()
        .card;
    let unlinked = CardKey::new(server.board(), "1");
    let us = server.access_key();
    server.state.sync.store().forget_tokens(&us).await.unwrap();
    let token = server.sdk_id_token().await;
    let first = ticket(&server, &linked, Some(&token)).await;
    let second = ticket(&server, &unlinked, Some(&token)).await;
    assert_eq!(first, second, "nothing tells the two cards apart");
    assert_eq!(first.0, 401, "{:?}", first.1);
}

#[tokio::test]
async fn a_team_the_server_is_not_set_up_for_cannot_install_or_ask_for_tickets() {
    let server = TestServer::start_configured(Default::default(), |config| {
        config.allowed_teams = Some(vec![FIRST_TEAM.to_owned()]);
    })
    .await;
    assert_eq!(server.str("team_id"), FIRST_TEAM);
    let other = server.other_team();
    // The other team's user goes through the install.
    let response = server
        .client
        .get(format!("{}/oauth/install", server.base))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let authorize = response.headers()["location"].to_str().unwrap().to_owned();
    let back = server
        .client
        .get(format!("{authorize}&team_id={}", other.team_id))
        .send()
        .await
        .unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    // Without the team in Miro's redirect, the token's own team is checked.
    let callback = callback.replace(&format!("team_id={}", other.team_id), "team_id=");
    let page = server
        .client
        .get(callback)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&other.team_id),
        "the page names the team: {html}"
    );
    assert!(html.contains("MIRO_ALLOWED_TEAMS"), "{html}");
    let installed = crate::support::store_of(&server.state)
        .await
        .installations()
        .await
        .unwrap();
    assert!(
        installed.iter().all(|key| key.team_id != other.team_id),
        "nothing stored for the refused team: {installed:?}"
    );

    // Its users' ID tokens buy no tickets.
    let token = server.sdk_id_token_on(&other.board).await;
    let (status, body) = panel_ticket(&server, &other.board, Some(&token)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("not set up for your Miro team"));
}

#[tokio::test]
async fn the_command_line_signed_in_for_one_team_cannot_touch_the_others_boards() {
    let server = TestServer::start().await;
    let other = server.other_team();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| async move {
        let mut out = Vec::new();
        let code = server::cli::run_with(&args, &mut out).await;
        (code, String::from_utf8(out).unwrap())
    };
    let base = ["--sandbox-url".to_owned(), server.base.clone()];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|a| (*a).to_owned()))
            .collect()
    };
    let (code, out) = run(with(&["--team", &other.team_id, "boards"])).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&other.board), "{out}");
    assert!(
        !out.contains(&server.board()),
        "only its own team's boards: {out}"
    );

    let file = dir.path().join("cards.csv");
    std::fs::write(&file, "key,title\n1,Planted by the other team\n").unwrap();
    let file = file.to_string_lossy().into_owned();
    let board = server.board();
    let (code, out) = run(with(&[
        "--team",
        &other.team_id,
        "import",
        &file,
        "--board",
        &board,
    ]))
    .await;
    assert_ne!(code, 0, "{out}");
    let client = server.miro_client(std::time::Duration::from_secs(5));
    let items = client
        .items(&server.access().await, &board, Default::default())
        .collect_all()
        .await
        .unwrap();
    assert!(
        items
            .iter()
            .filter_map(|i| i.app_card_data())
            .all(|d| d.title != "Planted by the other team"),
        "nothing landed on the first team's board"
    );
    let (code, out) = run(with(&["--team", "3458764599999999999", "boards"])).await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("3458764599999999999"), "{out}");
}

#[tokio::test]
async fn the_sandbox_keeps_each_teams_boards_to_that_team() {
    let server = TestServer::start().await;
    let other = server.other_team();
    let theirs = server.token_of_team(&other.team_id).await;
    let (status, list) = status_and_json(
        server
            .rest(reqwest::Method::GET, "/v2/boards", &theirs)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [other.board.as_str()]);
    for path in [
        format!(
            "/v2/boards/{}",
            crate::support::sandbox::encode(&server.board())
        ),
        format!(
            "/v2/boards/{}/items",
            crate::support::sandbox::encode(&server.board())
        ),
    ] {
        let (status, body) = status_and_json(
            server
                .rest(reqwest::Method::GET, &path, &theirs)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    // Its own board answers, and says which team it is in.
    let (status, board) = status_and_json(
        server
            .rest(
                reqwest::Method::GET,
                &format!(
                    "/v2/boards/{}",
                    crate::support::sandbox::encode(&other.board)
                ),
                &theirs,
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(board["team"]["id"], other.team_id.as_str());
}
