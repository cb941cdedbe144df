//! Changing the lines of the cart.

use actix_web::web::{self, Data};
use actix_web::HttpResponse;

use super::dto::{AddItemsRequest, CartResponse, UpdateQuantityRequest};
use super::mutation::{Cost, Mutation};
use crate::cart::{Asked, CartError, CartService};
use crate::domain::{Cart, LineItemId};
use crate::errors::Problem;
use crate::idempotency::Answer;

/// Add line items; the session's first add creates its cart.
#[utoipa::path(
    post, path = "/api/cart/items", tag = "cart",
    request_body = AddItemsRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 201, description = "The cart with the items added", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still in flight (idempotency_key_in_flight), its lost outcome is being settled (idempotency_outcome_pending, with Retry-After), or cannot be told because the cart changed since (idempotency_outcome_unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input (invalid_input), BigCommerce refused the items (product_unavailable, quantity_limit, option_required, upstream_rejected; BigCommerce's title is the detail), or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_items(
    mutation: Mutation,
    body: web::Json<AddItemsRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let settings = carts.settings();
    let items = body.parse(settings.max_quantity, settings.max_line_items_per_request)?;
    // Adding twice adds twice: with a key, a lost outcome is settled by reading the cart.
    let plan = {
        let (carts, session, items) = (carts.clone(), mutation.session.clone(), items.clone());
        let cx = mutation.correlation;
        async move { carts.check_for_add(&session, &items, cx).await }
    };
    mutation
        .run_settled(
            &*body,
            Cost::Always(1),
            plan,
            added,
            |session, cx| async move {
                let before = session.snapshot().map(|s| s.cart.clone());
                let cart = carts.add_items(&session, &items, cx).await?;
                let change = carts.changed(before.as_ref(), Some(cart), Asked::Add(&items));
                Ok(Answer::created(CartResponse::from(change)))
            },
        )
        .await
}

/// A lost add settled as landed: nothing to compare it with, so no warnings.
fn added(cart: Cart) -> Answer {
    Answer::created(CartResponse::read(Some(cart)))
}

/// Change a line's quantity; 0 removes it.
#[utoipa::path(
    patch, path = "/api/cart/items/{item_id}", tag = "cart",
    request_body = UpdateQuantityRequest,
    params(
        ("item_id" = String, Path, description = "Line-item id (a UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe"),
    ),
    responses(
        (status = 200, description = "The cart; null when the last line was removed", body = CartResponse),
        (status = 400, description = "Malformed JSON or unknown fields (invalid_json)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such line (item_not_found)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than application.max_json_body_bytes (payload_too_large)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json (unsupported_media_type)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid quantity (invalid_input), BigCommerce refused it (quantity_limit, ...), the line cannot be changed (line_not_editable), a promotion added the line (line_added_by_promotion; nothing is sent to BigCommerce), or the Idempotency-Key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_item(
    mutation: Mutation,
    item: web::Path<String>,
    body: web::Json<UpdateQuantityRequest>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let item = LineItemId::parse(&item).map_err(|_| CartError::ItemNotFound)?;
    let quantity = body.parse(carts.settings().max_quantity)?;
    mutation
        .run(&*body, Cost::OnCart(1), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts.set_quantity(&session, item, quantity, cx).await?;
            let id = item.to_string();
            let asked = Asked::SetQuantity {
                item: &id,
                quantity,
            };
            Ok(Answer::ok(CartResponse::from(carts.changed(
                before.as_ref(),
                cart,
                asked,
            ))))
        })
        .await
}

/// Remove a line.
#[utoipa::path(
    delete, path = "/api/cart/items/{item_id}", tag = "cart",
    params(
        ("item_id" = String, Path, description = "Line-item id (a UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe"),
    ),
    responses(
        (status = 200, description = "The cart; null when that was the last line", body = CartResponse),
        (status = 404, description = "No such line (item_not_found)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still in flight (idempotency_key_in_flight)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A promotion added the line (line_added_by_promotion; nothing is sent to BigCommerce), an invalid Idempotency-Key (invalid_input), or the key was used for another request (idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The fair share of the store's API quota of this session or client address is spent (too_many_requests, with Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "BigCommerce is unavailable (upstream_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "BigCommerce's rate limit (upstream_rate_limited) or the store's API budget (upstream_busy), with Retry-After, or the database is unavailable (database_unavailable)", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "BigCommerce did not answer in time (upstream_timeout)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_item(
    mutation: Mutation,
    item: web::Path<String>,
    carts: Data<CartService>,
) -> Result<HttpResponse, CartError> {
    let item = LineItemId::parse(&item).map_err(|_| CartError::ItemNotFound)?;
    mutation
        .run(&(), Cost::OnCart(1), |session, cx| async move {
            let before = session.snapshot().map(|s| s.cart.clone());
            let cart = carts.remove_item(&session, item, cx).await?;
            let id = item.to_string();
            let change = carts.changed(before.as_ref(), cart, Asked::Remove(&id));
            Ok(Answer::ok(CartResponse::from(change)))
        })
        .await
}
