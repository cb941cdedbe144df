//! Settings of one sandbox instance: addresses, credentials, the seed, and every
//! behaviour that BigCommerce documents poorly ("unconfirmed"), so tests can pick one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// BigCommerce's documented webhook retry schedule (seconds), used unless a test shortens it.
pub const BIGCOMMERCE_RETRY_SCHEDULE_SECS: [u64; 11] = [
    60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400,
];

/// Where the catalog and customers come from.
#[derive(Debug, Clone, Default)]
pub enum SeedSource {
    /// The committed `sandbox/seed.toml`, compiled into the crate.
    #[default]
    Embedded,
    /// A TOML file read at start and on every reset.
    Path(PathBuf),
    /// TOML text given directly (handy in tests).
    Inline(String),
}

/// What adding a product/variant/options combination that is already in the cart does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateAddPolicy {
    /// Add the quantity to the existing line (the usual storefront behaviour).
    #[default]
    Merge,
    /// Add a separate line with its own id.
    NewLine,
}

/// What `PUT /carts/{id}/items/{item_id}` with `quantity: 0` does (unconfirmed on BigCommerce).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroQuantityPolicy {
    /// Remove the line exactly like `DELETE .../items/{item_id}` (200 with the cart, or 204).
    #[default]
    Remove,
    /// Refuse with 422, like any quantity below 1.
    Reject,
}

/// The BigCommerce rate limiter: headers are always sent; 429s only when `enforce` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Answer 429 once `quota` requests were made in the current window.
    pub enforce: bool,
    /// Requests allowed per window (BigCommerce Standard/Plus: 150).
    pub quota: u32,
    /// Window length in milliseconds (BigCommerce: 30 000).
    pub window_ms: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enforce: false,
            quota: 150,
            window_ms: 30_000,
        }
    }
}

/// What a webhook payload's `created_at` holds. BigCommerce's field table calls it the hook's
/// creation date, its examples read like the event's time, and some documented payloads have
/// none (bigcommerce-api-2 §1.8), so a client must be right under every reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookCreatedAt {
    /// The time of the event (sandbox time).
    #[default]
    EventTime,
    /// The `created_at` of the hook the callback is sent to: the same on every callback.
    HookCreation,
    /// No `created_at` field at all.
    Absent,
}

/// How a line's `options[].value` shows a date modifier's date. BigCommerce does not document
/// it; its storefront shows dates like "Dec 24th 2026", so a client must read the date from
/// the catalog's modifier type and never rely on the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateDisplay {
    /// `2026-12-24`.
    #[default]
    Iso,
    /// `Dec 24th 2026`.
    Formatted,
}

/// What a line change (add, quantity change, removal) does to a checkout's consignments.
/// BigCommerce documents only that changing a consignment's address or lines "can invalidate
/// the previously available shipping options" (`reference/checkouts.v3.yml`,
/// `UpdateConsignmentRequest`), not what a change of the cart does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsignmentsOnLineChange {
    /// The address stays and the lines follow the cart (removed lines leave; new ones are not
    /// assigned); the options are quoted again under new ids and the selection is cleared.
    #[default]
    Requote,
    /// The lines follow and the selection stays while its method is still offered (its price
    /// follows the cart, e.g. free shipping past a threshold).
    Keep,
    /// Every consignment is removed.
    Remove,
}

/// Choices for behaviours the reference marks as unconfirmed.
#[derive(Debug, Clone)]
pub struct Behaviours {
    /// Duplicate adds: merge into the existing line or add a new one.
    pub duplicate_add: DuplicateAddPolicy,
    /// `quantity: 0` on PUT item.
    pub zero_quantity: ZeroQuantityPolicy,
    /// Status for changing (PUT/POST/DELETE) a cart that does not exist: 500 as BigCommerce's
    /// troubleshooting notes describe, or 404.
    pub missing_cart_write_status: u16,
    /// Add `"title": "Cart not found"` to 404 bodies for carts (real captures have no title).
    pub cart_not_found_title: bool,
    /// Honour `include=redirect_urls` on GET/PUT too (only POST is confirmed).
    pub redirect_urls_on_read: bool,
    /// Status of a min/max purchase refusal: 409 as BigCommerce's troubleshooting guide lists
    /// it, or 422 as a captured answer shows.
    pub purchase_limit_status: u16,
    /// `PUT /carts/{id}` with another `customer_id` answers 422 "A shipping address for this
    /// order is incomplete" (BigCommerce's guide says a customer change can).
    pub refuse_customer_change: bool,
    /// How a date modifier's value shows on a line.
    pub date_option_display: DateDisplay,
    /// PUT item naming a `variant_id` for a product with modifiers is refused (422), as the
    /// spec's "omit the variant_id" reads strictly; by default it is accepted when it is the
    /// line's variant (which of the two BigCommerce honours is unconfirmed).
    pub refuse_variant_id_with_modifiers: bool,
    /// Status of a refused coupon code (unknown, expired, not eligible): 400 as BigCommerce's
    /// storefront checkout answers it, or 422. Management documents neither.
    pub coupon_error_status: u16,
    /// A consignment's address must carry `email`, as the spec says ("the only required
    /// `address` properties to create a consignment are `email` and `country_code`");
    /// whether BigCommerce enforces it is unconfirmed.
    pub consignment_email_required: bool,
    /// What a line change does to consignments.
    pub consignments_on_line_change: ConsignmentsOnLineChange,
    /// `shipping_cost_total_*` and a consignment's `shipping_cost_*` report the price before
    /// a free-shipping promotion (the spec's "before any discounts are applied"), the discount
    /// showing in the consignment's `discounts`; by default they report what is charged.
    pub shipping_cost_before_discounts: bool,
}

impl Default for Behaviours {
    fn default() -> Self {
        Self {
            duplicate_add: DuplicateAddPolicy::Merge,
            zero_quantity: ZeroQuantityPolicy::Remove,
            missing_cart_write_status: 500,
            cart_not_found_title: false,
            redirect_urls_on_read: true,
            purchase_limit_status: 409,
            refuse_customer_change: false,
            date_option_display: DateDisplay::Iso,
            refuse_variant_id_with_modifiers: false,
            coupon_error_status: 400,
            consignment_email_required: true,
            consignments_on_line_change: ConsignmentsOnLineChange::Requote,
            shipping_cost_before_discounts: false,
        }
    }
}

/// Everything one sandbox needs. `Default` suits tests: an ephemeral port on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Store hash in `/stores/{store_hash}/...` and in webhook `producer`.
    pub store_hash: String,
    /// Numeric store id sent as the string `store_id` in webhook payloads.
    pub store_id: String,
    /// Expected `X-Auth-Token`.
    pub access_token: String,
    /// Client id: `client_id` of hooks and the expected `iss` of Customer Login JWTs.
    pub client_id: String,
    /// Client secret: the HS256 key of Customer Login JWTs.
    pub client_secret: String,
    /// Catalog and customers.
    pub seed: SeedSource,
    /// Origin used in redirect URLs, product URLs and image URLs; the server's own URL when unset.
    pub public_url: Option<String>,
    /// Target of "Continue shopping" on the order confirmation page; hidden when unset.
    pub storefront_url: Option<String>,
    /// actix worker threads.
    pub workers: usize,
    /// Delays between webhook attempts; after the last one fails, the hook is deactivated.
    pub webhook_retry_delays: Vec<Duration>,
    /// Time allowed for one webhook delivery attempt.
    pub webhook_timeout: Duration,
    /// Wait before the first attempt of every callback (BigCommerce delivers within seconds,
    /// not at once), so tests can have a callback arrive after the client's next request.
    pub webhook_delay: Duration,
    /// What the payload's `created_at` holds (unconfirmed).
    pub webhook_created_at: WebhookCreatedAt,
    /// Rate limiter settings (can be changed at runtime via `/__sandbox/faults`).
    pub rate_limit: RateLimitConfig,
    /// Seconds added to the real clock to make sandbox time (`/v2/time`, JWT `iat` checks).
    pub clock_offset_seconds: i64,
    /// A Customer Login JWT is refused when its `iat` is older than this many seconds.
    pub jwt_max_age_seconds: i64,
    /// ...or more than this many seconds in the future.
    pub jwt_future_leeway_seconds: i64,
    /// Carts are deleted this long after their last change (BigCommerce: 30 days).
    pub cart_ttl: Duration,
    /// Largest accepted request body; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Run the seed's automatic promotions (`[[promotions]]`: banners and free gifts). Off,
    /// carts are priced from the catalog and coupons only.
    pub automatic_promotions: bool,
    /// Unconfirmed behaviours.
    pub behaviours: Behaviours,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            store_hash: "sandbox".to_owned(),
            store_id: "1000001".to_owned(),
            access_token: "sandbox-token".to_owned(),
            client_id: "sandbox-client-id".to_owned(),
            client_secret: "sandbox-client-secret".to_owned(),
            seed: SeedSource::Embedded,
            public_url: None,
            storefront_url: None,
            workers: 2,
            webhook_retry_delays: BIGCOMMERCE_RETRY_SCHEDULE_SECS
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
            webhook_timeout: Duration::from_secs(10),
            webhook_delay: Duration::ZERO,
            webhook_created_at: WebhookCreatedAt::EventTime,
            rate_limit: RateLimitConfig::default(),
            clock_offset_seconds: 0,
            jwt_max_age_seconds: 30,
            jwt_future_leeway_seconds: 5,
            cart_ttl: Duration::from_secs(30 * 24 * 3600),
            max_body_bytes: 1024 * 1024,
            automatic_promotions: true,
            behaviours: Behaviours::default(),
        }
    }
}
