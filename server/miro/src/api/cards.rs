//! App cards and cards: create, get, change (partial), delete.

use reqwest::Method;
use serde::{de::DeserializeOwned, Serialize};

use super::{call, call_with, to_json, LEVEL_1, LEVEL_2, LEVEL_3};
use crate::{segment, Access, AppCard, AppCardWrite, Card, CardWrite, MiroClient, MiroError};

fn path(board_id: &str, kind: &str, item_id: Option<&str>) -> String {
    match item_id {
        Some(item) => format!("/v2/boards/{}/{kind}/{}", segment(board_id), segment(item)),
        None => format!("/v2/boards/{}/{kind}", segment(board_id)),
    }
}

impl MiroClient {
    async fn create_typed<T: DeserializeOwned>(
        &self,
        access: &Access,
        board_id: &str,
        kind: &str,
        body: &impl Serialize,
    ) -> Result<T, MiroError> {
        self.json(
            access,
            call_with(
                Method::POST,
                path(board_id, kind, None),
                LEVEL_2,
                to_json(body),
            ),
        )
        .await
    }

    async fn get_typed<T: DeserializeOwned>(
        &self,
        access: &Access,
        board_id: &str,
        kind: &str,
        item_id: &str,
    ) -> Result<T, MiroError> {
        self.json(
            access,
            call(Method::GET, path(board_id, kind, Some(item_id)), LEVEL_1),
        )
        .await
    }

    async fn update_typed<T: DeserializeOwned>(
        &self,
        access: &Access,
        board_id: &str,
        kind: &str,
        item_id: &str,
        body: &impl Serialize,
    ) -> Result<T, MiroError> {
        self.json(
            access,
            call_with(
                Method::PATCH,
                path(board_id, kind, Some(item_id)),
                LEVEL_2,
                to_json(body),
            ),
        )
        .await
    }

    async fn delete_typed(
        &self,
        access: &Access,
        board_id: &str,
        kind: &str,
        item_id: &str,
    ) -> Result<(), MiroError> {
        self.empty(
            access,
            call(Method::DELETE, path(board_id, kind, Some(item_id)), LEVEL_3),
        )
        .await
    }

    /// Creates an app card. Not retried once sent: see the module docs.
    pub async fn create_app_card(
        &self,
        access: &Access,
        board_id: &str,
        card: &AppCardWrite,
    ) -> Result<AppCard, MiroError> {
        self.create_typed(access, board_id, "app_cards", card).await
    }

    pub async fn app_card(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<AppCard, MiroError> {
        self.get_typed(access, board_id, "app_cards", item_id).await
    }

    /// Changes only what `changes` sets.
    pub async fn update_app_card(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
        changes: &AppCardWrite,
    ) -> Result<AppCard, MiroError> {
        self.update_typed(access, board_id, "app_cards", item_id, changes)
            .await
    }

    pub async fn delete_app_card(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<(), MiroError> {
        self.delete_typed(access, board_id, "app_cards", item_id)
            .await
    }

    /// Creates a card. Not retried once sent: see the module docs.
    pub async fn create_card(
        &self,
        access: &Access,
        board_id: &str,
        card: &CardWrite,
    ) -> Result<Card, MiroError> {
        self.create_typed(access, board_id, "cards", card).await
    }

    pub async fn card(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<Card, MiroError> {
        self.get_typed(access, board_id, "cards", item_id).await
    }

    /// Changes only what `changes` sets.
    pub async fn update_card(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
        changes: &CardWrite,
    ) -> Result<Card, MiroError> {
        self.update_typed(access, board_id, "cards", item_id, changes)
            .await
    }

    pub async fn delete_card(
        &self,
        access: &Access,
        board_id: &str,
        item_id: &str,
    ) -> Result<(), MiroError> {
        self.delete_typed(access, board_id, "cards", item_id).await
    }
}
