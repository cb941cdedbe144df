//! The cart page's forms. Each is CSRF-checked (403 and no change otherwise), has its input
//! checked (a message, and nothing spent), spends the client's fair share of the store's
//! quota (429 when it is spent), goes through `CartService`, and answers 303.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::cart::correlation_id;
use super::{
    back_to_cart, charging, flash_for, see_other, spend_share, warnings_text, with_warnings,
};
use crate::cart::{Asked, CartService, HandOffTarget, LeftBehindAction};
use crate::domain::{
    LineItemId, NewLineItem, OptionSelection, OptionValue, ProductId, Quantity, VariantId,
    MAX_OPTION_SELECTIONS,
};
use crate::fair_shares::FairShares;
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
    /// The non-empty modifier fields as selections; `None` if one is malformed. Fields that
    /// are not modifier fields (a submit button's name, a tracking parameter a browser
    /// extension adds) are ignored.
    fn selections(&self) -> Option<Vec<OptionSelection>> {
        let selections: Option<Vec<OptionSelection>> = self
            .options
            .iter()
            .filter_map(|(name, value)| modifier_field(name).map(|field| (field, value)))
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|((kind, id), value)| {
                let value = value.trim();
                let value = match kind {
                    ModifierField::Choice => OptionValue::ValueId(value.parse().ok()?),
                    ModifierField::Date => OptionValue::parse_date(value).ok()?,
                    ModifierField::Text => OptionValue::Text(value.to_owned()),
                };
                OptionSelection::parse(id, value).ok()
            })
            .collect();
        selections.filter(|s| s.len() <= MAX_OPTION_SELECTIONS)
    }
}

#[derive(Clone, Copy)]
enum ModifierField {
    Choice,
    Date,
    Text,
}

/// `choice_{id}`, `date_{id}` or `option_{id}` with a numeric id; `None` for any other name.
fn modifier_field(name: &str) -> Option<(ModifierField, i64)> {
    let (kind, id) = name.split_once('_')?;
    let kind = match kind {
        "choice" => ModifierField::Choice,
        "date" => ModifierField::Date,
        "option" => ModifierField::Text,
        _ => return None,
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, id.parse().ok()?))
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

#[derive(Deserialize)]
pub struct LeftBehindForm {
    #[serde(default)]
    csrf_token: String,
    /// The button pressed: `move` or `discard`.
    #[serde(default)]
    action: String,
}

/// The refusal of a post without this session's CSRF token; `None` when it may go ahead.
pub(super) fn forged(session: &ShopperSession, token: &str) -> Option<HttpResponse> {
    (!session.verify_csrf_token(token)).then(|| {
        error_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Reload the cart page and try again.",
        )
    })
}

/// What a change to the session's cart costs: one call, or none without a cart.
pub(super) fn on_cart(session: &ShopperSession) -> u32 {
    u32::from(session.cart_id().is_some())
}

/// The line a form's path names; a malformed id cannot be in the cart, so the shopper goes
/// back to it with a message.
async fn named_line(session: &ShopperSession, item: &str) -> Result<LineItemId, HttpResponse> {
    match LineItemId::parse(item) {
        Ok(item) => Ok(item),
        Err(_) => {
            let flash = Flash::error("That item is no longer in your cart.");
            Err(back_to_cart(session, flash).await)
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
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
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
        return back_to_cart(&session, flash).await;
    };
    let charged = match spend_share(&request, &session, &shares, 1).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let before = session.snapshot().map(|s| s.cart.clone());
    let items = std::slice::from_ref(&item);
    let added = charging(
        &shares,
        charged,
        carts.add_items(&session, items, correlation_id(&request)),
    )
    .await;
    let flash = match added {
        Ok(cart) => {
            let name = cart
                .line_items
                .iter()
                .find(|line| line.product_id == Some(item.product_id.get()))
                .map_or_else(|| "item".to_owned(), |line| line.name.clone());
            let change = carts.changed(before.as_ref(), Some(cart), Asked::Add(items));
            with_warnings(
                format!("Added {} × {name}.", item.quantity.get()),
                &change.warnings,
            )
        }
        Err(error) => flash_for(&error),
    };
    back_to_cart(&session, flash).await
}

pub async fn update_item(
    request: HttpRequest,
    session: ShopperSession,
    item: web::Path<String>,
    form: web::Form<QuantityForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let item = match named_line(&session, &item).await {
        Ok(item) => item,
        Err(back) => return back,
    };
    let max = carts.settings().max_quantity;
    let Some(quantity) = parse_number(&form.quantity)
        .filter(|q| (0..=i64::from(max)).contains(q))
        .and_then(|q| u32::try_from(q).ok())
    else {
        let flash = Flash::error(format!("Choose a quantity from 0 to {max}."));
        return back_to_cart(&session, flash).await;
    };
    let charged = match spend_share(&request, &session, &shares, on_cart(&session)).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let before = session.snapshot().map(|s| s.cart.clone());
    let changed = charging(
        &shares,
        charged,
        carts.set_quantity(&session, item, quantity, correlation_id(&request)),
    )
    .await;
    let id = item.to_string();
    let asked = Asked::SetQuantity {
        item: &id,
        quantity,
    };
    let flash = match changed {
        Ok(cart) => {
            let change = carts.changed(before.as_ref(), cart, asked);
            let done = match quantity {
                0 => "Removed the item.".to_owned(),
                _ => format!("Quantity changed to {quantity}."),
            };
            with_warnings(done, &change.warnings)
        }
        Err(error) => flash_for(&error),
    };
    back_to_cart(&session, flash).await
}

pub async fn remove_item(
    request: HttpRequest,
    session: ShopperSession,
    item: web::Path<String>,
    form: web::Form<CsrfForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let item = match named_line(&session, &item).await {
        Ok(item) => item,
        Err(back) => return back,
    };
    let charged = match spend_share(&request, &session, &shares, on_cart(&session)).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let before = session.snapshot().map(|s| s.cart.clone());
    let removed = charging(
        &shares,
        charged,
        carts.remove_item(&session, item, correlation_id(&request)),
    )
    .await;
    let id = item.to_string();
    let flash = match removed {
        Ok(cart) => {
            let change = carts.changed(before.as_ref(), cart, Asked::Remove(&id));
            with_warnings("Removed the item.".to_owned(), &change.warnings)
        }
        Err(error) => flash_for(&error),
    };
    back_to_cart(&session, flash).await
}

pub async fn clear_cart(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CsrfForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let charged = match spend_share(&request, &session, &shares, on_cart(&session)).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let cleared = charging(
        &shares,
        charged,
        carts.clear(&session, correlation_id(&request)),
    )
    .await;
    let flash = match cleared {
        Ok(()) => Flash::success("Your cart is empty now."),
        Err(error) => flash_for(&error),
    };
    back_to_cart(&session, flash).await
}

pub async fn checkout(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<CsrfForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let charged = match spend_share(&request, &session, &shares, on_cart(&session)).await {
        Ok(charged) => charged,
        Err(refused) => return refused,
    };
    let target = HandOffTarget::Checkout;
    let handed_off = charging(
        &shares,
        charged,
        carts.checkout(&session, target, correlation_id(&request)),
    )
    .await;
    match handed_off {
        Ok(hand_off) => see_other(&hand_off.url),
        Err(error) => back_to_cart(&session, flash_for(&error)).await,
    }
}

/// The two buttons of the lines left behind at sign-in.
pub async fn left_behind(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<LeftBehindForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let Ok(action) = LeftBehindAction::parse(&form.action) else {
        let flash = Flash::error("Choose to add the items to your cart or to remove them.");
        return back_to_cart(&session, flash).await;
    };
    let cx = correlation_id(&request);
    let flash = match action {
        LeftBehindAction::Move => {
            let calls = match carts.left_behind_move_calls(&session).await {
                Ok(calls) => calls,
                Err(error) => return back_to_cart(&session, flash_for(&error)).await,
            };
            let charged = match spend_share(&request, &session, &shares, calls).await {
                Ok(charged) => charged,
                Err(refused) => return refused,
            };
            let moved = charging(&shares, charged, carts.move_left_behind(&session, cx)).await;
            match moved {
                Ok(moved) if moved.warnings.is_empty() => {
                    Flash::success("The items are in your cart now.")
                }
                Ok(moved) => Flash::error(format!(
                    "Not everything could be added. {}",
                    warnings_text(&moved.warnings)
                )),
                Err(error) => flash_for(&error),
            }
        }
        // No BigCommerce call: nothing to charge.
        LeftBehindAction::Discard => match carts.discard_left_behind(&session).await {
            Ok(()) => Flash::success("Removed the items."),
            Err(error) => flash_for(&error),
        },
    };
    back_to_cart(&session, flash).await
}
