//! Subscribing the store to the cart events the service acts on, idempotently: hooks that
//! already exist for a (scope, destination) pair are left as they are, missing ones created.

use url::Url;
use uuid::Uuid;

use crate::bigcommerce::{BigCommerceClient, BigCommerceError, CorrelationId, Hook, NewHook};
use crate::configuration::WebhookSettings;

/// The scopes the service registers. `store/cart/lineItem/*` is registered beside
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

/// What `register_hooks` did for one scope.
#[derive(Debug, Clone)]
pub enum Registration {
    /// There was no hook for this scope and destination; this one was created.
    Created(Hook),
    /// A hook for this scope and destination was already there and was left alone.
    Existing(Hook),
}

impl Registration {
    pub fn hook(&self) -> &Hook {
        match self {
            Registration::Created(hook) | Registration::Existing(hook) => hook,
        }
    }
}

/// Makes sure every scope in `SCOPES` has a hook to `destination` carrying the secret header.
pub async fn register_hooks(
    client: &BigCommerceClient,
    settings: &WebhookSettings,
    destination: &Url,
) -> Result<Vec<Registration>, BigCommerceError> {
    let cx = CorrelationId(Uuid::new_v4());
    let existing = client
        .list_hooks(&settings.secret_header, &settings.secret, cx)
        .await?;
    let mut registrations = Vec::with_capacity(SCOPES.len());
    for scope in SCOPES {
        let found = existing
            .iter()
            .find(|hook| hook.scope == scope && same_destination(&hook.destination, destination));
        let registration = match found {
            Some(hook) => Registration::Existing(hook.clone()),
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
