//! Security headers on every response.
//!
//! Our pages are meant to be framed by Miro only (and, in sandbox mode, by
//! the sandbox's board page, which is served from our own origin).
//! `frame-ancestors` must be a response header (browsers ignore it in a
//! `<meta>` tag), and there is deliberately no `X-Frame-Options`:
//! `DENY`/`SAMEORIGIN` would blank the iframe on a Miro board, and
//! `ALLOW-FROM` is obsolete.
//!
//! The app's pages get a strict policy: scripts only from our origin and the
//! Web SDK's, and inline scripts (Leptos's hydration bootstrap) only with
//! the page's nonce. Other responses (assets, JSON, the sandbox's own pages)
//! get a policy that sets where they may be framed.

use axum::Router;
use http::{header, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// Miro's web app, which frames our pages.
const MIRO_ORIGINS: &str = "https://miro.com https://*.miro.com";

/// The `frame-ancestors` directive: Miro, and in sandbox mode the origin
/// of the sandbox's board page (`'self'` for the built-in sandbox).
pub fn frame_ancestors(sandbox_board: Option<&str>) -> String {
    match sandbox_board {
        Some(origin) => format!("frame-ancestors {origin} {MIRO_ORIGINS}"),
        None => format!("frame-ancestors {MIRO_ORIGINS}"),
    }
}

/// The policy of a page the app renders. `nonce` admits its inline
/// scripts; `sdk_url` is the Web SDK script it loads; `dev_socket` is
/// cargo-leptos's live-reload socket in development.
pub fn page_policy(
    nonce: Option<&str>,
    sdk_url: &str,
    sandbox_board: Option<&str>,
    dev_socket: Option<&str>,
) -> String {
    let sdk_origin = url::Url::parse(sdk_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let socket = dev_socket.map(|s| format!(" {s}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval' {sdk_origin}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; \
         connect-src 'self'{socket}; object-src 'none'; base-uri 'none'; form-action 'self'; {}",
        frame_ancestors(sandbox_board)
    )
}

/// Wraps the router with the security headers. A policy a page set for
/// itself stays; everything else gets the framing policy.
pub fn headers(router: Router, sandbox_board: Option<&str>) -> Router {
    let fallback = format!("{}; object-src 'none'", frame_ancestors(sandbox_board));
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&fallback).expect("the policy is ASCII"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_admit_only_their_nonce_our_origin_and_the_sdk() {
        let policy = page_policy(
            Some("abc"),
            "https://miro.com/app/static/sdk/v2/miro.js",
            None,
            None,
        );
        assert!(
            policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval' https://miro.com;")
        );
        let script_src = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .expect("a script-src directive");
        assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");
        assert!(!script_src.contains("'unsafe-eval'"), "{script_src}");
        assert!(policy.ends_with("frame-ancestors https://miro.com https://*.miro.com"));
        let sandbox = page_policy(
            None,
            "http://127.0.0.1:3000/sandbox/sdk/v2/miro.js",
            Some("'self'"),
            Some("ws://127.0.0.1:3001"),
        );
        assert!(sandbox.contains("script-src 'self' 'wasm-unsafe-eval' http://127.0.0.1:3000;"));
        assert!(sandbox.contains("connect-src 'self' ws://127.0.0.1:3001;"));
        assert!(sandbox.contains("frame-ancestors 'self' https://miro.com"));
    }
}
