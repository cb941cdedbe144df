//! Changing and removing a line: find it (cheaply), change it with one BigCommerce call, and
//! settle a failure that may mean the cart is gone with one read.

use super::selections::{line_named_by, Unrebuilt};
use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{BigCommerceError, CorrelationId, Echoes, LinePurchase, StoreCart};
use crate::catalog::KnownModifiers;
use crate::domain::{Cart, CartId, CartLineItem, LineItemId, ProductId, Quantity};
use crate::session::ShopperSession;

/// A line located in the session's cart.
struct LocatedLine {
    cart: CartId,
    line: CartLineItem,
    /// The cart it was found in (the fresh snapshot, or the cart just read).
    seen_in: Cart,
}

impl CartService {
    /// Sets a line's quantity; 0 removes the line.
    #[tracing::instrument(name = "Change quantity", skip_all, fields(session.id = %session.id()))]
    pub async fn set_quantity(
        &self,
        session: &ShopperSession,
        item: LineItemId,
        quantity: u32,
        cx: CorrelationId,
    ) -> Result<Option<Cart>, CartError> {
        if quantity == 0 {
            return self.remove_item(session, item, cx).await;
        }
        let quantity = Quantity::parse(i64::from(quantity), self.settings.max_quantity)?;
        let line = self.locate_line(session, item, cx).await?;
        // The line already has that quantity (as a fresh snapshot, or the cart just read,
        // shows): nothing to send, and no callback to expect.
        if u64::from(quantity.get()) == line.line.quantity {
            return Ok(Some(line.seen_in));
        }
        let purchase = self.line_purchase(&line.line, cx).await?;
        let change = self
            .bigcommerce
            .update_line_item(line.cart, item, &purchase, quantity, cx);
        let result = self
            .expecting_echoes(line.cart, Echoes::of_change(1), change)
            .await;
        match result {
            Ok(cart) => self.answer_with(session, line.cart, cart).await,
            Err(error) => Err(self
                .settle_failed_line_change(line.cart, item, error, cx)
                .await),
        }
    }

    /// Removes a line; `None` when it was the last one (BigCommerce then deletes the cart).
    #[tracing::instrument(name = "Remove line", skip_all, fields(session.id = %session.id()))]
    pub async fn remove_item(
        &self,
        session: &ShopperSession,
        item: LineItemId,
        cx: CorrelationId,
    ) -> Result<Option<Cart>, CartError> {
        let line = self.locate_line(session, item, cx).await?;
        let change = self.bigcommerce.delete_line_item(line.cart, item, cx);
        match self
            .expecting_echoes(line.cart, Echoes::of_change(1), change)
            .await
        {
            Ok(Some(cart)) => self.answer_with(session, line.cart, cart).await,
            Ok(None) => {
                store::forget_cart(&self.pool, line.cart).await?;
                Ok(None)
            }
            Err(error) => Err(self
                .settle_failed_line_change(line.cart, item, error, cx)
                .await),
        }
    }

    /// The answer to a change of a line: the cart, unless BigCommerce's answer shows it became
    /// another customer's (on the hosted checkout, within the snapshot's TTL): then the session
    /// lets go of it and is shown nothing of it.
    async fn answer_with(
        &self,
        session: &ShopperSession,
        cart_id: CartId,
        cart: StoreCart,
    ) -> Result<Option<Cart>, CartError> {
        // As stored: the checkout's last word shows as far as it still holds.
        let stored = store::save_snapshot(&self.pool, &cart).await?;
        if !super::service::may_hold(session, cart.customer_id) {
            self.let_go(session, cart_id).await?;
            return Err(CartError::ItemNotFound);
        }
        Ok(Some(stored.unwrap_or(cart.cart)))
    }

    /// Finds `item` in the session's cart. A fresh snapshot answers without BigCommerce; a
    /// stale one is refreshed once, so a line added on the hosted pages is found too. A line a
    /// promotion added is refused.
    async fn locate_line(
        &self,
        session: &ShopperSession,
        item: LineItemId,
        cx: CorrelationId,
    ) -> Result<LocatedLine, CartError> {
        let cart = self
            .session_cart(session)
            .await?
            .ok_or(CartError::ItemNotFound)?;
        let item_id = item.to_string();
        let fresh = session
            .snapshot()
            .filter(|snapshot| snapshot.is_fresh(self.settings.snapshot_ttl()));
        let seen_in = match fresh {
            Some(snapshot) => snapshot.cart.clone(),
            None => match self.bigcommerce.get_cart(cart, cx).await? {
                Some(current) => {
                    store::save_snapshot(&self.pool, &current).await?;
                    if !super::service::may_hold(session, current.customer_id) {
                        self.let_go(session, cart).await?;
                        return Err(CartError::ItemNotFound);
                    }
                    current.cart
                }
                None => {
                    store::forget_cart(&self.pool, cart).await?;
                    return Err(CartError::ItemNotFound);
                }
            },
        };
        let line = seen_in
            .line(&item_id)
            .cloned()
            .ok_or(CartError::ItemNotFound)?;
        // A promotion's line is BigCommerce's to change: refused here, before any call.
        if line.added_by_promotion {
            return Err(CartError::LineAddedByPromotion);
        }
        Ok(LocatedLine {
            cart,
            line,
            seen_in,
        })
    }

    /// How a quantity change names `line`, as the (cached) catalog describes its product.
    /// A line with options may need the catalog read (and waited for) when it does not list
    /// the product yet. A line without options is looked up in the cached list only, to name
    /// a product whose optional modifiers were all left unset without its variant id: not
    /// worth a read of the catalog, so with none cached it is named by its variant.
    async fn line_purchase(
        &self,
        line: &CartLineItem,
        cx: CorrelationId,
    ) -> Result<LinePurchase, CartError> {
        let product = line
            .product_id
            .and_then(|id| ProductId::parse(id).ok())
            .ok_or(CartError::LineNotEditable)?;
        let known = match (&self.catalog, line.options.is_empty()) {
            (None, _) => KnownModifiers::NotListed,
            (Some(catalog), true) => KnownModifiers::Listed(
                catalog
                    .cached_product(product.get())
                    .map(|cached| cached.modifiers)
                    .unwrap_or_default(),
            ),
            (Some(catalog), false) => catalog.modifiers_of(product.get(), cx).await,
        };
        let named_by = line_named_by(line, &known).map_err(|unrebuilt| match unrebuilt {
            // Nothing is sent: a guess could be refused, and the refusal would read as the
            // shopper's fault. The catalog's error says when to try again.
            Unrebuilt::CatalogUnavailable(error) => CartError::Upstream(error),
            Unrebuilt::UnreadableDate => CartError::LineNotEditable,
        })?;
        Ok(LinePurchase { product, named_by })
    }

    /// After a failed change to a line: a gone cart or line is `ItemNotFound`; anything else
    /// is the original error.
    async fn settle_failed_line_change(
        &self,
        cart: CartId,
        item: LineItemId,
        error: BigCommerceError,
        cx: CorrelationId,
    ) -> CartError {
        if !error.may_mean_cart_gone() {
            return error.into();
        }
        match self.settle_gone_cart(cart, cx).await {
            Ok(None) => CartError::ItemNotFound,
            Ok(Some(current)) if current.line(&item.to_string()).is_none() => {
                CartError::ItemNotFound
            }
            Ok(Some(_)) => error.into(),
            Err(settle_error) => settle_error,
        }
    }
}
