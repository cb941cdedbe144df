//! Fair shares of the store's API quota. The quota is the store's, shared by every app of the
//! merchant (see `bigcommerce::budget`), so no one client may spend a large part of it. Every
//! request that will call BigCommerce spends those calls first, from its client address's
//! share and its session's; a sign-in also from its address's sign-in share and from the
//! failed sign-ins allowed to that address for that e-mail.
//!
//! - A share is a fraction of the store's quota per window as BigCommerce reports it, so the
//!   limits follow the store's plan (150 per 30 s on Standard and Plus, 450 on Pro) by
//!   themselves.
//! - A share refills when the store's window turns (the budget knows when, from BigCommerce's
//!   reset header): within one of the store's windows a client spends at most its share,
//!   however many fresh sessions it opens.
//! - The counts live in Postgres, so every instance enforces the same shares.
//! - A request is charged its estimate up front (the gate: over its share, it is refused and
//!   spends nothing), then settled against the calls it really sent (`bigcommerce::calls`):
//!   calls beyond the estimate are charged too, even past the share (so the next request
//!   waits), and the charge is given back only when no call was sent at all.
//! - Failed sign-ins are counted per (address, e-mail): guessing one account's password from
//!   one address stops, but nobody elsewhere can lock the account's owner out.

mod store;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::bigcommerce::BigCommerceClient;
use crate::configuration::RateLimitSettings;
use crate::domain::EmailAddress;
use crate::metrics::Metrics;

pub use store::delete_ended_windows;

/// The shortest wait a refusal asks for: `Retry-After` counts whole seconds.
const MIN_WAIT: Duration = Duration::from_secs(1);

/// Who a request's calls are charged to.
#[derive(Debug, Clone, Copy)]
pub struct Spender {
    /// The session (for one that is not stored yet, the id it will be stored under, so its
    /// first write counts too).
    session: Option<Uuid>,
    /// The client's rate-limit key (`client_address`); `None` when it cannot be told.
    address: Option<IpAddr>,
}

impl Spender {
    pub fn new(session: Option<Uuid>, address: Option<IpAddr>) -> Self {
        Self { session, address }
    }
}

/// The share that ran out, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    Session,
    Address,
    AddressSignIn,
    SignInFailures,
}

impl Share {
    pub fn label(self) -> &'static str {
        match self {
            Share::Session => "session",
            Share::Address => "address",
            Share::AddressSignIn => "address_sign_in",
            Share::SignInFailures => "sign_in_failures",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// Over a share: try again after `wait`, when it refills.
    #[error("the client's {} share is spent", share.label())]
    Spent { share: Share, wait: Duration },
    #[error("the fair-share counts could not be kept")]
    Database(#[from] sqlx::Error),
}

/// One share a charge draws on.
#[derive(Debug, Clone)]
struct Charge {
    spender: [u8; 32],
    share: Share,
    /// How much the spender may spend per window.
    allowance: i32,
    /// How long a window opened now lasts.
    window: Duration,
}

/// What a request was charged: each share's row and the window it was charged in.
#[must_use = "settle a charge with the calls the request made"]
#[derive(Debug)]
pub struct Charged {
    rows: Vec<(Vec<u8>, OffsetDateTime)>,
    amount: i32,
    /// Whom calls beyond the estimate are charged to.
    spender: Option<Spender>,
}

/// What a sign-in attempt charged: its failed-sign-in part is given back when the attempt
/// turns out not to be a failed guess.
#[must_use = "forgive a sign-in attempt that was no failed guess"]
#[derive(Debug)]
pub struct SignInCharge {
    charged: Charged,
    failure: Option<(Vec<u8>, OffsetDateTime)>,
}

/// The fair shares of every client, shared by all workers and instances.
pub struct FairShares {
    pool: PgPool,
    settings: RateLimitSettings,
    bigcommerce: BigCommerceClient,
    metrics: Arc<Metrics>,
}

impl FairShares {
    pub fn new(
        pool: PgPool,
        settings: RateLimitSettings,
        bigcommerce: BigCommerceClient,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            pool,
            settings,
            bigcommerce,
            metrics,
        }
    }

    /// Spends `calls` BigCommerce calls from the session's and the address's shares, or
    /// refuses (and spends nothing) when either has not that much left in this window.
    pub async fn spend(&self, spender: Spender, calls: u32) -> Result<Charged, ShareError> {
        if calls == 0 {
            return Ok(Charged {
                rows: Vec::new(),
                amount: 0,
                spender: Some(spender),
            });
        }
        let charges = self.call_charges(spender);
        let mut charged = self.charge(charges, calls).await?;
        charged.spender = Some(spender);
        Ok(charged)
    }

    /// Settles a charge against the `made` calls the request really sent: none, and the
    /// charge is given back (they cost the store nothing); more than charged, and the rest is
    /// charged too, even past the share, so the spender's next request waits. Fewer (a guessed
    /// recovery token, whose cart is never read) keep the charge: the estimate is the price.
    pub async fn settle(&self, charged: Charged, made: u32) {
        let made = i32::try_from(made).unwrap_or(i32::MAX);
        if made == 0 {
            self.refund(charged).await;
            return;
        }
        if let (Some(spender), true) = (charged.spender, made > charged.amount) {
            let extra = u32::try_from(made - charged.amount).unwrap_or(0);
            self.charge_extra(spender, extra).await;
        }
    }

    /// Charges `calls` a request made beyond its estimate to the session's and the address's
    /// shares, refusing nothing (they were made already).
    pub async fn charge_extra(&self, spender: Spender, calls: u32) {
        if calls == 0 {
            return;
        }
        let mut charges = self.call_charges(spender);
        if charges.is_empty() {
            return;
        }
        charges.sort_by_key(|charge| charge.spender);
        let spenders: Vec<Vec<u8>> = charges.iter().map(|c| c.spender.to_vec()).collect();
        let windows: Vec<Duration> = charges.iter().map(|c| c.window).collect();
        let amount = i32::try_from(calls).unwrap_or(i32::MAX);
        if let Err(error) = store::spend(&self.pool, &spenders, &windows, amount).await {
            tracing::warn!(error = %error, "could not charge calls beyond a fair-share estimate");
        }
    }

    /// Gives a charge back: its calls were never sent (the store's budget shed them), so they
    /// cost the store nothing.
    pub async fn refund(&self, charged: Charged) {
        if charged.rows.is_empty() {
            return;
        }
        let (spenders, ends): (Vec<Vec<u8>>, Vec<OffsetDateTime>) =
            charged.rows.into_iter().unzip();
        if let Err(error) = store::refund(&self.pool, &spenders, &ends, charged.amount).await {
            tracing::warn!(error = %error, "could not give back a fair-share charge");
        }
    }

    /// Spends one sign-in attempt: a call from the session's, the address's and the address's
    /// sign-in share, and one of the failed sign-ins allowed to this address for `email`.
    /// Give the last back with `forgive` unless the credentials were wrong.
    pub async fn spend_sign_in(
        &self,
        spender: Spender,
        email: &EmailAddress,
    ) -> Result<SignInCharge, ShareError> {
        let mut charges = self.call_charges(spender);
        let address = spender.address.map(|ip| ip.to_string()).unwrap_or_default();
        let failures = Charge {
            spender: key(
                "sign-in-failures",
                &[address.as_bytes(), email.throttle_key().as_bytes()],
            ),
            share: Share::SignInFailures,
            allowance: i32::try_from(self.settings.sign_in_failures_per_address_and_email)
                .unwrap_or(i32::MAX),
            window: self.settings.sign_in_failure_window(),
        };
        let failure_key = failures.spender;
        charges.push(failures);
        if let Some(ip) = spender.address {
            let quota = self.bigcommerce.quota();
            charges.push(Charge {
                spender: key("address-sign-in", &[ip.to_string().as_bytes()]),
                share: Share::AddressSignIn,
                allowance: allowance(quota.quota, self.settings.address_sign_in_share),
                window: share_window(&quota),
            });
        }
        let charged = self.charge(charges, 1).await?;
        let failure = charged
            .rows
            .iter()
            .find(|(spender, _)| spender[..] == failure_key[..])
            .cloned();
        Ok(SignInCharge { charged, failure })
    }

    /// The attempt was no failed guess (the credentials were right, or BigCommerce could not
    /// tell): its failed-sign-in charge is given back; its call was made.
    pub async fn forgive(&self, charge: SignInCharge) {
        if let Some(failure) = charge.failure {
            let rows = vec![failure];
            self.refund(Charged {
                rows,
                amount: 1,
                spender: None,
            })
            .await;
        }
    }

    /// The attempt's call was never sent: all of it is given back.
    pub async fn refund_sign_in(&self, charge: SignInCharge) {
        self.refund(charge.charged).await;
    }

    /// The session's and the address's shares of the store's current window.
    fn call_charges(&self, spender: Spender) -> Vec<Charge> {
        let quota = self.bigcommerce.quota();
        let window = share_window(&quota);
        let mut charges = Vec::with_capacity(4);
        if let Some(session) = spender.session {
            charges.push(Charge {
                spender: key("session", &[session.as_bytes()]),
                share: Share::Session,
                allowance: allowance(quota.quota, self.settings.session_share),
                window,
            });
        }
        if let Some(ip) = spender.address {
            charges.push(Charge {
                spender: key("address", &[ip.to_string().as_bytes()]),
                share: Share::Address,
                allowance: allowance(quota.quota, self.settings.address_share),
                window,
            });
        }
        charges
    }

    /// Adds `amount` to every share in `charges`; if any is then over its allowance, takes
    /// the charge back from all of them and refuses. Returns what was charged, with the end
    /// of each window.
    async fn charge(&self, mut charges: Vec<Charge>, amount: u32) -> Result<Charged, ShareError> {
        let amount = i32::try_from(amount).unwrap_or(i32::MAX);
        if charges.is_empty() {
            return Ok(Charged {
                rows: Vec::new(),
                amount,
                spender: None,
            });
        }
        charges.sort_by_key(|charge| charge.spender);
        let spenders: Vec<Vec<u8>> = charges.iter().map(|c| c.spender.to_vec()).collect();
        let windows: Vec<Duration> = charges.iter().map(|c| c.window).collect();
        let rows = store::spend(&self.pool, &spenders, &windows, amount).await?;
        let mut over: Option<(Share, OffsetDateTime)> = None;
        for row in &rows {
            let Some(charge) = charges.iter().find(|c| c.spender[..] == row.spender[..]) else {
                continue;
            };
            if row.spent > charge.allowance {
                self.metrics
                    .fair_share_refusals
                    .with_label_values(&[charge.share.label()])
                    .inc();
                if over.is_none_or(|(_, until)| row.window_ends_at > until) {
                    over = Some((charge.share, row.window_ends_at));
                }
            }
        }
        let charged: Vec<(Vec<u8>, OffsetDateTime)> = rows
            .into_iter()
            .map(|row| (row.spender, row.window_ends_at))
            .collect();
        let Some((share, until)) = over else {
            return Ok(Charged {
                rows: charged,
                amount,
                spender: None,
            });
        };
        let (spenders, ends): (Vec<Vec<u8>>, Vec<OffsetDateTime>) = charged.into_iter().unzip();
        store::refund(&self.pool, &spenders, &ends, amount).await?;
        let left = until - OffsetDateTime::now_utc();
        let wait = Duration::try_from(left).unwrap_or(MIN_WAIT).max(MIN_WAIT);
        Err(ShareError::Spent { share, wait })
    }
}

/// A fraction of the store's quota, in whole calls: at least one, so a tiny fraction of a
/// small quota still lets a shopper act. (The epsilon keeps 0.29 × 100 from becoming 28.)
fn allowance(quota: u64, fraction: f64) -> i32 {
    let calls = (quota as f64 * fraction + 1e-9).floor();
    if calls >= f64::from(i32::MAX) {
        i32::MAX
    } else if calls >= 1.0 {
        calls as i32
    } else {
        1
    }
}

/// How long a share opened now lasts: until the store's window ends, when BigCommerce said
/// when, else one window.
fn share_window(quota: &crate::bigcommerce::QuotaView) -> Duration {
    quota
        .resets_in
        .filter(|left| !left.is_zero())
        .unwrap_or(quota.window)
}

/// The spender's row key: a labelled SHA-256, so the table holds no address, id or e-mail.
fn key(label: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(label.as_bytes());
    for part in parts {
        hasher.update([0]);
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowances_are_whole_calls_and_at_least_one() {
        assert_eq!(allowance(150, 0.5), 75);
        assert_eq!(allowance(150, 0.1), 15);
        assert_eq!(allowance(100, 0.29), 29);
        assert_eq!(allowance(450, 0.2), 90);
        assert_eq!(allowance(20, 0.01), 1);
        assert_eq!(allowance(150, 1.0), 150);
    }

    #[test]
    fn keys_differ_by_label_and_by_part() {
        let ip = b"192.0.2.1".as_slice();
        assert_ne!(key("address", &[ip]), key("address-sign-in", &[ip]));
        assert_ne!(key("address", &[ip]), key("address", &[b"192.0.2.2"]));
        assert_ne!(
            key("sign-in-failures", &[b"a", b"bc"]),
            key("sign-in-failures", &[b"ab", b"c"])
        );
    }
}
