//! Finding records for the panel: a text search over titles and
//! descriptions with filters, paged by a cursor so that paging reaches the
//! end without repeats while records change; the values the filters offer;
//! and the boards each record's cards are on.

use std::collections::HashMap;

use app::panel::RecordQuery;
use sqlx::{sqlite::SqliteArguments, Arguments, Row, SqlitePool};

use super::record_row;
use crate::store::{RecordMatches, StoreError, StoreResult};

/// At most this many words of a search count; more narrow nothing a user
/// could tell.
const MAX_WORDS: usize = 8;
/// At most this many values per filter.
const MAX_FACETS: i64 = 200;

/// A `like` pattern matching `word` anywhere, with `%`, `_` and `\` literal.
fn contains(word: &str) -> String {
    format!(
        "%{}%",
        word.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// `scope in (?, ?, …)` for `scopes`, its values added to `args`; false
/// for none (a caller who reaches nothing finds nothing).
fn in_scopes(scopes: &[String], args: &mut SqliteArguments<'static>) -> StoreResult<String> {
    if scopes.is_empty() {
        return Ok("0".to_owned());
    }
    for scope in scopes {
        args.add(scope.clone())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    }
    Ok(format!("scope in ({})", vec!["?"; scopes.len()].join(", ")))
}

/// The `where` clause of a query within `scopes` and its arguments.
/// Source-deleted records are left out: their cards could only be disabled.
fn filter(
    scopes: &[String],
    query: &RecordQuery,
) -> StoreResult<(String, SqliteArguments<'static>)> {
    let mut args = SqliteArguments::default();
    let mut sql = format!("source_deleted = 0 and {}", in_scopes(scopes, &mut args)?);
    let bind_err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Corrupt(e.to_string());
    for word in query.text.split_whitespace().take(MAX_WORDS) {
        // SQLite's `like` ignores ASCII case.
        sql.push_str(
            " and (json_extract(fields, '$.title') like ? escape '\\'
                   or json_extract(fields, '$.description') like ? escape '\\')",
        );
        args.add(contains(word)).map_err(bind_err)?;
        args.add(contains(word)).map_err(bind_err)?;
    }
    if !query.status.is_empty() {
        sql.push_str(" and json_extract(fields, '$.status') = ?");
        args.add(query.status.clone()).map_err(bind_err)?;
    }
    if !query.label.is_empty() {
        sql.push_str(
            " and exists (select 1 from json_each(records.fields, '$.labels') where value = ?)",
        );
        args.add(query.label.clone()).map_err(bind_err)?;
    }
    if !query.assignee.is_empty() {
        sql.push_str(" and json_extract(fields, '$.assignee') = ?");
        args.add(query.assignee.clone()).map_err(bind_err)?;
    }
    Ok((sql, args))
}

/// A cursor: the last row's `updated_at` and id.
fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once(':')?;
    Some((at.parse().ok()?, id))
}

/// One page of the records matching `query`, newest change first, and how
/// many match in all. An unreadable cursor starts from the beginning.
pub async fn find(
    pool: &SqlitePool,
    scopes: &[String],
    query: &RecordQuery,
    after: Option<&str>,
    limit: u32,
) -> StoreResult<RecordMatches> {
    let (where_sql, args) = filter(scopes, query)?;
    let total: i64 = sqlx::query_with(
        &format!("select count(*) as n from records where {where_sql}"),
        args.clone(),
    )
    .fetch_one(pool)
    .await?
    .try_get("n")?;

    let mut page_sql = format!("select * from records where {where_sql}");
    let mut args = args;
    let bind_err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Corrupt(e.to_string());
    if let Some((at, id)) = after.and_then(parse_cursor) {
        page_sql.push_str(" and (updated_at < ? or (updated_at = ? and id > ?))");
        args.add(at).map_err(bind_err)?;
        args.add(at).map_err(bind_err)?;
        args.add(id.to_owned()).map_err(bind_err)?;
    }
    page_sql.push_str(" order by updated_at desc, id limit ?");
    // One more than asked says whether there is a next page.
    args.add(i64::from(limit) + 1).map_err(bind_err)?;
    let rows = sqlx::query_with(&page_sql, args).fetch_all(pool).await?;
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

/// The labels and the assignees the records of `scopes` have, sorted.
pub async fn facets(
    pool: &SqlitePool,
    scopes: &[String],
) -> StoreResult<(Vec<String>, Vec<String>)> {
    let bind_err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Corrupt(e.to_string());
    let mut args = SqliteArguments::default();
    let within = in_scopes(scopes, &mut args)?;
    args.add(MAX_FACETS).map_err(bind_err)?;
    let labels = sqlx::query_with(
        &format!(
            "select distinct value as v from records, json_each(records.fields, '$.labels')
             where source_deleted = 0 and {within} and value <> '' order by v limit ?"
        ),
        args.clone(),
    )
    .fetch_all(pool)
    .await?;
    let assignees = sqlx::query_with(
        &format!(
            "select distinct json_extract(fields, '$.assignee') as v from records
             where source_deleted = 0 and {within} and json_extract(fields, '$.assignee') <> ''
             order by v limit ?"
        ),
        args,
    )
    .fetch_all(pool)
    .await?;
    let values = |rows: Vec<sqlx::sqlite::SqliteRow>| -> StoreResult<Vec<String>> {
        rows.iter()
            .map(|r| r.try_get::<String, _>("v").map_err(StoreError::from))
            .collect()
    };
    Ok((values(labels)?, values(assignees)?))
}

/// For each of `record_ids`, the boards showing one of its cards linked
/// by an installation of `team_id`.
pub async fn boards_of(
    pool: &SqlitePool,
    record_ids: &[String],
    team_id: &str,
) -> StoreResult<HashMap<String, Vec<String>>> {
    let mut boards: HashMap<String, Vec<String>> = HashMap::new();
    if record_ids.is_empty() {
        return Ok(boards);
    }
    let marks = vec!["?"; record_ids.len()].join(", ");
    let sql = format!(
        "select distinct record_id, board_id from card_links
         where team_id = ? and record_id in ({marks}) order by board_id"
    );
    let mut query = sqlx::query(&sql).bind(team_id);
    for id in record_ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(pool).await? {
        boards
            .entry(row.try_get("record_id")?)
            .or_default()
            .push(row.try_get("board_id")?);
    }
    Ok(boards)
}
