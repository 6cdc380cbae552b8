//! Items of any type: the cursor-paged list (followed to the end by
//! [`ItemPages`]), get, move (position and parent), delete.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{call, call_with, LEVEL_1, LEVEL_2, LEVEL_3};
use crate::{segment, Access, Item, MiroClient, MiroError, ParentRef, Point};

/// Which items to list.
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    /// One item type, e.g. `app_card`.
    pub kind: Option<String>,
    /// Items per page, 10 to 50.
    pub limit: Option<u32>,
}

#[derive(Deserialize)]
struct CursorPage {
    data: Vec<Item>,
    cursor: Option<String>,
}

/// The pages of a board's items, fetched one at a time as the caller asks.
pub struct ItemPages<'a> {
    client: &'a MiroClient,
    access: &'a Access,
    board_id: String,
    filter: ItemFilter,
    cursor: Option<String>,
    done: bool,
}

impl ItemPages<'_> {
    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Option<Result<Vec<Item>, MiroError>> {
        if self.done {
            return None;
        }
        let mut request = call(
            Method::GET,
            format!("/v2/boards/{}/items", segment(&self.board_id)),
            LEVEL_2,
        );
        request
            .query
            .push(("limit", self.filter.limit.unwrap_or(50).to_string()));
        if let Some(kind) = &self.filter.kind {
            request.query.push(("type", kind.clone()));
        }
        if let Some(cursor) = &self.cursor {
            request.query.push(("cursor", cursor.clone()));
        }
        match self.client.json::<CursorPage>(self.access, request).await {
            Ok(page) => {
                self.cursor = page.cursor.filter(|c| !c.is_empty());
                self.done = self.cursor.is_none() || page.data.is_empty();
                Some(Ok(page.data))
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    /// Every remaining item.
    pub async fn collect_all(mut self) -> Result<Vec<Item>, MiroError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            all.extend(page?);
        }
        Ok(all)
    }
}

impl MiroClient {
    /// A board's items, page by page (follows `cursor` to the end).
    pub fn items<'a>(
        &'a self,
        access: &'a Access,
        board_id: &str,
        filter: ItemFilter,
    ) -> ItemPages<'a> {
        ItemPages {
            client: self,
            access,
            board_id: board_id.to_owned(),
            filter,
            cursor: None,
            done: false,
        }
    }

    pub async fn item(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<Item, MiroError> {
        self.json(
            access,
            call(
                Method::GET,
                format!(
                    "/v2/boards/{}/items/{}",
                    segment(board_id),
                    segment(item_id)
                ),
                LEVEL_1,
            ),
        )
        .await
    }

    /// Moves an item, or puts it into a frame. Allowed on any item.
    pub async fn move_item(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
        position: Option<Point>,
        parent: Option<ParentRef>,
    ) -> Result<Item, MiroError> {
        let mut body = json!({});
        if let Some(position) = position {
            body["position"] = json!(position);
        }
        if let Some(parent) = parent {
            body["parent"] = json!(parent);
        }
        let path = format!(
            "/v2/boards/{}/items/{}",
            segment(board_id),
            segment(item_id)
        );
        self.json(access, call_with(Method::PATCH, path, LEVEL_2, body))
            .await
    }

    /// Deletes an item of any type. (Detaching a tag is
    /// [`MiroClient::detach_tag`], which cannot reach this.)
    pub async fn delete_item(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<(), MiroError> {
        self.empty(
            access,
            call(
                Method::DELETE,
                format!(
                    "/v2/boards/{}/items/{}",
                    segment(board_id),
                    segment(item_id)
                ),
                LEVEL_3,
            ),
        )
        .await
    }
}
