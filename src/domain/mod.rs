//! Domain types: input is parsed into these once, at the edge, and everything below the
//! handlers takes them rather than raw strings and numbers.

mod cart;
mod coupon_code;
mod email_address;
mod idempotency_key;
mod ids;
mod new_line_item;
mod quantity;
mod recovery_token;

pub use cart::{
    Cart, CartCurrency, CartLineItem, CartTotals, Coupon, LineItemOption, LineItemType,
    PromotionBanner, PromotionType,
};
pub use coupon_code::{CouponCode, MAX_COUPON_CODE_LEN};
pub use email_address::EmailAddress;
pub use idempotency_key::IdempotencyKey;
pub use ids::{CartId, CustomerId, LineItemId, ProductId, VariantId};
pub use new_line_item::{
    NewLineItem, OptionSelection, OptionValue, MAX_OPTION_SELECTIONS, MAX_OPTION_TEXT,
};
pub use quantity::Quantity;
pub use recovery_token::RecoveryToken;

/// Why an input value was refused; the message is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl InvalidInput {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
