//! The Miro client against the sandbox over real HTTP: every endpoint's
//! success and error paths, cursor paging to the end, bulk chunking and
//! its error indices, and the shape of what it sends (checked against the
//! official spec's request schemas).

use std::time::Duration;

use crate::support::{
    openapi::assert_request,
    sandbox::{titled, TestServer},
};
use server::miro::{
    AppCardChanges, AppCardStatus, AppCardStyle, AppCardWrite, BoardQuery, CardData, CardField,
    CardStyle, CardWrite, IconShape, ItemFilter, MiroError, NewItem, Point, Size, TagColor,
    TagOnItem, TagWrite,
};

#[tokio::test]
async fn boards_are_listed_to_the_end_and_fetched() {
    let server = TestServer::start().await;
    let (client, access) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
    );
    let page = client
        .boards(
            &access,
            &BoardQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((page.data.len(), page.total), (1, 2));
    let all = client
        .all_boards(&access, &BoardQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let found = client
        .all_boards(
            &access,
            &BoardQuery {
                query: Some("sprint".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found[0].name, "Sprint board");
    let board = client.board(&access, &server.board()).await.unwrap();
    assert_eq!(
        board.id,
        server.board(),
        "ids with '=' survive the round trip"
    );
    assert!(matches!(
        client.board(&access, "missing=").await,
        Err(MiroError::NotFound(_))
    ));
    let bad = BoardQuery {
        limit: Some(99),
        ..Default::default()
    };
    let Err(MiroError::InvalidInput { fields, .. }) = client.boards(&access, &bad).await else {
        panic!("limit 99 accepted")
    };
    assert_eq!(fields[0].field, "limit");
}

#[tokio::test]
async fn app_cards_round_trip_with_html_and_every_field() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    let write = AppCardWrite {
        data: Some(AppCardChanges {
            title: Some("<p>Ship <b>it</b></p>".into()),
            description: Some("<p>Now <strong>please</strong></p>".into()),
            status: Some(AppCardStatus::Connected),
            fields: Some(vec![CardField {
                value: Some("High".into()),
                tooltip: Some("Priority".into()),
                fill_color: Some("#ffd02f".into()),
                text_color: Some("#1a1a1a".into()),
                icon_url: Some("https://icons.test/p.svg".into()),
                icon_shape: Some(IconShape::Square),
            }]),
        }),
        style: Some(AppCardStyle {
            fill_color: Some("#ff5500".into()),
        }),
        position: Some(Point { x: 10.0, y: -20.0 }),
        geometry: Some(Size {
            width: Some(400.0),
            rotation: None,
        }),
        parent: None,
    };
    let card = client
        .create_app_card(&access, &board, &write)
        .await
        .unwrap();
    assert_eq!(
        card.data.title, "<p>Ship it</p>",
        "HTML kept as Miro returns it"
    );
    assert_eq!(card.data.description, "<p>Now <strong>please</strong></p>");
    assert_eq!(card.data.status, Some(AppCardStatus::Connected));
    assert_eq!(card.data.owned, Some(true));
    assert_eq!(
        card.data.fields,
        write.data.as_ref().unwrap().fields.clone().unwrap()
    );
    assert_eq!(card.style.fill_color.as_deref(), Some("#ff5500"));

    let changed = client
        .update_app_card(&access, &board, &card.id, &titled("Renamed"))
        .await
        .unwrap();
    assert_eq!(
        (changed.data.title.as_str(), changed.data.fields.len()),
        ("Renamed", 1),
        "PATCH is partial"
    );
    assert_eq!(
        client
            .app_card(&access, &board, &card.id)
            .await
            .unwrap()
            .data
            .title,
        "Renamed"
    );

    let bad = AppCardWrite {
        style: Some(AppCardStyle {
            fill_color: Some("blue".into()),
        }),
        ..Default::default()
    };
    let Err(MiroError::InvalidInput { fields, detail }) = client
        .update_app_card(&access, &board, &card.id, &bad)
        .await
    else {
        panic!("bad colour accepted")
    };
    assert_eq!(
        (
            fields[0].field.as_str(),
            detail.status,
            detail.code.as_deref()
        ),
        ("style.fillColor", Some(400), Some("invalidParameters"))
    );

    client
        .delete_app_card(&access, &board, &card.id)
        .await
        .unwrap();
    assert!(matches!(
        client.app_card(&access, &board, &card.id).await,
        Err(MiroError::NotFound(_))
    ));
    assert!(matches!(
        client.delete_app_card(&access, &board, &card.id).await,
        Err(MiroError::NotFound(_))
    ));
}

#[tokio::test]
async fn another_apps_card_is_forbidden_and_a_bad_token_is_unauthorized() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    let card = client
        .create_app_card(&access, &board, &AppCardWrite::default())
        .await
        .unwrap();
    let other = server.grant_other_app().await;
    let other_client = server.miro_client_of(
        server.discovery["other_apps"][0]["client_id"]
            .as_str()
            .unwrap(),
        Default::default(),
    );
    let other_access = server::miro::Access {
        user_id: server.str("user_id"),
        token: server::miro::Secret::new(other["access_token"].as_str().unwrap()),
    };
    let seen = other_client
        .app_card(&other_access, &board, &card.id)
        .await
        .unwrap();
    assert_eq!(seen.data.owned, Some(false));
    assert!(matches!(
        other_client
            .update_app_card(&other_access, &board, &card.id, &titled("x"))
            .await,
        Err(MiroError::Forbidden(_))
    ));
    let moved = other_client
        .move_item(
            &other_access,
            &board,
            &card.id,
            Some(Point { x: 1.0, y: 2.0 }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(moved.position, Some(Point { x: 1.0, y: 2.0 }));

    let forged = server::miro::Access {
        user_id: server.str("user_id"),
        token: server::miro::Secret::new("sbx_at_forged"),
    };
    let error = client.board(&forged, &board).await.unwrap_err();
    assert!(matches!(error, MiroError::Unauthorized(_)), "{error:?}");
    assert!(
        !format!("{error:?}").contains("sbx_at_forged"),
        "errors never carry the token"
    );
}

#[tokio::test]
async fn cards_round_trip_and_refuse_bad_input() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    let write = CardWrite {
        data: Some(CardData {
            title: Some("Plan".into()),
            assignee_id: Some(server.str("user_id")),
            due_date: Some("2026-12-01T10:00:00Z".into()),
            ..Default::default()
        }),
        style: Some(CardStyle {
            card_theme: Some("#f24726".into()),
        }),
        ..Default::default()
    };
    let card = client.create_card(&access, &board, &write).await.unwrap();
    assert_eq!(card.data.assignee_id, Some(server.str("user_id")));
    let changed = client
        .update_card(
            &access,
            &board,
            &card.id,
            &CardWrite {
                data: Some(CardData {
                    title: Some("Plan B".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.data.title.as_deref(),
            changed.style.card_theme.as_deref()
        ),
        (Some("Plan B"), Some("#f24726"))
    );
    assert_eq!(
        client
            .card(&access, &board, &card.id)
            .await
            .unwrap()
            .data
            .title
            .as_deref(),
        Some("Plan B")
    );
    let bad = CardWrite {
        data: Some(CardData {
            due_date: Some("soon".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(matches!(
        client.update_card(&access, &board, &card.id, &bad).await,
        Err(MiroError::InvalidInput { .. })
    ));
    client.delete_card(&access, &board, &card.id).await.unwrap();
    assert!(matches!(
        client.card(&access, &board, &card.id).await,
        Err(MiroError::NotFound(_))
    ));
}

#[tokio::test]
async fn bulk_create_sends_chunks_of_twenty_and_pages_follow_the_cursor_to_the_end() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(10)),
        server.access().await,
        server.board(),
    );
    let items: Vec<NewItem> = (0..45)
        .map(|i| NewItem::AppCard(titled(&format!("bulk {i}"))))
        .collect();
    server.clear_request_log().await;
    let created = client.bulk_create(&access, &board, &items).await.unwrap();
    assert_eq!(created.len(), 45);
    assert_eq!(
        created[44].app_card_data().unwrap().title,
        "bulk 44",
        "order kept"
    );
    let bulk_requests = server
        .request_log()
        .await
        .into_iter()
        .filter(|(m, p, _)| m == "POST" && p.ends_with("/items/bulk"))
        .count();
    assert_eq!(bulk_requests, 3, "45 items go in chunks of 20, 20 and 5");

    let mut pages = client.items(
        &access,
        &board,
        ItemFilter {
            kind: Some("app_card".into()),
            limit: Some(10),
        },
    );
    let mut seen = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.next_page().await {
        page_count += 1;
        seen.extend(page.unwrap().into_iter().map(|i| i.id));
    }
    assert_eq!(
        (seen.len(), page_count),
        (50, 5),
        "5 seeded + 45 new app cards, 10 a page"
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50);
    let all = client
        .items(&access, &board, ItemFilter::default())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 51, "plus the seeded card");

    let one = client.item(&access, &board, &seen[7]).await.unwrap();
    assert_eq!(one.kind, "app_card");
    client.delete_item(&access, &board, &seen[7]).await.unwrap();
    assert!(matches!(
        client.item(&access, &board, &seen[7]).await,
        Err(MiroError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_failing_bulk_chunk_reports_what_was_created_and_indices_in_the_whole_list() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(10)),
        server.access().await,
        server.board(),
    );
    let mut items: Vec<NewItem> = (0..30)
        .map(|i| NewItem::AppCard(titled(&format!("item {i}"))))
        .collect();
    items[27] = NewItem::Card(CardWrite {
        style: Some(CardStyle {
            card_theme: Some("teal".into()),
        }),
        ..Default::default()
    });
    let failure = client
        .bulk_create(&access, &board, &items)
        .await
        .unwrap_err();
    assert_eq!((failure.created.len(), failure.failed_from), (20, 20));
    let MiroError::InvalidInput { fields, .. } = &failure.error else {
        panic!("{:?}", failure.error)
    };
    assert_eq!(
        (fields[0].index, fields[0].field.as_str()),
        (Some(27), "style.cardTheme")
    );
}

#[tokio::test]
async fn tags_are_managed_and_detaching_never_deletes_the_item() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    let tag = client
        .create_tag(
            &access,
            &board,
            &TagWrite {
                title: Some("urgent".into()),
                fill_color: Some(TagColor::Magenta),
            },
        )
        .await
        .unwrap();
    assert_eq!(tag.fill_color, TagColor::Magenta);
    assert!(matches!(
        client
            .create_tag(
                &access,
                &board,
                &TagWrite {
                    title: Some("urgent".into()),
                    fill_color: None
                }
            )
            .await,
        Err(MiroError::InvalidInput { .. })
    ));
    let card = client
        .create_card(&access, &board, &CardWrite::default())
        .await
        .unwrap();
    let on_card = TagOnItem {
        board_id: board.clone(),
        item_id: card.id.clone(),
        tag_id: tag.id.clone(),
    };
    client.attach_tag(&access, &on_card).await.unwrap();
    assert_eq!(
        client.item_tags(&access, &board, &card.id).await.unwrap()[0].title,
        "urgent"
    );
    let tagged = client
        .items_with_tag(&access, &board, &tag.id, 0)
        .await
        .unwrap();
    assert_eq!(tagged.data[0].id, card.id);
    client.detach_tag(&access, &on_card).await.unwrap();
    assert!(
        client.card(&access, &board, &card.id).await.is_ok(),
        "the item survives a detach"
    );
    assert!(client
        .item_tags(&access, &board, &card.id)
        .await
        .unwrap()
        .is_empty());

    let renamed = client
        .update_tag(
            &access,
            &board,
            &tag.id,
            &TagWrite {
                title: Some("later".into()),
                fill_color: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.title, "later");
    assert_eq!(
        client.tag(&access, &board, &tag.id).await.unwrap().title,
        "later"
    );
    assert_eq!(client.tags(&access, &board).await.unwrap().len(), 1);
    client.delete_tag(&access, &board, &tag.id).await.unwrap();
    assert!(matches!(
        client.tag(&access, &board, &tag.id).await,
        Err(MiroError::NotFound(_))
    ));
}

#[test]
fn what_the_client_sends_matches_the_specs_request_schemas() {
    let full_app_card = AppCardWrite {
        data: Some(AppCardChanges {
            title: Some("t".into()),
            description: Some("d".into()),
            status: Some(AppCardStatus::Disabled),
            fields: Some(vec![CardField {
                value: Some("v".into()),
                icon_shape: Some(IconShape::Round),
                ..Default::default()
            }]),
        }),
        style: Some(AppCardStyle {
            fill_color: Some("#000000".into()),
        }),
        position: Some(Point { x: 1.0, y: 2.0 }),
        geometry: Some(Size {
            width: Some(300.0),
            rotation: Some(10.0),
        }),
        parent: Some(server::miro::ParentRef {
            id: "3458764517517852417".into(),
        }),
    };
    let json = |v: &dyn erased::Json| v.to_json();
    assert_request(
        "POST",
        "/v2/boards/{board_id}/app_cards",
        &json(&full_app_card),
    );
    assert_request(
        "PATCH",
        "/v2/boards/{board_id}/app_cards/{item_id}",
        &json(&titled("only the title")),
    );
    let card = CardWrite {
        data: Some(CardData {
            title: Some("t".into()),
            description: Some("d".into()),
            assignee_id: Some("1".into()),
            due_date: Some("2026-12-01T10:00:00Z".into()),
        }),
        style: Some(CardStyle {
            card_theme: Some("#ffffff".into()),
        }),
        ..Default::default()
    };
    assert_request("POST", "/v2/boards/{board_id}/cards", &json(&card));
    assert_request(
        "PATCH",
        "/v2/boards/{board_id}/cards/{item_id}",
        &json(&card),
    );
    let bulk = vec![NewItem::AppCard(full_app_card), NewItem::Card(card)];
    assert_request("POST", "/v2/boards/{board_id}/items/bulk", &json(&bulk));
    assert_request(
        "POST",
        "/v2/boards/{board_id}/tags",
        &json(&TagWrite {
            title: Some("t".into()),
            fill_color: Some(TagColor::DarkBlue),
        }),
    );
    assert_request(
        "PATCH",
        "/v2/boards/{board_id}/tags/{tag_id}",
        &json(&TagWrite {
            title: None,
            fill_color: Some(TagColor::Red),
        }),
    );
    let position = serde_json::json!({ "position": Point { x: 3.0, y: 4.0 } });
    assert_request("PATCH", "/v2/boards/{board_id}/items/{item_id}", &position);
}

/// Serializes any request type for the spec check.
mod erased {
    pub trait Json {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

#[tokio::test]
async fn the_remaining_error_paths_map_to_their_variants() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    assert!(matches!(
        client
            .move_item(&access, &board, "1", Some(Point { x: 0.0, y: 0.0 }), None)
            .await,
        Err(MiroError::NotFound(_))
    ));
    assert!(matches!(
        client.item_tags(&access, &board, "1").await,
        Err(MiroError::NotFound(_))
    ));
    assert!(matches!(
        client.items_with_tag(&access, &board, "1", 0).await,
        Err(MiroError::NotFound(_))
    ));
    assert!(matches!(
        client
            .create_tag(
                &access,
                "missing=",
                &TagWrite {
                    title: Some("t".into()),
                    fill_color: None
                }
            )
            .await,
        Err(MiroError::NotFound(_))
    ));
    assert!(matches!(
        client.tags(&access, "missing=").await,
        Err(MiroError::NotFound(_))
    ));
    assert!(matches!(
        client
            .create_card(&access, "missing=", &CardWrite::default())
            .await,
        Err(MiroError::NotFound(_))
    ));
    let mut pages = client.items(&access, "missing=", ItemFilter::default());
    assert!(matches!(
        pages.next_page().await,
        Some(Err(MiroError::NotFound(_)))
    ));
    assert!(pages.next_page().await.is_none(), "a failed listing ends");

    // REST attaches tags to cards only, and at most 8 to an item.
    let tag = client
        .create_tag(
            &access,
            &board,
            &TagWrite {
                title: Some("t0".into()),
                fill_color: None,
            },
        )
        .await
        .unwrap();
    let app_card = client
        .create_app_card(&access, &board, &AppCardWrite::default())
        .await
        .unwrap();
    let on_app_card = TagOnItem {
        board_id: board.clone(),
        item_id: app_card.id,
        tag_id: tag.id.clone(),
    };
    assert!(matches!(
        client.attach_tag(&access, &on_app_card).await,
        Err(MiroError::InvalidInput { .. })
    ));
    let card = client
        .create_card(&access, &board, &CardWrite::default())
        .await
        .unwrap();
    for n in 0..9 {
        let tag = if n == 0 {
            tag.clone()
        } else {
            client
                .create_tag(
                    &access,
                    &board,
                    &TagWrite {
                        title: Some(format!("t{n}")),
                        fill_color: None,
                    },
                )
                .await
                .unwrap()
        };
        let result = client
            .attach_tag(
                &access,
                &TagOnItem {
                    board_id: board.clone(),
                    item_id: card.id.clone(),
                    tag_id: tag.id,
                },
            )
            .await;
        if n < 8 {
            result.unwrap();
        } else {
            let Err(MiroError::InvalidInput { fields, .. }) = result else {
                panic!("a ninth tag was accepted")
            };
            assert_eq!(fields[0].field, "tag_id");
        }
    }
}
