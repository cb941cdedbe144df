//! Selections checked against what the catalog says of a product, before BigCommerce is
//! called: an option id that is not the product's, a value that is not its option's, a value
//! of the wrong kind or outside the modifier's limits is a clear 422 of ours, not a call spent
//! on BigCommerce's refusal (or, for an option id BigCommerce would ignore, a line that is not
//! what the shopper chose).

use super::{Product, ProductModifier};
use crate::domain::{InvalidInput, OptionSelection, OptionValue};

impl Product {
    /// Checks `selections` (of one line item) against this product's variant options and
    /// modifiers. Whether every required modifier has a selection is left to BigCommerce,
    /// whose refusal names the modifier.
    pub fn check_selections(&self, selections: &[OptionSelection]) -> Result<(), InvalidInput> {
        for (index, selection) in selections.iter().enumerate() {
            let id = selection.option_id;
            if selections[..index].iter().any(|s| s.option_id == id) {
                return Err(InvalidInput::new(format!(
                    "option_id {id} is chosen more than once"
                )));
            }
            let variant_options = self.variant_options.as_deref();
            if let Some(option) = variant_options
                .unwrap_or_default()
                .iter()
                .find(|o| o.option_id == id)
            {
                match selection.option_value {
                    OptionValue::ValueId(value) if option.value_ids.contains(&value) => continue,
                    _ => {
                        return Err(InvalidInput::new(format!(
                            "option_value of option_id {id} must be one of its value ids: {:?}",
                            option.value_ids
                        )))
                    }
                }
            }
            let Some(modifier) = self.modifiers.iter().find(|m| m.option_id == id) else {
                if variant_options.is_none() {
                    // Perhaps a variant option the catalog did not describe: BigCommerce decides.
                    continue;
                }
                return Err(InvalidInput::new(format!(
                    "option_id {id} is not an option of product {}",
                    self.id
                )));
            };
            check_modifier(modifier, &selection.option_value)?;
        }
        Ok(())
    }
}

fn check_modifier(modifier: &ProductModifier, value: &OptionValue) -> Result<(), InvalidInput> {
    let id = modifier.option_id;
    let refuse = |what: String| {
        Err(InvalidInput::new(format!(
            "option_id {id} ({}): {what}",
            modifier.name
        )))
    };
    if !modifier.can_be_filled_in() {
        return refuse(format!(
            "a {} option cannot be filled in here",
            modifier.modifier_type
        ));
    }
    match value {
        OptionValue::ValueId(value) if modifier.takes_value_id() => {
            if modifier.values.iter().any(|v| v.id == *value) {
                Ok(())
            } else {
                let ids: Vec<i64> = modifier.values.iter().map(|v| v.id).collect();
                refuse(format!(
                    "option_value must be one of its value ids: {ids:?}"
                ))
            }
        }
        _ if modifier.takes_value_id() => refuse("option_value must be a value id".into()),
        OptionValue::Date(date) if modifier.is_date() => {
            let day = date.to_string();
            let early = modifier
                .date_earliest
                .as_deref()
                .is_some_and(|e| day.as_str() < e);
            let late = modifier
                .date_latest
                .as_deref()
                .is_some_and(|l| day.as_str() > l);
            if early || late {
                refuse(format!(
                    "the date must be from {} to {}",
                    modifier.date_earliest.as_deref().unwrap_or("any day"),
                    modifier.date_latest.as_deref().unwrap_or("any day")
                ))
            } else {
                Ok(())
            }
        }
        _ if modifier.is_date() => refuse("option_value must be {\"date\": \"YYYY-MM-DD\"}".into()),
        OptionValue::Text(text) if modifier.modifier_type == "numbers_only_text" => {
            check_number(modifier, text).map_or(Ok(()), refuse)
        }
        OptionValue::Text(text) => check_text(modifier, text).map_or(Ok(()), refuse),
        _ => refuse("option_value must be a string".into()),
    }
}

/// What is wrong with `text` for a text modifier, if anything.
fn check_text(modifier: &ProductModifier, text: &str) -> Option<String> {
    let length = text.trim().chars().count() as u64;
    if modifier.modifier_type == "text" && text.contains('\n') {
        return Some("the text must be one line".into());
    }
    let min = modifier.min_length.unwrap_or(0);
    let max = modifier.max_length.unwrap_or(u64::MAX);
    (length > 0 && (length < min || length > max)).then(|| match modifier.max_length {
        Some(max) => format!("the text must be {min} to {max} characters long"),
        None => format!("the text must be at least {min} characters long"),
    })
}

/// What is wrong with `text` for a `numbers_only_text` modifier, if anything.
fn check_number(modifier: &ProductModifier, text: &str) -> Option<String> {
    let Some(number) = text.trim().parse::<f64>().ok().filter(|n| n.is_finite()) else {
        return Some("option_value must be a number".into());
    };
    let below = modifier.number_min.is_some_and(|min| number < min);
    let above = modifier.number_max.is_some_and(|max| number > max);
    if below || above {
        return Some(format!(
            "the number must be from {} to {}",
            modifier.number_min.map_or("any".into(), |n| n.to_string()),
            modifier.number_max.map_or("any".into(), |n| n.to_string())
        ));
    }
    (modifier.integers_only && number.fract() != 0.0).then(|| "the number must be whole".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigcommerce::CatalogProduct;

    fn cap() -> Product {
        let raw: CatalogProduct = serde_json::from_value(serde_json::json!({
            "id": 133, "name": "Embroidered Cap", "type": "physical", "price": 24.0,
            "variants": [
                {"id": 1331, "option_values": [{"id": 331, "label": "S/M", "option_id": 204}]},
                {"id": 1332, "option_values": [{"id": 332, "label": "L/XL", "option_id": 204}]}],
            "modifiers": [
                {"id": 419, "display_name": "Embroidery", "type": "text", "required": true,
                 "config": {"text_characters_limited": true, "text_min_length": 1, "text_max_length": 12}},
                {"id": 420, "display_name": "Colour", "type": "dropdown",
                 "option_values": [{"id": 601, "label": "Red"}]},
                {"id": 421, "display_name": "Delivery", "type": "date",
                 "config": {"date_limited": true, "date_limit_mode": "earliest",
                            "date_earliest_value": "2026-01-01T00:00:00+00:00"}},
                {"id": 422, "display_name": "Size", "type": "numbers_only_text",
                 "config": {"number_limited": true, "number_limit_mode": "range",
                            "number_lowest_value": 1, "number_highest_value": 9,
                            "number_integers_only": true}},
                {"id": 423, "display_name": "Photo", "type": "file"}]
        }))
        .expect("product");
        Product::from(raw)
    }

    fn pick(id: i64, value: OptionValue) -> OptionSelection {
        OptionSelection {
            option_id: id,
            option_value: value,
        }
    }

    fn date(text: &str) -> OptionValue {
        OptionValue::parse_date(text).expect("date")
    }

    #[test]
    fn selections_the_catalog_allows_pass() {
        let ok = [
            pick(204, OptionValue::ValueId(332)),
            pick(419, OptionValue::Text("ZOE".into())),
            pick(420, OptionValue::ValueId(601)),
            pick(421, date("2026-12-24")),
            pick(422, OptionValue::Text("7".into())),
        ];
        assert_eq!(cap().check_selections(&ok), Ok(()));
    }

    #[test]
    fn selections_the_catalog_refuses_are_refused() {
        let cases = [
            (
                pick(999, OptionValue::ValueId(332)),
                "not an option of product 133",
            ),
            (pick(204, OptionValue::ValueId(601)), "one of its value ids"),
            (pick(420, OptionValue::ValueId(332)), "one of its value ids"),
            (
                pick(420, OptionValue::Text("Red".into())),
                "must be a value id",
            ),
            (
                pick(419, OptionValue::Text("x".repeat(13))),
                "1 to 12 characters",
            ),
            (
                pick(419, OptionValue::Text("two\nlines".into())),
                "one line",
            ),
            (pick(419, date("2026-12-24")), "must be a string"),
            (
                pick(421, OptionValue::Text("2026-12-24".into())),
                "YYYY-MM-DD",
            ),
            (pick(421, date("2025-12-31")), "from 2026-01-01"),
            (pick(422, OptionValue::Text("7.5".into())), "whole"),
            (pick(422, OptionValue::Text("10".into())), "from 1 to 9"),
            (pick(422, OptionValue::Text("many".into())), "a number"),
            (
                pick(423, OptionValue::Text("x.png".into())),
                "cannot be filled in here",
            ),
        ];
        for (selection, expected) in cases {
            let refused = cap()
                .check_selections(std::slice::from_ref(&selection))
                .expect_err(expected);
            assert!(refused.0.contains(expected), "{selection:?}: {}", refused.0);
        }
        let twice = [
            pick(420, OptionValue::ValueId(601)),
            pick(420, OptionValue::ValueId(601)),
        ];
        assert!(cap().check_selections(&twice).is_err());
    }
}
