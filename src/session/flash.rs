//! One-time messages carried across a post-redirect-get: in the session's row, or for a
//! shopper without one, in a signed cookie (a message is no reason to store a session).

use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use super::signing::Signer;
use super::ShopperSession;

const COOKIE_PURPOSE: &str = "checkout-bff flash v1";
/// The longest message a cookie carries (BigCommerce's reasons are a sentence or two; a
/// cookie must stay well under 4 KiB).
const MAX_COOKIE_TEXT_CHARS: usize = 600;

/// A message for the next page the shopper sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashLevel {
    Success,
    Error,
}

impl Flash {
    pub fn success(text: impl Into<String>) -> Self {
        Self {
            level: FlashLevel::Success,
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self {
            level: FlashLevel::Error,
            text: text.into(),
        }
    }
}

impl ShopperSession {
    /// Leaves `flash` for the shopper's next page.
    pub async fn leave_flash(&self, flash: Flash) -> Result<(), sqlx::Error> {
        if self.is_stored() {
            return set_flash(self.sessions().pool(), self.id(), &flash).await;
        }
        self.flash_cookie().outgoing = Some(flash);
        Ok(())
    }

    /// Takes the message waiting for this page, if any: it is shown once.
    pub async fn take_flash(&self) -> Result<Option<Flash>, sqlx::Error> {
        let from_cookie = {
            let mut cookie = self.flash_cookie();
            let flash = cookie.incoming.take();
            cookie.taken |= flash.is_some();
            flash
        };
        let from_row = if self.is_stored() {
            take_flash(self.sessions().pool(), self.id()).await?
        } else {
            None
        };
        Ok(from_row.or(from_cookie))
    }
}

/// The cookie value that carries `flash`.
pub(super) fn encode_flash_cookie(signer: &Signer, flash: &Flash) -> Option<String> {
    let text: String = flash.text.chars().take(MAX_COOKIE_TEXT_CHARS).collect();
    let shortened = Flash {
        level: flash.level,
        text,
    };
    let payload = serde_json::to_vec(&shortened).ok()?;
    Some(signer.sign(COOKIE_PURPOSE, &payload))
}

/// The message a cookie we signed carries; `None` for anything else.
pub(super) fn decode_flash_cookie(signer: &Signer, value: &str) -> Option<Flash> {
    let payload = signer.verify(COOKIE_PURPOSE, value)?;
    serde_json::from_slice(&payload).ok()
}

/// Leaves `flash` for the next page of the session `session` (a stored one).
pub async fn set_flash(pool: &PgPool, session: Uuid, flash: &Flash) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET flash = $2 WHERE id = $1",
        session,
        Json(flash) as _
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes the stored session's pending message, if any: it is shown once.
async fn take_flash(pool: &PgPool, session: Uuid) -> Result<Option<Flash>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        UPDATE sessions AS s SET flash = NULL
        FROM (SELECT id, flash FROM sessions WHERE id = $1 AND flash IS NOT NULL FOR UPDATE) AS old
        WHERE s.id = old.id
        RETURNING old.flash AS "flash!: Json<Flash>"
        "#,
        session
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| row.flash.0))
}
