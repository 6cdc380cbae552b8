//! The GitHub webhook reads only a few unsigned bodies at once, over real
//! HTTP: while clients hold that many large bodies half-sent, another
//! delivery gets a quick 503 with `Retry-After` instead of being read, and
//! once they go, deliveries are read (and their signatures checked) again.

use std::time::{Duration, Instant};

use server::sync::connector::github::{UNSIGNED_BODIES, WEBHOOK_LIMIT};
use tokio::{io::AsyncWriteExt, net::TcpStream};

use crate::github::Harness;

/// An unsigned delivery with a small body: its status and `Retry-After`.
async fn unsigned(h: &Harness) -> (u16, Option<String>) {
    let response = h
        .server
        .client
        .post(format!("{}/github/webhook", h.server.base))
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "d-unsigned")
        .body("{}")
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry_after)
}

/// Sends unsigned deliveries until one is answered `status`, for up to 5 s.
async fn until_answered(h: &Harness, status: u16) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (got, retry_after) = unsigned(h).await;
        if got == status {
            return retry_after;
        }
        assert!(Instant::now() < deadline, "answered {got}, not {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn large_unsigned_bodies_are_read_only_a_few_at_once() {
    let h = Harness::start().await;
    let address = h.server.base.trim_start_matches("http://").to_owned();
    // Clients that announce a body of the largest size taken, send a part
    // of it, and hold on.
    let mut holding = Vec::new();
    for _ in 0..UNSIGNED_BODIES {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST /github/webhook HTTP/1.1\r\nhost: {address}\r\n\
             content-type: application/json\r\ncontent-length: {WEBHOOK_LIMIT}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&vec![b' '; 64 * 1024]).await.unwrap();
        holding.push(stream);
    }
    // Another delivery is not read: a quick 503 that says when to come back.
    let retry_after = until_answered(&h, 503).await;
    assert!(
        retry_after.is_some_and(|s| s.parse::<u64>().unwrap() > 0),
        "with Retry-After"
    );

    // They give up: deliveries are read again (this one is unsigned: 401).
    drop(holding);
    until_answered(&h, 401).await;
}
