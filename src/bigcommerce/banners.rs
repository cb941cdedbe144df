//! BigCommerce's promotion banners (`include=promotions.banners`) read into plain-text
//! `PromotionBanner`s. The two specs disagree on the shape: the Carts API types
//! `promotions: {banners: {...}}` (one object, described as a list), the Checkouts API
//! `promotions: [{banners: [...]}]`; every form is accepted (reference §3.1). Banner text may
//! carry HTML and placeholders (reference §3.2): tags are dropped, so nothing from upstream is
//! ever markup here.

use serde_json::Value;

use crate::domain::{PromotionBanner, PromotionType};

/// The longest banner text kept, in characters.
const MAX_BANNER_TEXT: usize = 300;
/// The most banners kept for one cart.
const MAX_BANNERS: usize = 10;

/// The banners of a `promotions` value that belong on the cart page.
pub(super) fn cart_banners(promotions: Option<&Value>) -> Vec<PromotionBanner> {
    let mut raw = Vec::new();
    collect(promotions.unwrap_or(&Value::Null), &mut raw);
    let mut banners: Vec<PromotionBanner> = Vec::new();
    for banner in raw {
        let Some(banner) = read_banner(banner) else {
            continue;
        };
        if !banners.contains(&banner) && banners.len() < MAX_BANNERS {
            banners.push(banner);
        }
    }
    banners
}

/// Finds banner objects in any of the documented shapes.
fn collect<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Object(object) => match object.get("banners") {
            Some(banners) => collect(banners, out),
            None if object.contains_key("text") => out.push(value),
            None => {}
        },
        _ => {}
    }
}

fn read_banner(value: &Value) -> Option<PromotionBanner> {
    let banner_type = match value.get("type")?.as_str()?.to_ascii_lowercase().as_str() {
        "upsell" => PromotionType::Upsell,
        "eligible" => PromotionType::Eligible,
        "applied" => PromotionType::Applied,
        "promotion" => PromotionType::Promotion,
        _ => return None,
    };
    if !for_cart_page(value.get("page")) {
        return None;
    }
    let text = plain_text(value.get("text")?.as_str()?);
    (!text.is_empty()).then_some(PromotionBanner { banner_type, text })
}

/// A banner without pages shows everywhere; otherwise it needs the cart page (`cartpage` in
/// the spec's example, `CART_PAGE` in the Promotions API).
fn for_cart_page(page: Option<&Value>) -> bool {
    let Some(pages) = page.and_then(Value::as_array) else {
        return true;
    };
    pages.is_empty()
        || pages.iter().filter_map(Value::as_str).any(|page| {
            let page: String = page.chars().filter(char::is_ascii_alphanumeric).collect();
            page.eq_ignore_ascii_case("cartpage")
        })
}

/// Text without tags, with the common entities decoded, whitespace collapsed, control
/// characters removed and the length capped.
fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if in_tag => {}
            c if c.is_control() => text.push(' '),
            c => text.push(c),
        }
    }
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(MAX_BANNER_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(value: Value) -> Vec<String> {
        cart_banners(Some(&value))
            .into_iter()
            .map(|b| b.text)
            .collect()
    }

    #[test]
    fn every_documented_shape_is_read() {
        let banner = json!({"id": "3", "type": "applied", "page": ["homepage", "cartpage"], "text": "Some text"});
        assert_eq!(texts(json!({"banners": banner.clone()})), ["Some text"]);
        assert_eq!(texts(json!({"banners": [banner.clone()]})), ["Some text"]);
        assert_eq!(texts(json!([{"banners": [banner.clone()]}])), ["Some text"]);
        assert!(texts(json!(null)).is_empty());
        assert!(texts(json!({"banners": "oops"})).is_empty());
    }

    #[test]
    fn types_compare_case_insensitively_and_unknown_ones_are_dropped() {
        let read = cart_banners(Some(&json!({"banners": [
            {"type": "UPSELL", "page": ["CART_PAGE"], "text": "a"},
            {"type": "Eligible", "text": "b"},
            {"type": "teaser", "text": "c"},
            {"type": "applied", "page": ["homepage"], "text": "d"},
        ]})));
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].banner_type, PromotionType::Upsell);
        assert_eq!(read[1].banner_type, PromotionType::Eligible);
    }

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            plain_text("<b>Spend&nbsp;$8</b> more <script>alert(1)</script>\nnow &amp; save"),
            "Spend $8 more alert(1) now & save"
        );
        assert_eq!(plain_text(&"x".repeat(1000)).len(), MAX_BANNER_TEXT);
    }
}
