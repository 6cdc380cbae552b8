-- The panel's health counts the sync log's rows of one action (what was
-- left out of, or refused from, what arrived from a tool or a board)
-- over the last day: found by action and time, without reading the rest.
create index sync_log_by_action on sync_log (action, at);
