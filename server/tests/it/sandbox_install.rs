//! Sandbox mode: the app installs itself into the sandbox over HTTP and
//! links the seeded app cards it owns, so a fresh start shows a working
//! board; a second run changes nothing.

use std::time::Duration;

use crate::support::sandbox::TestServer;
use app::cards::CardStatus;
use server::sandbox_install::install_and_link;

#[tokio::test]
async fn the_app_installs_itself_and_links_the_seeded_cards_once() {
    let server = TestServer::start().await;
    let state = &server.state;
    let report = install_and_link(state).await.unwrap();
    // Seeded: 4 app cards of ours on the roadmap (one disconnected) and 3
    // on the sprint board; the other app's card is not ours to link.
    assert_eq!(report.linked, 6);
    let store = state.sync.store();
    assert_eq!(store.installations().await.unwrap().len(), 1);

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
