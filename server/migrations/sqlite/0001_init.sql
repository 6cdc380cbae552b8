-- The store's first schema. Times are UNIX seconds; ids are text (Miro
-- item ids exceed 2^53 and board ids contain '=').

-- One row per Miro user + team that installed the app. Tokens are sealed
-- with APP_SECRET_KEY (store/seal.rs): the file never holds them in clear.
create table installations (
    user_id text not null,
    team_id text not null,
    access_token blob not null,
    refresh_token blob,
    expires_at integer,
    scopes text not null,
    created_at integer not null,
    updated_at integer not null,
    primary key (user_id, team_id)
);

-- The source of truth behind cards. `fields` is the JSON of
-- app::cards::RecordFields at `version`.
create table records (
    id text primary key,
    connector text not null,
    external_id text not null,
    version integer not null,
    fields text not null,
    source_deleted integer not null default 0,
    created_at integer not null,
    updated_at integer not null,
    unique (connector, external_id)
);

-- Every version a record has had, so a conflict can show what the
-- losing editor started from.
create table record_versions (
    record_id text not null references records (id),
    version integer not null,
    fields text not null,
    origin text not null,
    actor text not null,
    created_at integer not null,
    primary key (record_id, version)
);

-- Cards on boards and the record each shows. `record_id` is null for a
-- card that was disconnected but is still on its board. The installation
-- (user_id, team_id) is whose token writes the card. `last_hash` is the
-- hash of the preview last written, so a write of the same content is
-- skipped.
create table card_links (
    board_id text not null,
    item_id text not null,
    record_id text references records (id),
    user_id text not null,
    team_id text not null,
    status text not null,
    last_hash text,
    created_at integer not null,
    updated_at integer not null,
    primary key (board_id, item_id)
);
create index card_links_by_record on card_links (record_id);

-- Card writes still to be done. A row only names the card: what is
-- written is rendered from the record when the row is drained, so several
-- rows for one card collapse into one write of the newest content.
create table outbox (
    id integer primary key autoincrement,
    board_id text not null,
    item_id text not null,
    origin text not null,
    state text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at integer not null,
    last_error text,
    created_at integer not null,
    updated_at integer not null
);
create index outbox_due on outbox (state, next_attempt_at);
create index outbox_by_card on outbox (board_id, item_id, state);

-- Who changed what, from which side, when, with what result.
create table sync_log (
    id integer primary key autoincrement,
    at integer not null,
    record_id text,
    board_id text,
    item_id text,
    origin text not null,
    actor text not null,
    action text not null,
    result text not null
);
create index sync_log_by_record on sync_log (record_id);
