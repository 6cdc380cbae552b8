-- PostgreSQL twin of migrations/sqlite/0005_github_deliveries.sql; change
-- both together.
--
-- The GitHub webhook deliveries the app has handled, by GitHub's delivery
-- id (`X-GitHub-Delivery`), so a repeated delivery (GitHub's redeliver
-- button, or a sender retrying) is not applied twice. A delivery whose
-- handling failed is removed again, so its redelivery is applied. Rows
-- older than 30 days are cleared as new ones come in.
create table github_deliveries (
    delivery_id text collate "C" primary key,
    received_at bigint not null
);
create index github_deliveries_by_age on github_deliveries (received_at);
