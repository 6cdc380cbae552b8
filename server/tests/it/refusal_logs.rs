//! Refusals a stranger can cause at will (ID tokens that do not verify,
//! webhook deliveries without a valid signature) are answered every time
//! but logged at most once a minute per client address, so a flood cannot
//! fill the log. (What the throttle decides over time and under a flood
//! from many addresses: `log_throttle`'s unit tests.)

use server::store::CardKey;

use crate::{
    github::Harness,
    support::{detail::card_call, logs::capture, sandbox::TestServer},
};

#[tokio::test]
async fn a_flood_of_forged_id_tokens_is_refused_every_time_and_logged_once() {
    let (logs, _capturing) = capture();
    let server = TestServer::start().await;
    let card = CardKey::new(server.board(), "3458764517517852999");
    // The three calls that take an ID token share one line a minute.
    for n in 0..150 {
        let path = [
            "/miro/tickets",
            "/miro/panel/tickets",
            "/miro/cards/connect",
        ][n % 3];
        let (status, body) = card_call(&server, path, &card, Some("forged.id.token")).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let lines = logs.lines_with("refused: bad ID token");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains("client=127.0.0.1") && lines[0].contains("unlogged_since_last_line=0"),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_flood_of_mis_signed_webhook_deliveries_is_refused_every_time_and_logged_once() {
    let (logs, _capturing) = capture();
    let h = Harness::start().await;
    for n in 0..60 {
        let mut request = h
            .server
            .client
            .post(format!("{}/github/webhook", h.server.base))
            .header("content-type", "application/json")
            .header("x-github-event", "issues")
            .header("x-github-delivery", format!("forged-{n}"))
            .body(r#"{"action": "edited"}"#);
        if n % 2 == 0 {
            request = request.header("x-hub-signature-256", format!("sha256={n:064x}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{}", response.text().await.unwrap());
    }
    let lines = logs.lines_with("GitHub webhook refused");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("client=127.0.0.1"), "{lines:#?}");
}
