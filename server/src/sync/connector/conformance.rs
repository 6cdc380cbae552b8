//! The conformance suite every connector must pass: what the sync engine
//! relies on, checked against a real instance of the connector's tool (the
//! built-in connector against SQLite, the GitHub connector against the
//! GitHub stand-in over HTTP). Call [`run`] from a test; it panics with the
//! rule that failed.

use app::cards::{CustomField, IconShape, PreviewField, RecordFields};

use super::{Connector, ConnectorError};

/// Fields that use every member, so a connector that drops one fails.
pub fn sample(title: &str) -> RecordFields {
    RecordFields {
        title: title.to_owned(),
        description: "Line one\n\n- a **bold** point\n- [a link](https://example.com)".to_owned(),
        status: "in_progress".to_owned(),
        assignee: "sam".to_owned(),
        due_date: "2026-12-24".to_owned(),
        labels: vec!["backend".to_owned(), "urgent".to_owned()],
        custom: vec![CustomField {
            name: "Priority".to_owned(),
            value: "High".to_owned(),
        }],
        preview: vec![PreviewField {
            value: "Sprint 7".to_owned(),
            tooltip: "Iteration".to_owned(),
            fill_color: "#e6f4ff".to_owned(),
            text_color: "#1a1a1a".to_owned(),
            icon_url: String::new(),
            icon_shape: IconShape::Round,
        }],
        source: Default::default(),
    }
}

/// Runs every rule against `connector`. `unique` keeps titles apart from
/// other runs against the same tool.
pub async fn run(connector: &dyn Connector, unique: &str) {
    let name = connector.name().to_owned();
    let fields = sample(&format!("Conformance {unique}"));

    // Create, then fetch: the tool keeps every field.
    let created = connector.create(&fields, "conformance").await.unwrap();
    assert!(
        !created.external_id.is_empty(),
        "{name}: create gives an id"
    );
    // Compared without `source`: a tool adds its own details (GitHub's
    // issue number and link), which no edit sets.
    assert_eq!(
        created.fields.content(),
        fields,
        "{name}: create keeps every field"
    );
    let fetched = connector.fetch(&created.external_id).await.unwrap();
    assert_eq!(
        fetched.map(|i| i.fields.content()),
        Some(fields.clone()),
        "{name}: fetch returns what was created"
    );

    // Update replaces the fields, and fetch sees the update.
    let mut changed = fields.clone();
    changed.title = format!("Conformance {unique} renamed");
    changed.labels = vec!["frontend".to_owned()];
    changed.due_date = String::new();
    let updated = connector
        .update(&created.external_id, &changed, "conformance")
        .await
        .unwrap();
    assert_eq!(
        updated.fields.content(),
        changed,
        "{name}: update keeps every field"
    );
    assert_eq!(
        connector
            .fetch(&created.external_id)
            .await
            .unwrap()
            .map(|i| i.fields.content()),
        Some(changed.clone()),
        "{name}: fetch after update"
    );

    // Updating with the same fields is harmless.
    let again = connector
        .update(&created.external_id, &changed, "conformance")
        .await
        .unwrap();
    assert_eq!(
        again.fields.content(),
        changed,
        "{name}: a repeated update changes nothing"
    );

    // Search finds it by part of its title, in any case.
    let found = connector
        .search(&format!("{} RENAMED", unique.to_uppercase()), 10)
        .await
        .unwrap();
    assert!(
        found.iter().any(|i| i.external_id == created.external_id),
        "{name}: search finds the item by part of its title"
    );
    assert!(
        connector
            .search(&format!("{unique}-absent"), 10)
            .await
            .unwrap()
            .is_empty(),
        "{name}: search finds nothing for an unknown title"
    );

    // Delete: fetch says it is gone; update and delete again say not found.
    connector
        .delete(&created.external_id, "conformance")
        .await
        .unwrap();
    assert_eq!(
        connector.fetch(&created.external_id).await.unwrap(),
        None,
        "{name}: a deleted item is not fetched"
    );
    assert!(
        matches!(
            connector
                .update(&created.external_id, &fields, "conformance")
                .await,
            Err(ConnectorError::NotFound(_))
        ),
        "{name}: updating a deleted item is NotFound"
    );
    assert!(
        matches!(
            connector.delete(&created.external_id, "conformance").await,
            Err(ConnectorError::NotFound(_))
        ),
        "{name}: deleting twice is NotFound"
    );
    assert!(
        !connector
            .search(&format!("Conformance {unique}"), 10)
            .await
            .unwrap()
            .iter()
            .any(|i| i.external_id == created.external_id),
        "{name}: search leaves deleted items out"
    );
    assert!(
        matches!(connector.fetch("no-such-item").await, Ok(None)),
        "{name}: fetching an unknown id is None"
    );
}
