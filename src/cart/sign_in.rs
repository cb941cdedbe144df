//! Whose cart it is when a shopper signs in. The rule, in one place:
//!
//! - a guest cart and no remembered customer cart: the guest cart is **assigned** to the
//!   customer (`PUT /carts/{id}` with `customer_id`);
//! - a guest cart and a customer cart: the guest lines are **merged** into the customer's cart
//!   (BigCommerce sums quantities per product, variant and options) and the guest cart is
//!   deleted;
//! - no guest cart and a customer cart: the customer's cart is **restored**;
//! - neither: no cart yet; carts created while signed in carry the customer id from the start.

use serde::Serialize;
use utoipa::ToSchema;

use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{CorrelationId, StoreCart};
use crate::domain::{
    Cart, CartId, CartLineItem, CustomerId, NewLineItem, OptionSelection, OptionValue, ProductId,
    Quantity, VariantId,
};
use crate::session::ShopperSession;

/// What happened to the carts at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInCartOutcome {
    CartAssigned,
    CartMerged,
    CartRestored,
}

/// The signed-in shopper's cart after the rule ran.
pub struct SignedInCart {
    pub cart_id: Option<CartId>,
    pub cart: Option<Cart>,
    pub outcome: Option<SignInCartOutcome>,
}

impl CartService {
    /// Applies the sign-in rule for `customer` to the session's guest cart.
    #[tracing::instrument(name = "Carts at sign-in", skip_all, fields(session.id = %session.id()))]
    pub async fn sign_in(
        &self,
        session: &ShopperSession,
        customer: CustomerId,
        remembered: Option<CartId>,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        let guest = session
            .cart_id()
            .map(CartId::new)
            .filter(|cart| Some(*cart) != remembered);
        let remembered = match remembered {
            Some(cart) => self.still_there(cart, cx).await?,
            None => None,
        };
        match (guest, remembered) {
            (None, None) => Ok(SignedInCart {
                cart_id: None,
                cart: None,
                outcome: None,
            }),
            (None, Some(cart)) => Ok(self
                .adopted(cart, customer, SignInCartOutcome::CartRestored)
                .await?),
            (Some(guest), None) => self.assign(guest, customer, cx).await,
            (Some(guest), Some(customer_cart)) => {
                self.merge(session, guest, customer_cart, customer, cx)
                    .await
            }
        }
    }

    /// The customer's remembered cart, if BigCommerce still has it (one read).
    async fn still_there(
        &self,
        cart: CartId,
        cx: CorrelationId,
    ) -> Result<Option<StoreCart>, CartError> {
        match self.bigcommerce.get_cart(cart, cx).await? {
            Some(current) => Ok(Some(current)),
            None => {
                store::forget_cart(&self.pool, cart).await?;
                Ok(None)
            }
        }
    }

    async fn assign(
        &self,
        guest: CartId,
        customer: CustomerId,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        match self
            .bigcommerce
            .assign_cart_to_customer(guest, customer, cx)
            .await
        {
            Ok(cart) => {
                self.adopted(cart, customer, SignInCartOutcome::CartAssigned)
                    .await
            }
            Err(error) if error.may_mean_cart_gone() => {
                match self.settle_gone_cart(guest, cx).await? {
                    None => Ok(SignedInCart {
                        cart_id: None,
                        cart: None,
                        outcome: None,
                    }),
                    Some(_) => Err(error.into()),
                }
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn merge(
        &self,
        session: &ShopperSession,
        guest: CartId,
        customer_cart: StoreCart,
        customer: CustomerId,
        cx: CorrelationId,
    ) -> Result<SignedInCart, CartError> {
        let guest_lines = match session.snapshot().filter(|s| !s.stale) {
            Some(snapshot) => snapshot.cart.line_items.clone(),
            None => match self.bigcommerce.get_cart(guest, cx).await? {
                Some(current) => current.cart.line_items,
                None => {
                    store::forget_cart(&self.pool, guest).await?;
                    return self
                        .adopted(customer_cart, customer, SignInCartOutcome::CartRestored)
                        .await;
                }
            },
        };
        let items: Vec<NewLineItem> = guest_lines.iter().filter_map(line_to_add).collect();
        if items.is_empty() {
            self.delete_guest_cart(guest, cx).await;
            return self
                .adopted(customer_cart, customer, SignInCartOutcome::CartRestored)
                .await;
        }
        match self
            .bigcommerce
            .add_line_items(customer_cart.id, &items, cx)
            .await
        {
            Ok(merged) => {
                self.delete_guest_cart(guest, cx).await;
                self.adopted(merged, customer, SignInCartOutcome::CartMerged)
                    .await
            }
            // The customer's cart vanished in between: the guest cart becomes theirs.
            Err(error) if error.may_mean_cart_gone() => {
                store::forget_cart(&self.pool, customer_cart.id).await?;
                self.assign(guest, customer, cx).await
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn delete_guest_cart(&self, guest: CartId, cx: CorrelationId) {
        if let Err(error) = self.bigcommerce.delete_cart(guest, cx).await {
            tracing::warn!(error = %error, cart.id = %guest, "could not delete a merged guest cart");
        }
        if let Err(error) = store::forget_cart(&self.pool, guest).await {
            tracing::warn!(error = %error, cart.id = %guest, "could not forget a merged guest cart");
        }
    }

    /// Records `cart` as the customer's and returns it.
    async fn adopted(
        &self,
        cart: StoreCart,
        customer: CustomerId,
        outcome: SignInCartOutcome,
    ) -> Result<SignedInCart, CartError> {
        store::save_snapshot(&self.pool, &cart).await?;
        store::remember_customer_cart(&self.pool, customer.get(), cart.id).await?;
        Ok(SignedInCart {
            cart_id: Some(cart.id),
            cart: Some(cart.cart),
            outcome: Some(outcome),
        })
    }
}

/// A guest line as an item to add elsewhere. With options, BigCommerce wants every option as a
/// selection and no variant id; without, the variant id. Custom and gift-certificate lines
/// cannot be re-added and stay behind.
fn line_to_add(line: &CartLineItem) -> Option<NewLineItem> {
    let product_id = ProductId::parse(line.product_id?).ok()?;
    let quantity = Quantity::parse(i64::try_from(line.quantity).ok()?, u32::MAX).ok()?;
    let selections: Vec<OptionSelection> = line
        .options
        .iter()
        .filter_map(|option| {
            let value = match option.option_value_id {
                Some(id) => OptionValue::ValueId(id),
                None => OptionValue::Text(option.value.clone()),
            };
            OptionSelection::parse(option.option_id?, value).ok()
        })
        .collect();
    let variant_id = if selections.is_empty() {
        line.variant_id.and_then(|id| VariantId::parse(id).ok())
    } else {
        None
    };
    Some(NewLineItem {
        product_id,
        variant_id,
        quantity,
        option_selections: selections,
    })
}
