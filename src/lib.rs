//! checkout-bff: a backend-for-frontend that lets a headless storefront sell through
//! BigCommerce carts without putting store credentials in a browser.

pub mod accounts;
pub mod audit;
pub mod bigcommerce;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod client_address;
pub mod configuration;
pub mod cross_site;
pub mod database;
pub mod domain;
pub mod errors;
pub mod fair_shares;
pub mod idempotency;
pub mod lifecycle;
pub mod maintenance;
pub mod metrics;
pub mod privacy;
pub mod routes;
pub mod session;
pub mod single_flight;
pub mod startup;
pub mod telemetry;
pub mod views;
pub mod webhooks;
