//! Accepting connections (HTTP/1.1): at most `max_connections` at once
//! (more wait in the listen queue until one closes), each request's headers within
//! `header_read_timeout` or the connection is closed, and on shutdown the
//! requests under way finish (within `shutdown_grace`) while no new ones
//! start. `axum::serve` sets none of these, so a client that sends half a
//! request would hold its connection for ever. A slow client costs one
//! connection and a little memory, never a worker thread: everything here
//! is async. How long a whole request may take is the router's
//! (`REQUEST_TIMEOUT`).
//!
//! Each request carries the peer's address as axum's `ConnectInfo`, for
//! the limits on calls made before anyone signs in.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt as _;

/// How many connections, and how slow each may be.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Open connections at once; the next waits in the listen queue.
    pub max_connections: usize,
    /// For a request's headers to arrive, counted from its first byte or,
    /// on a kept-alive connection, from the end of the previous answer.
    pub header_read_timeout: Duration,
    /// For requests under way to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// requests under way finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // HTTP/1.1 only: hyper has no header timeout for HTTP/2, so idle h2c
    // connections could hold every slot. Browsers reach the app through
    // a TLS proxy, which speaks HTTP/1.1 to it.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or the peer gave up while
                    // queued: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(with_peer(router.clone(), peer));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let header_read_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            // hyper times out headers that have begun, not a connection
            // that never sends a byte: wait for the first one here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await {
                Ok(Ok(1..)) => {}
                _ => return drop(permit),
            }
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("requests still under way at shutdown were cut off");
        }
    }
}

/// The router, with the peer's address in each request's extensions.
fn with_peer(
    router: Router,
    peer: SocketAddr,
) -> impl tower::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request.map(axum::body::Body::new))
    })
}
