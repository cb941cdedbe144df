//! Telling whether a change whose answer got lost landed. Adding lines is not idempotent: when
//! BigCommerce timed out, the connection broke, or the process died after BigCommerce applied
//! an add, repeating it adds again. So before the change, the idempotency layer stores an
//! `OutcomeCheck` (which cart, what it held, what the change adds), and a retry of the same key
//! settles it with reads instead of repeating it.
//!
//! Lines are counted per product (and variant, where the add named one): BigCommerce merges an
//! add into an existing line or makes a new one, and either way the count grows by what was
//! added. The counts before the change must not be higher than the cart really held, or a
//! landed add would look lost and be applied twice: so they come from the session's snapshot
//! only while it is fresh (not marked stale by a hand-off or a callback, younger than the
//! TTL), and otherwise from one read of the cart. The residual window: without the webhooks, a
//! line removed on the hosted pages within the TTL is still counted. A change made elsewhere
//! that *adds* the same product between the count and the add can make a lost add look
//! landed; that loses an add, it never applies one twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::service::CartService;
use super::store;
use super::CartError;
use crate::bigcommerce::{CorrelationId, Priority};
use crate::domain::{Cart, CartId, CartLineItem, LineItemType, NewLineItem, RecoveryToken};
use crate::session::ShopperSession;

/// What a change adds to which cart, and what that cart held before.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutcomeCheck {
    /// `None`: the session had no cart yet, so the change creates one (settled against the
    /// session's cart at the time, from nothing).
    cart: Option<Uuid>,
    /// Quantity per line key before the change.
    before: BTreeMap<String, u64>,
    adds: Adds,
    /// The cart as it was before the change, to tell "not landed, nothing else happened"
    /// (safe to run again) from "the cart changed since" (it may have landed and been undone).
    seen: Option<Seen>,
    /// Whose the cart was (0: a guest's): a cart that became someone else's is not answered.
    owner: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    /// BigCommerce counts every change; the time is to the second, for stores that do not.
    #[serde(default)]
    version: i64,
    updated_time: String,
    totals: BTreeMap<String, u64>,
}

impl Seen {
    fn of(cart: &Cart) -> Self {
        Self {
            version: cart.version,
            updated_time: cart.updated_time.clone(),
            totals: totals(&cart.line_items),
        }
    }
}

/// What a settle found.
pub enum Settlement {
    /// The change landed: the cart as it is now.
    Landed(Box<Cart>),
    /// It did not, and the cart is as it was: running it again applies it once.
    NotLanded,
    /// It did not show, but the cart changed (or went, or changed hands) since.
    Changed,
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

/// Gift certificate lines are counted under this key: they have no product.
const GIFT_CERTIFICATES: &str = "gift_certificates";

/// The quantities in `lines` under each of `keys`.
fn counts<'a>(
    lines: &[CartLineItem],
    keys: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, u64> {
    keys.map(|wanted| {
        // A promotion's free line comes and goes by itself: it is not what an add brought.
        let total = lines
            .iter()
            .filter(|line| !line.added_by_promotion)
            .filter(|line| {
                if wanted == GIFT_CERTIFICATES {
                    return line.item_type == LineItemType::GiftCertificate;
                }
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
    for line in lines.iter().filter(|line| !line.added_by_promotion) {
        if let Some(product) = line.product_id {
            *all.entry(key(product, line.variant_id)).or_insert(0) += line.quantity;
        }
    }
    all
}

impl CartService {
    /// The check for adding `items` to the session's cart. Costs one BigCommerce read when the
    /// snapshot is not fresh; fails when that read does, since an add that could not be
    /// settled must not run with a key.
    pub async fn check_for_add(
        &self,
        session: &ShopperSession,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<OutcomeCheck, CartError> {
        let mut adds = BTreeMap::new();
        for item in items {
            let line = key(item.product_id.get(), item.variant_id.map(|v| v.get()));
            *adds.entry(line).or_insert(0) += u64::from(item.quantity.get());
        }
        let (cart, current) = self.cart_before_change(session, cx).await?;
        let before = current
            .as_ref()
            .map(|cart| counts(&cart.line_items, adds.keys()))
            .unwrap_or_default();
        Ok(OutcomeCheck {
            cart,
            before,
            seen: current.as_ref().map(Seen::of),
            adds: Adds::Items(adds),
            owner: session.customer_id().unwrap_or(0),
        })
    }

    /// The check for adding one gift certificate: the cart's gift certificate lines, counted.
    pub async fn check_for_gift_certificate(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<OutcomeCheck, CartError> {
        let adds = BTreeMap::from([(GIFT_CERTIFICATES.to_owned(), 1)]);
        let (cart, current) = self.cart_before_change(session, cx).await?;
        let before = current
            .as_ref()
            .map(|cart| counts(&cart.line_items, adds.keys()))
            .unwrap_or_default();
        Ok(OutcomeCheck {
            cart,
            before,
            seen: current.as_ref().map(Seen::of),
            adds: Adds::Items(adds),
            owner: session.customer_id().unwrap_or(0),
        })
    }

    /// The check for merging a recovered cart into the session's cart.
    pub async fn check_for_recovery(
        &self,
        session: &ShopperSession,
        token: &RecoveryToken,
        cx: CorrelationId,
    ) -> Result<OutcomeCheck, CartError> {
        let (cart, current) = self.cart_before_change(session, cx).await?;
        Ok(OutcomeCheck {
            cart,
            before: current
                .as_ref()
                .map(|cart| totals(&cart.line_items))
                .unwrap_or_default(),
            seen: current.as_ref().map(Seen::of),
            adds: Adds::RecoveredCart(token.as_str().to_owned()),
            owner: session.customer_id().unwrap_or(0),
        })
    }

    /// The session's cart and what it holds now: the snapshot while fresh, otherwise
    /// BigCommerce's answer (at a change's priority: it is part of one). `(None, None)` with
    /// no cart, or when the stored one is gone (the change then creates one).
    async fn cart_before_change(
        &self,
        session: &ShopperSession,
        cx: CorrelationId,
    ) -> Result<(Option<Uuid>, Option<Cart>), CartError> {
        let Some(cart) = session.cart_id() else {
            return Ok((None, None));
        };
        if let Some(snapshot) = session.snapshot() {
            if snapshot.is_fresh(self.settings.snapshot_ttl()) {
                return Ok((Some(cart), Some(snapshot.cart.clone())));
            }
        }
        match self
            .bigcommerce
            .get_cart_as(CartId::new(cart), Priority::Change, cx)
            .await?
        {
            Some(current) => {
                store::save_snapshot(&self.pool, &current).await?;
                session.mark_changed();
                Ok((Some(cart), Some(current.cart)))
            }
            None => Ok((None, None)),
        }
    }

    /// Whether the checked change landed, for the session `session` (whose cart a change
    /// that created one went into).
    #[tracing::instrument(name = "Settle an unknown outcome", skip_all)]
    pub async fn settle(
        &self,
        check: &OutcomeCheck,
        session: Uuid,
        cx: CorrelationId,
    ) -> Result<Settlement, CartError> {
        let adds = match &check.adds {
            Adds::Items(adds) => adds.clone(),
            Adds::RecoveredCart(token) => {
                let Ok(token) = RecoveryToken::parse(token) else {
                    return Ok(Settlement::Changed);
                };
                let Some(recovered) = self.bigcommerce.resolve_abandoned_cart(&token, cx).await?
                else {
                    return Ok(Settlement::Changed);
                };
                let Some(recovered) = self.bigcommerce.get_cart(recovered, cx).await? else {
                    return Ok(Settlement::Changed);
                };
                totals(&recovered.cart.line_items)
            }
        };
        let cart = match check.cart {
            Some(cart) => CartId::new(cart),
            // The change was to create the session's cart: did it?
            None => match store::cart_of_session(&self.pool, session).await? {
                Some(cart) => cart,
                None => return Ok(Settlement::NotLanded),
            },
        };
        let Some(current) = self.bigcommerce.get_cart(cart, cx).await? else {
            return Ok(Settlement::Changed);
        };
        store::save_snapshot(&self.pool, &current).await?;
        if current.customer_id != 0 && current.customer_id != check.owner {
            return Ok(Settlement::Changed);
        }
        let now = counts(&current.cart.line_items, adds.keys());
        let landed = adds.iter().all(|(line, added)| {
            let before = check.before.get(line).copied().unwrap_or(0);
            now.get(line).copied().unwrap_or(0) >= before + added
        });
        if landed {
            return Ok(Settlement::Landed(Box::new(current.cart)));
        }
        Ok(match &check.seen {
            Some(seen) if *seen == Seen::of(&current.cart) => Settlement::NotLanded,
            _ => Settlement::Changed,
        })
    }
}
