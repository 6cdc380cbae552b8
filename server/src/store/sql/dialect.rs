//! Every SQL text that differs between SQLite and PostgreSQL, each pair
//! side by side. Everything else the store sends is one text both run:
//! both take `$1`-style parameters, `true`/`false`, `on conflict … do`,
//! `returning`, and `cast(… as text)`.
//!
//! PostgreSQL's row locks are here too (SQLite needs none: this process's
//! writes go one at a time and every write transaction holds the file's
//! write lock from its start). Their order, which every transaction
//! keeps so that two of them wait for each other instead of deadlocking:
//! a record's row, then card links (several in key order), then outbox
//! rows.

use std::sync::OnceLock;

/// The database a statement runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::store) enum Backend {
    Sqlite,
    Postgres,
}

/// One statement (or part of one) as each backend spells it.
#[derive(Clone, Copy, Debug)]
pub(in crate::store) struct Pair {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// SQL text, the same for both backends or a [`Pair`].
pub(in crate::store) trait SqlText {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str>;
}

impl SqlText for &str {
    fn text(&self, _: Backend) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self)
    }
}

impl SqlText for String {
    fn text(&self, _: Backend) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self)
    }
}

impl SqlText for Pair {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        })
    }
}

impl<T: SqlText> SqlText for &T {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        (**self).text(backend)
    }
}

/// A statement composed (with `format!`) from parts, some of them
/// [`Pair`]s: built for a backend the first time it runs there.
pub(in crate::store) struct Composed {
    build: fn(Backend) -> String,
    sqlite: OnceLock<String>,
    postgres: OnceLock<String>,
}

impl Composed {
    pub const fn new(build: fn(Backend) -> String) -> Self {
        Self {
            build,
            sqlite: OnceLock::new(),
            postgres: OnceLock::new(),
        }
    }
}

impl SqlText for Composed {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        let built = match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        };
        std::borrow::Cow::Borrowed(built.get_or_init(|| (self.build)(backend)))
    }
}

/// Clears expired install states (`$1` now). PostgreSQL skips rows
/// another instance is clearing rather than wait for them.
pub(in crate::store) const CLEAR_EXPIRED_STATES: Pair = Pair {
    sqlite: "delete from oauth_states where expires_at < $1",
    postgres: "delete from oauth_states where hash in
         (select hash from oauth_states where expires_at < $1 for update skip locked)",
};

/// Clears expired tickets (`$1` now), as [`CLEAR_EXPIRED_STATES`]. Only
/// PostgreSQL keeps tickets in the database.
pub(in crate::store) const CLEAR_EXPIRED_TICKETS: Pair = Pair {
    sqlite: "delete from tickets where expires_at < $1",
    postgres: "delete from tickets where hash in
         (select hash from tickets where expires_at < $1 for update skip locked)",
};

/// The larger of its arguments (a scalar function): SQLite's `max` of
/// several arguments is PostgreSQL's `greatest` (its `max` is only the
/// aggregate).
pub(in crate::store) const LARGER: Pair = Pair {
    sqlite: "max",
    postgres: "greatest",
};

/// The title of record `r` (`fields` is TEXT holding JSON on SQLite,
/// jsonb on PostgreSQL), null without one.
pub(in crate::store) const RECORD_TITLE: Pair = Pair {
    sqlite: "json_extract(r.fields, '$.title')",
    postgres: "r.fields->>'title'",
};

/// A record's `source_deleted` as linking a card to it reads it (`$1`
/// the record). PostgreSQL share-locks the record's row (the first lock
/// of the order), so the flag holds until the link commits:
/// `set_source_deleted` elsewhere waits, then updates this link too.
pub(in crate::store) const SOURCE_DELETED_FOR_LINK: Pair = Pair {
    sqlite: "select source_deleted from records where id = $1",
    postgres: "select source_deleted from records where id = $1 for share",
};

/// The record a card shows, as unlinking it reads it (`$1` board, `$2`
/// item). PostgreSQL locks the link, so the record the log names is the
/// one the unlink took the card from, not one a concurrent link put there
/// after the read; the card's outbox rows come after it.
pub(in crate::store) const RECORD_OF_UNLINKED: Pair = Pair {
    sqlite: "select record_id from card_links where board_id = $1 and item_id = $2",
    postgres: "select record_id from card_links where board_id = $1 and item_id = $2 for update",
};

/// Makes a board's failed writes due, card by card (`$1` board, `$2` now,
/// `$3` cards due at once, `$4` milliseconds between the next ones;
/// returns each changed row's `item_id`). The same update spelt twice:
/// SQLite's scalar `min`/`max` are PostgreSQL's `least`/`greatest`, and
/// each card's place in line is a correlated subquery on SQLite and a
/// join (`update … from`) on PostgreSQL.
pub(in crate::store) const RETRY_FAILED_NOW: Pair = Pair {
    sqlite: "with failed as (
             select item_id, row_number() over (order by item_id) as n from outbox
             where board_id = $1 and state = 'pending' and attempts > 0
             group by item_id having min(next_attempt_at) > $2
         )
         update outbox set updated_at = $2, next_attempt_at = min(next_attempt_at,
             $2 + max(0, (select n from failed f where f.item_id = outbox.item_id) - $3) * $4 / 1000)
         where board_id = $1 and state = 'pending' and attempts > 0
             and item_id in (select item_id from failed)
         returning item_id",
    postgres: "with failed as (
             select item_id, row_number() over (order by item_id) as n from outbox
             where board_id = $1 and state = 'pending' and attempts > 0
             group by item_id having min(next_attempt_at) > $2
         )
         update outbox o set updated_at = $2, next_attempt_at = least(o.next_attempt_at,
             $2 + greatest(0, f.n - $3) * $4 / 1000)
         from failed f
         where o.board_id = $1 and o.item_id = f.item_id and o.state = 'pending'
             and o.attempts > 0
         returning o.item_id",
};

/// Deletes up to `$1` settled outbox rows. PostgreSQL skips rows another
/// instance is deleting rather than wait for them.
pub(in crate::store) const PRUNE_SETTLED: Pair = Pair {
    sqlite: "delete from outbox where id in
         (select id from outbox where state in ('done', 'dropped') limit $1)",
    postgres: "delete from outbox where id in
         (select id from outbox where state in ('done', 'dropped') limit $1
          for update skip locked)",
};

/// Appended to a read of a record's row (`select … where id = $1`) by a
/// write that decides on it: on PostgreSQL the row stays locked until the
/// transaction ends, first in the lock order. `no key update` rather than
/// `update`: the id is not changed, so rows that merely reference the
/// record (a new link, a version row) need not wait.
pub(in crate::store) const RECORD_LOCK: Pair = Pair {
    sqlite: "",
    postgres: "for no key update",
};

/// Appended to the `order by board_id, item_id` of a statement that
/// reads a record's card links to queue their writes: on PostgreSQL the
/// links are share-locked in key order (after the record's row).
pub(in crate::store) const LINKS_FOR_SHARE: Pair = Pair {
    sqlite: "",
    postgres: " for share",
};

/// A record's field as text (`{field}` its name). SQLite keeps the fields
/// as JSON text and reads into it with `json_extract`; PostgreSQL keeps
/// jsonb, read with `->>`.
pub(in crate::store) const FIELD: Pair = Pair {
    sqlite: "json_extract(fields, '$.{field}')",
    postgres: "fields->>'{field}'",
};

/// Matching a pattern ignoring case. SQLite's `like` ignores ASCII case
/// already; PostgreSQL's does not, its `ilike` does (beyond ASCII too).
pub(in crate::store) const LIKE: Pair = Pair {
    sqlite: "like",
    postgres: "ilike",
};

/// A record's `labels` array holds the text `{arg}` as one of its
/// elements: SQLite looks through the array's rows (`json_each`),
/// PostgreSQL asks jsonb's containment (`@>`).
pub(in crate::store) const HAS_LABEL: Pair = Pair {
    sqlite: "exists (select 1 from json_each(records.fields, '$.labels') where value = {arg})",
    postgres: "fields->'labels' @> jsonb_build_array(cast({arg} as text))",
};

/// Beside `records` in a `from`: one row per label of each record, the
/// label in `label.value`.
pub(in crate::store) const LABELS: Pair = Pair {
    sqlite: "json_each(records.fields, '$.labels') as label",
    postgres: "jsonb_array_elements_text(records.fields->'labels') as label(value)",
};

/// After a text expression, to sort it byte by byte: SQLite compares text
/// so already; PostgreSQL by the database's locale unless told the "C"
/// collation (the id columns have it; values read out of jsonb do not).
pub(in crate::store) const BYTEWISE: Pair = Pair {
    sqlite: "",
    postgres: " collate \"C\"",
};
