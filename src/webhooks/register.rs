//! Subscribing the store to the cart events the service acts on, idempotently, and repairing
//! what it finds: a missing (scope, destination) hook is created; one BigCommerce deactivated,
//! or whose secret header no longer matches ours, is set right with `PUT /v3/hooks/{id}`; a
//! healthy one is left as it is. Hooks to other destinations are never touched.

use url::Url;
use uuid::Uuid;

use crate::bigcommerce::{
    BigCommerceClient, BigCommerceError, CorrelationId, Hook, HookRepair, NewHook,
};
use crate::configuration::WebhookSettings;

/// The scopes the service always registers. `store/cart/lineItem/*` is registered beside
/// `store/cart/updated` (which BigCommerce documents for every line change) so that a line
/// edit is heard even where only the line event fires; `store/cart/*` is not used because
/// it would also send `created` and metafield events, which cost a delivery each and change
/// nothing we keep.
pub const SCOPES: [&str; 5] = [
    "store/cart/converted",
    "store/cart/deleted",
    "store/cart/updated",
    "store/cart/lineItem/*",
    "store/cart/abandoned",
];

/// Registered too when the store uses coupons (`webhooks.coupons_in_use`): a coupon applied
/// on BigCommerce's pages changes the cart's amounts.
pub const COUPON_SCOPE: &str = "store/cart/couponApplied";

/// What `register_hooks` did for one scope.
#[derive(Debug, Clone)]
pub enum Registration {
    /// There was no hook for this scope and destination; this one was created.
    Created(Hook),
    /// A hook for this scope and destination was there, active and with our secret.
    Existing(Hook),
    /// A hook for this scope and destination was there but deactivated, or its secret header
    /// did not match ours; it was set right.
    Repaired {
        hook: Hook,
        reactivated: bool,
        secret_fixed: bool,
    },
}

impl Registration {
    pub fn hook(&self) -> &Hook {
        match self {
            Registration::Created(hook)
            | Registration::Existing(hook)
            | Registration::Repaired { hook, .. } => hook,
        }
    }

    /// What was done, in a few words, for the operator.
    pub fn describe(&self) -> &'static str {
        match self {
            Registration::Created(_) => "created",
            Registration::Existing(_) => "ok",
            Registration::Repaired {
                reactivated: true,
                secret_fixed: true,
                ..
            } => "reactivated, secret fixed",
            Registration::Repaired {
                reactivated: true, ..
            } => "reactivated",
            Registration::Repaired { .. } => "secret fixed",
        }
    }
}

/// The scopes `settings` asks for.
pub fn scopes(settings: &WebhookSettings) -> Vec<&'static str> {
    let mut scopes = SCOPES.to_vec();
    if settings.coupons_in_use {
        scopes.push(COUPON_SCOPE);
    }
    scopes
}

/// Makes sure every scope has an active hook to `destination` carrying the secret header.
pub async fn register_hooks(
    client: &BigCommerceClient,
    settings: &WebhookSettings,
    destination: &Url,
) -> Result<Vec<Registration>, BigCommerceError> {
    let cx = CorrelationId(Uuid::new_v4());
    let existing = client
        .list_hooks(&settings.secret_header, &settings.secret, cx)
        .await?;
    let scopes = scopes(settings);
    let mut registrations = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let found = existing
            .iter()
            .find(|hook| hook.scope == scope && same_destination(&hook.destination, destination));
        let registration = match found {
            Some(hook) if hook.is_active && hook.carries_secret => {
                Registration::Existing(hook.clone())
            }
            Some(hook) => {
                let repair = HookRepair {
                    id: hook.id,
                    secret_header: &settings.secret_header,
                    secret: &settings.secret,
                };
                Registration::Repaired {
                    hook: client.repair_hook(&repair, cx).await?,
                    reactivated: !hook.is_active,
                    secret_fixed: !hook.carries_secret,
                }
            }
            None => {
                let new = NewHook {
                    scope,
                    destination: destination.as_str(),
                    secret_header: &settings.secret_header,
                    secret: &settings.secret,
                };
                Registration::Created(client.create_hook(&new, cx).await?)
            }
        };
        registrations.push(registration);
    }
    Ok(registrations)
}

fn same_destination(registered: &str, destination: &Url) -> bool {
    Url::parse(registered).is_ok_and(|registered| &registered == destination)
}

#[cfg(test)]
mod tests {
    use super::same_destination;
    use url::Url;

    #[test]
    fn destinations_compare_as_urls() {
        let ours = Url::parse("https://bff.example/webhooks/bigcommerce").expect("url");
        assert!(same_destination(
            "https://BFF.example:443/webhooks/bigcommerce",
            &ours
        ));
        assert!(!same_destination(
            "https://bff.example/webhooks/other",
            &ours
        ));
        assert!(!same_destination("not a url", &ours));
    }
}
