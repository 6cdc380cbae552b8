//! What the sync log says about what arrived from outside (see
//! [`arrival`](crate::store::arrival)): the panel's health counts it.

use app::panel::ArrivalChecks;
use sqlx::{PgPool, Row};

use crate::store::{arrival, StoreResult};

/// See [`Store::arrival_checks`](crate::store::Store::arrival_checks).
pub async fn checks(
    pool: &PgPool,
    origin: &str,
    board_id: Option<&str>,
    since: i64,
) -> StoreResult<ArrivalChecks> {
    // Found by the index on (action, at): the log's other rows are not read.
    const WHERE: &str = "where action in ($4, $5) and origin = $1 and at >= $2
                           and ($3::text is null or board_id = $3)";
    let row = sqlx::query(&format!(
        "select coalesce(sum(case when action = $4 then 1 else 0 end), 0) as dropped,
                coalesce(sum(case when action = $5 then 1 else 0 end), 0) as refused
         from sync_log {WHERE}"
    ))
    .bind(origin)
    .bind(since)
    .bind(board_id)
    .bind(arrival::DROPPED)
    .bind(arrival::REFUSED)
    .fetch_one(pool)
    .await?;
    let latest: Option<String> = sqlx::query_scalar(&format!(
        "select result from sync_log {WHERE} order by id desc limit 1"
    ))
    .bind(origin)
    .bind(since)
    .bind(board_id)
    .bind(arrival::DROPPED)
    .bind(arrival::REFUSED)
    .fetch_optional(pool)
    .await?;
    let count = |name: &str| -> StoreResult<u64> {
        Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
    };
    Ok(ArrivalChecks {
        dropped: count("dropped")?,
        refused: count("refused")?,
        latest,
    })
}
