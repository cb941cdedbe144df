//! HTTP tests of the sandbox: each test spawns its own sandbox in-process and talks to it with
//! reqwest, as the service's tests will.

mod carts;
mod catalog_customers;
mod checkout_shipping;
mod control;
mod errors;
mod fidelity;
mod helpers;
mod hooks;
mod login;
mod promotions;
mod quota_and_callbacks;
mod storefront;
mod webhooks;
