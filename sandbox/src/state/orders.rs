//! Orders made by converting carts ("Place order" or the control plane).

use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;
use uuid::Uuid;

/// First order id after a start or reset.
const FIRST_ORDER_ID: i64 = 100;

/// One order line, priced when the cart was converted.
#[derive(Debug, Clone, Serialize)]
pub struct OrderLine {
    pub product_id: i64,
    pub variant_id: i64,
    pub name: String,
    pub quantity: u32,
    pub unit_price: f64,
}

/// A placed order.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: i64,
    pub cart_id: Uuid,
    pub customer_id: i64,
    pub currency: String,
    pub total: f64,
    pub lines: Vec<OrderLine>,
    pub created_at: i64,
}

/// Orders placed since the last reset.
#[derive(Debug)]
pub struct OrderBook {
    orders: Mutex<Vec<Order>>,
    next_id: AtomicI64,
}

impl Default for OrderBook {
    fn default() -> Self {
        Self {
            orders: Mutex::new(Vec::new()),
            next_id: AtomicI64::new(FIRST_ORDER_ID),
        }
    }
}

impl OrderBook {
    pub fn next_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn push(&self, order: Order) {
        self.orders.lock().push(order);
    }

    pub fn get(&self, id: i64) -> Option<Order> {
        self.orders.lock().iter().find(|o| o.id == id).cloned()
    }

    pub fn all(&self) -> Vec<Order> {
        self.orders.lock().clone()
    }

    pub fn clear(&self) {
        self.orders.lock().clear();
        self.next_id.store(FIRST_ORDER_ID, Ordering::Relaxed);
    }
}
