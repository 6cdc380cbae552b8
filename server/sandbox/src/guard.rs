//! What keeps a web page on another site from using the sandbox's
//! discovery document (it carries the app's client secret) and its admin
//! routes (faults, rate limits, the clock, the request log) through a
//! developer's browser. Both need no sign-in, so:
//!
//! - [`own_address`]: the request's `Host` must be the sandbox's own
//!   address: its public URL's host and port, or a loopback name
//!   (`localhost`, `127.0.0.1`, `[::1]`) at that port. A page that points
//!   its own name at 127.0.0.1 (DNS rebinding) reaches the sandbox, but its
//!   requests still name that page's host: 403.
//! - [`json_bodies`]: a request with a body must say it is JSON
//!   (`Content-Type: application/json`): 415 otherwise. A browser sends
//!   another site's POST without asking the server first only as
//!   `text/plain`, a form or multipart; JSON it sends only after a CORS
//!   preflight, which the sandbox never grants.

use std::net::Ipv4Addr;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{
    header::{CONTENT_TYPE, HOST},
    Method,
};

use super::{errors::ApiError, Sandbox};

/// Lets a request through only if it is addressed to the sandbox itself.
pub async fn own_address(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    let public_url = &sandbox.settings().public_url;
    let host = request.headers().get(HOST).and_then(|v| v.to_str().ok());
    if host.is_some_and(|host| is_own_address(host, public_url)) {
        return next.run(request).await;
    }
    ApiError::forbidden(format!(
        "The sandbox answers this only when addressed as {public_url} or as localhost at \
         its port, not as {}",
        host.unwrap_or("(no Host header)")
    ))
    .into_response()
}

/// Lets a request with a body through only if the body is JSON.
pub async fn json_bodies(request: Request, next: Next) -> Response {
    let has_body = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"));
    if has_body && !is_json {
        return ApiError::unsupported_media_type(
            "The body must be JSON, sent with Content-Type: application/json",
        )
        .into_response();
    }
    next.run(request).await
}

/// Whether `host` (a `Host` header: a name or address, and a port unless
/// it is the scheme's) is the sandbox at `public_url`.
fn is_own_address(host: &str, public_url: &str) -> bool {
    let Ok(public) = url::Url::parse(public_url) else {
        return false;
    };
    let Some(own_port) = public.port_or_known_default() else {
        return false;
    };
    // A `Host` without a port names the scheme's own.
    let scheme_port = if public.scheme() == "https" { 443 } else { 80 };
    let Some((name, port)) = split_host(host.trim(), scheme_port) else {
        return false;
    };
    port == own_port
        && (public
            .host_str()
            .is_some_and(|own| own.eq_ignore_ascii_case(name))
            || is_loopback_name(name))
}

/// A `Host` header's name (an IPv6 address keeps its brackets) and port
/// (`default_port` when it names none); `None` when it does not read as one.
fn split_host(host: &str, default_port: u16) -> Option<(&str, u16)> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')? + 1;
        (&host[..end], host[end..].strip_prefix(':'))
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => default_port,
    };
    (!name.is_empty()).then_some((name, port))
}

/// Names that always mean this machine: no DNS answer can move them.
fn is_loopback_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name == "[::1]"
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_own_address;

    #[test]
    fn the_public_address_and_loopback_names_at_its_port_are_the_sandbox() {
        let public = "http://127.0.0.1:3000";
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
        ] {
            assert!(is_own_address(host, public), "{host}");
        }
        for host in [
            "evil.example:3000",
            "127.0.0.1:3001",
            "127.0.0.1",
            "localhost",
            "127.0.0.1.evil.example:3000",
            "localhost.evil.example:3000",
            "[::1]",
            ":3000",
            "127.0.0.1:3000:1",
            "",
        ] {
            assert!(!is_own_address(host, public), "{host}");
        }
    }

    #[test]
    fn a_public_name_is_the_sandbox_at_its_schemes_port() {
        let public = "https://cards.example.org";
        assert!(is_own_address("cards.example.org", public));
        assert!(is_own_address("Cards.Example.org:443", public));
        assert!(is_own_address("localhost:443", public));
        assert!(!is_own_address("cards.example.org:3000", public));
        assert!(!is_own_address("localhost:3000", public));
    }
}
