//! The detail view's server side over real HTTP: an ID token from the
//! sandbox's Web SDK buys a one-time ticket, the ticket opens the view
//! (server-rendered with the card's data) once, and the view's session
//! saves through the `save_card` server function, with conflicts, invalid
//! input and forged sessions refused and the card on the board following.

use crate::support::{
    detail::{card_call, linked_card, open, opened_view, record_of, session_of, ticket},
    sandbox::{status_and_json, titled, TestServer},
    sync::lease_taken_within_2s,
};
use serde_json::{json, Value};
use server::{
    sandbox_install::install_and_link,
    store::{origin, CardKey, NewLink, TicketGrant},
};

async fn save(
    server: &TestServer,
    card: &CardKey,
    session: &str,
    version: i64,
    title: &str,
) -> (u16, Value) {
    let mut fields = record_of(server, card).await.snapshot.fields;
    fields.title = title.to_owned();
    let body = json!({"request": {
        "board_id": card.board_id, "item_id": card.item_id, "session": session,
        "base_version": version, "fields": fields,
    }});
    let response = server
        .client
        .post(format!("{}/api/save_card", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

#[tokio::test]
async fn a_ticket_needs_a_valid_id_token_and_a_linked_card() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let card = linked_card(&server).await;
    let (status, body) = ticket(&server, &card, None).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = ticket(&server, &card, Some("not.a.token")).await;
    assert_eq!(status, 401, "{body}");
    let token = server.sdk_id_token().await;
    let (status, body) = ticket(&server, &card, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["ticket"].as_str().unwrap().len() >= 40);
    assert_eq!(body["expires_in"], 60);
    let unlinked = CardKey::new(&card.board_id, "3458764517517852999");
    let (status, body) = ticket(&server, &unlinked, Some(&token)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("not connected"));
}

#[tokio::test]
async fn a_ticket_opens_the_view_with_the_cards_data_once() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let card = linked_card(&server).await;
    let token = server.sdk_id_token().await;
    let (_, body) = ticket(&server, &card, Some(&token)).await;
    let ticket_text = body["ticket"].as_str().unwrap().to_owned();

    // A ticket for another card opens nothing (and is spent).
    let other = CardKey::new(&card.board_id, "1");
    let (status, html) = open(&server, &other, &ticket_text).await;
    assert_eq!(status, 401);
    assert!(!html.contains("Version 1"));

    let (_, body) = ticket(&server, &card, Some(&token)).await;
    let ticket_text = body["ticket"].as_str().unwrap().to_owned();
    let (status, html) = open(&server, &card, &ticket_text).await;
    assert_eq!(status, 200, "{html}");
    let title = record_of(&server, &card).await.snapshot.fields.title;
    assert!(
        html.contains(&format!("value=\"{title}\"")),
        "the title input holds the title: {html}"
    );
    assert!(html.contains("data-testid=\"card-preview\""));
    assert!(html.contains("Version 1"));

    let (status, again) = open(&server, &card, &ticket_text).await;
    assert_eq!(status, 401, "a ticket works once");
    assert!(again.contains("can't be shown") && !again.contains(&format!("value=\"{title}\"")));
    let (status, _) = open(&server, &card, "forged-ticket").await;
    assert_eq!(status, 401);

    // An expired ticket is refused even if never used.
    let store = server.state.sync.store();
    let grant = TicketGrant {
        user: crate::support::store_of(&server.state)
            .await
            .installations()
            .await
            .unwrap()[0]
            .clone(),
        card: card.clone(),
    };
    let hash = server::detail::session::ticket_hash("old-ticket");
    store
        .create_ticket(&hash, &grant, server::clock::now() - 1)
        .await
        .unwrap();
    let (status, _) = open(&server, &card, "old-ticket").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_views_session_saves_and_the_card_follows() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let card = linked_card(&server).await;
    let token = server.sdk_id_token().await;
    let (_, body) = ticket(&server, &card, Some(&token)).await;
    let (_, html) = open(&server, &card, body["ticket"].as_str().unwrap()).await;
    let session = session_of(&html);
    assert!(session.contains('.'), "a signed session: {session}");

    let (status, body) = save(&server, &card, &session, 1, "Saved from the view").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["version"], 2);
    assert_eq!(body["board"], "Synced");
    let access = server.access().await;
    let on_board = server
        .miro_client(std::time::Duration::from_secs(5))
        .app_card(&access, &card.board_id, &card.item_id)
        .await
        .unwrap();
    assert_eq!(on_board.data.title, "Saved from the view");

    // Stale: a save against version 1 is a conflict with theirs.
    let (status, body) = save(&server, &card, &session, 1, "Late").await;
    assert_eq!(status, 409);
    assert_eq!(body["Conflict"]["theirs"]["version"], 2, "{body}");
    assert_eq!(
        body["Conflict"]["theirs"]["fields"]["title"],
        "Saved from the view"
    );

    // Invalid: refused field by field, nothing saved.
    let (status, body) = save(&server, &card, &session, 2, "  ").await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"][0]["field"], "title", "{body}");

    // A forged or foreign session saves nothing.
    let (status, body) = save(&server, &card, "forged.session", 2, "Forged").await;
    assert_eq!((status, body), (401, json!("SessionExpired")));
    let stored = record_of(&server, &card).await;
    assert_eq!(
        (
            stored.snapshot.version,
            stored.snapshot.fields.title.as_str()
        ),
        (2, "Saved from the view")
    );
}

/// The view writes the card it shows itself; the record's other cards
/// follow through the outbox worker, which the save wakes for them (its
/// own poll is seconds away).
#[tokio::test]
async fn a_save_in_the_view_reaches_the_records_other_cards_at_once() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let (card, session) = opened_view(&server).await;
    let access = server.access().await;
    let miro = server.miro_client(std::time::Duration::from_secs(5));
    let second = miro
        .create_app_card(&access, &card.board_id, &titled("A second card"))
        .await
        .unwrap();
    let second = CardKey::new(card.board_id.clone(), second.id);
    let store = server.state.sync.store();
    let first_link = store.link(&card).await.unwrap().unwrap();
    store
        .link_card(NewLink {
            card: &second,
            record_id: first_link.record_id.as_deref().unwrap(),
            owner: &first_link.owner,
            origin: origin::PANEL,
            actor: "test",
        })
        .await
        .unwrap();
    // The worker's first round writes the new link; then it waits for a
    // wake-up or its poll, 5 s away.
    tokio::spawn(server.state.sync.clone().run_worker());
    let shows = |title: String| {
        let (miro, access, second) = (&miro, &access, &second);
        async move {
            for _ in 0..100 {
                let on_board = miro
                    .app_card(access, &second.board_id, &second.item_id)
                    .await
                    .unwrap();
                if on_board.data.title == title {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            false
        }
    };
    let before = record_of(&server, &card).await.snapshot.fields.title;
    assert!(
        shows(before).await,
        "the worker's first round links the second card"
    );

    let (status, body) = save(&server, &card, &session, 1, "Both cards").await;
    assert_eq!((status, &body["board"]), (200, &json!("Synced")), "{body}");
    assert!(
        shows("Both cards".to_owned()).await,
        "the other card follows within 2 s, not at the worker's next poll"
    );
}

/// A save is answered as soon as Miro took its write; the store's
/// bookkeeping (the card's rows settled, its lease released) follows in the
/// save's own task. It must still happen: the card's next saves find the
/// card free, and nothing is left queued (no worker runs here to settle it).
#[tokio::test]
async fn a_save_answered_before_its_bookkeeping_leaves_nothing_behind() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let (card, session) = opened_view(&server).await;
    server.clear_request_log().await;
    for (version, title) in [(1, "First"), (2, "Second"), (3, "Third")] {
        let (status, body) = save(&server, &card, &session, version, title).await;
        assert_eq!((status, &body["board"]), (200, &json!("Synced")), "{body}");
    }
    // The push's task settles the card's rows and then releases its lease,
    // after the save was answered: each is waited for, up to 2 s.
    let store = crate::support::store_of(&server.state).await;
    let mut settled = false;
    for _ in 0..100 {
        if store.pending_writes(&card).await.unwrap().is_empty() {
            settled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(settled, "the saves' own tasks settle the card's rows");
    assert!(
        lease_taken_within_2s(&store, &card, "another").await,
        "the last save released the card's lease"
    );
    assert_eq!(server.patches(&card).await, 3, "one write per save");
}

#[tokio::test]
async fn connecting_a_disconnected_card_makes_it_a_connected_record() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let access = server.access().await;
    let client = server.miro_client(std::time::Duration::from_secs(5));
    let items = client
        .items(
            &access,
            &server.board(),
            server::miro::ItemFilter {
                kind: Some("app_card".to_owned()),
                limit: None,
            },
        )
        .collect_all()
        .await
        .unwrap();
    let draft = items
        .iter()
        .find(|i| {
            i.app_card_data()
                .is_some_and(|d| d.status == Some(server::miro::AppCardStatus::Disconnected))
        })
        .expect("the seeded disconnected card");
    let card = CardKey::new(server.board(), &draft.id);
    assert!(server
        .state
        .sync
        .store()
        .link(&card)
        .await
        .unwrap()
        .is_none());

    let token = server.sdk_id_token().await;
    let (status, _) = card_call(&server, "/miro/cards/connect", &card, None).await;
    assert_eq!(status, 401);
    let (status, body) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let link = server
        .state
        .sync
        .store()
        .link(&card)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.status, app::cards::CardStatus::Connected);
    let record = server
        .state
        .sync
        .store()
        .record(link.record_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.snapshot.fields.title, "Draft: referral programme");
    let on_board = client
        .app_card(&access, &card.board_id, &card.item_id)
        .await
        .unwrap();
    assert_eq!(
        on_board.data.status,
        Some(server::miro::AppCardStatus::Connected)
    );

    // Connecting again keeps the same record.
    let (status, again) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(again["record_id"], body["record_id"]);
}

/// A new disconnected app card of ours on the first board, described by
/// `description` (HTML, as Miro keeps it).
async fn disconnected_card(server: &TestServer, description: &str) -> CardKey {
    let client = server.miro_client(std::time::Duration::from_secs(5));
    let card = client
        .create_app_card(
            &server.access().await,
            &server.board(),
            &server::miro::AppCardWrite {
                data: Some(server::miro::AppCardChanges {
                    title: Some("Connect me".to_owned()),
                    description: Some(description.to_owned()),
                    status: Some(server::miro::AppCardStatus::Disconnected),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    CardKey::new(server.board(), &card.id)
}

#[tokio::test]
async fn a_connected_cards_invalid_parts_are_left_out_logged_and_in_the_panels_health() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    // A card made elsewhere with more chips than a card shows, one with a
    // tooltip far past a record's, and one without a value.
    let mut fields: Vec<server::miro::CardField> = (0..14)
        .map(|i| server::miro::CardField {
            value: Some(format!("chip {i}")),
            ..Default::default()
        })
        .collect();
    fields[0].tooltip = Some("t".repeat(400));
    fields[1].value = Some(String::new());
    let client = server.miro_client(std::time::Duration::from_secs(5));
    let made = client
        .create_app_card(
            &server.access().await,
            &server.board(),
            &server::miro::AppCardWrite {
                data: Some(server::miro::AppCardChanges {
                    title: Some("Brought from elsewhere".to_owned()),
                    status: Some(server::miro::AppCardStatus::Disconnected),
                    fields: Some(fields),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let card = CardKey::new(server.board(), &made.id);
    let token = server.sdk_id_token().await;
    let (status, body) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let record = record_of(&server, &card).await;
    let preview = &record.snapshot.fields.preview;
    assert!(
        app::cards::validate_record(&record.snapshot.fields, server.state.sync.template())
            .is_empty(),
        "{preview:#?}"
    );
    assert_eq!(preview[0].value, "chip 0");
    assert_eq!(
        preview[0].tooltip, "",
        "the tooltip is left out, the chip kept"
    );
    assert!(preview.iter().all(|chip| !chip.value.is_empty()));

    let log = crate::support::store_of(&server.state)
        .await
        .recent_log(20)
        .await
        .unwrap();
    let row = log
        .iter()
        .find(|e| e.action == server::store::arrival::DROPPED)
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert_eq!(row.board_id.as_deref(), Some(card.board_id.as_str()));
    assert!(row.result.contains("preview.0.tooltip"), "{}", row.result);
    assert!(row.result.contains("preview.1.value"), "{}", row.result);

    let session = crate::support::panel::opened_panel(&server).await;
    let (status, health) = crate::support::panel::call(
        &server,
        "board_health",
        serde_json::json!({"session": session}),
    )
    .await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["connected"]["dropped"], 1, "{health}");
}

#[tokio::test]
async fn a_card_without_a_title_is_not_connected_and_says_why() {
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let card = disconnected_card(&server, "<p>No title</p>").await;
    let access = server.access().await;
    server
        .miro_client(std::time::Duration::from_secs(5))
        .update_app_card(
            &access,
            &card.board_id,
            &card.item_id,
            &server::miro::AppCardWrite {
                data: Some(server::miro::AppCardChanges {
                    title: Some(String::new()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let token = server.sdk_id_token().await;
    let (status, body) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("title"), "{body}");
    assert!(server
        .state
        .sync
        .store()
        .link(&card)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_card_nested_past_reading_is_refused_and_the_server_stays_up() {
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let deep = "<b>".repeat(30_000) + "deep" + &"</b>".repeat(30_000);
    let card = disconnected_card(&server, &deep).await;
    let token = server.sdk_id_token().await;
    let (status, body) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("description"),
        "{body}"
    );
    assert!(server
        .state
        .sync
        .store()
        .link(&card)
        .await
        .unwrap()
        .is_none());
    let health = server
        .client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_card_linked_by_someone_else_is_not_taken_over() {
    let server = TestServer::start().await;
    install_and_link(&server.state).await.unwrap();
    let card = disconnected_card(&server, "<p>Theirs</p>").await;
    let engine = &server.state.sync;
    let record = engine
        .record_from_card(
            &card,
            &server
                .miro_client(std::time::Duration::from_secs(5))
                .app_card(&server.access().await, &card.board_id, &card.item_id)
                .await
                .unwrap()
                .data,
            "someone",
            &server::teams::team_scope(&server.str("team_id")),
        )
        .await
        .unwrap();
    let someone = server::miro::TokenKey {
        user_id: "3458764500000000077".to_owned(),
        team_id: server.str("team_id"),
    };
    engine
        .link(&card, &record.snapshot.id, &someone, "someone")
        .await
        .unwrap();

    let token = server.sdk_id_token().await;
    let (status, body) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("Someone else"),
        "{body}"
    );
    let link = engine.store().link(&card).await.unwrap().unwrap();
    assert_eq!(link.owner, someone, "the owner did not change");
    assert_eq!(link.record_id.as_deref(), Some(record.snapshot.id.as_str()));

    // The store refuses too, for a connect that raced past the check.
    let ours = server::miro::TokenKey {
        user_id: server.str("user_id"),
        team_id: server.str("team_id"),
    };
    let error = engine
        .link(&card, &record.snapshot.id, &ours, "us")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            server::sync::SyncError::Store(server::store::StoreError::LinkedByOther { .. })
        ),
        "{error:?}"
    );
    // Once disconnected, it is anyone's to connect.
    engine.disconnect(&card).await.unwrap();
    let (status, body) = card_call(&server, "/miro/cards/connect", &card, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let link = engine.store().link(&card).await.unwrap().unwrap();
    assert_eq!(link.owner, ours);
}
