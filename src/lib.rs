//! checkout-bff: a backend-for-frontend that lets a headless storefront sell through
//! BigCommerce carts without putting store credentials in a browser.

pub mod configuration;
pub mod database;
pub mod errors;
pub mod routes;
pub mod session;
pub mod startup;
pub mod telemetry;
