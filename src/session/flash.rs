//! One-time messages carried across a post-redirect-get.

use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

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

/// Leaves `flash` for the session's next page.
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

/// Takes the session's pending message, if any: it is shown once.
pub async fn take_flash(pool: &PgPool, session: Uuid) -> Result<Option<Flash>, sqlx::Error> {
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
