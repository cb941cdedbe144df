//! Request and response bodies of the cart API, and their one-time parse into domain types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cart::{
    CartChange, CartWarning, HandOff, HandOffTarget, LeftBehindAction, RecoveryMode,
};
use crate::domain::{
    Cart, InvalidInput, NewLineItem, OptionSelection, OptionValue, ProductId, Quantity, VariantId,
};

/// `POST /api/cart/items`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItemsRequest {
    pub line_items: Vec<LineItemRequest>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItemRequest {
    pub product_id: i64,
    /// Required for products with variants (unless the options are given as selections).
    #[serde(default)]
    pub variant_id: Option<i64>,
    pub quantity: i64,
    /// Option choices, for products with modifiers (see `modifiers` in `GET /api/products`).
    #[serde(default)]
    pub option_selections: Vec<OptionSelectionRequest>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionSelectionRequest {
    pub option_id: i64,
    /// A value id (dropdown, radio buttons, rectangles, swatch, checkbox), a string (text,
    /// multi-line text, numbers-only text), or `{"date": "YYYY-MM-DD"}` (date).
    pub option_value: OptionValueRequest,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum OptionValueRequest {
    ValueId(i64),
    Text(String),
    Date(DateValueRequest),
}

/// A date modifier's value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateValueRequest {
    /// `YYYY-MM-DD`.
    pub date: String,
}

/// `PATCH /api/cart/items/{item_id}`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQuantityRequest {
    /// The new quantity; 0 removes the line.
    pub quantity: i64,
}

/// `POST /api/cart/coupons`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponRequest {
    /// The code as the shopper typed it: 1 to 50 letters, digits, hyphens or underscores
    /// (surrounding spaces are ignored).
    pub code: String,
}

/// `POST /api/cart/recover`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverRequest {
    /// The `t` parameter of BigCommerce's abandoned-cart e-mail link.
    pub token: String,
    /// What happens to a cart the session already has: `merge` (the default; the recovered
    /// lines are added to it, nothing is lost) or `switch` (the session holds the recovered
    /// cart instead). Without a cart of its own the session simply gets the recovered one.
    #[serde(default)]
    pub mode: RecoveryMode,
}

/// `POST /api/cart/recover`'s answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecoverResponse {
    pub cart: Option<Cart>,
    /// Lines of the recovered cart that could not be merged, with BigCommerce's reason.
    pub warnings: Vec<CartWarning>,
}

/// `POST /api/cart/left-behind`
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeftBehindRequest {
    /// `move` (add the lines left behind at sign-in to the cart) or `discard` (delete them).
    #[schema(value_type = LeftBehindAction)]
    pub action: String,
}

/// `POST /api/cart/left-behind`'s answer to `move`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeftBehindResponse {
    pub cart: Option<Cart>,
    /// Every line still left behind after the move: `line_not_moved` with its reason
    /// (BigCommerce's, where it refused it again), or `line_outcome_unknown` for a line that
    /// may already be in the cart (check it; it is never added again by the service). Empty
    /// when everything moved.
    pub warnings: Vec<CartWarning>,
}

/// Every cart answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartResponse {
    /// `null` when the session has no cart.
    pub cart: Option<Cart>,
    /// What BigCommerce changed that the shopper did not ask for (a free gift added, re-added
    /// under a new id or removed; a coupon dropped; a price, a quantity or a line changed by
    /// the store), from comparing the cart before the change with BigCommerce's answer. Always
    /// empty on a read, and on a change made without an earlier copy of the cart to compare.
    #[serde(default)]
    pub warnings: Vec<CartWarning>,
}

impl CartResponse {
    /// A read: the cart as it is, nothing to warn about.
    pub fn read(cart: Option<Cart>) -> Self {
        CartResponse {
            cart,
            warnings: Vec::new(),
        }
    }
}

impl From<CartChange> for CartResponse {
    fn from(change: CartChange) -> Self {
        CartResponse {
            cart: change.cart,
            warnings: change.warnings,
        }
    }
}

/// Where to send the shopper for one of BigCommerce's hosted pages. Single-use: ask again for
/// every hand-off.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutResponse {
    pub target: HandOffTarget,
    /// The URL to open (once).
    pub url: String,
    /// The same URL under its earlier name, for `target=checkout` only (deprecated: use `url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// The same URL under its earlier name, for `target=embedded_checkout` only (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_checkout_url: Option<String>,
    /// The same URL under its earlier name, for `target=cart` only (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_url: Option<String>,
}

impl From<HandOff> for CheckoutResponse {
    fn from(hand_off: HandOff) -> Self {
        let named =
            |target: HandOffTarget| (hand_off.target == target).then(|| hand_off.url.clone());
        CheckoutResponse {
            target: hand_off.target,
            checkout_url: named(HandOffTarget::Checkout),
            embedded_checkout_url: named(HandOffTarget::EmbeddedCheckout),
            cart_url: named(HandOffTarget::Cart),
            url: hand_off.url,
        }
    }
}

impl AddItemsRequest {
    /// The items to add, each checked, within the configured limits.
    pub fn parse(
        &self,
        max_quantity: u32,
        max_items: usize,
    ) -> Result<Vec<NewLineItem>, InvalidInput> {
        if self.line_items.is_empty() {
            return Err(InvalidInput::new("line_items must not be empty"));
        }
        if self.line_items.len() > max_items {
            return Err(InvalidInput::new(format!(
                "at most {max_items} line_items may be added at once"
            )));
        }
        self.line_items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.parse(max_quantity)
                    .map_err(|e| InvalidInput::new(format!("line_items[{index}]: {}", e.0)))
            })
            .collect()
    }
}

impl LineItemRequest {
    fn parse(&self, max_quantity: u32) -> Result<NewLineItem, InvalidInput> {
        if self.option_selections.len() > crate::domain::MAX_OPTION_SELECTIONS {
            return Err(InvalidInput::new("too many option_selections"));
        }
        Ok(NewLineItem {
            product_id: ProductId::parse(self.product_id)?,
            variant_id: self.variant_id.map(VariantId::parse).transpose()?,
            quantity: Quantity::parse(self.quantity, max_quantity)?,
            option_selections: self
                .option_selections
                .iter()
                .map(|selection| {
                    let value = match &selection.option_value {
                        OptionValueRequest::ValueId(id) => OptionValue::ValueId(*id),
                        OptionValueRequest::Text(text) => OptionValue::Text(text.clone()),
                        OptionValueRequest::Date(date) => OptionValue::parse_date(&date.date)?,
                    };
                    OptionSelection::parse(selection.option_id, value)
                })
                .collect::<Result<_, _>>()?,
        })
    }
}

impl UpdateQuantityRequest {
    /// 0 (remove) to the configured maximum.
    pub fn parse(&self, max_quantity: u32) -> Result<u32, InvalidInput> {
        if self.quantity == 0 {
            return Ok(0);
        }
        Quantity::parse(self.quantity, max_quantity).map(|quantity| quantity.get())
    }
}
