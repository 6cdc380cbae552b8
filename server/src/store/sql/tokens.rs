//! Installations: each (user, team)'s Miro tokens, sealed before they
//! are written and opened after they are read. Each method is a single
//! statement (the save an upsert), so instances saving one installation at
//! once leave one whole set of tokens, never a mix.

use super::{
    db::{execute, fetch_all, fetch_optional, Db},
    rows::Columns,
};
use crate::clock::now;
use crate::{
    miro::{Secret, StoredTokens, TokenKey},
    store::{Installation, SecretKey, StoreError, StoreResult},
};

/// The key tokens are sealed with.
/// What a sealed token is bound to: its row and column. A sealed value
/// means the same in either database.
fn context(key: &TokenKey, column: &str) -> Vec<u8> {
    format!("installations/{}/{}/{column}", key.user_id, key.team_id).into_bytes()
}

fn open(secret: &SecretKey, key: &TokenKey, column: &str, sealed: &[u8]) -> StoreResult<Secret> {
    let plain = secret
        .open(sealed, &context(key, column))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    String::from_utf8(plain)
        .map(Secret::new)
        .map_err(|_| StoreError::Corrupt("a stored token is not text".to_owned()))
}

pub(in crate::store) async fn save(
    db: &Db,
    secret: &SecretKey,
    key: &TokenKey,
    tokens: &StoredTokens,
) -> StoreResult<()> {
    let access = secret.seal(
        tokens.access_token.expose().as_bytes(),
        &context(key, "access_token"),
    );
    let refresh = tokens
        .refresh_token
        .as_ref()
        .map(|t| secret.seal(t.expose().as_bytes(), &context(key, "refresh_token")));
    let expires_at = tokens.expires_at.map(|at| at as i64);
    execute!(
        pool(db),
        "insert into installations
             (user_id, team_id, access_token, refresh_token, expires_at, scopes, issuer, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         on conflict (user_id, team_id) do update set
             access_token = excluded.access_token,
             refresh_token = excluded.refresh_token,
             expires_at = excluded.expires_at,
             scopes = excluded.scopes,
             issuer = excluded.issuer,
             updated_at = excluded.updated_at",
        [
            &key.user_id,
            &key.team_id,
            &access,
            &refresh,
            expires_at,
            &tokens.scopes,
            &tokens.issuer,
            now()
        ]
    )?;
    Ok(())
}

pub(in crate::store) async fn load(
    db: &Db,
    secret: &SecretKey,
    key: &TokenKey,
) -> StoreResult<Option<StoredTokens>> {
    fetch_optional!(
        pool(db),
        "select access_token, refresh_token, expires_at, scopes, issuer from installations
         where user_id = $1 and team_id = $2",
        [&key.user_id, &key.team_id],
        |row| {
            Ok(StoredTokens {
                access_token: open(secret, key, "access_token", &row.bytes("access_token")?)?,
                refresh_token: row
                    .maybe_bytes("refresh_token")?
                    .map(|sealed| open(secret, key, "refresh_token", &sealed))
                    .transpose()?,
                expires_at: row.maybe_int("expires_at")?.map(|at| at.max(0) as u64),
                scopes: row.text("scopes")?,
                issuer: row.maybe_text("issuer")?,
            })
        }
    )
}

pub(in crate::store) async fn forget(db: &Db, key: &TokenKey) -> StoreResult<()> {
    execute!(
        pool(db),
        "delete from installations where user_id = $1 and team_id = $2",
        [&key.user_id, &key.team_id]
    )?;
    Ok(())
}

/// Every installation, oldest first. The key breaks ties between
/// installations made in the same second, so the order is the same on
/// every call.
pub(in crate::store) async fn list(db: &Db) -> StoreResult<Vec<TokenKey>> {
    fetch_all!(
        pool(db),
        "select user_id, team_id from installations order by created_at, user_id, team_id",
        [],
        token_key
    )
}

/// Every installation as the admin page lists it, by team then user.
pub(in crate::store) async fn describe(db: &Db) -> StoreResult<Vec<Installation>> {
    fetch_all!(
        pool(db),
        "select user_id, team_id, created_at, updated_at, expires_at,
                refresh_token is not null as refreshable
         from installations order by team_id, user_id",
        [],
        |row| {
            Ok(Installation {
                key: token_key(row)?,
                installed_at: row.int("created_at")?,
                updated_at: row.int("updated_at")?,
                expires_at: row.maybe_int("expires_at")?,
                refreshable: row.flag("refreshable")?,
            })
        }
    )
}

fn token_key(row: &impl Columns) -> StoreResult<TokenKey> {
    Ok(TokenKey {
        user_id: row.text("user_id")?,
        team_id: row.text("team_id")?,
    })
}
