-- One-time tickets that open a card's detail view (cards/tickets.rs).
-- Only a hash of each ticket is kept: reading the database gives no
-- usable ticket.
create table tickets (
    hash text primary key,
    user_id text not null,
    team_id text not null,
    board_id text not null,
    item_id text not null,
    expires_at integer not null,
    created_at integer not null
);
create index tickets_by_expiry on tickets (expires_at);
