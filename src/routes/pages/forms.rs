//! The cart page's forms. Each is CSRF-checked (403 and no change otherwise), goes through
//! `CartService`, and answers 303.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use sqlx::PgPool;

use super::super::cart::correlation_id;
use super::{back_to_cart, flash_for, see_other};
use crate::cart::{CartService, HandOffTarget};
use crate::domain::{
    LineItemId, NewLineItem, OptionSelection, OptionValue, ProductId, Quantity, VariantId,
    MAX_OPTION_SELECTIONS,
};
use crate::rate_limit::MutationLimiter;
use crate::session::{Flash, ShopperSession};
use crate::views::error_page;

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf_token: String,
    product_id: String,
    #[serde(default)]
    variant_id: Option<String>,
    #[serde(default)]
    quantity: Option<String>,
    /// Modifiers: `choice_{id}` (a value id), `date_{id}` (`YYYY-MM-DD`), `option_{id}` (text).
    #[serde(flatten)]
    options: std::collections::HashMap<String, String>,
}

impl AddForm {
    /// The non-empty modifier fields as selections; `None` if one is malformed.
    fn selections(&self) -> Option<Vec<OptionSelection>> {
        let selections: Option<Vec<OptionSelection>> = self
            .options
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| {
                let (kind, id) = name.split_once('_')?;
                let id = id.parse().ok()?;
                let value = value.trim();
                let value = match kind {
                    "choice" => OptionValue::ValueId(value.parse().ok()?),
                    "date" => OptionValue::parse_date(value).ok()?,
                    "option" => OptionValue::Text(value.to_owned()),
                    _ => return None,
                };
                OptionSelection::parse(id, value).ok()
            })
            .collect();
        selections.filter(|s| s.len() <= MAX_OPTION_SELECTIONS)
    }
}

#[derive(Deserialize)]
pub struct QuantityForm {
    #[serde(default)]
    csrf_token: String,
    quantity: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// The refusal of a post without this session's CSRF token, or over the rate limit; `None`
/// when the post may go ahead.
pub(super) fn refusal(
    request: &HttpRequest,
    session: &ShopperSession,
    token: &str,
    limiter: &MutationLimiter,
) -> Option<HttpResponse> {
    if !session.verify_csrf_token(token) {
        return Some(error_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Reload the cart page and try again.",
        ));
    }
    limiter
        .check(crate::client_address::client_key(request), session.id())
        .err()
        .map(super::too_many)
}

/// The line a form's path names; a malformed id cannot be in the cart, so the shopper goes
/// back to it with a message.
async fn named_line(
    pool: &PgPool,
    session: &ShopperSession,
    item: &str,
) -> Result<LineItemId, HttpResponse> {
    match LineItemId::parse(item) {
        Ok(item) => Ok(item),
        Err(_) => {
            let flash = Flash::error("That item is no longer in your cart.");
            Err(back_to_cart(pool, session, flash).await)
        }
    }
}

fn parse_number(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

pub async fn add_item(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<AddForm>,
    carts: Data<CartService>,
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let max = carts.settings().max_quantity;
    let quantity = form.quantity.as_deref().map_or(Some(1), parse_number);
    let item = (|| {
        Some(NewLineItem {
            product_id: ProductId::parse(parse_number(&form.product_id)?).ok()?,
            variant_id: match form.variant_id.as_deref().filter(|v| !v.trim().is_empty()) {
                Some(value) => Some(VariantId::parse(parse_number(value)?).ok()?),
                None => None,
            },
            quantity: Quantity::parse(quantity?, max).ok()?,
            option_selections: form.selections()?,
        })
    })();
    let Some(item) = item else {
        let flash = Flash::error(format!(
            "Choose a quantity from 1 to {max}, and fill in the product's options."
        ));
        return back_to_cart(&pool, &session, flash).await;
    };
    let flash = match carts
        .add_items(
            &session,
            std::slice::from_ref(&item),
            correlation_id(&request),
        )
        .await
    {
        Ok(cart) => {
            let name = cart
                .line_items
                .iter()
                .find(|line| line.product_id == Some(item.product_id.get()))
                .map_or_else(|| "item".to_owned(), |line| line.name.clone());
            Flash::success(format!("Added {} × {name}.", item.quantity.get()))
        }
        Err(error) => flash_for(&error),
    };
    back_to_cart(&pool, &session, flash).await
}

pub async fn update_item(
    request: HttpRequest,
    session: ShopperSession,
    item: web::Path<String>,
    form: web::Form<QuantityForm>,
    carts: Data<CartService>,
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let item = match named_line(&pool, &session, &item).await {
        Ok(item) => item,
        Err(back) => return back,
    };
    let max = carts.settings().max_quantity;
    let Some(quantity) = parse_number(&form.quantity)
        .filter(|q| (0..=i64::from(max)).contains(q))
        .and_then(|q| u32::try_from(q).ok())
    else {
        let flash = Flash::error(format!("Choose a quantity from 0 to {max}."));
        return back_to_cart(&pool, &session, flash).await;
    };
    let flash = match carts
        .set_quantity(&session, item, quantity, correlation_id(&request))
        .await
    {
        Ok(_) if quantity == 0 => Flash::success("Removed the item."),
        Ok(_) => Flash::success(format!("Quantity changed to {quantity}.")),
        Err(error) => flash_for(&error),
    };
    back_to_cart(&pool, &session, flash).await
}

pub async fn remove_item(
    request: HttpRequest,
    session: ShopperSession,
    item: web::Path<String>,
    form: web::Form<CsrfForm>,
    carts: Data<CartService>,
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let item = match named_line(&pool, &session, &item).await {
        Ok(item) => item,
        Err(back) => return back,
    };
    let flash = match carts
        .remove_item(&session, item, correlation_id(&request))
        .await
    {
        Ok(_) => Flash::success("Removed the item."),
        Err(error) => flash_for(&error),
    };
    back_to_cart(&pool, &session, flash).await
}

pub async fn clear_cart(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CsrfForm>,
    carts: Data<CartService>,
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let flash = match carts.clear(&session, correlation_id(&request)).await {
        Ok(()) => Flash::success("Your cart is empty now."),
        Err(error) => flash_for(&error),
    };
    back_to_cart(&pool, &session, flash).await
}

pub async fn checkout(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CsrfForm>,
    carts: Data<CartService>,
    limiter: Data<MutationLimiter>,
    pool: Data<PgPool>,
) -> HttpResponse {
    if let Some(refused) = refusal(&request, &session, &form.csrf_token, &limiter) {
        return refused;
    }
    let target = HandOffTarget::Checkout;
    match carts
        .checkout(&session, target, correlation_id(&request))
        .await
    {
        Ok(hand_off) => see_other(&hand_off.url),
        Err(error) => back_to_cart(&pool, &session, flash_for(&error)).await,
    }
}
