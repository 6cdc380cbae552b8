//! Boards: list (by team or text, offset-paged) and get.

use reqwest::Method;

use super::{call, LEVEL_1};
use crate::{segment, Access, Board, BoardQuery, MiroClient, MiroError, Page};

impl MiroClient {
    /// One page of the boards the user can see.
    pub async fn boards(
        &self,
        access: &Access,
        query: &BoardQuery,
    ) -> Result<Page<Board>, MiroError> {
        let mut request = call(Method::GET, "/v2/boards".to_owned(), LEVEL_1);
        let params = [
            ("team_id", query.team_id.clone()),
            ("query", query.query.clone()),
            ("limit", query.limit.map(|l| l.to_string())),
            ("offset", query.offset.map(|o| o.to_string())),
        ];
        request.query = params
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        self.json(access, request).await
    }

    /// Every board matching `query`, following the offset to the end.
    pub async fn all_boards(
        &self,
        access: &Access,
        query: &BoardQuery,
    ) -> Result<Vec<Board>, MiroError> {
        let mut boards = Vec::new();
        let mut page_query = BoardQuery {
            limit: Some(50),
            offset: Some(0),
            ..query.clone()
        };
        loop {
            let page = self.boards(access, &page_query).await?;
            let fetched = page.data.len();
            boards.extend(page.data);
            if fetched == 0 || boards.len() as u64 >= page.total {
                return Ok(boards);
            }
            page_query.offset = Some(u32::try_from(boards.len()).unwrap_or(u32::MAX));
        }
    }

    pub async fn board(&self, access: &Access, board_id: &str) -> Result<Board, MiroError> {
        self.json(
            access,
            call(
                Method::GET,
                format!("/v2/boards/{}", segment(board_id)),
                LEVEL_1,
            ),
        )
        .await
    }
}
