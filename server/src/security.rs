//! Security headers on every response.
//!
//! Our pages are meant to be framed by Miro only. `frame-ancestors` must be a
//! response header (browsers ignore it in a `<meta>` tag), and there is
//! deliberately no `X-Frame-Options`: `DENY`/`SAMEORIGIN` would blank the
//! iframe on a Miro board, and `ALLOW-FROM` is obsolete.

use axum::Router;
use http::{header, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// Where our pages may be framed: ourselves (the sandbox board is served by
/// the same origin) and Miro's web app.
pub const FRAME_ANCESTORS: &str = "frame-ancestors 'self' https://miro.com https://*.miro.com";

/// Wraps the router with the security headers.
pub fn headers(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FRAME_ANCESTORS),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // The detail view's URL carries a one-time ticket: never send it on.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}
