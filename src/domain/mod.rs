//! Domain types: input is parsed into these once, at the edge, and everything below the
//! handlers takes them rather than raw strings and numbers.

mod cart;
mod checkout;
mod country_code;
mod coupon_code;
mod email_address;
mod gift_certificate;
mod idempotency_key;
mod ids;
mod new_line_item;
mod order_note;
mod quantity;
mod recovery_token;

pub use cart::{
    Cart, CartCurrency, CartLineItem, CartProblem, CartTotals, Coupon, LineItemOption,
    LineItemType, LineProblem, LineProblemCode, PromotionBanner, PromotionType, SnapshotBody,
};
pub use checkout::{
    CartShipping, CheckoutFacts, ShippingDestination, ShippingOption, ShippingOptionId,
    MAX_POSTAL_CODE, MAX_STATE,
};
pub use country_code::CountryCode;
pub use coupon_code::{CouponCode, MAX_COUPON_CODE_LEN};
pub use email_address::EmailAddress;
pub use gift_certificate::{
    GiftCertificateTheme, GiftParty, NewGiftCertificate, MAX_GIFT_MESSAGE, MAX_GIFT_NAME,
};
pub use idempotency_key::IdempotencyKey;
pub use ids::{CartId, CustomerId, LineItemId, ProductId, VariantId};
pub use new_line_item::{
    NewLineItem, OptionSelection, OptionValue, MAX_OPTION_SELECTIONS, MAX_OPTION_TEXT,
};
pub use order_note::{OrderNote, MAX_ORDER_NOTE};
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
