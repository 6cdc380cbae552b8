-- How each record whose item lives in another tool (not `builtin`) stands
-- with that tool, one row per record:
-- `base`: the fields (JSON) as last read from or written to the tool; a
--   tool item that still equals it was not changed there since.
-- `pending_version`: the newest record version saved from Miro that the
--   tool has not been sent yet (null: nothing to send). Set in the save's
--   own transaction, so an acknowledged edit is never lost.
-- `sending`: the fields (JSON) a write is sending now; its webhook may
--   come back before the write's answer, and must read as our echo.
-- `attempts`, `next_at`, `last_error`: the write's retries and backoff.
-- `conflict`: the tool's fields (JSON) when both sides changed; while set
--   nothing is written, until a user resolves it in the detail view.
--   `conflict_version` is the record version it was found against.
-- `lease_holder`, `lease_until`: one writer per record across processes.
create table source_sync (
    record_id text primary key references records (id),
    base text,
    sending text,
    pending_version bigint,
    attempts bigint not null default 0,
    next_at bigint not null default 0,
    last_error text,
    conflict text,
    conflict_version bigint,
    lease_holder text,
    lease_until bigint
);
create index source_sync_due on source_sync (next_at) where pending_version is not null;

-- Records imported before this table existed: what they hold now is the
-- best knowledge of the tool's fields.
insert into source_sync (record_id, base)
select id, fields::text from records where connector <> 'builtin';
