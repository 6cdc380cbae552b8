-- PostgreSQL twin of migrations/sqlite/0001_init.sql: the same tables and
-- columns with the same meaning; change both together.
--
-- Times are UNIX seconds (bigint); ids are text (Miro item ids exceed 2^53
-- and board ids contain '='). Id-like text columns use the "C" collation:
-- SQLite compares text byte by byte, and so does "C", so both stores sort
-- ids and page through them in the same order whatever locale this
-- database was created with. Record fields are jsonb, so searches and
-- facets read them with PostgreSQL's JSON operators.

-- One row per Miro user + team that installed the app. Tokens are sealed
-- with APP_SECRET_KEY (store/seal.rs): the database never holds them in
-- clear.
create table installations (
    user_id text collate "C" not null,
    team_id text collate "C" not null,
    access_token bytea not null,
    refresh_token bytea,
    expires_at bigint,
    scopes text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (user_id, team_id)
);

-- The source of truth behind cards. `fields` is the JSON of
-- app::cards::RecordFields at `version`.
create table records (
    id text collate "C" primary key,
    connector text collate "C" not null,
    external_id text collate "C" not null,
    version bigint not null,
    fields jsonb not null,
    source_deleted boolean not null default false,
    created_at bigint not null,
    updated_at bigint not null,
    unique (connector, external_id)
);

-- Every version a record has had, so a conflict can show what the
-- losing editor started from.
create table record_versions (
    record_id text collate "C" not null references records (id),
    version bigint not null,
    fields jsonb not null,
    origin text not null,
    actor text not null,
    created_at bigint not null,
    primary key (record_id, version)
);

-- Cards on boards and the record each shows. `record_id` is null for a
-- card that was disconnected but is still on its board. The installation
-- (user_id, team_id) is whose token writes the card. `last_hash` is the
-- hash of the preview last written, so a write of the same content is
-- skipped.
create table card_links (
    board_id text collate "C" not null,
    item_id text collate "C" not null,
    record_id text collate "C" references records (id),
    user_id text collate "C" not null,
    team_id text collate "C" not null,
    status text not null,
    last_hash text,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (board_id, item_id)
);
create index card_links_by_record on card_links (record_id);

-- Card writes still to be done. A row only names the card: what is
-- written is rendered from the record when the row is drained, so several
-- rows for one card collapse into one write of the newest content.
create table outbox (
    id bigserial primary key,
    board_id text collate "C" not null,
    item_id text collate "C" not null,
    origin text not null,
    state text not null default 'pending',
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null
);
create index outbox_due on outbox (state, next_attempt_at);
create index outbox_by_card on outbox (board_id, item_id, state);

-- Who changed what, from which side, when, with what result.
create table sync_log (
    id bigserial primary key,
    at bigint not null,
    record_id text collate "C",
    board_id text collate "C",
    item_id text collate "C",
    origin text not null,
    actor text not null,
    action text not null,
    result text not null
);
create index sync_log_by_record on sync_log (record_id);
