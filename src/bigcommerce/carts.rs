//! The Management Carts API (`/v3/carts`): one method per endpoint.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use time::OffsetDateTime;

use super::client::{Answer, Call, CorrelationId};
use super::wire::{wire_line_items, wire_selections, Envelope, WireCart};
use super::{BigCommerceClient, BigCommerceError, Priority};
use crate::domain::{
    Cart, CartId, CustomerId, LineItemId, NewLineItem, OptionSelection, ProductId, Quantity,
    VariantId,
};

/// Asks for line-item options and promotion banners in every cart BigCommerce returns (they
/// are left out otherwise): the banners cost nothing, they come with the call the cart needs.
pub(super) const CART_INCLUDES: (&str, &str) = (
    "include",
    "line_items.physical_items.options,line_items.digital_items.options,promotions.banners",
);

/// A cart as BigCommerce returned it: our view plus what only the server needs.
#[derive(Debug, Clone)]
pub struct StoreCart {
    pub id: CartId,
    /// 0 for a guest cart.
    pub customer_id: i64,
    /// BigCommerce's optimistic-concurrency counter (0 when it sends none).
    pub version: i64,
    pub cart: Cart,
    /// The callbacks BigCommerce is expected to send about this answer, when it answers a
    /// change we made (none for a read).
    pub echoes: Echoes,
    /// When the call that answered with this cart was sent: a change made elsewhere that was
    /// reported after it may be missing from it, so its stale mark stays (`save_snapshot`).
    pub requested_at: OffsetDateTime,
}

/// How many webhook callbacks one of our own changes is expected to cause, per kind: every
/// change fires `store/cart/updated`, and each changed line a `store/cart/lineItem/*` (the
/// lower bound of what BigCommerce documents, so that an echo is never over-counted).
///
/// Answers to adds and line changes carry none: the cart service notes their echoes before
/// sending them (`cart::echoes`), since callbacks can overtake the answer. Creating a cart
/// (there is no snapshot to note them on yet) and assigning it carry theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Echoes {
    pub updated: i32,
    pub line_items: i32,
}

impl Echoes {
    pub fn of_change(line_items: usize) -> Self {
        Self {
            updated: 1,
            line_items: i32::try_from(line_items).unwrap_or(i32::MAX),
        }
    }
}

/// The single-use hand-off URLs of a cart.
#[derive(Debug, Clone, Deserialize)]
pub struct RedirectUrls {
    pub cart_url: String,
    pub checkout_url: String,
    pub embedded_checkout_url: String,
}

/// What a line is, as a quantity change must repeat it.
#[derive(Debug, Clone)]
pub struct LinePurchase {
    pub product: ProductId,
    pub named_by: LineNamedBy,
}

/// How BigCommerce is told which purchase a line is.
#[derive(Debug, Clone)]
pub enum LineNamedBy {
    /// A product without modifiers: its variant.
    Variant(Option<VariantId>),
    /// A product with modifiers: every variant option and modifier of the line.
    Selections(Vec<OptionSelection>),
}

/// What a new cart is created with.
pub struct NewCart<'a> {
    pub customer_id: Option<CustomerId>,
    pub channel_id: u32,
    pub currency: &'a str,
    pub locale: &'a str,
    pub line_items: &'a [NewLineItem],
}

impl BigCommerceClient {
    /// `POST /carts`: a new cart holding `new.line_items`.
    pub async fn create_cart(
        &self,
        new: &NewCart<'_>,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let mut body = json!({
            "channel_id": new.channel_id,
            "currency": {"code": new.currency},
            "locale": new.locale,
            "line_items": wire_line_items(new.line_items),
        });
        if let Some(customer) = new.customer_id {
            body["customer_id"] = json!(customer.get());
        }
        let call = Call {
            method: Method::POST,
            path: "v3/carts".into(),
            endpoint: "POST /v3/carts",
            query: &[CART_INCLUDES],
            body: Some(body),
            idempotent: false,
        };
        self.cart_answer(call, Echoes::of_change(0), cx).await
    }

    /// `GET /carts/{id}`; `None` when BigCommerce no longer has the cart.
    pub async fn get_cart(
        &self,
        cart: CartId,
        cx: CorrelationId,
    ) -> Result<Option<StoreCart>, BigCommerceError> {
        self.get_cart_as(cart, Priority::Change, cx).await
    }

    /// `GET /carts/{id}` in a given priority class: a revalidation of a snapshot we could
    /// serve instead is a `Refresh`, and is shed first.
    pub async fn get_cart_as(
        &self,
        cart: CartId,
        priority: Priority,
        cx: CorrelationId,
    ) -> Result<Option<StoreCart>, BigCommerceError> {
        let call = Call {
            method: Method::GET,
            path: format!("v3/carts/{cart}"),
            endpoint: "GET /v3/carts/{id}",
            query: &[CART_INCLUDES],
            body: None,
            idempotent: true,
        };
        let answer = self
            .send_as(call, priority, cx)
            .await
            .and_then(|answer| answer.cart());
        match answer {
            Ok(cart) => Ok(Some(cart)),
            Err(BigCommerceError::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `POST /carts/{id}/items`.
    pub async fn add_line_items(
        &self,
        cart: CartId,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::POST,
            path: format!("v3/carts/{cart}/items"),
            endpoint: "POST /v3/carts/{id}/items",
            query: &[CART_INCLUDES],
            body: Some(json!({"line_items": wire_line_items(items)})),
            idempotent: false,
        };
        self.cart_answer(call, Echoes::default(), cx).await
    }

    /// `PUT /carts/{id}/items/{item_id}`: a new quantity for a line. BigCommerce wants the
    /// line's product alongside the quantity, and either its variant or, for a product with
    /// modifiers, every option of the line as `option_selections` (and no `variant_id`).
    pub async fn update_line_item(
        &self,
        cart: CartId,
        item: LineItemId,
        line: &LinePurchase,
        quantity: Quantity,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let mut line_item = json!({"product_id": line.product.get(), "quantity": quantity.get()});
        match &line.named_by {
            LineNamedBy::Variant(Some(variant)) => line_item["variant_id"] = json!(variant.get()),
            LineNamedBy::Variant(None) => {}
            LineNamedBy::Selections(selections) => {
                line_item["option_selections"] = json!(wire_selections(selections));
            }
        }
        let call = Call {
            method: Method::PUT,
            path: format!("v3/carts/{cart}/items/{item}"),
            endpoint: "PUT /v3/carts/{id}/items/{item_id}",
            query: &[CART_INCLUDES],
            body: Some(json!({"line_item": line_item})),
            idempotent: false,
        };
        self.cart_answer(call, Echoes::default(), cx).await
    }

    /// `DELETE /carts/{id}/items/{item_id}`; `None` when that was the last line and
    /// BigCommerce deleted the cart (it answers 204 with no body).
    pub async fn delete_line_item(
        &self,
        cart: CartId,
        item: LineItemId,
        cx: CorrelationId,
    ) -> Result<Option<StoreCart>, BigCommerceError> {
        let call = Call {
            method: Method::DELETE,
            path: format!("v3/carts/{cart}/items/{item}"),
            endpoint: "DELETE /v3/carts/{id}/items/{item_id}",
            query: &[CART_INCLUDES],
            body: None,
            idempotent: false,
        };
        let answer = self.send(call, cx).await?;
        if answer.status == reqwest::StatusCode::NO_CONTENT || answer.body.is_empty() {
            return Ok(None);
        }
        answer.cart().map(Some)
    }

    /// `DELETE /carts/{id}`. A cart that is already gone counts as deleted.
    pub async fn delete_cart(
        &self,
        cart: CartId,
        cx: CorrelationId,
    ) -> Result<(), BigCommerceError> {
        let call = Call {
            method: Method::DELETE,
            path: format!("v3/carts/{cart}"),
            endpoint: "DELETE /v3/carts/{id}",
            query: &[],
            body: None,
            idempotent: true,
        };
        match self.send(call, cx).await {
            Ok(_) | Err(BigCommerceError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// `PUT /carts/{id}`: gives the cart to a customer. A 422 is
    /// `BigCommerceError::CustomerChangeRefused`.
    pub async fn assign_cart_to_customer(
        &self,
        cart: CartId,
        customer: CustomerId,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let call = Call {
            method: Method::PUT,
            path: format!("v3/carts/{cart}"),
            endpoint: "PUT /v3/carts/{id}",
            query: &[CART_INCLUDES],
            body: Some(json!({"customer_id": customer.get()})),
            idempotent: false,
        };
        match self.cart_answer(call, Echoes::of_change(0), cx).await {
            Err(BigCommerceError::Rejected { status: 422, title }) => {
                Err(BigCommerceError::CustomerChangeRefused { title })
            }
            other => other,
        }
    }

    /// `POST /carts/{id}/redirect_urls`: fresh, single-use hand-off URLs.
    pub async fn create_redirect_urls(
        &self,
        cart: CartId,
        cx: CorrelationId,
    ) -> Result<RedirectUrls, BigCommerceError> {
        let call = Call {
            method: Method::POST,
            path: format!("v3/carts/{cart}/redirect_urls"),
            endpoint: "POST /v3/carts/{id}/redirect_urls",
            query: &[],
            // BigCommerce's own guide sends `{}` here.
            body: Some(json!({})),
            idempotent: false,
        };
        let envelope: Envelope<RedirectUrls> = self.send(call, cx).await?.json()?;
        Ok(envelope.data)
    }

    /// The cart a change answered with, and the callbacks that change will cause.
    async fn cart_answer(
        &self,
        call: Call<'_>,
        echoes: Echoes,
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let mut cart = self.send(call, cx).await?.cart()?;
        cart.echoes = echoes;
        Ok(cart)
    }
}

impl Answer {
    /// The cart this answer carries, stamped with when its call was sent.
    pub(super) fn cart(&self) -> Result<StoreCart, BigCommerceError> {
        let envelope: Envelope<WireCart> = self.json()?;
        let mut cart: StoreCart = envelope.data.try_into()?;
        cart.requested_at = self.sent_at;
        Ok(cart)
    }
}
