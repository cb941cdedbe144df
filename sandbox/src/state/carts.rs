//! Carts in memory: the model and a sharded store, so concurrent shoppers rarely contend.
//! Locks are held only for the map operation itself, never across an await.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;
use time::OffsetDateTime;
use uuid::Uuid;

use super::checkout::CheckoutState;
use super::extra_lines::{CustomItem, GiftCertificate};

const SHARDS: usize = 16;

/// One option shown on a line item (`options[]` in BigCommerce's response).
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedOption {
    pub name: String,
    pub name_id: i64,
    pub value: String,
    pub value_id: Option<i64>,
}

/// A line item; names and prices are read from the catalog when the cart is rendered.
#[derive(Debug, Clone)]
pub struct LineItem {
    pub id: Uuid,
    pub product_id: i64,
    pub variant_id: i64,
    pub quantity: u32,
    pub options: Vec<SelectedOption>,
    pub list_price_override: Option<f64>,
    pub name_override: Option<String>,
    /// The automatic promotion that put this line in the cart (a free gift): the shopper
    /// cannot change or remove it, and it goes when the promotion no longer applies.
    pub promotion_id: Option<String>,
}

impl LineItem {
    /// Same product, variant, options and price override: a duplicate add of this line.
    pub fn same_purchase(&self, other: &LineItem) -> bool {
        self.product_id == other.product_id
            && self.variant_id == other.variant_id
            && self.options == other.options
            && self.list_price_override == other.list_price_override
            && self.promotion_id == other.promotion_id
    }

    /// Added by a promotion (BigCommerce's `added_by_promotion`, `is_mutable: false`).
    pub fn is_gift(&self) -> bool {
        self.promotion_id.is_some()
    }
}

/// A cart as BigCommerce keeps it.
#[derive(Debug, Clone)]
pub struct Cart {
    pub id: Uuid,
    pub customer_id: i64,
    pub channel_id: i64,
    pub currency: String,
    pub locale: String,
    pub email: String,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    pub version: u64,
    pub items: Vec<LineItem>,
    pub custom_items: Vec<CustomItem>,
    pub gift_certificates: Vec<GiftCertificate>,
    /// Coupon codes applied, in the order they were applied (as the seed spells them).
    pub coupons: Vec<String>,
    /// Consignments and the shopper's message (the Checkouts API's part of the cart).
    pub checkout: CheckoutState,
}

impl Cart {
    pub fn item_count(&self) -> u64 {
        let products: u64 = self.items.iter().map(|i| u64::from(i.quantity)).sum();
        let custom: u64 = self
            .custom_items
            .iter()
            .map(|i| u64::from(i.quantity))
            .sum();
        let gifts: u64 = self
            .gift_certificates
            .iter()
            .map(|g| u64::from(g.quantity))
            .sum();
        products + custom + gifts
    }

    /// Lines of every kind.
    pub fn line_count(&self) -> usize {
        self.items.len() + self.custom_items.len() + self.gift_certificates.len()
    }

    /// What the custom items and gift certificates add to the total.
    pub fn extras_amount(&self) -> f64 {
        let custom: f64 = self
            .custom_items
            .iter()
            .map(|i| i.list_price * f64::from(i.quantity))
            .sum();
        let gifts: f64 = self
            .gift_certificates
            .iter()
            .map(|g| g.amount * f64::from(g.quantity))
            .sum();
        custom + gifts
    }

    /// Records a successful change: BigCommerce bumps `version` once per change.
    pub fn touch(&mut self, now: OffsetDateTime) {
        self.version += 1;
        self.updated = now;
    }
}

/// All carts of the store, split into shards by cart id.
#[derive(Debug)]
pub struct CartStore {
    shards: Vec<Mutex<HashMap<Uuid, Cart>>>,
    ttl: time::Duration,
}

impl CartStore {
    pub fn new(ttl: Duration) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            ttl: time::Duration::try_from(ttl).unwrap_or(time::Duration::days(30)),
        }
    }

    fn shard(&self, id: &Uuid) -> &Mutex<HashMap<Uuid, Cart>> {
        let index = usize::from(id.as_bytes()[15]) % SHARDS;
        &self.shards[index]
    }

    pub fn insert(&self, cart: Cart) {
        self.shard(&cart.id).lock().insert(cart.id, cart);
    }

    /// A copy of the cart, unless it is missing or expired (expiry is checked lazily here).
    pub fn get(&self, id: &Uuid, now: OffsetDateTime) -> Option<Cart> {
        self.with_cart(id, now, |cart| Some(cart.clone())).flatten()
    }

    /// Runs `f` on the live cart under its shard lock; `None` when the cart does not exist.
    pub fn with_cart<T>(
        &self,
        id: &Uuid,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Cart) -> T,
    ) -> Option<T> {
        let mut shard = self.shard(id).lock();
        let expired = shard.get(id).map(|c| now - c.updated > self.ttl)?;
        if expired {
            shard.remove(id);
            return None;
        }
        shard.get_mut(id).map(f)
    }

    /// Runs a fallible change on the live cart under its shard lock. When the change returns
    /// `remove = true` the cart is deleted under the same lock (e.g. its last item went).
    pub fn update<T, E>(
        &self,
        id: &Uuid,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Cart) -> Result<(T, bool), E>,
    ) -> Option<Result<T, E>> {
        let mut shard = self.shard(id).lock();
        let expired = shard.get(id).map(|c| now - c.updated > self.ttl)?;
        if expired {
            shard.remove(id);
            return None;
        }
        let cart = shard.get_mut(id)?;
        let result = f(cart);
        Some(result.map(|(value, remove)| {
            if remove {
                shard.remove(id);
            }
            value
        }))
    }

    pub fn remove(&self, id: &Uuid) -> Option<Cart> {
        self.shard(id).lock().remove(id)
    }

    /// Copies of every live cart (for the control plane), oldest first.
    pub fn snapshot(&self, now: OffsetDateTime) -> Vec<Cart> {
        let mut carts: Vec<Cart> = self
            .shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .values()
                    .filter(|c| now - c.updated <= self.ttl)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        carts.sort_by_key(|c| c.created);
        carts
    }

    pub fn clear(&self) {
        for shard in &self.shards {
            shard.lock().clear();
        }
    }
}
