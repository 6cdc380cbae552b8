-- The `state` of each install the app started (`GET /oauth/install`),
-- by hash, until the browser comes back to `/oauth/callback` with it or it
-- expires. Taking it deletes it, so a state works once.
create table oauth_states (
    hash text primary key,
    expires_at integer not null
);
create index oauth_states_by_expiry on oauth_states (expires_at);
