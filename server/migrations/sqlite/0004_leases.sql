-- Several processes on one database (a server and `server sync`; several
-- instances on PostgreSQL) must not write a card, or refresh a token, at
-- the same time. A lease is a row naming its holder and when it ends: the
-- holder deletes it when done, and a holder that died stops holding it
-- once `until` (UNIX seconds) has passed.

-- Who is writing a card now.
create table card_leases (
    board_id text not null,
    item_id text not null,
    holder text not null,
    until integer not null,
    primary key (board_id, item_id)
);

-- Who is refreshing an installation's tokens now (Miro rotates refresh
-- tokens: two refreshes at once would spend the same one twice).
create table refresh_leases (
    user_id text not null,
    team_id text not null,
    holder text not null,
    until integer not null,
    primary key (user_id, team_id)
);

-- A write being sent to Miro: set just before the PATCH, cleared once the
-- write is known done. Still set when the next writer takes the card, the
-- last PATCH failed, went unanswered or its writer died: it may have
-- landed, so the next writer reads the card before writing it again.
alter table outbox add column in_flight integer not null default 0;
