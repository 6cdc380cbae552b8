//! Finding records: the panel's text search over titles and descriptions
//! with filters, paged by a cursor so that paging reaches the end without
//! repeats while records change; the values the filters offer; the boards
//! each record's cards are on; and the title search.
//!
//! These queries are built from what is asked, so their arguments are an
//! [`Args`] list (see `args.rs`, where a list of scopes or ids is bound as
//! each backend takes it). How a record's JSON fields are read is in
//! `dialect.rs`.

use std::collections::HashMap;

use app::panel::RecordQuery;

use super::{
    args::{fetch_with, Args},
    db::Db,
    dialect::{Backend, SqlText, BYTEWISE, FIELD, HAS_LABEL, LABELS, LIKE},
    rows::{record_row, Columns, RECORD_COLUMNS},
};
use crate::store::{RecordMatches, RecordRow, StoreResult};

/// At most this many words of a search count; more narrow nothing a user
/// could tell.
const MAX_WORDS: usize = 8;
/// At most this many values per filter.
const MAX_FACETS: i64 = 200;

/// A record's field as text.
fn field(name: &str, backend: Backend) -> String {
    FIELD.text(backend).replace("{field}", name)
}

/// A pattern matching `text` anywhere, with `%`, `_` and `\` taken
/// literally (with `escape '\'`).
fn contains(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// The `where` clause of a query within `scopes`, its arguments added to
/// `args`. Source-deleted records are left out: their cards could only be
/// disabled.
fn filter(scopes: &[String], query: &RecordQuery, args: &mut Args) -> String {
    let b = args.backend;
    let within = args.within("scope", scopes);
    let mut sql = format!("not source_deleted and {within}");
    let like = LIKE.text(b);
    let (title, description) = (field("title", b), field("description", b));
    for word in query.text.split_whitespace().take(MAX_WORDS) {
        let pattern = args.text(contains(word));
        sql.push_str(&format!(
            " and ({title} {like} {pattern} escape '\\'
                   or {description} {like} {pattern} escape '\\')"
        ));
    }
    if !query.status.is_empty() {
        let status = args.text(query.status.as_str());
        sql.push_str(&format!(" and {} = {status}", field("status", b)));
    }
    if !query.label.is_empty() {
        let label = args.text(query.label.as_str());
        sql.push_str(&format!(
            " and {}",
            HAS_LABEL.text(b).replace("{arg}", &label)
        ));
    }
    if !query.assignee.is_empty() {
        let assignee = args.text(query.assignee.as_str());
        sql.push_str(&format!(" and {} = {assignee}", field("assignee", b)));
    }
    sql
}

/// A cursor: the last row's `updated_at` and id.
fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once(':')?;
    Some((at.parse().ok()?, id))
}

/// One page of the records matching `query`, newest change first, and how
/// many match in all. An unreadable cursor starts from the beginning.
pub(in crate::store) async fn find(
    db: &Db,
    scopes: &[String],
    query: &RecordQuery,
    after: Option<&str>,
    limit: u32,
) -> StoreResult<RecordMatches> {
    let mut args = Args::new(db.backend());
    let where_sql = filter(scopes, query, &mut args);
    let total = fetch_with!(
        db,
        format!("select count(*) as n from records where {where_sql}"),
        args,
        |row| row.int("n")
    )?
    .first()
    .copied()
    .unwrap_or(0);

    // The page binds the count's arguments and its own after them.
    let mut page_sql = format!("select {RECORD_COLUMNS} from records where {where_sql}");
    if let Some((at, id)) = after.and_then(parse_cursor) {
        let at = args.int(at);
        let id = args.text(id);
        // Ids compare byte by byte on both (PostgreSQL's id column has the
        // "C" collation), so `id > …` agrees with `order by id`.
        page_sql.push_str(&format!(
            " and (updated_at < {at} or (updated_at = {at} and id > {id}))"
        ));
    }
    // One more than asked says whether there is a next page.
    let limit_arg = args.int(i64::from(limit) + 1);
    page_sql.push_str(&format!(" order by updated_at desc, id limit {limit_arg}"));
    let rows = fetch_with!(db, page_sql, args, |row| Ok((
        record_row(row)?,
        row.int("updated_at")?
    )))?;
    let more = rows.len() > limit as usize;
    let mut records = Vec::with_capacity(rows.len().min(limit as usize));
    let mut last = None;
    for (record, updated_at) in rows.into_iter().take(limit as usize) {
        records.push(record);
        last = Some(updated_at);
    }
    let next = match (more, last, records.last()) {
        (true, Some(at), Some(record)) => Some(format!("{at}:{}", record.snapshot.id)),
        _ => None,
    };
    Ok(RecordMatches {
        records,
        total: total.max(0) as u64,
        next,
    })
}

/// The labels and the assignees the records of `scopes` have, sorted byte
/// by byte.
pub(in crate::store) async fn facets(
    db: &Db,
    scopes: &[String],
) -> StoreResult<(Vec<String>, Vec<String>)> {
    let b = db.backend();
    let mut args = Args::new(b);
    let limit = args.int(MAX_FACETS);
    let within = args.within("scope", scopes);
    let (labels, bytewise) = (LABELS.text(b), BYTEWISE.text(b));
    let labels = fetch_with!(
        db,
        format!(
            "select distinct label.value{bytewise} as v from records, {labels}
             where not source_deleted and {within} and label.value <> '' order by v limit {limit}"
        ),
        args,
        |row| row.text("v")
    )?;
    let assignee = field("assignee", b);
    let assignees = fetch_with!(
        db,
        format!(
            "select distinct ({assignee}){bytewise} as v from records
             where not source_deleted and {within} and {assignee} <> '' order by v limit {limit}"
        ),
        args,
        |row| row.text("v")
    )?;
    Ok((labels, assignees))
}

/// For each of `record_ids`, the boards showing one of its cards linked
/// by an installation of `team_id`.
pub(in crate::store) async fn boards_of(
    db: &Db,
    record_ids: &[String],
    team_id: &str,
) -> StoreResult<HashMap<String, Vec<String>>> {
    let mut boards: HashMap<String, Vec<String>> = HashMap::new();
    if record_ids.is_empty() {
        return Ok(boards);
    }
    let mut args = Args::new(db.backend());
    let team = args.text(team_id);
    let records = args.within("record_id", record_ids);
    let rows = fetch_with!(
        db,
        format!(
            "select distinct record_id, board_id from card_links
             where team_id = {team} and {records} order by board_id"
        ),
        args,
        |row| Ok((row.text("record_id")?, row.text("board_id")?))
    )?;
    for (record_id, board_id) in rows {
        boards.entry(record_id).or_default().push(board_id);
    }
    Ok(boards)
}

/// Records whose title holds `query`, ignoring case, newest change first.
pub(in crate::store) async fn titles(
    db: &Db,
    query: &str,
    limit: u32,
) -> StoreResult<Vec<RecordRow>> {
    let b = db.backend();
    let mut args = Args::new(b);
    let pattern = args.text(contains(query));
    let limit = args.int(i64::from(limit));
    fetch_with!(
        db,
        format!(
            "select {RECORD_COLUMNS} from records where {} {} {pattern} escape '\\'
             order by updated_at desc, id limit {limit}",
            field("title", b),
            LIKE.text(b)
        ),
        args,
        record_row
    )
}
