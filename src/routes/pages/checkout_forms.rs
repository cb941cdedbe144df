//! The cart page's checkout-side forms: a shipping estimate, the choice of an option, the note
//! and a gift certificate. Each is CSRF-checked (403 and no change otherwise), has its input
//! checked (a message, and nothing spent), spends the client's fair share of the store's
//! quota for the calls it makes, goes through `CartService`, and answers 303 to the cart.

use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::cart::correlation_id;
use super::forms::forged;
use super::{back_to_cart, charged_change};
use crate::cart::CartService;
use crate::domain::{
    EmailAddress, GiftParty, NewGiftCertificate, OrderNote, ShippingDestination, ShippingOptionId,
};
use crate::fair_shares::FairShares;
use crate::session::{Flash, ShopperSession};

#[derive(Deserialize)]
pub struct EstimateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    country_code: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
pub struct OptionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    option_id: String,
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
pub struct GiftCertificateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    sender_name: String,
    #[serde(default)]
    sender_email: String,
    #[serde(default)]
    recipient_name: String,
    #[serde(default)]
    recipient_email: String,
    #[serde(default)]
    message: String,
}

pub async fn estimate_shipping(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<EstimateForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let parsed = ShippingDestination::parse(
        &form.country_code,
        form.state.as_deref(),
        form.postal_code.as_deref(),
    )
    .and_then(|destination| {
        let email = (form.email.as_deref())
            .filter(|email| !email.trim().is_empty())
            .map(EmailAddress::parse)
            .transpose()?;
        Ok((destination, email))
    });
    let (destination, email) = match parsed {
        Ok(parsed) => parsed,
        Err(invalid) => return back_to_cart(&session, Flash::error(invalid.0)).await,
    };
    // One call with a fresh snapshot; a checkout read first without one.
    let ttl = carts.settings().snapshot_ttl();
    let fresh = session.snapshot().is_some_and(|s| s.is_fresh(ttl));
    let cx = correlation_id(&request);
    let estimate = || carts.estimate_shipping(&session, &destination, email.as_ref(), cx);
    let calls = if fresh { 1 } else { 2 };
    charged_change(
        &request,
        &session,
        &shares,
        calls,
        "Shipping estimated.",
        estimate,
    )
    .await
}

pub async fn select_shipping_option(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<OptionForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let option = match ShippingOptionId::parse(&form.option_id) {
        Ok(option) => option,
        Err(invalid) => return back_to_cart(&session, Flash::error(invalid.0)).await,
    };
    let cx = correlation_id(&request);
    let choose = || carts.select_shipping_option(&session, &option, cx);
    charged_change(
        &request,
        &session,
        &shares,
        1,
        "Shipping option chosen.",
        choose,
    )
    .await
}

pub async fn set_note(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<NoteForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let note = match OrderNote::parse(&form.message) {
        Ok(note) => note,
        Err(invalid) => return back_to_cart(&session, Flash::error(invalid.0)).await,
    };
    let cx = correlation_id(&request);
    let save = || carts.set_note(&session, &note, cx);
    charged_change(&request, &session, &shares, 1, "Note saved.", save).await
}

pub async fn add_gift_certificate(
    request: HttpRequest,
    session: ShopperSession,
    form: web::Form<GiftCertificateForm>,
    carts: Data<CartService>,
    shares: Data<FairShares>,
) -> HttpResponse {
    if let Some(refused) = forged(&session, &form.csrf_token) {
        return refused;
    }
    let settings = carts.settings();
    let limits = (
        settings.gift_certificate_min_amount,
        settings.gift_certificate_max_amount,
    );
    let parsed = (|| {
        let amount = form.amount.trim().parse::<f64>().unwrap_or(f64::NAN);
        NewGiftCertificate::parse(
            &form.name,
            &form.theme,
            amount,
            GiftParty::parse("sender", &form.sender_name, &form.sender_email)?,
            GiftParty::parse("recipient", &form.recipient_name, &form.recipient_email)?,
            Some(form.message.as_str()),
            limits,
        )
    })();
    let certificate = match parsed {
        Ok(certificate) => certificate,
        Err(invalid) => return back_to_cart(&session, Flash::error(invalid.0)).await,
    };
    let cx = correlation_id(&request);
    let add = || carts.add_gift_certificate(&session, &certificate, cx);
    let done = "Gift certificate added.";
    charged_change(&request, &session, &shares, 1, done, add).await
}
