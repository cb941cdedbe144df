//! `/v3/carts/{cart_id}/items[/{item_id}]`: add 201, update 200, delete 200 or 204 when the
//! last item went (the cart is then deleted).

use serde::Deserialize;
use uuid::Uuid;

use super::body::{parse_json, parse_optional_json};
use super::carts::{cart_envelope, parse_cart_id};
use super::errors::{from_cart_error, ApiError};
use super::response::ApiReply;
use super::Ctx;
use crate::state::cart_ops::{ItemChange, NewLines, UpdateItemInput};
use crate::state::errors::CartError;
use crate::state::extra_lines::{CustomItemInput, GiftCertificateInput};
use crate::state::line_items::LineItemInput;

#[derive(Debug, Deserialize, Default)]
struct AddItemsBody {
    #[serde(default)]
    line_items: Vec<LineItemInput>,
    #[serde(default)]
    custom_items: Vec<CustomItemInput>,
    #[serde(default)]
    gift_certificates: Vec<GiftCertificateInput>,
    version: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
struct UpdateItemBody {
    line_item: Option<UpdateItemInput>,
    version: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
struct VersionBody {
    version: Option<u64>,
}

fn parse_item_id(raw: &str) -> Result<Uuid, CartError> {
    Uuid::parse_str(raw).map_err(|_| CartError::ItemNotFound)
}

/// `POST /carts/{cart_id}/items`.
pub fn add(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    let body: AddItemsBody = parse_json(ctx.body)?;
    let lines = NewLines {
        line_items: &body.line_items,
        custom_items: &body.custom_items,
        gift_certificates: &body.gift_certificates,
    };
    let cart = ctx
        .state
        .add_items(id, lines, body.version)
        .map_err(|e| from_cart_error(ctx.state, e, true))?;
    Ok(ApiReply::json(201, cart_envelope(ctx, &cart, true)))
}

/// `PUT /carts/{cart_id}/items/{item_id}`.
pub fn update(ctx: &Ctx<'_>, raw_id: &str, raw_item: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    let body: UpdateItemBody = parse_json(ctx.body)?;
    let change = parse_item_id(raw_item).and_then(|item_id| {
        let line_item = body.line_item.ok_or_else(|| CartError::Unprocessable {
            title: "JSON data is missing or is invalid".to_owned(),
            errors: Some([("line_item".to_owned(), "error.path.missing".to_owned())].into()),
        })?;
        ctx.state.update_item(id, item_id, &line_item, body.version)
    });
    reply(ctx, change, 200)
}

/// `DELETE /carts/{cart_id}/items/{item_id}` (optional `{"version"}` body).
pub fn delete(ctx: &Ctx<'_>, raw_id: &str, raw_item: &str) -> Result<ApiReply, ApiError> {
    let id = parse_cart_id(ctx.state, raw_id)?;
    let body: VersionBody = parse_optional_json(ctx.body)?;
    let change =
        parse_item_id(raw_item).and_then(|item| ctx.state.remove_item(id, item, body.version));
    reply(ctx, change, 200)
}

fn reply(
    ctx: &Ctx<'_>,
    change: Result<ItemChange, CartError>,
    status: u16,
) -> Result<ApiReply, ApiError> {
    match change.map_err(|e| from_cart_error(ctx.state, e, true))? {
        ItemChange::Cart(cart) => Ok(ApiReply::json(status, cart_envelope(ctx, &cart, true))),
        ItemChange::CartDeleted => Ok(ApiReply::empty()),
    }
}
