//! The command line against a real sandbox server over HTTP: listing
//! boards, and importing a CSV or JSON file idempotently (a second run
//! updates, a changed row changes its card, a card deleted on the board is
//! recreated, bad rows are refused with their row and column).

use std::time::Duration;

use crate::support::sandbox::TestServer;
use server::miro::ItemFilter;

struct Cli {
    /// Flags every run gets: which sandbox to sign in to.
    access: Vec<String>,
    /// The test's files, removed when it ends.
    dir: tempfile::TempDir,
}

impl Cli {
    fn new(server: &TestServer, _name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            access: vec!["--sandbox-url".to_owned(), server.base.clone()],
            dir,
        }
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    async fn run(&self, args: &[&str]) -> (i32, String) {
        let args: Vec<String> = (self.access.iter().cloned())
            .chain(args.iter().map(|a| (*a).to_owned()))
            .collect();
        let mut out = Vec::new();
        let code = server::cli::run_with(&args, &mut out).await;
        (code, String::from_utf8(out).unwrap())
    }
}

async fn app_cards_titled(server: &TestServer, prefix: &str) -> Vec<(String, String)> {
    let (client, access) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
    );
    client
        .items(
            &access,
            &server.board(),
            ItemFilter {
                kind: Some("app_card".into()),
                limit: None,
            },
        )
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| i.app_card_data().map(|d| (i.id, d.title)))
        .filter(|(_, t)| t.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn boards_are_listed() {
    let server = TestServer::start().await;
    let cli = Cli::new(&server, "boards");
    let (code, out) = cli.run(&["boards"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Product roadmap") && out.contains("Sprint board"),
        "{out}"
    );
    assert!(out.contains(&server.board()));
}

#[tokio::test]
async fn a_csv_import_is_idempotent_and_follows_changes() {
    let server = TestServer::start().await;
    let cli = Cli::new(&server, "csv");
    let board = server.board();
    let csv = "key,title,status,priority\nA-1,Imported one,connected,High\nA-2,\"Imported two, with a comma\",disconnected,\nA-3,Imported three,disabled,Low\n";
    let file = cli.file("cards.csv", csv);
    let (code, out) = cli.run(&["import", &file, "--board", &board]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("created").count(), 3, "{out}");
    let cards = app_cards_titled(&server, "Imported").await;
    assert_eq!(cards.len(), 3);
    assert!(cards.iter().any(|(_, t)| t == "Imported two, with a comma"));

    server.clear_request_log().await;
    let (code, out) = cli.run(&["import", &file, "--board", &board]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("updated").count(), 3, "{out}");
    assert_eq!(
        app_cards_titled(&server, "Imported").await.len(),
        3,
        "nothing duplicated"
    );
    let creates = server
        .request_log()
        .await
        .into_iter()
        .filter(|(m, p, _)| {
            m == "POST" && (p.ends_with("/items/bulk") || p.ends_with("/app_cards"))
        })
        .count();
    assert_eq!(creates, 0, "a re-run sends no create");

    std::fs::write(
        &file,
        csv.replace("Imported one,", "\"Imported one, renamed\","),
    )
    .unwrap();
    let (client, access) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
    );
    let gone = cards
        .iter()
        .find(|(_, t)| t == "Imported three")
        .unwrap()
        .0
        .clone();
    client
        .delete_app_card(&access, &board, &gone)
        .await
        .unwrap();
    let (code, out) = cli.run(&["import", &file, "--board", &board]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("recreated A-3"), "{out}");
    let titles: Vec<String> = app_cards_titled(&server, "Imported")
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(titles.len(), 3);
    assert!(
        titles.contains(&"Imported one, renamed".to_owned()),
        "{titles:?}"
    );
}

#[tokio::test]
async fn a_bad_row_is_refused_by_row_and_column_and_the_rest_goes_through() {
    let server = TestServer::start().await;
    let cli = Cli::new(&server, "bad");
    let file = cli.file(
        "bad.csv",
        "key,title,status\nB-1,Good row,connected\nB-2,Bad row,archived\n",
    );
    let (code, out) = cli
        .run(&["import", &file, "--board", &server.board()])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("row 3, column status"), "{out}");
    let titles: Vec<String> = app_cards_titled(&server, "")
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert!(titles.contains(&"Good row".to_owned()));
    assert!(
        !titles.contains(&"Bad row".to_owned()),
        "nothing is sent for a bad row"
    );
}

#[tokio::test]
async fn a_json_import_of_cards_attaches_tags() {
    let server = TestServer::start().await;
    let cli = Cli::new(&server, "json");
    let file = cli.file("cards.json", r##"[{"key": "C-1", "title": "Tagged card", "color": "#8fd14f", "tags": "backend;urgent"}]"##);
    let (code, out) = cli
        .run(&[
            "import",
            &file,
            "--board",
            &server.board(),
            "--kind",
            "card",
            "--tags",
            "imported",
        ])
        .await;
    assert_eq!(code, 0, "{out}");
    let id = out.split("-> ").nth(1).unwrap().trim().to_owned();
    let (client, access) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
    );
    let mut tags: Vec<String> = client
        .item_tags(&access, &server.board(), &id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.title)
        .collect();
    tags.sort();
    assert_eq!(tags, ["backend", "imported", "urgent"]);
    // Running again keeps one of each tag.
    let (code, _) = cli
        .run(&[
            "import",
            &file,
            "--board",
            &server.board(),
            "--kind",
            "card",
            "--tags",
            "imported",
        ])
        .await;
    assert_eq!(code, 0);
    assert_eq!(
        client.tags(&access, &server.board()).await.unwrap().len(),
        3
    );
}
