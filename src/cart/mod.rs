//! The cart service: the rules of session-bound BigCommerce carts.

mod error;
mod service;
mod store;

pub use error::{rejection_code, CartError};
pub use service::CartService;
