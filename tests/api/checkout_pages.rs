//! The cart page's shipping estimate, option choice, note and gift certificate forms: no
//! JavaScript, CSRF-checked, the fair share spent for the calls each makes, 303 back to the
//! cart, and what the checkout said shown on the page.

use crate::helpers::{share_of, spawn_app, spawn_app_with};
use crate::pages::{cart_page, csrf_token, post_form};

/// The value of the first radio button named `option_id` whose label mentions `text`.
fn option_value(html: &str, text: &str) -> String {
    let label = html
        .split("<label>")
        .find(|label| label.contains("name=\"option_id\"") && label.contains(text))
        .unwrap_or_else(|| panic!("no option {text} in {html}"));
    let marker = "value=\"";
    let start = label.find(marker).expect("value") + marker.len();
    let end = label[start..].find('"').expect("end") + start;
    label[start..end].to_owned()
}

#[tokio::test]
async fn estimate_choose_and_see_shipping_tax_and_the_note_on_the_cart_page() {
    // Arrange: two notebooks through the page's own form.
    let app = spawn_app().await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    let added = post_form(
        &app,
        "/cart/items",
        &[
            ("csrf_token", &token),
            ("product_id", "104"),
            ("quantity", "2"),
        ],
    )
    .await;
    assert_eq!(added.status().as_u16(), 303);
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    assert!(html.contains("Estimate shipping"));
    assert!(html.contains("Calculated at checkout"));

    // Act: estimate, then choose express.
    let before = app.sandbox_stats().await;
    let estimated = post_form(
        &app,
        "/cart/shipping-estimate",
        &[
            ("csrf_token", &token),
            ("country_code", "us"),
            ("state", "Texas"),
            ("postal_code", "78701"),
            ("email", "shopper@example.com"),
        ],
    )
    .await;
    assert_eq!(estimated.status().as_u16(), 303);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
    let (_, _, html) = cart_page(&app).await;
    assert!(html.contains("Shipping estimated."), "{html}");
    assert!(html.contains("Shipping to Texas, 78701, US"));
    assert!(html.contains("Express shipping · $15.00"));
    let express = option_value(&html, "Express shipping");
    let chosen = post_form(
        &app,
        "/cart/shipping-option",
        &[("csrf_token", &token), ("option_id", &express)],
    )
    .await;
    assert_eq!(chosen.status().as_u16(), 303);
    let noted = post_form(
        &app,
        "/cart/note",
        &[("csrf_token", &token), ("message", "Ring <twice>")],
    )
    .await;
    assert_eq!(noted.status().as_u16(), 303);

    // Assert: the summary's figures are the checkout's; the note is escaped.
    assert_eq!(app.sandbox_stats().await.since(&before).total, 3);
    let (_, _, html) = cart_page(&app).await;
    let totals = &html[html.find("id=\"totals-title\"").expect("summary")..];
    assert!(
        totals.contains("<dt>Shipping</dt><dd>$15.00</dd>"),
        "{totals}"
    );
    assert!(totals.contains("<dt>Tax</dt><dd>$2.80</dd>"));
    assert!(totals.contains("$37.78"));
    assert!(html.contains("Ring &#60;twice&#62;") || html.contains("Ring &lt;twice&gt;"));
    assert!(!html.contains("Ring <twice>"));
}

#[tokio::test]
async fn a_gift_certificate_bought_on_the_page_is_a_line_and_bad_forms_call_nothing() {
    let app = spawn_app().await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    post_form(
        &app,
        "/cart/items",
        &[
            ("csrf_token", &token),
            ("product_id", "104"),
            ("quantity", "1"),
        ],
    )
    .await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    assert!(html.contains("Buy a gift certificate"));
    let fields = |amount: &'static str, email: &'static str| {
        vec![
            ("name", "For Sam"),
            ("amount", amount),
            ("theme", "celebration"),
            ("sender_name", "Jane"),
            ("sender_email", "jane@example.com"),
            ("recipient_name", "Sam"),
            ("recipient_email", email),
            ("message", ""),
        ]
    };
    let before = app.sandbox_stats().await;
    for (amount, email) in [
        ("0.5", "sam@example.com"),
        ("25", "sam"),
        ("lots", "sam@example.com"),
    ] {
        let mut form = fields(amount, email);
        form.push(("csrf_token", &token));
        let refused = post_form(&app, "/cart/gift-certificates", &form).await;
        assert_eq!(refused.status().as_u16(), 303);
    }
    let forged = post_form(
        &app,
        "/cart/note",
        &[("csrf_token", "x"), ("message", "hi")],
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    let forged = post_form(
        &app,
        "/cart/shipping-estimate",
        &[("country_code", "US"), ("email", "a@b.co")],
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    let long = "x".repeat(2001);
    post_form(
        &app,
        "/cart/note",
        &[("csrf_token", &token), ("message", &long)],
    )
    .await;
    post_form(
        &app,
        "/cart/shipping-estimate",
        &[("csrf_token", &token), ("country_code", "XX")],
    )
    .await;
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);

    let mut form = fields("25", "sam@example.com");
    form.push(("csrf_token", &token));
    let bought = post_form(&app, "/cart/gift-certificates", &form).await;
    assert_eq!(bought.status().as_u16(), 303);
    assert_eq!(app.sandbox_stats().await.since(&before).total, 1);
    let (_, _, html) = cart_page(&app).await;
    assert!(html.contains("Gift certificate added."), "{html}");
    let line = &html[html.find("For Sam").expect("the certificate's line")..];
    let line = &line[..line.find("</li>").expect("end of line")];
    assert!(line.contains("Quantity: 1"), "not editable: {line}");
    assert!(line.contains("Remove"));
    assert!(!html.contains("sam@example.com"), "no e-mail on the page");
}

#[tokio::test]
async fn the_pages_shipping_forms_spend_the_fair_share_of_their_calls() {
    // A session's share of 2 calls: the add and one estimate; the next is refused.
    let app = spawn_app_with(|settings| settings.rate_limits.session_share = share_of(2)).await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    post_form(
        &app,
        "/cart/items",
        &[
            ("csrf_token", &token),
            ("product_id", "104"),
            ("quantity", "1"),
        ],
    )
    .await;
    let (_, _, html) = cart_page(&app).await;
    let token = csrf_token(&html);
    let estimate = [
        ("csrf_token", token.as_str()),
        ("country_code", "US"),
        ("email", "shopper@example.com"),
    ];
    assert_eq!(
        post_form(&app, "/cart/shipping-estimate", &estimate)
            .await
            .status()
            .as_u16(),
        303
    );
    let before = app.sandbox_stats().await;
    let refused = post_form(&app, "/cart/shipping-estimate", &estimate).await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(app.sandbox_stats().await.since(&before).total, 0);
}
