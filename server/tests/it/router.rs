//! The router as production builds it, driven without a socket: health,
//! server-rendered pages, 404s, static assets, and the security headers on
//! each of them.

use axum::{body::Body, Router};
use http::{header, Request, Response, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use server::{
    config::{Config, Mode},
    miro::Secret,
    state::AppState,
    web::app_router,
};
use tower::ServiceExt;

/// A router whose site root is a fresh folder holding one stylesheet.
async fn router_with_site() -> (Router, tempdir::TempSite) {
    let site = tempdir::TempSite::new();
    site.write("pkg/miro-cards.css", "body { margin: 0; }");
    let leptos = LeptosOptions::builder()
        .output_name("miro-cards")
        .site_root(site.path())
        .build();
    (
        app_router(
            AppState::new(Config::sandbox(leptos, "http://127.0.0.1:3000"))
                .await
                .unwrap(),
        ),
        site,
    )
}

async fn get(router: Router, uri: &str) -> Response<Body> {
    router
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn assert_security_headers(response: &Response<Body>, uri: &str) {
    let headers = response.headers();
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("{uri}: no Content-Security-Policy"));
    assert!(
        csp.to_str()
            .unwrap()
            .contains("frame-ancestors 'self' https://miro.com"),
        "{uri}: CSP {csp:?} does not let Miro frame the page"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{uri}");
    assert!(
        headers.get(header::X_FRAME_OPTIONS).is_none(),
        "{uri}: X-Frame-Options would block Miro's iframe"
    );
}

#[tokio::test]
async fn healthz_answers_ok_with_the_version() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let (router, _site) = router_with_site().await;
    let response = get(router, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response, "/healthz");
    let body: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn card_view_without_a_ticket_is_refused_with_a_nonced_strict_policy() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let (router, _site) = router_with_site().await;
    let response = get(router, "/cards/uXjVOfjkmAk%3D/3458764517517852417").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_security_headers(&response, "/cards/..");
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let html = body_text(response).await;
    assert!(html.contains("can't be shown"), "{html}");
    // Inline scripts run only with the nonce the policy names.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"));
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline') "), "{csp}");
    let inline_scripts = html.matches("<script>").count();
    assert_eq!(
        inline_scripts, 0,
        "every inline script carries a nonce: {html}"
    );
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    // The page loads its stylesheet and the hydration script.
    assert!(
        html.contains("/pkg/miro-cards.css"),
        "stylesheet missing: {html}"
    );
    assert!(
        html.contains("/pkg/miro-cards.js"),
        "hydration script missing: {html}"
    );
}

#[tokio::test]
async fn unknown_page_is_a_404_rendered_by_the_app() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let (router, _site) = router_with_site().await;
    let response = get(router, "/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&response, "/no/such/page");
    assert!(body_text(response).await.contains("Page not found"));
}

#[tokio::test]
async fn site_assets_are_served_with_the_security_headers() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let (router, _site) = router_with_site().await;
    let response = get(router, "/pkg/miro-cards.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response, "/pkg/miro-cards.css");
    assert_eq!(body_text(response).await, "body { margin: 0; }");
}

async fn get_with(router: Router, uri: &str, accept_encoding: &str) -> Response<Body> {
    router
        .oneshot(
            Request::get(uri)
                .header(header::ACCEPT_ENCODING, accept_encoding)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn bundle_files_go_out_precompressed_as_the_browser_asks_and_hashed_ones_are_immutable() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let site = tempdir::TempSite::new();
    // What `cargo leptos build --release -P` leaves: the file, its brotli and
    // gzip copies (marked here so the test sees which one was sent).
    site.write("pkg/miro-cards.h4sh.wasm", "raw wasm");
    site.write("pkg/miro-cards.h4sh.wasm.br", "brotli copy");
    site.write("pkg/miro-cards.h4sh.wasm.gz", "gzip copy");
    site.write(
        "tickets.js",
        &"// opens cards from the board; long enough to be worth compressing\n".repeat(4),
    );
    let leptos = LeptosOptions::builder()
        .output_name("miro-cards")
        .site_root(site.path())
        .build();
    let mut state = AppState::new(Config::sandbox(leptos.clone(), "http://127.0.0.1:3000"))
        .await
        .unwrap();
    state.hashed_assets = server::site::HashedAssets::parse("wasm: h4sh\n", &leptos);
    let router = app_router(state);

    let wasm = "/pkg/miro-cards.h4sh.wasm";
    for (accept, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "brotli copy"),
        ("br;q=1.0, gzip;q=0.8", Some("br"), "brotli copy"),
        ("gzip", Some("gzip"), "gzip copy"),
        ("identity", None, "raw wasm"),
    ] {
        let response = get_with(router.clone(), wasm, accept).await;
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{accept}"
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
        assert_security_headers(&response, wasm);
        assert_eq!(body_text(response).await, body, "{accept}");
    }

    // A file whose name does not change with its content is revalidated,
    // and compressed on the fly when it has no precompressed copy.
    let script = get_with(router.clone(), "/tickets.js", "br").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(script.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(script.headers()[header::CONTENT_ENCODING], "br");
    let modified = script.headers()[header::LAST_MODIFIED].clone();
    let again = router
        .clone()
        .oneshot(
            Request::get("/tickets.js")
                .header(header::IF_MODIFIED_SINCE, modified)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // A path that is no file: the app's 404 page, not cached.
    let missing = get(router, "/pkg/miro-cards.0ld.wasm").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn pages_are_compressed_and_never_stored() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let (router, _site) = router_with_site().await;
    for uri in [
        "/",
        "/cards/uXjVOfjkmAk%3D/3458764517517852417?ticket=forged",
        "/no/such/page",
    ] {
        let response = get_with(router.clone(), uri, "gzip, br").await;
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "no-store",
            "{uri}"
        );
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br", "{uri}");
        let plain = get(router.clone(), uri).await;
        assert!(
            plain.headers().get(header::CONTENT_ENCODING).is_none(),
            "{uri}"
        );
        assert!(body_text(plain).await.contains("</html>"), "{uri}");
    }
}

#[tokio::test]
async fn with_miro_credentials_the_sandbox_is_not_served() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let site = tempdir::TempSite::new();
    let leptos = LeptosOptions::builder()
        .output_name("miro-cards")
        .site_root(site.path())
        .build();
    let mut config = Config::sandbox(leptos, "https://cards.example.com");
    config.mode = Mode::Miro {
        client_id: "3458764600000000009".to_owned(),
        client_secret: Secret::new("not-for-the-sandbox"),
    };
    let state = AppState::new(config).await.unwrap();
    assert!(state.sandbox.is_none());
    let router = app_router(state);
    for path in [
        "/.well-known/miro-sandbox",
        "/sandbox/api/v2/boards",
        "/sandbox/boards/uXjVSandbox1%3D",
        "/sandbox/admin/faults",
    ] {
        let response = get(router.clone(), path).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{path} is served against real Miro"
        );
    }
    assert_eq!(get(router, "/healthz").await.status(), StatusCode::OK);
}

/// A throwaway site root, removed when dropped.
mod tempdir {
    pub struct TempSite(tempfile::TempDir);

    impl TempSite {
        pub fn new() -> Self {
            Self(tempfile::tempdir().unwrap())
        }

        pub fn path(&self) -> String {
            self.0.path().to_string_lossy().into_owned()
        }

        pub fn write(&self, relative: &str, contents: &str) {
            let file = self.0.path().join(relative);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, contents).unwrap();
        }
    }
}
