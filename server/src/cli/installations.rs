//! `server installations`: who has installed the app (team, user, when, how
//! their tokens stand; never a token), and `server installations revoke
//! TEAM USER`: revokes that user's token at Miro (or the sandbox) and
//! deletes the installation here. Reads the store at `DATABASE_URL` with
//! `APP_SECRET_KEY` (or the generated key beside the database), as the
//! server does.

use crate::clock::now;
use std::io::Write;

use anyhow::Context as _;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::connect::{app_oauth, given};
use crate::{
    config::{Settings, DEFAULT_DATABASE_URL},
    miro::{MiroError, Secret, TokenKey},
    state::open_store_at,
    store::{Installation, Store},
};

async fn open(settings: &Settings) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let url = given(&settings.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let key = given(&settings.secret_key).map(Secret::new);
    let (store, _) = open_store_at(&url, key.as_ref()).await?;
    Ok(store)
}

/// Prints one line per installation.
pub async fn list(settings: &Settings, out: &mut dyn Write) -> anyhow::Result<bool> {
    let installations = open(settings).await?.installation_list().await?;
    if installations.is_empty() {
        let _ = writeln!(out, "no installations");
        return Ok(true);
    }
    let _ = writeln!(
        out,
        "{:<20}  {:<20}  {:<20}  tokens",
        "team", "user", "installed"
    );
    for installation in &installations {
        let _ = writeln!(
            out,
            "{:<20}  {:<20}  {:<20}  {}",
            installation.key.team_id,
            installation.key.user_id,
            timestamp(installation.installed_at),
            token_state(installation, now())
        );
    }
    Ok(true)
}

/// How an installation's tokens stand at `now`, in words.
fn token_state(installation: &Installation, now: i64) -> String {
    let refreshed = format!("last refreshed {}", timestamp(installation.updated_at));
    match installation.expires_at {
        None => "valid, never expire".to_owned(),
        Some(at) if at > now => format!("valid until {} ({refreshed})", timestamp(at)),
        Some(at) if installation.refreshable => {
            format!(
                "expired {}, refreshed on next use ({refreshed})",
                timestamp(at)
            )
        }
        Some(at) => format!(
            "expired {} and cannot be refreshed: reconnect",
            timestamp(at)
        ),
    }
}

fn timestamp(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Revokes the user's token at Miro, then forgets the installation.
pub async fn revoke(
    settings: &Settings,
    team_id: &str,
    user_id: &str,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let store = open(settings).await?;
    let key = TokenKey {
        user_id: user_id.to_owned(),
        team_id: team_id.to_owned(),
    };
    let tokens = store
        .load_tokens(&key)
        .await?
        .with_context(|| format!("no installation for team {team_id}, user {user_id}"))?;
    let (oauth, at) = app_oauth(settings).await?;
    match oauth.revoke(&tokens.access_token).await {
        Ok(()) => {
            let _ = writeln!(out, "revoked the token at {at}");
        }
        // Already dead there: nothing left to revoke.
        Err(MiroError::NotFound(_) | MiroError::Unauthorized(_)) => {
            let _ = writeln!(out, "{at} no longer knew the token");
        }
        Err(error) => {
            return Err(anyhow::Error::new(error).context(format!(
                "could not revoke the token at {at}; the installation is kept, try again"
            )))
        }
    }
    store.forget_tokens(&key).await?;
    let _ = writeln!(
        out,
        "deleted the installation of team {team_id}, user {user_id}"
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installation(expires_at: Option<i64>, refreshable: bool) -> Installation {
        Installation {
            key: TokenKey {
                user_id: "u".to_owned(),
                team_id: "t".to_owned(),
            },
            installed_at: 0,
            updated_at: 60,
            expires_at,
            refreshable,
        }
    }

    #[test]
    fn token_states_read_as_words() {
        assert_eq!(
            token_state(&installation(None, false), 100),
            "valid, never expire"
        );
        assert!(token_state(&installation(Some(200), true), 100).starts_with("valid until"));
        assert!(token_state(&installation(Some(50), true), 100).contains("refreshed on next use"));
        assert!(token_state(&installation(Some(50), false), 100).ends_with("reconnect"));
    }
}
