//! How a quantity change names its line. BigCommerce's spec: for a product with modifiers,
//! omit `variant_id` and describe the variant options and the modifiers in
//! `option_selections` (reference §1.11). They are rebuilt from the line's `options[]`
//! (`nameId` is the option, `valueId` the value), and the catalog tells which products have
//! modifiers and which of them are dates (whose text must go back as a date).

use crate::bigcommerce::LineNamedBy;
use crate::catalog::ProductModifier;
use crate::domain::{CartLineItem, OptionSelection, OptionValue, VariantId};

/// `modifiers` is the product's list from the catalog, `None` when the catalog does not
/// know the product: then a line with options is assumed to have modifiers, since only
/// `option_selections` can describe those.
pub(super) fn line_named_by(
    line: &CartLineItem,
    modifiers: Option<&[ProductModifier]>,
) -> LineNamedBy {
    let variant = line.variant_id.and_then(|id| VariantId::parse(id).ok());
    let has_modifiers = match modifiers {
        Some(modifiers) => !modifiers.is_empty(),
        None => !line.options.is_empty(),
    };
    if !has_modifiers {
        return LineNamedBy::Variant(variant);
    }
    let is_date = |option_id: i64| {
        modifiers
            .into_iter()
            .flatten()
            .any(|m| m.option_id == option_id && m.modifier_type == "date")
    };
    let selections = line
        .options
        .iter()
        .filter_map(|option| {
            let option_id = option.option_id?;
            let value = match option.option_value_id {
                Some(id) => OptionValue::ValueId(id),
                None if is_date(option_id) => OptionValue::parse_date(&option.value).ok()?,
                None => OptionValue::Text(option.value.clone()),
            };
            OptionSelection::parse(option_id, value).ok()
        })
        .collect();
    LineNamedBy::Selections(selections)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn lines_without_modifiers_are_named_by_their_variant() {
        let shirt = line(vec![option(201, "M", Some(302))]);
        assert!(matches!(
            line_named_by(&shirt, Some(&[])),
            LineNamedBy::Variant(Some(v)) if v.get() == 11
        ));
    }

    #[test]
    fn lines_with_modifiers_repeat_every_option_and_dates_go_back_as_dates() {
        let cake = line(vec![
            option(404, "2026-12-24", None),
            option(405, "Hi", None),
        ]);
        let LineNamedBy::Selections(selections) = line_named_by(&cake, None) else {
            panic!("selections expected");
        };
        assert_eq!(selections[1].option_value, OptionValue::Text("Hi".into()));
        // Without the catalog a date is indistinguishable from text...
        assert_eq!(
            selections[0].option_value,
            OptionValue::Text("2026-12-24".into())
        );
        // ...with it, the date goes back as a date.
        let date = ProductModifier {
            option_id: 404,
            name: "Delivery date".into(),
            modifier_type: "date".into(),
            required: true,
            values: Vec::new(),
            max_length: None,
            number_min: None,
            number_max: None,
            integers_only: false,
            date_earliest: None,
            date_latest: None,
            checkbox_label: None,
        };
        let LineNamedBy::Selections(selections) = line_named_by(&cake, Some(&[date])) else {
            panic!("selections expected");
        };
        assert!(matches!(selections[0].option_value, OptionValue::Date(_)));
        assert_eq!(selections[1].option_value, OptionValue::Text("Hi".into()));
    }
}
