//! Text from a record is never markup, over real HTTP: a title and a
//! description that try to end the elements they are written into
//! (`</textarea>`, `</script>`, `</title>`, `<!--`), saved in the detail
//! view or arriving as a GitHub issue's body, come back in the served
//! pages (the detail view, its preview, the page's data for hydration,
//! the panel's rows) as exactly that text, and add no element. The
//! sandbox's board page keeps such text out of its markup too.

use app::{
    detail::OpenedCard,
    panel::{OpenedPanel, PanelData},
};
use serde_json::{json, Value};
use server::store::{CardKey, RecordSave};

use crate::{
    github::{number_of, Harness, ROADMAP},
    github_writes::open_view,
    support::{
        detail::{open, opened_view, record_of, ticket},
        html::{count_elements, decode, raw_content, start_tag, textarea_text},
        panel::{open_panel, panel_ticket},
        sandbox::{encode, render_lock, status_and_json, TestServer},
    },
};

/// Starts with a newline (the HTML parser drops one after `<textarea>`),
/// ends the textarea and adds a refresh to another site, then tries the
/// other elements whose text is raw.
pub(crate) const DESCRIPTION: &str = "\n</textarea><meta http-equiv=\"refresh\" \
    content=\"0;url=https://evil.example/\">\n\n</script><script>alert(1)</script><!--<script>\n\
    </title></style><b>not bold</b> &amp; &lt;kept&gt;";
pub(crate) const TITLE: &str =
    "</title></script><!--<script></textarea><img src=x onerror=alert(1)>";

/// Markup any of the texts above would add to a page, were it markup.
const ADDED: &[&str] = &[
    "<meta http-equiv",
    "<script>alert",
    "<img src=x",
    "<b>not bold",
    "</style>",
];

/// The served detail page shows exactly `title` and `description`, in the
/// form, the preview and the page's data, and no markup of theirs.
fn assert_detail_page_holds_text(html: &str, title: &str, description: &str) {
    for added in ADDED {
        assert!(!html.contains(added), "{added} became markup: {html}");
    }
    let textarea =
        raw_content(html, "textarea", "id", "description").expect("the description's textarea");
    assert_eq!(textarea_text(textarea), description, "the textarea's text");
    assert_eq!(count_elements(html, "textarea"), 1);
    assert_eq!(html.to_ascii_lowercase().matches("</textarea").count(), 1);
    let (input, _) = start_tag(html, "input", "id", "title").expect("the title's input");
    assert!(
        input.contains(&("value".to_owned(), title.to_owned())),
        "{input:?}"
    );

    // One title, ours.
    assert_eq!(count_elements(html, "title"), 1);
    assert!(html.contains("<title>Miro Cards</title>"), "{html}");

    // The preview: Miro's tags around escaped text.
    let preview = raw_content(html, "div", "data-testid", "preview-description").unwrap();
    assert!(
        preview.contains("&lt;/textarea&gt;&lt;meta http-equiv="),
        "{preview}"
    );
    let preview_title = raw_content(html, "div", "data-testid", "preview-title").unwrap();
    assert!(!preview_title.contains('<'), "{preview_title}");

    // The data the browser hydrates with: one script, whole, and exact.
    let data = raw_content(html, "script", "id", "card-view-data").expect("the page's data");
    assert!(!data.contains('<'), "{data}");
    let opened: OpenedCard = serde_json::from_str(data).expect("the whole data");
    let fields = opened.result.expect("the card opened").record.fields;
    assert_eq!(
        (fields.title.as_str(), fields.description.as_str()),
        (title, description)
    );
}

/// Saves `title` and `description` on `card` from its view (`session`).
async fn save_text(server: &TestServer, card: &CardKey, session: &str) {
    let record = record_of(server, card).await.snapshot;
    let mut fields = record.fields;
    fields.title = TITLE.to_owned();
    fields.description = DESCRIPTION.to_owned();
    let response = server
        .client
        .post(format!("{}/api/save_card", server.base))
        .json(&json!({"request": {
            "board_id": card.board_id, "item_id": card.item_id, "session": session,
            "base_version": record.version, "fields": fields,
        }}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn text_saved_in_the_view_comes_back_as_text_in_the_view_and_the_panels_rows() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let (card, session) = opened_view(&server).await;
    save_text(&server, &card, &session).await;
    let saved = record_of(&server, &card).await.snapshot.fields;
    assert_eq!(
        (saved.title.as_str(), saved.description.as_str()),
        (TITLE, DESCRIPTION)
    );

    let token = server.sdk_id_token().await;
    let (_, body) = ticket(&server, &card, Some(&token)).await;
    let (status, html) = open(&server, &card, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{html}");
    assert_detail_page_holds_text(&html, TITLE, DESCRIPTION);

    // The panel's rows: the first row's record (newest change first; ties
    // by id) given the text through the store stays first, and its row's
    // card and the panel's data hold the text as text too.
    let first = opened_panel_data(&server, &token).await.1.records.rows[0]
        .record
        .clone();
    let mut fields = first.fields.clone();
    fields.title = TITLE.to_owned();
    fields.description = DESCRIPTION.to_owned();
    server
        .state
        .sync
        .store()
        .save_record(RecordSave {
            record_id: &first.id,
            base_version: first.version,
            fields: &fields,
            origin: "miro",
            actor: "tester",
            source_base: None,
        })
        .await
        .unwrap();
    let (html, data) = opened_panel_data(&server, &token).await;
    for added in ADDED {
        assert!(
            !html.contains(added),
            "{added} became markup in the panel: {html}"
        );
    }
    let row = &data.records.rows[0].record;
    assert_eq!(row.id, first.id, "still the first row");
    assert_eq!(
        (row.fields.title.as_str(), row.fields.description.as_str()),
        (TITLE, DESCRIPTION)
    );
    let (_, row_start) =
        start_tag(&html, "li", "data-record-id", &first.id).expect("the record's row");
    let row = &html[row_start..];
    let row_title = raw_content(row, "div", "data-testid", "preview-title").unwrap();
    assert_eq!(decode(row_title), TITLE, "the row's card title");
    let row_description = raw_content(row, "div", "data-testid", "preview-description").unwrap();
    assert!(
        row_description.contains("&lt;/textarea&gt;"),
        "{row_description}"
    );
}

/// The panel opened on the first board: its HTML and the data it holds
/// for hydration (which must be one whole script, with no `<` in it).
async fn opened_panel_data(server: &TestServer, token: &str) -> (String, PanelData) {
    let (status, body) = panel_ticket(server, &server.board(), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    let (status, html) =
        open_panel(server, &server.board(), body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{html}");
    let data = raw_content(&html, "script", "id", "panel-data").expect("the panel's data");
    assert!(!data.contains('<'), "{data}");
    let opened: OpenedPanel = serde_json::from_str(data).expect("the whole data");
    let data = opened.result.expect("the panel opened");
    (html, data)
}

#[tokio::test]
async fn an_issue_body_from_github_comes_back_as_text_in_the_view() {
    let _one_renderer = render_lock().await;
    let h = Harness::start().await;
    let (record, card) = h.imported("Written by a stranger").await;
    let before = h.standin.deliveries().await.len();
    // Anyone who may file or edit an issue writes its body.
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{}/edit", number_of(&record)),
            json!({"title": TITLE, "body": DESCRIPTION}),
        )
        .await;
    let sent = h.standin.deliveries().await.len().max(before + 1);
    let answered = h.standin.answered(sent).await;
    assert_eq!(answered.last().unwrap()["status"], 200, "{answered:#?}");
    let now = h.record(&record.snapshot.id).await.snapshot.fields;
    assert_eq!(
        (now.title.as_str(), now.description.as_str()),
        (TITLE, DESCRIPTION)
    );
    h.drain().await;

    let html = open_view(&h, &card).await;
    assert_detail_page_holds_text(&html, TITLE, DESCRIPTION);
}

#[tokio::test]
async fn the_sandbox_board_page_keeps_a_boards_and_cards_text_out_of_its_markup() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let name = "</title><!--<script></script>";
    let response = server
        .rest(reqwest::Method::POST, "/v2/boards", &token)
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap();
    let (status, board) = status_and_json(response).await;
    assert_eq!(status, 201, "{board}");
    let board_id = board["id"].as_str().unwrap();
    let card = json!({"data": {"title": TITLE, "description": DESCRIPTION}});
    let response = server
        .rest(
            reqwest::Method::POST,
            &format!("/v2/boards/{}/app_cards", encode(board_id)),
            &token,
        )
        .json(&card)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let page = server
        .client
        .get(format!(
            "{}/sandbox/boards/{}",
            server.base,
            encode(board_id)
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count_elements(&page, "title"), 1, "{page}");
    // The board's data: one script, whole, holding the name exactly; the
    // board's own script still follows it.
    let data = raw_content(&page, "script", "id", "sandbox-bootstrap").expect("the board's data");
    assert!(!data.contains('<'), "{data}");
    let bootstrap: Value = serde_json::from_str(data).expect("the whole data");
    assert_eq!(bootstrap["board"]["name"], name);
    assert_eq!(count_elements(&page, "script"), 2, "{page}");
    assert!(page.contains("<script src=\"/sandbox/assets/board.js\"></script>"));
}
