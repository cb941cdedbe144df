//! The BigCommerce API client: typed requests and answers over one `send` that handles
//! authentication, timeouts, rate limits and retries.

mod abandoned_carts;
mod banners;
mod budget;
pub mod calls;
mod carts;
mod catalog;
mod checkout_wire;
mod checkouts;
mod client;
mod consignments;
mod customers;
mod error;
mod gift_certificates;
mod hooks;
mod wire;

pub use budget::{Priority, QuotaView};
pub use carts::{Echoes, LineNamedBy, LinePurchase, NewCart, RedirectUrls, StoreCart};
pub use catalog::{CatalogModifier, CatalogModifierValue, CatalogProduct, CatalogRead};
pub use client::{BigCommerceClient, CorrelationId};
pub use consignments::{ConsignedLine, ConsignmentAddress};
pub use error::BigCommerceError;
pub use hooks::{Hook, HookRepair, NewHook};
