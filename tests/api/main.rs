//! Integration tests: the real application on port 0, a fresh database per test, HTTP only.

mod cart_basics;
mod configuration;
mod health_check;
mod helpers;
mod sessions;
