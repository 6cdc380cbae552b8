-- PostgreSQL twin of migrations/sqlite/0003_oauth_states.sql; change both
-- together.
--
-- The `state` of each install the app started (`GET /oauth/install`),
-- by hash, until the browser comes back to `/oauth/callback` with it or it
-- expires. Taking it deletes it, so a state works once.
create table oauth_states (
    hash text collate "C" primary key,
    expires_at bigint not null
);
create index oauth_states_by_expiry on oauth_states (expires_at);
