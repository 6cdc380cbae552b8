//! The panel's calls as its page makes them: a panel ticket bought with
//! the SDK's ID token, the page it opens, and the panel's server functions
//! with the session from that page.

use serde_json::{json, Value};

use super::{
    detail::session_of,
    sandbox::{encode, status_and_json, TestServer},
};

/// `POST /miro/panel/tickets` for a board, with an ID token or none.
pub async fn panel_ticket(
    server: &TestServer,
    board_id: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = server
        .client
        .post(format!("{}/miro/panel/tickets", server.base))
        .json(&json!({ "board_id": board_id }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    status_and_json(request.send().await.unwrap()).await
}

/// The panel page a ticket opens: status and HTML.
pub async fn open_panel(server: &TestServer, board_id: &str, ticket: &str) -> (u16, String) {
    let url = format!(
        "{}/panel/{}?ticket={}",
        server.base,
        encode(board_id),
        encode(ticket)
    );
    let response = server.client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The panel opened on the first board as the toolbar icon opens it: the
/// app installed, then ID token, ticket, page. Answers the session.
pub async fn opened_panel(server: &TestServer) -> String {
    server::sandbox_install::install_and_link(&server.state)
        .await
        .unwrap();
    let token = server.sdk_id_token().await;
    let (status, body) = panel_ticket(server, &server.board(), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let (status, html) =
        open_panel(server, &server.board(), body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{html}");
    session_of(&html)
}

/// Calls one of the panel's server functions with a JSON body.
pub async fn call(server: &TestServer, function: &str, body: Value) -> (u16, Value) {
    let response = server
        .client
        .post(format!("{}/api/panel/{function}", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}
