//! Configurations that must not start: the server binary, run as an
//! operator would, exits non-zero with a message that names what to fix,
//! rather than serving something other than what was meant.

use std::process::{Command, Stdio};

/// Runs the server binary in an empty folder (no `.env`) with only `env`
/// set; returns its exit code and what it printed, or `None` when it did
/// not exit within 10 s (it started serving).
fn run_server(env: &[(&str, &str)]) -> Option<(i32, String)> {
    let temp = tempfile::tempdir().unwrap();
    let folder = temp.path().to_path_buf();
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(&folder)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db", folder.display()),
        )
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&output.stderr).into_owned()
                + &String::from_utf8_lossy(&output.stdout);
            return Some((status.code().unwrap_or(-1), text));
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

const MIRO: [(&str, &str); 3] = [
    ("MIRO_CLIENT_ID", "3458764600000000009"),
    ("MIRO_CLIENT_SECRET", "a-real-apps-secret"),
    ("MIRO_ALLOWED_TEAMS", "3458764500000000009"),
];
/// The README's production set-up behind a proxy, without Miro's
/// credentials.
const PRODUCTION: [(&str, &str); 3] = [
    ("APP_PUBLIC_URL", "https://cards.example.org"),
    KEY,
    ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
];
const KEY: (&str, &str) = (
    "APP_SECRET_KEY",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
);

#[test]
fn the_sandbox_does_not_listen_beyond_loopback_unless_told_to() {
    let (code, text) = run_server(&[("LEPTOS_SITE_ADDR", "0.0.0.0:0")]).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("not a loopback address"), "{text}");
    assert!(text.contains("SANDBOX_PUBLIC=1"), "{text}");
    // Opted in, it starts (and is stopped by the test).
    assert!(
        run_server(&[("LEPTOS_SITE_ADDR", "0.0.0.0:0"), ("SANDBOX_PUBLIC", "1")]).is_none(),
        "with SANDBOX_PUBLIC=1 the sandbox serves"
    );
}

#[test]
fn with_miro_credentials_a_secret_key_and_an_https_public_url_are_required() {
    let (code, text) = run_server(&MIRO).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("also set APP_SECRET_KEY"), "{text}");

    let mut env = MIRO.to_vec();
    env.push(KEY);
    let (code, text) = run_server(&env).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("APP_PUBLIC_URL must be set"), "{text}");

    let mut env = MIRO.to_vec();
    env.extend([KEY, ("APP_PUBLIC_URL", "http://cards.example.org")]);
    let (code, text) = run_server(&env).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("APP_PUBLIC_URL must be set to the https address"),
        "{text}"
    );
    assert!(
        !text.contains("APP_SECRET_KEY"),
        "the key was given: {text}"
    );

    let (code, text) = run_server(&[MIRO[0]]).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("MIRO_CLIENT_SECRET"), "{text}");
}

#[test]
fn a_production_set_up_without_miro_credentials_does_not_start_a_sandbox() {
    let (code, text) = run_server(&PRODUCTION).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("APP_PUBLIC_URL is https") && text.contains("APP_SECRET_KEY is set"),
        "{text}"
    );
    assert!(
        text.contains("Set MIRO_CLIENT_ID, MIRO_CLIENT_SECRET"),
        "{text}"
    );
    assert!(
        !text.contains("AAAAAAAA"),
        "the key is never printed: {text}"
    );
    // Either sign alone is enough.
    for (sign, named) in [
        (PRODUCTION[0], "APP_PUBLIC_URL is https"),
        (PRODUCTION[1], "APP_SECRET_KEY is set"),
    ] {
        let (code, text) =
            run_server(&[sign, ("LEPTOS_SITE_ADDR", "127.0.0.1:0")]).expect("it exits");
        assert_eq!(code, 1, "{text}");
        assert!(text.contains(named), "{text}");
    }
    // With nothing that says production, the sandbox starts as before.
    assert!(run_server(&[("LEPTOS_SITE_ADDR", "127.0.0.1:0")]).is_none());
}

#[test]
fn with_miro_credentials_the_allowed_teams_are_required() {
    let mut env = MIRO[..2].to_vec();
    env.extend(PRODUCTION);
    let (code, text) = run_server(&env).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("also set MIRO_ALLOWED_TEAMS"), "{text}");

    env.push(("MIRO_ALLOWED_TEAMS", "34587645000000000<b>"));
    let (code, text) = run_server(&env).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("is not a Miro team id"), "{text}");
}

#[test]
fn a_complete_miro_configuration_starts() {
    let mut env = MIRO.to_vec();
    env.extend([
        KEY,
        ("APP_PUBLIC_URL", "https://cards.example.org"),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
    ]);
    assert!(run_server(&env).is_none(), "it serves");
}

#[test]
fn a_half_configured_github_connector_does_not_start() {
    let (code, text) =
        run_server(&[("GITHUB_REPOSITORIES", "octo-org/roadmap")]).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("half-configured"), "{text}");
    assert!(
        text.contains("GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET missing"),
        "{text}"
    );

    let (code, text) = run_server(&[
        ("GITHUB_REPOSITORIES", "octo-org/roadmap"),
        ("GITHUB_TOKEN", "ghp_never_printed"),
        ("GITHUB_WEBHOOK_SECRET", "0123456789abcdef0123"),
        ("GITHUB_API_URL", "http://github.example.com/api/v3"),
    ])
    .expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("must be https"), "{text}");
    assert!(!text.contains("ghp_never_printed"), "{text}");
}

#[test]
fn trusted_proxies_that_are_not_addresses_do_not_start() {
    let (code, text) =
        run_server(&[("TRUSTED_PROXIES", "127.0.0.1, proxy.example.org")]).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("TRUSTED_PROXIES"), "{text}");
    assert!(
        text.contains("'proxy.example.org' is not an IP address"),
        "{text}"
    );
    let (code, text) = run_server(&[("TRUSTED_PROXIES", "10.0.0.0/40")]).expect("it exits");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("from 0 to 32"), "{text}");
}
