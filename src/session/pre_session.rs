//! The pre-session: what a shopper without a session row holds, so that a page can carry a
//! CSRF token before anything is stored (the cart page's forms, the login form). It is 256
//! random bits in a signed cookie; the CSRF token is their tag under the signing key, so only
//! a page of this service shown to this browser can know it. Once the session is stored, its
//! pages' tokens derive from the session token instead: the token rotates with the session.
//! The stored session keeps a hash of the pre-session that stored it, and accepts that one's
//! tokens only (pages shown before the first write still post); a session rotated by signing
//! in keeps none, so no token shown before signing in survives it.

use rand::rngs::OsRng;
use rand::TryRngCore;

use super::signing::Signer;

const COOKIE_PURPOSE: &str = "checkout-bff pre-session v1";
const CSRF_PURPOSE: &str = "checkout-bff pre-session csrf v1";

/// This request's pre-session: the one its cookie carried, or a fresh one.
#[derive(Clone)]
pub struct PreSession {
    value: [u8; 32],
    /// The request carried it in a cookie we signed (a fresh one must still be sent).
    from_request: bool,
}

impl PreSession {
    /// The pre-session the cookie names, if we signed it; otherwise a fresh one.
    pub fn from_cookie(
        signer: &Signer,
        cookie: Option<&str>,
    ) -> Result<Self, rand::rand_core::OsError> {
        let carried = cookie
            .and_then(|value| signer.verify(COOKIE_PURPOSE, value))
            .and_then(|payload| <[u8; 32]>::try_from(payload).ok());
        if let Some(value) = carried {
            return Ok(Self {
                value,
                from_request: true,
            });
        }
        let mut value = [0u8; 32];
        OsRng.try_fill_bytes(&mut value)?;
        Ok(Self {
            value,
            from_request: false,
        })
    }

    /// Whether the browser already holds this pre-session.
    pub fn came_with_request(&self) -> bool {
        self.from_request
    }

    /// The CSRF token of the forms this browser is shown.
    pub fn csrf_token(&self, signer: &Signer) -> String {
        signer.tag(CSRF_PURPOSE, &self.value)
    }

    /// Whether `candidate` is the token of a page this browser was shown. A fresh pre-session
    /// was never shown to anyone, so nothing matches it.
    pub fn verify_csrf_token(&self, signer: &Signer, candidate: &str) -> bool {
        self.from_request && signer.verify_tag(CSRF_PURPOSE, &self.value, candidate)
    }

    /// What the session stored by this pre-session's browser keeps of it (SHA-256 of its
    /// value: no token can be made from it), so the session accepts this pre-session's tokens
    /// and no other's.
    pub fn binding(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(COOKIE_PURPOSE.as_bytes());
        hasher.update([0]);
        hasher.update(self.value);
        hasher.finalize().into()
    }

    /// The cookie value that hands this pre-session to the browser.
    pub fn cookie_value(&self, signer: &Signer) -> String {
        signer.sign(COOKIE_PURPOSE, &self.value)
    }
}

// The value stands behind CSRF tokens: never print it.
impl std::fmt::Debug for PreSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PreSession(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn signer() -> Signer {
        Signer::new(&SecretString::from("a signing key of thirty-two bytes")).expect("a key")
    }

    #[test]
    fn a_pre_session_comes_back_from_its_cookie_with_the_same_token() {
        let signer = signer();
        let fresh = PreSession::from_cookie(&signer, None).expect("os rng");
        assert!(!fresh.came_with_request());
        let token = fresh.csrf_token(&signer);
        assert!(
            !fresh.verify_csrf_token(&signer, &token),
            "a pre-session the browser does not hold yet verifies nothing"
        );

        let cookie = fresh.cookie_value(&signer);
        let back = PreSession::from_cookie(&signer, Some(&cookie)).expect("os rng");
        assert!(back.came_with_request());
        assert_eq!(back.csrf_token(&signer), token);
        assert!(back.verify_csrf_token(&signer, &token));
        assert!(!back.verify_csrf_token(&signer, &"0".repeat(64)));
    }

    #[test]
    fn a_forged_cookie_yields_a_fresh_pre_session() {
        let signer = signer();
        let forged = format!("{}.{}", "ab".repeat(32), "cd".repeat(32));
        let session = PreSession::from_cookie(&signer, Some(&forged)).expect("os rng");
        assert!(!session.came_with_request());
    }
}
