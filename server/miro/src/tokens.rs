//! Keeps each (user, team)'s Miro tokens usable: hands out an access token,
//! refreshing it shortly before it expires.
//!
//! Miro rotates both tokens on every refresh, so two refreshes of the same
//! token at once would leave the loser holding a dead refresh token and
//! log the user out. Refreshes of one key therefore run one at a time: the
//! second caller waits for the first, then finds the fresh token in the
//! store and uses it. Within a process a mutex serialises them; across
//! processes on one database (a server and `server sync`, or several
//! instances) the store's refresh lease does ([`TokenStore::claim_refresh`]):
//! the refresh runs under it, and a process that finds it held waits for
//! the fresh token to appear in the store. A refresh token Miro rejects
//! means the user must connect the app again: the tokens are forgotten and
//! [`TokenError::ReconnectNeeded`] is returned.
//!
//! Tokens are kept with the authority that issued them ([`StoredTokens::issuer`]).
//! A token is only ever sent to that authority: one issued by another (real
//! Miro's, met by a server started as a sandbox on the same database, or
//! the other way round) is neither used nor refreshed, and a refusal is
//! only believed, and the tokens forgotten, when the issuer itself refused.
//! Tokens kept before the issuer was recorded are used as they are, but a
//! refused refresh of one forgets nothing.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{
    budget::unix_now,
    oauth::{OAuthClient, TokenGrant},
    Access, MiroError, Secret,
};

/// Whose tokens: a Miro user in a team.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub user_id: String,
    pub team_id: String,
}

/// Tokens as stored.
#[derive(Clone, Debug)]
pub struct StoredTokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// UNIX seconds; `None` for tokens that do not expire.
    pub expires_at: Option<u64>,
    pub scopes: String,
    /// Who issued them ([`crate::MiroClient::issuer`]); `None` for tokens
    /// stored before the issuer was recorded.
    pub issuer: Option<String>,
}

impl StoredTokens {
    /// Tokens from a grant `issuer` made now.
    pub fn from_grant(grant: &TokenGrant, issuer: &str) -> Self {
        Self {
            access_token: grant.access_token.clone(),
            refresh_token: grant.refresh_token.clone(),
            expires_at: grant.expires_in.map(|s| unix_now() + s),
            scopes: grant.scope.clone(),
            issuer: Some(issuer.to_owned()),
        }
    }

    /// Whether `issuer` issued these tokens, as far as is known: tokens
    /// with no recorded issuer count as issued by anyone.
    fn may_be_from(&self, issuer: &str) -> bool {
        self.issuer.as_deref().is_none_or(|known| known == issuer)
    }

    fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= unix_now() + margin.as_secs())
    }
}

/// Where tokens live (the database in production; memory in tests).
pub trait TokenStore: Send + Sync {
    fn load(
        &self,
        key: &TokenKey,
    ) -> impl Future<Output = Result<Option<StoredTokens>, String>> + Send;
    fn save(
        &self,
        key: &TokenKey,
        tokens: &StoredTokens,
    ) -> impl Future<Output = Result<(), String>> + Send;
    fn forget(&self, key: &TokenKey) -> impl Future<Output = Result<(), String>> + Send;
    /// Takes the right to refresh `key`'s tokens, across every process
    /// that shares the store, for `lease`: false while `holder` is not the
    /// one holding it. A store that only one process uses needs nothing
    /// more than the manager's own mutex.
    fn claim_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<bool, String>> + Send {
        let _ = (key, holder, lease);
        async { Ok(true) }
    }
    /// Gives the right back.
    fn release_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
    ) -> impl Future<Output = Result<(), String>> + Send {
        let _ = (key, holder);
        async { Ok(()) }
    }
}

/// How long a refresh may hold its lease: a refresh is one call to Miro,
/// and a holder that died is waited for no longer than this.
pub const REFRESH_LEASE: Duration = Duration::from_secs(30);

/// Why no usable access token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("this Miro user has not connected the app")]
    NotConnected,
    /// The stored tokens were issued by another authority (another Miro
    /// app, or a sandbox): they are kept, untouched, and never sent here.
    #[error("this Miro user's stored connection was made with another Miro app or a sandbox; connect the app again")]
    OtherIssuer,
    #[error("Miro no longer accepts this connection; connect the app again")]
    ReconnectNeeded,
    #[error(transparent)]
    Miro(#[from] MiroError),
    #[error("token store: {0}")]
    Store(String),
}

/// Hands out access tokens, refreshing them in time.
pub struct TokenManager<S> {
    oauth: OAuthClient,
    store: S,
    /// Names this manager's refresh leases in the store.
    holder: String,
    /// Refresh when the token expires within this margin.
    pub refresh_margin: Duration,
    locks: Mutex<HashMap<TokenKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl<S: TokenStore> TokenManager<S> {
    pub fn new(oauth: OAuthClient, store: S) -> Self {
        Self {
            oauth,
            store,
            holder: holder_id(),
            refresh_margin: Duration::from_secs(120),
            locks: Mutex::default(),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The authority this manager's tokens come from.
    pub fn issuer(&self) -> String {
        self.oauth.client.issuer()
    }

    /// Exchanges an authorization code and stores the tokens.
    pub async fn connect(&self, code: &str, redirect_uri: &str) -> Result<TokenKey, TokenError> {
        let grant = self.oauth.exchange_code(code, redirect_uri).await?;
        let key = TokenKey {
            user_id: grant.user_id.clone(),
            team_id: grant.team_id.clone(),
        };
        self.store
            .save(&key, &StoredTokens::from_grant(&grant, &self.issuer()))
            .await
            .map_err(TokenError::Store)?;
        Ok(key)
    }

    /// A usable access token for `key`, refreshed first if it is about to
    /// expire.
    pub async fn access(&self, key: &TokenKey) -> Result<Access, TokenError> {
        let tokens = self.load(key).await?;
        if !tokens.expires_within(self.refresh_margin) {
            return Ok(self.to_access(key, tokens));
        }
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let _one_at_a_time = lock.lock().await;
        // Whoever held the lock before may have refreshed already.
        let tokens = self.load(key).await?;
        if !tokens.expires_within(self.refresh_margin) {
            return Ok(self.to_access(key, tokens));
        }
        // Then the lease across processes; whoever held it may have
        // refreshed meanwhile too.
        let Some(tokens) = self.hold_refresh_lease(key).await? else {
            let tokens = self.load(key).await?;
            return Ok(self.to_access(key, tokens));
        };
        let result = self.refresh_now(key, tokens).await;
        if let Err(error) = self.store.release_refresh(key, &self.holder).await {
            tracing::warn!(%error, "could not release the token refresh lease; it ends by itself");
        }
        result
    }

    /// Waits for the store's refresh lease and takes it. Answers the tokens
    /// to refresh, or `None` when another process refreshed them meanwhile.
    async fn hold_refresh_lease(&self, key: &TokenKey) -> Result<Option<StoredTokens>, TokenError> {
        let started = std::time::Instant::now();
        loop {
            let claimed = self
                .store
                .claim_refresh(key, &self.holder, REFRESH_LEASE)
                .await
                .map_err(TokenError::Store)?;
            let tokens = self.load(key).await?;
            if !tokens.expires_within(self.refresh_margin) {
                if claimed {
                    let _ = self.store.release_refresh(key, &self.holder).await;
                }
                return Ok(None);
            }
            if claimed {
                return Ok(Some(tokens));
            }
            // Another process is refreshing: its lease ends by
            // REFRESH_LEASE at the latest, and then ours can be taken.
            if started.elapsed() > REFRESH_LEASE * 2 {
                return Err(TokenError::Store(
                    "another process holds the token refresh lease".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Refreshes `tokens` with Miro and stores the new ones.
    async fn refresh_now(
        &self,
        key: &TokenKey,
        tokens: StoredTokens,
    ) -> Result<Access, TokenError> {
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return Err(TokenError::ReconnectNeeded);
        };
        match self.oauth.refresh(&refresh_token).await {
            Ok(grant) => {
                let fresh = StoredTokens::from_grant(&grant, &self.issuer());
                self.store
                    .save(key, &fresh)
                    .await
                    .map_err(TokenError::Store)?;
                tracing::info!(user = %key.user_id, team = %key.team_id, "refreshed the Miro token");
                Ok(self.to_access(key, fresh))
            }
            Err(
                MiroError::InvalidInput { .. }
                | MiroError::Unauthorized(_)
                | MiroError::Forbidden(_),
            ) => {
                // Only the issuer's own refusal says the tokens are dead;
                // tokens of unknown origin are left for a reconnect to
                // replace.
                if tokens.issuer.as_deref() == Some(self.issuer().as_str()) {
                    tracing::warn!(user = %key.user_id, team = %key.team_id, "Miro rejected the refresh token; reconnect needed");
                    self.store.forget(key).await.map_err(TokenError::Store)?;
                } else {
                    tracing::warn!(user = %key.user_id, team = %key.team_id, "Miro rejected a refresh token of unknown origin; kept until the user reconnects");
                }
                Err(TokenError::ReconnectNeeded)
            }
            // Miro unavailable: the current token may still work a while.
            Err(error) if !tokens.expires_within(Duration::ZERO) => {
                tracing::warn!(%error, "token refresh failed; using the current token until it expires");
                Ok(self.to_access(key, tokens))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The stored tokens, if they may be sent to this manager's issuer.
    async fn load(&self, key: &TokenKey) -> Result<StoredTokens, TokenError> {
        let tokens = self
            .store
            .load(key)
            .await
            .map_err(TokenError::Store)?
            .ok_or(TokenError::NotConnected)?;
        if !tokens.may_be_from(&self.issuer()) {
            return Err(TokenError::OtherIssuer);
        }
        Ok(tokens)
    }

    fn to_access(&self, key: &TokenKey, tokens: StoredTokens) -> Access {
        Access {
            user_id: key.user_id.clone(),
            token: tokens.access_token,
        }
    }
}

/// A name for this process's manager: its process id and random bits.
fn holder_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", std::process::id())
}

/// Tokens kept in memory: for tests and single-process tools.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<TokenKey, StoredTokens>>,
}

impl TokenStore for MemoryTokenStore {
    async fn load(&self, key: &TokenKey) -> Result<Option<StoredTokens>, String> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }

    async fn save(&self, key: &TokenKey, tokens: &StoredTokens) -> Result<(), String> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), tokens.clone());
        Ok(())
    }

    async fn forget(&self, key: &TokenKey) -> Result<(), String> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        Ok(())
    }
}
