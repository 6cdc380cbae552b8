//! Sandbox mode: the app installs itself into the sandbox over HTTP and
//! links the seeded app cards it owns, so a fresh start shows a working
//! board; a second run changes nothing.

use std::time::Duration;

use crate::support::sandbox::TestServer;
use app::cards::CardStatus;
use server::{sandbox_install::install_and_link, store::Store as _};

#[tokio::test]
async fn the_app_installs_itself_and_links_the_seeded_cards_once() {
    let server = TestServer::start().await;
    let state = &server.state;
    let report = install_and_link(state).await.unwrap();
    // Seeded: 4 app cards of ours on the roadmap (one disconnected) and 3
    // on the sprint board, and 1 on the second team's board; the other
    // app's card is not ours to link.
    assert_eq!(report.linked, 7);
    let store = crate::support::store_of(state).await;
    let installed = store.installations().await.unwrap();
    assert_eq!(installed.len(), 2, "one installation per sandbox team");
    // Each team's records are its own: the seed team's cards and samples,
    // and the second team's card.
    let other = server.other_team();
    let theirs = store.links_on_board(&other.board).await.unwrap();
    let record = store
        .record(theirs[0].record_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.scope, format!("team:{}", other.team_id));
    assert_eq!(theirs[0].owner.team_id, other.team_id);

    let roadmap = store.links_on_board(&server.board()).await.unwrap();
    assert_eq!(roadmap.len(), 3);
    let disabled: Vec<_> = roadmap
        .iter()
        .filter(|l| l.status == CardStatus::Disabled)
        .collect();
    assert_eq!(disabled.len(), 1, "the seeded disabled card stays disabled");
    let record = store
        .record(disabled[0].record_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(record.source_deleted);
    assert_eq!(record.snapshot.fields.title, "Legacy invoice export");
    assert_eq!(record.scope, format!("team:{}", server.str("team_id")));

    assert!(state
        .sync
        .drain_until_empty(Duration::from_secs(20))
        .await
        .unwrap());
    let again = install_and_link(state).await.unwrap();
    assert_eq!(
        (again.linked, again.rewritten),
        (0, 0),
        "a second run changes nothing"
    );
}
