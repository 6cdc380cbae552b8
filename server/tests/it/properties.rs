//! Generated inputs against the running server: bodies for the `save_card`
//! server function and queries for the OAuth callback, hundreds of each.
//! Every answer is a refusal in the 4xx range (or the callback's redirect),
//! never a 5xx, and nothing is written. Inputs come from proptest's
//! strategies; a failing one is printed whole.

use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, TestRunner},
};
use serde_json::{json, Value};

use crate::support::{
    detail::{opened_view, record_of},
    sandbox::TestServer,
};

/// Draws `count` values of `strategy`.
fn samples<S: Strategy>(strategy: S, count: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::new(Config::default());
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[tokio::test]
async fn generated_save_bodies_are_refused_with_a_4xx_and_change_nothing() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start_configured(Default::default(), |config| {
        config.rate_limits = false;
    })
    .await;
    let (card, session) = opened_view(&server).await;
    let before = record_of(&server, &card).await.snapshot;

    // Whole bodies of any shape; requests with one field of a real save
    // replaced by any value, or by one of the right type; and raw bytes.
    let fields = serde_json::to_value(&before.fields).unwrap();
    let real = json!({"request": {
        "board_id": card.board_id, "item_id": card.item_id, "session": session,
        "base_version": before.version, "fields": fields,
    }});
    let field_names = ["board_id", "item_id", "session", "base_version", "fields"];
    let mut bodies: Vec<Vec<u8>> = samples(json_value(), 150)
        .into_iter()
        .map(|v| serde_json::to_vec(&json!({"request": v})).unwrap())
        .collect();
    for (which, value) in samples((0..field_names.len(), json_value()), 150) {
        let mut changed = real.clone();
        changed["request"][field_names[which]] = value;
        // The real session with an older version stays a valid save: give
        // it a session that cannot verify.
        if field_names[which] != "session" {
            changed["request"]["session"] = json!("not-a-session");
        }
        bodies.push(serde_json::to_vec(&changed).unwrap());
    }
    // Values of the right type, so that some bodies pass the shape check
    // and reach the session check behind it (values of any type rarely do).
    let typed = prop_oneof![
        (0..3usize, "\\PC{0,30}").prop_map(|(which, text)| (which, json!(text))),
        any::<i64>().prop_map(|version| (3, json!(version))),
    ];
    for (which, value) in samples(typed, 50) {
        let mut changed = real.clone();
        changed["request"][field_names[which]] = value;
        if field_names[which] != "session" {
            changed["request"]["session"] = json!("not-a-session");
        }
        bodies.push(serde_json::to_vec(&changed).unwrap());
    }
    bodies.extend(samples(prop::collection::vec(any::<u8>(), 0..200), 100));

    let mut seen = std::collections::BTreeSet::new();
    for body in bodies {
        let response = server
            .client
            .post(format!("{}/api/save_card", server.base))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{status} for {}",
            String::from_utf8_lossy(&body)
        );
        seen.insert(status);
    }
    // The inputs reached every layer: JSON syntax (400), shape (422) and
    // the session check behind them (401).
    assert!([400, 401, 422].iter().all(|s| seen.contains(s)), "{seen:?}");
    assert_eq!(
        record_of(&server, &card).await.snapshot.version,
        before.version,
        "nothing was saved"
    );
}

#[tokio::test]
async fn generated_callback_queries_end_on_a_page_never_a_5xx() {
    let server = TestServer::start_configured(Default::default(), |config| {
        config.rate_limits = false;
    })
    .await;
    let pair = (
        prop_oneof![
            Just("code".to_owned()),
            Just("state".to_owned()),
            Just("error".to_owned()),
            Just("client_id".to_owned()),
            Just("team_id".to_owned()),
            "\\PC{0,8}",
        ],
        "\\PC{0,40}",
    );
    let queries = samples(prop::collection::vec(pair, 0..5), 200);
    for pairs in queries {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let response = server
            .client
            .get(format!("{}/oauth/callback?{query}", server.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!((300..500).contains(&status), "{status} for ?{query}");
    }
    // Raw, unencoded junk too.
    for raw in samples("[ -~]{0,80}", 100) {
        let url = format!(
            "{}/oauth/callback?{}",
            server.base,
            raw.replace(['#', ' '], "")
        );
        let Ok(response) = server.client.get(url).send().await else {
            continue; // not a URL reqwest will send
        };
        let status = response.status().as_u16();
        assert!((300..500).contains(&status), "{status} for ?{raw}");
    }
    let installations = server.state.sync.store().installation_list().await.unwrap();
    assert!(
        installations.len() <= 1,
        "only the sandbox's own install: {installations:?}"
    );
}
