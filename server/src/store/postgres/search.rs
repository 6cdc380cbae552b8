//! Finding records for the panel: a text search over titles and
//! descriptions with filters, paged by a cursor so that paging reaches the
//! end without repeats while records change; the values the filters offer;
//! and the boards each record's cards are on. The fields are jsonb, read
//! with `->>` (a field as text) and `@>` (an array holds a value).

use std::collections::HashMap;

use app::panel::RecordQuery;
use sqlx::{postgres::PgArguments, Arguments, PgPool, Row};

use super::{record_row, records::contains, RECORD_COLUMNS};
use crate::store::{RecordMatches, StoreError, StoreResult};

/// At most this many words of a search count; more narrow nothing a user
/// could tell.
const MAX_WORDS: usize = 8;
/// At most this many values per filter.
const MAX_FACETS: i64 = 200;

/// A query's arguments, numbered as PostgreSQL wants them (`$1`, `$2`…).
#[derive(Default)]
struct Args {
    args: PgArguments,
    count: usize,
}

impl Args {
    /// Adds a value; returns its placeholder.
    fn push<T>(&mut self, value: T) -> StoreResult<String>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + 'static,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.count += 1;
        Ok(format!("${}", self.count))
    }
}

/// The `where` clause of a query within `scopes`, its arguments added to
/// `args`. Source-deleted records are left out: their cards could only be
/// disabled.
fn filter(scopes: &[String], query: &RecordQuery, args: &mut Args) -> StoreResult<String> {
    let scopes = args.push(scopes.to_vec())?;
    let mut sql = format!("not source_deleted and scope = any({scopes})");
    for word in query.text.split_whitespace().take(MAX_WORDS) {
        // `ilike` ignores case, as SQLite's `like` does.
        let pattern = args.push(contains(word))?;
        sql.push_str(&format!(
            " and (fields->>'title' ilike {pattern} escape '\\'
                   or fields->>'description' ilike {pattern} escape '\\')"
        ));
    }
    if !query.status.is_empty() {
        let status = args.push(query.status.clone())?;
        sql.push_str(&format!(" and fields->>'status' = {status}"));
    }
    if !query.label.is_empty() {
        // The labels array holds this string as one of its elements.
        let label = args.push(query.label.clone())?;
        sql.push_str(&format!(
            " and fields->'labels' @> jsonb_build_array({label}::text)"
        ));
    }
    if !query.assignee.is_empty() {
        let assignee = args.push(query.assignee.clone())?;
        sql.push_str(&format!(" and fields->>'assignee' = {assignee}"));
    }
    Ok(sql)
}

/// A cursor: the last row's `updated_at` and id.
fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once(':')?;
    Some((at.parse().ok()?, id))
}

/// One page of the records matching `query`, newest change first, and how
/// many match in all. An unreadable cursor starts from the beginning.
pub async fn find(
    pool: &PgPool,
    scopes: &[String],
    query: &RecordQuery,
    after: Option<&str>,
    limit: u32,
) -> StoreResult<RecordMatches> {
    let mut count_args = Args::default();
    let where_sql = filter(scopes, query, &mut count_args)?;
    let total: i64 = sqlx::query_scalar_with(
        &format!("select count(*) from records where {where_sql}"),
        count_args.args,
    )
    .fetch_one(pool)
    .await?;

    // The arguments are consumed by a query, so the page builds its own.
    let mut args = Args::default();
    let where_sql = filter(scopes, query, &mut args)?;
    let mut page_sql = format!("select {RECORD_COLUMNS} from records where {where_sql}");
    if let Some((at, id)) = after.and_then(parse_cursor) {
        let at = args.push(at)?;
        let id = args.push(id.to_owned())?;
        // The id column sorts in the "C" collation (see the migration), so
        // `id > …` agrees with `order by id`.
        page_sql.push_str(&format!(
            " and (updated_at < {at} or (updated_at = {at} and id > {id}))"
        ));
    }
    // One more than asked says whether there is a next page.
    let limit_arg = args.push(i64::from(limit) + 1)?;
    page_sql.push_str(&format!(" order by updated_at desc, id limit {limit_arg}"));
    let rows = sqlx::query_with(&page_sql, args.args)
        .fetch_all(pool)
        .await?;
    let more = rows.len() > limit as usize;
    let mut records = Vec::with_capacity(rows.len().min(limit as usize));
    let mut last = None;
    for row in rows.iter().take(limit as usize) {
        records.push(record_row(row)?);
        last = Some(row.try_get::<i64, _>("updated_at")?);
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
/// by byte (the "C" collation), as SQLite sorts them.
pub async fn facets(pool: &PgPool, scopes: &[String]) -> StoreResult<(Vec<String>, Vec<String>)> {
    let labels: Vec<String> = sqlx::query_scalar(
        "select distinct label collate \"C\" as v
         from records, jsonb_array_elements_text(records.fields->'labels') as label
         where not source_deleted and scope = any($2) and label <> '' order by v limit $1",
    )
    .bind(MAX_FACETS)
    .bind(scopes)
    .fetch_all(pool)
    .await?;
    let assignees: Vec<String> = sqlx::query_scalar(
        "select distinct (fields->>'assignee') collate \"C\" as v from records
         where not source_deleted and scope = any($2) and fields->>'assignee' <> ''
         order by v limit $1",
    )
    .bind(MAX_FACETS)
    .bind(scopes)
    .fetch_all(pool)
    .await?;
    Ok((labels, assignees))
}

/// For each of `record_ids`, the boards showing one of its cards.
pub async fn boards_of(
    pool: &PgPool,
    record_ids: &[String],
    team_id: &str,
) -> StoreResult<HashMap<String, Vec<String>>> {
    let mut boards: HashMap<String, Vec<String>> = HashMap::new();
    if record_ids.is_empty() {
        return Ok(boards);
    }
    // One array argument, however many ids.
    let rows = sqlx::query(
        "select distinct record_id, board_id from card_links
         where record_id = any($1) and team_id = $2 order by board_id",
    )
    .bind(record_ids)
    .bind(team_id)
    .fetch_all(pool)
    .await?;
    for row in rows {
        boards
            .entry(row.try_get("record_id")?)
            .or_default()
            .push(row.try_get("board_id")?);
    }
    Ok(boards)
}
