//! The detail view's calls as the headless page and the view make them:
//! a linked card, tickets and connects with an ID token, opening the page
//! and reading its session.

use serde_json::{json, Value};
use server::{sandbox_install::install_and_link, store::CardKey};

use super::sandbox::{encode, status_and_json, TestServer};

/// A linked, connected card of ours on the first board.
pub async fn linked_card(server: &TestServer) -> CardKey {
    install_and_link(&server.state).await.unwrap();
    let links = server
        .state
        .sync
        .store()
        .links_on_board(&server.board())
        .await
        .unwrap();
    let link = links
        .into_iter()
        .find(|l| l.status == app::cards::CardStatus::Connected)
        .expect("a connected seeded card");
    link.card
}

/// A POST the headless page makes about a card, with its ID token.
pub async fn card_call(
    server: &TestServer,
    path: &str,
    card: &CardKey,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = server
        .client
        .post(format!("{}{path}", server.base))
        .json(&json!({"board_id": card.board_id, "item_id": card.item_id}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    status_and_json(request.send().await.unwrap()).await
}

pub async fn ticket(server: &TestServer, card: &CardKey, token: Option<&str>) -> (u16, Value) {
    card_call(server, "/miro/tickets", card, token).await
}

pub async fn open(server: &TestServer, card: &CardKey, ticket: &str) -> (u16, String) {
    let url = format!(
        "{}/cards/{}/{}?ticket={}",
        server.base,
        encode(&card.board_id),
        card.item_id,
        encode(ticket)
    );
    let response = server.client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The record a card shows.
pub async fn record_of(server: &TestServer, card: &CardKey) -> server::store::RecordRow {
    let store = server.state.sync.store();
    let record_id = store.link(card).await.unwrap().unwrap().record_id.unwrap();
    store.record(&record_id).await.unwrap().unwrap()
}

/// The view's session, read from the page's hydration data.
pub fn session_of(html: &str) -> String {
    let start = html
        .find("\\\"session\\\":\\\"")
        .or_else(|| html.find("\"session\":\""))
        .expect("session in the page");
    let rest = &html[start..];
    let rest = &rest[rest.find(':').unwrap() + 1..];
    let rest = rest.trim_start_matches('\\').trim_start_matches('"');
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect()
}

/// A linked card opened as Miro's modal opens it (ID token, ticket, page):
/// the card and the view's session.
pub async fn opened_view(server: &TestServer) -> (CardKey, String) {
    let card = linked_card(server).await;
    let token = server.sdk_id_token().await;
    let (_, body) = ticket(server, &card, Some(&token)).await;
    let (_, html) = open(server, &card, body["ticket"].as_str().unwrap()).await;
    (card, session_of(&html))
}
