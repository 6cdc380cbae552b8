//! Tags: create, list, get, change, delete; attach to and detach from an
//! item; the tags of an item; the items with a tag.
//!
//! Attach and detach share their URL with "delete the item"
//! (`DELETE /v2/boards/{b}/items/{i}` deletes the item unless it carries
//! `?tag_id=`). Both are built from a [`TagOnItem`] by one function that
//! always adds `tag_id`, so a detach can never turn into a delete.

use reqwest::Method;
use serde::Deserialize;

use super::{call, call_with, to_json, LEVEL_1};
use crate::{http::Call, segment, Access, Item, MiroClient, MiroError, Page, Tag, TagWrite};

/// A tag on an item: what attach and detach act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagOnItem {
    pub board_id: String,
    pub item_id: String,
    pub tag_id: String,
}

impl TagOnItem {
    /// The only way attach and detach requests are built.
    fn call(&self, method: Method) -> Call<'static> {
        let mut request = call(
            method,
            format!(
                "/v2/boards/{}/items/{}",
                segment(&self.board_id),
                segment(&self.item_id)
            ),
            LEVEL_1,
        );
        request.query.push(("tag_id", self.tag_id.clone()));
        request
    }
}

#[derive(Deserialize)]
struct ItemTags {
    tags: Vec<Tag>,
}

fn tags_path(board_id: &str) -> String {
    format!("/v2/boards/{}/tags", segment(board_id))
}

impl MiroClient {
    pub async fn create_tag(
        &self,
        access: &Access,
        board_id: &str,
        tag: &TagWrite,
    ) -> Result<Tag, MiroError> {
        self.json(
            access,
            call_with(Method::POST, tags_path(board_id), LEVEL_1, to_json(tag)),
        )
        .await
    }

    /// Every tag on the board (follows the offset to the end).
    pub async fn tags(&self, access: &Access, board_id: &str) -> Result<Vec<Tag>, MiroError> {
        let mut tags = Vec::new();
        loop {
            let mut request = call(Method::GET, tags_path(board_id), LEVEL_1);
            request.query = vec![
                ("limit", "50".to_owned()),
                ("offset", tags.len().to_string()),
            ];
            let page: Page<Tag> = self.json(access, request).await?;
            let fetched = page.data.len();
            tags.extend(page.data);
            if fetched == 0 || tags.len() as u64 >= page.total {
                return Ok(tags);
            }
        }
    }

    pub async fn tag(
        &self,
        access: &Access,
        board_id: &str,
        tag_id: &str,
    ) -> Result<Tag, MiroError> {
        self.json(
            access,
            call(
                Method::GET,
                format!("{}/{}", tags_path(board_id), segment(tag_id)),
                LEVEL_1,
            ),
        )
        .await
    }

    pub async fn update_tag(
        &self,
        access: &Access,
        board_id: &str,
        tag_id: &str,
        changes: &TagWrite,
    ) -> Result<Tag, MiroError> {
        self.json(
            access,
            call_with(
                Method::PATCH,
                format!("{}/{}", tags_path(board_id), segment(tag_id)),
                LEVEL_1,
                to_json(changes),
            ),
        )
        .await
    }

    /// Deletes the tag from the board and from every item.
    pub async fn delete_tag(
        &self,
        access: &Access,
        board_id: &str,
        tag_id: &str,
    ) -> Result<(), MiroError> {
        self.empty(
            access,
            call(
                Method::DELETE,
                format!("{}/{}", tags_path(board_id), segment(tag_id)),
                LEVEL_1,
            ),
        )
        .await
    }

    /// Attaches a tag (at most 8 per item).
    pub async fn attach_tag(&self, access: &Access, tag: &TagOnItem) -> Result<(), MiroError> {
        self.empty(access, tag.call(Method::POST)).await
    }

    /// Detaches a tag; the item stays.
    pub async fn detach_tag(&self, access: &Access, tag: &TagOnItem) -> Result<(), MiroError> {
        self.empty(access, tag.call(Method::DELETE)).await
    }

    pub async fn item_tags(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<Vec<Tag>, MiroError> {
        let path = format!(
            "/v2/boards/{}/items/{}/tags",
            segment(board_id),
            segment(item_id)
        );
        Ok(self
            .json::<ItemTags>(access, call(Method::GET, path, LEVEL_1))
            .await?
            .tags)
    }

    /// One page of the items carrying a tag.
    pub async fn items_with_tag(
        &self,
        access: &Access,
        board_id: &str,
        tag_id: &str,
        offset: u32,
    ) -> Result<Page<Item>, MiroError> {
        let mut request = call(
            Method::GET,
            format!("/v2/boards/{}/items", segment(board_id)),
            LEVEL_1,
        );
        request.query = vec![
            ("tag_id", tag_id.to_owned()),
            ("limit", "50".to_owned()),
            ("offset", offset.to_string()),
        ];
        self.json(access, request).await
    }
}
