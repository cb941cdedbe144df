//! A line's options as selections to send back to BigCommerce: for a quantity change (the
//! spec: for a product with modifiers, omit `variant_id` and describe the variant options and
//! the modifiers in `option_selections`, reference §1.11) and for re-adding the line to
//! another cart (a move). One rebuild serves both.
//!
//! Selections are rebuilt from the line's `options[]` (`nameId` is the option, `valueId` the
//! value) and every one of them goes back: a value BigCommerce shows is passed back as it is
//! (`OptionSelection::from_bigcommerce`), never checked against the rules for a shopper's
//! input, since dropping one would describe another line. The one value that cannot go back
//! as shown is a date: BigCommerce shows it as text (in a display format it does not
//! document) but takes it only as a date. Which options are dates is the catalog's word (its
//! modifier types), never a guess from how the text looks; without the catalog, an option
//! without a value id may be a date, so nothing is sent and the caller answers that the store
//! is unavailable, rather than letting BigCommerce's refusal blame the shopper.

use crate::bigcommerce::{BigCommerceError, LineNamedBy};
use crate::catalog::KnownModifiers;
use crate::domain::{CartLineItem, OptionSelection, OptionValue, VariantId};

/// Why a line's selections cannot be rebuilt.
#[derive(Debug)]
pub(super) enum Unrebuilt {
    /// The catalog could not be read, and the line has an option without a value id that
    /// may be a date: sending it as text would be refused. Worth trying again later.
    CatalogUnavailable(BigCommerceError),
    /// A date modifier's value is shown in a form this service cannot read.
    UnreadableDate,
}

/// What the catalog says of products the rebuild did not look up: nothing is needed of it
/// for a line whose options all have value ids.
static NOT_LOOKED_UP: KnownModifiers = KnownModifiers::NotListed;

/// The catalog's word on the products of some lines, looked up once for all of them.
pub(super) struct LinesCatalog(Vec<(i64, KnownModifiers)>);

impl LinesCatalog {
    /// Looks up (in the cached catalog, or by reading it once) the products whose lines
    /// have an option without a value id: only those need the catalog to be rebuilt.
    pub async fn of_lines(
        catalog: Option<&crate::catalog::Catalog>,
        lines: &[CartLineItem],
        cx: crate::bigcommerce::CorrelationId,
    ) -> Self {
        let mut known = Vec::new();
        let Some(catalog) = catalog else {
            return Self(known);
        };
        for line in lines.iter().filter(|line| needs_catalog(line)) {
            let Some(product) = line.product_id else {
                continue;
            };
            if known.iter().any(|(id, _)| *id == product) {
                continue;
            }
            known.push((product, catalog.modifiers_of(product, cx).await));
        }
        Self(known)
    }

    /// Why the catalog of a line that needs it could not be had, if one could not: such a
    /// line cannot be rebuilt now, though it could be once the catalog is back.
    pub fn unavailable_for(&self, lines: &[CartLineItem]) -> Option<BigCommerceError> {
        lines
            .iter()
            .filter(|line| needs_catalog(line) && !line.added_by_promotion)
            .find_map(|line| match self.of(line.product_id) {
                KnownModifiers::Unavailable(error) => Some(error.clone_kind()),
                _ => None,
            })
    }

    pub fn of(&self, product: Option<i64>) -> &KnownModifiers {
        self.0
            .iter()
            .find(|(id, _)| Some(*id) == product)
            .map_or(&NOT_LOOKED_UP, |(_, known)| known)
    }
}

impl super::service::CartService {
    /// What the catalog says of the products of `lines`, as far as re-adding them needs.
    pub(super) async fn lines_catalog(
        &self,
        lines: &[CartLineItem],
        cx: crate::bigcommerce::CorrelationId,
    ) -> LinesCatalog {
        LinesCatalog::of_lines(self.catalog.as_deref(), lines, cx).await
    }
}

/// Whether rebuilding `line` depends on its modifiers' types.
pub(super) fn needs_catalog(line: &CartLineItem) -> bool {
    line.options
        .iter()
        .any(|option| option.option_id.is_some() && option.option_value_id.is_none())
}

/// Every option of `line` as a selection, as BigCommerce shows it, dates turned back into
/// dates. `known` is what the catalog says of the line's product; it is consulted only for
/// options without a value id. When the catalog does not list the product (hidden or gone),
/// such options go back as the text shown: there is nothing better to go on.
pub(super) fn rebuilt_selections(
    line: &CartLineItem,
    known: &KnownModifiers,
) -> Result<Vec<OptionSelection>, Unrebuilt> {
    let mut selections = Vec::with_capacity(line.options.len());
    for option in &line.options {
        // An option BigCommerce does not name cannot be described; BigCommerce always names
        // the options it shows.
        let Some(option_id) = option.option_id else {
            continue;
        };
        let value = match (option.option_value_id, known) {
            (Some(value_id), _) => OptionValue::ValueId(value_id),
            (None, KnownModifiers::Unavailable(error)) => {
                return Err(Unrebuilt::CatalogUnavailable(error.clone_kind()))
            }
            (None, KnownModifiers::Listed(modifiers))
                if modifiers
                    .iter()
                    .any(|m| m.option_id == option_id && m.is_date()) =>
            {
                OptionValue::Date(
                    date_from_display(&option.value).ok_or(Unrebuilt::UnreadableDate)?,
                )
            }
            (None, _) => OptionValue::Text(option.value.clone()),
        };
        selections.push(OptionSelection::from_bigcommerce(option_id, value));
    }
    Ok(selections)
}

/// How a quantity change names `line`: by its variant for a product without modifiers, by
/// every option otherwise (even none: a product whose optional modifiers were all left unset
/// is still named without its variant id, as the spec asks). When the catalog does not know
/// (the product is not listed, or the catalog is unavailable), a line with options is taken to
/// have modifiers, since only `option_selections` can describe those.
pub(super) fn line_named_by(
    line: &CartLineItem,
    known: &KnownModifiers,
) -> Result<LineNamedBy, Unrebuilt> {
    let has_modifiers = match known {
        KnownModifiers::Listed(modifiers) => !modifiers.is_empty(),
        KnownModifiers::NotListed | KnownModifiers::Unavailable(_) => !line.options.is_empty(),
    };
    if !has_modifiers {
        let variant = line.variant_id.and_then(|id| VariantId::parse(id).ok());
        return Ok(LineNamedBy::Variant(variant));
    }
    rebuilt_selections(line, known).map(LineNamedBy::Selections)
}

/// A date as BigCommerce shows it on a line: `YYYY-MM-DD` (or an ISO date-time), a Unix
/// timestamp, or a date with the month in words ("Dec 24th 2026", "December 24, 2026",
/// "24 Dec 2026"). How BigCommerce shows it is undocumented, so every plain reading is
/// tried; an all-numeric day-month order ("12/24/2026") is ambiguous and is not read.
fn date_from_display(text: &str) -> Option<time::Date> {
    let text = text.trim();
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    if let Some(day) = text.get(..10) {
        let rest = &text[10..];
        if rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ') {
            if let Ok(date) = time::Date::parse(day, &iso) {
                return Some(date);
            }
        }
    }
    if (9..=11).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().ok()?;
        return Some(
            time::OffsetDateTime::from_unix_timestamp(seconds)
                .ok()?
                .date(),
        );
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .filter(|word| !word.is_empty())
        .collect();
    let [a, b, c] = words.as_slice() else {
        return None;
    };
    let (month, day) = match (month_named(a), month_named(b)) {
        (Some(month), None) => (month, day_number(b)?),
        (None, Some(month)) => (month, day_number(a)?),
        _ => return None,
    };
    let year: i32 = c.parse().ok().filter(|_| c.len() == 4)?;
    time::Date::from_calendar_date(year, month, day).ok()
}

/// A month by its English name or its first three letters, any case.
fn month_named(word: &str) -> Option<time::Month> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.to_ascii_lowercase();
    if word.len() < 3 {
        return None;
    }
    let index = MONTHS
        .iter()
        .position(|name| name.starts_with(&word) || (word == "sept" && *name == "september"))?;
    time::Month::try_from(u8::try_from(index + 1).ok()?).ok()
}

/// A day of the month, with or without its English ordinal suffix ("24", "24th", "1st").
fn day_number(word: &str) -> Option<u8> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(
        suffix.to_ascii_lowercase().as_str(),
        "" | "st" | "nd" | "rd" | "th"
    ) {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ProductModifier;
    use crate::domain::{LineItemOption, LineItemType};

    fn line(options: Vec<LineItemOption>) -> CartLineItem {
        CartLineItem {
            id: "l".into(),
            item_type: LineItemType::Physical,
            product_id: Some(1),
            variant_id: Some(11),
            sku: None,
            name: "p".into(),
            url: None,
            image_url: None,
            quantity: 1,
            original_price: Some(1.0),
            list_price: 1.0,
            sale_price: 1.0,
            extended_list_price: 1.0,
            extended_sale_price: 1.0,
            discount_amount: 0.0,
            coupon_amount: 0.0,
            added_by_promotion: false,
            problems: Vec::new(),
            options,
        }
    }

    fn option(id: i64, value: &str, value_id: Option<i64>) -> LineItemOption {
        LineItemOption {
            name: "o".into(),
            value: value.into(),
            option_id: Some(id),
            option_value_id: value_id,
        }
    }

    fn modifier(id: i64, kind: &str) -> ProductModifier {
        let raw: crate::bigcommerce::CatalogModifier = serde_json::from_value(
            serde_json::json!({"id": id, "display_name": "m", "type": kind}),
        )
        .expect("modifier");
        ProductModifier::from(raw)
    }

    fn date(y: i32, m: time::Month, d: u8) -> Option<time::Date> {
        time::Date::from_calendar_date(y, m, d).ok()
    }

    #[test]
    fn lines_without_modifiers_are_named_by_their_variant() {
        let shirt = line(vec![option(201, "M", Some(302))]);
        let named = line_named_by(&shirt, &KnownModifiers::Listed(Vec::new()));
        assert!(matches!(named, Ok(LineNamedBy::Variant(Some(v))) if v.get() == 11));
    }

    #[test]
    fn a_product_with_modifiers_all_unset_is_named_without_its_variant() {
        let plain = line(Vec::new());
        let known = KnownModifiers::Listed(vec![modifier(405, "text")]);
        assert!(matches!(
            line_named_by(&plain, &known),
            Ok(LineNamedBy::Selections(s)) if s.is_empty()
        ));
    }

    #[test]
    fn every_option_goes_back_as_shown_and_dates_go_back_as_dates() {
        let cake = line(vec![
            option(404, "Dec 24th 2026", None),
            option(405, "Tab\there", None),
            option(402, "Red", Some(501)),
        ]);
        let known = KnownModifiers::Listed(vec![
            modifier(404, "date"),
            modifier(405, "text"),
            modifier(402, "dropdown"),
        ]);
        let Ok(LineNamedBy::Selections(selections)) = line_named_by(&cake, &known) else {
            panic!("selections expected");
        };
        let values: Vec<&OptionValue> = selections.iter().map(|s| &s.option_value).collect();
        assert_eq!(
            values,
            [
                &OptionValue::Date(date(2026, time::Month::December, 24).expect("date")),
                &OptionValue::Text("Tab\there".into()),
                &OptionValue::ValueId(501),
            ]
        );
    }

    #[test]
    fn without_the_catalog_a_value_without_a_value_id_is_not_guessed() {
        let cake = line(vec![option(404, "2026-12-24", None)]);
        let down = KnownModifiers::Unavailable(BigCommerceError::Timeout);
        assert!(matches!(
            line_named_by(&cake, &down),
            Err(Unrebuilt::CatalogUnavailable(BigCommerceError::Timeout))
        ));
        // Value ids need no catalog.
        let shirt = line(vec![option(201, "M", Some(302))]);
        assert!(matches!(
            rebuilt_selections(&shirt, &down),
            Ok(s) if s[0].option_value == OptionValue::ValueId(302)
        ));
        // A product the catalog does not list: the text as shown.
        assert!(matches!(
            rebuilt_selections(&cake, &KnownModifiers::NotListed),
            Ok(s) if s[0].option_value == OptionValue::Text("2026-12-24".into())
        ));
        let unreadable = line(vec![option(404, "next Tuesday", None)]);
        let known = KnownModifiers::Listed(vec![modifier(404, "date")]);
        assert!(matches!(
            rebuilt_selections(&unreadable, &known),
            Err(Unrebuilt::UnreadableDate)
        ));
    }

    #[test]
    fn dates_are_read_in_every_plain_display() {
        use time::Month::*;
        let cases = [
            ("2026-12-24", date(2026, December, 24)),
            (" 2026-12-24T00:00:00+00:00 ", date(2026, December, 24)),
            ("Dec 24th 2026", date(2026, December, 24)),
            ("December 24, 2026", date(2026, December, 24)),
            ("24 Dec 2026", date(2026, December, 24)),
            ("1st Sept 2026", date(2026, September, 1)),
            ("Feb 2nd, 2027", date(2027, February, 2)),
            ("1798070400", date(2026, December, 24)),
            ("Feb 30th 2027", None),
            ("12/24/2026", None),
            ("Dec 24xx 2026", None),
            ("Ma 3 2026", None),
            ("Dec 24 26", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(date_from_display(text), expected, "{text:?}");
        }
    }
}
