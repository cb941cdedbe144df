//! Telling whether a change whose answer got lost landed. Adding lines is not idempotent: when
//! BigCommerce timed out, the connection broke, or the process died after BigCommerce applied
//! an add, repeating it adds again. So before the change, the idempotency layer stores an
//! `OutcomeCheck` (which cart, what it held, what the change adds), and a retry of the same key
//! settles it with reads instead of repeating it.
//!
//! Lines are counted per product (and variant, where the add named one): BigCommerce merges an
//! add into an existing line or makes a new one, and either way the count grows by what was
//! added. The counts come from the session's snapshot, so a change made elsewhere to the same
//! product between the snapshot and the add can make a lost add look landed; it cannot make a
//! landed add look lost, which is what would apply it twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::CorrelationId;
use crate::domain::{Cart, CartId, CartLineItem, NewLineItem, RecoveryToken};
use crate::session::ShopperSession;

/// What a change adds to which cart, and what that cart held before.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutcomeCheck {
    cart: Uuid,
    /// Quantity per line key before the change.
    before: BTreeMap<String, u64>,
    adds: Adds,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Adds {
    /// These quantities per line key.
    Items(BTreeMap<String, u64>),
    /// The lines of the cart this recovery token names (known only by reading it).
    RecoveredCart(String),
}

/// Lines counted under this key: the product, and the variant when `variant` is given.
fn key(product: i64, variant: Option<i64>) -> String {
    match variant {
        Some(variant) => format!("{product}/{variant}"),
        None => product.to_string(),
    }
}

/// The quantities in `lines` under each of `keys`.
fn counts<'a>(
    lines: &[CartLineItem],
    keys: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, u64> {
    keys.map(|wanted| {
        let total = lines
            .iter()
            .filter(|line| {
                let product = line.product_id.unwrap_or_default();
                *wanted == key(product, None) || *wanted == key(product, line.variant_id)
            })
            .map(|line| line.quantity)
            .sum();
        (wanted.clone(), total)
    })
    .collect()
}

/// The quantity per product and variant of every catalog line.
fn totals(lines: &[CartLineItem]) -> BTreeMap<String, u64> {
    let mut all = BTreeMap::new();
    for line in lines {
        if let Some(product) = line.product_id {
            *all.entry(key(product, line.variant_id)).or_insert(0) += line.quantity;
        }
    }
    all
}

impl CartService {
    /// The check for adding `items` to the session's cart; `None` when there is nothing to
    /// check against: no cart yet (the add creates one, and a repeat creates at most an
    /// orphan, never a double line) or no snapshot of it.
    pub fn check_for_add(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
    ) -> Option<OutcomeCheck> {
        let cart = session.cart_id()?;
        let snapshot = session.snapshot()?;
        let mut adds = BTreeMap::new();
        for item in items {
            let line = key(item.product_id.get(), item.variant_id.map(|v| v.get()));
            *adds.entry(line).or_insert(0) += u64::from(item.quantity.get());
        }
        Some(OutcomeCheck {
            cart,
            before: counts(&snapshot.cart.line_items, adds.keys()),
            adds: Adds::Items(adds),
        })
    }

    /// The check for merging a recovered cart into the session's cart; `None` when the
    /// recovery does not add lines (no cart of the session's own, or no snapshot of it).
    pub fn check_for_recovery(
        &self,
        session: &ShopperSession,
        token: &RecoveryToken,
    ) -> Option<OutcomeCheck> {
        let cart = session.cart_id()?;
        let snapshot = session.snapshot()?;
        Some(OutcomeCheck {
            cart,
            before: totals(&snapshot.cart.line_items),
            adds: Adds::RecoveredCart(token.as_str().to_owned()),
        })
    }

    /// Whether the checked change landed: `Some(cart)` (as it is now) when it did.
    #[tracing::instrument(name = "Settle an unknown outcome", skip_all)]
    pub async fn settle(
        &self,
        check: &OutcomeCheck,
        cx: CorrelationId,
    ) -> Result<Option<Cart>, CartError> {
        let adds = match &check.adds {
            Adds::Items(adds) => adds.clone(),
            Adds::RecoveredCart(token) => {
                let Ok(token) = RecoveryToken::parse(token) else {
                    return Ok(None);
                };
                let Some(recovered) = self.bigcommerce.resolve_abandoned_cart(&token, cx).await?
                else {
                    return Ok(None);
                };
                let Some(recovered) = self.bigcommerce.get_cart(recovered, cx).await? else {
                    return Ok(None);
                };
                totals(&recovered.cart.line_items)
            }
        };
        let Some(current) = self
            .bigcommerce
            .get_cart(CartId::new(check.cart), cx)
            .await?
        else {
            return Ok(None);
        };
        store::save_snapshot(&self.pool, &current).await?;
        let now = counts(&current.cart.line_items, adds.keys());
        let landed = adds.iter().all(|(line, added)| {
            let before = check.before.get(line).copied().unwrap_or(0);
            now.get(line).copied().unwrap_or(0) >= before + added
        });
        Ok(landed.then_some(current.cart))
    }
}
