//! Integration tests: the real application on port 0, a fresh database per test, HTTP only.

mod accounts;
mod boundary;
mod cart_basics;
mod cart_concurrency;
mod cart_gone_upstream;
mod cart_idempotency;
mod cart_metrics;
mod cart_openapi;
mod cart_recovery;
mod cart_security;
mod cart_snapshot;
mod cart_upstream_faults;
mod configuration;
mod fidelity;
mod health_check;
mod helpers;
mod idempotency_settle;
mod migrate;
mod pages;
mod quota;
mod reliability;
mod session_cache;
mod sessions;
mod trust_carts;
mod webhooks;
mod webhooks_fidelity;
