-- PostgreSQL twin of migrations/sqlite/0002_tickets.sql; change both
-- together.
--
-- One-time tickets that open a card's detail view (cards/tickets.rs).
-- Only a hash of each ticket is kept: reading the database gives no
-- usable ticket.
create table tickets (
    hash text collate "C" primary key,
    user_id text collate "C" not null,
    team_id text collate "C" not null,
    board_id text collate "C" not null,
    item_id text collate "C" not null,
    expires_at bigint not null,
    created_at bigint not null
);
create index tickets_by_expiry on tickets (expires_at);
