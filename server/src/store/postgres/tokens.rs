//! Installations: each (user, team)'s Miro tokens, sealed before they
//! are written and opened after they are read. Each method is a single
//! statement (the save an upsert), so instances saving one installation at
//! once leave one whole set of tokens, never a mix.

use sqlx::{PgPool, Row};

use crate::{
    miro::{Secret, StoredTokens, TokenKey},
    store::{now, SecretKey, StoreError, StoreResult},
};

/// What a sealed token is bound to: its row and column. The same as the
/// SQLite store's, so a sealed value means the same in either database.
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

pub async fn save(
    pool: &PgPool,
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
    sqlx::query(
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
    )
    .bind(&key.user_id)
    .bind(&key.team_id)
    .bind(access)
    .bind(refresh)
    .bind(expires_at)
    .bind(&tokens.scopes)
    .bind(&tokens.issuer)
    .bind(now())
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn load(
    pool: &PgPool,
    secret: &SecretKey,
    key: &TokenKey,
) -> StoreResult<Option<StoredTokens>> {
    let row = sqlx::query(
        "select access_token, refresh_token, expires_at, scopes, issuer from installations
         where user_id = $1 and team_id = $2",
    )
    .bind(&key.user_id)
    .bind(&key.team_id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let access: Vec<u8> = row.try_get("access_token")?;
    let refresh: Option<Vec<u8>> = row.try_get("refresh_token")?;
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    Ok(Some(StoredTokens {
        access_token: open(secret, key, "access_token", &access)?,
        refresh_token: refresh
            .map(|sealed| open(secret, key, "refresh_token", &sealed))
            .transpose()?,
        expires_at: expires_at.map(|at| at.max(0) as u64),
        scopes: row.try_get("scopes")?,
        issuer: row.try_get("issuer")?,
    }))
}

pub async fn forget(pool: &PgPool, key: &TokenKey) -> StoreResult<()> {
    sqlx::query("delete from installations where user_id = $1 and team_id = $2")
        .bind(&key.user_id)
        .bind(&key.team_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn list(pool: &PgPool) -> StoreResult<Vec<TokenKey>> {
    // The key breaks ties between installations made in the same second,
    // so the order is the same on every call (SQLite falls back to its
    // row order).
    let rows = sqlx::query(
        "select user_id, team_id from installations order by created_at, user_id, team_id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TokenKey {
                user_id: row.try_get("user_id")?,
                team_id: row.try_get("team_id")?,
            })
        })
        .collect()
}

pub async fn describe(pool: &PgPool) -> StoreResult<Vec<crate::store::Installation>> {
    let rows = sqlx::query(
        "select user_id, team_id, created_at, updated_at, expires_at,
                refresh_token is not null as refreshable
         from installations order by team_id, user_id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(crate::store::Installation {
                key: TokenKey {
                    user_id: row.try_get("user_id")?,
                    team_id: row.try_get("team_id")?,
                },
                installed_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                expires_at: row.try_get("expires_at")?,
                refreshable: row.try_get("refreshable")?,
            })
        })
        .collect()
}
