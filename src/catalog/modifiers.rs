//! Product modifiers as a storefront needs them to build an add form: every type BigCommerce
//! has, its choices and limits, and how its `option_value` is sent.

use serde::Serialize;
use utoipa::ToSchema;

use crate::bigcommerce::CatalogModifier;

/// A modifier the shopper fills in or chooses.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductModifier {
    /// Send as `option_selections[].option_id`.
    pub option_id: i64,
    pub name: String,
    /// BigCommerce's type: `dropdown`, `radio_buttons`, `rectangles`, `swatch` and `checkbox`
    /// take a value id; `text`, `multi_line_text` and `numbers_only_text` take a string;
    /// `date` takes `{"date": "YYYY-MM-DD"}`. Others (`file`, `product_list`, ...) cannot be
    /// filled in through this API.
    #[serde(rename = "type")]
    pub modifier_type: String,
    pub required: bool,
    /// The choices, for the types that take a value id.
    pub values: Vec<ModifierValue>,
    /// Text types: the fewest and most characters allowed, when the store limits them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `numbers_only_text`: the range, and whether only whole numbers are allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_max: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub integers_only: bool,
    /// `date`: the earliest and latest dates allowed (`YYYY-MM-DD`), only when the store
    /// limits dates (`date_limited`) and as its `date_limit_mode` says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_earliest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_latest: Option<String>,
    /// `checkbox`: the text next to the box.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkbox_label: Option<String>,
    /// `checkbox`: whether the box starts ticked.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub checked_by_default: bool,
    /// Text, number and date types: what the field starts with (a date as `YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModifierValue {
    pub id: i64,
    pub label: String,
    pub is_default: bool,
    /// `checkbox` only: whether this value is the ticked state (send its id when ticked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
}

impl ProductModifier {
    /// Types whose `option_value` is one of `values`.
    pub fn takes_value_id(&self) -> bool {
        modifier_takes_value_id(&self.modifier_type)
    }

    /// Types a shopper can fill in through this API; the others (`file`, `product_list`,
    /// `product_list_with_images`, any type unknown to us) are left out of forms, and a
    /// product requiring one cannot be added here.
    pub fn can_be_filled_in(&self) -> bool {
        self.takes_value_id()
            || matches!(
                self.modifier_type.as_str(),
                "text" | "multi_line_text" | "numbers_only_text" | "date"
            )
    }

    pub fn is_date(&self) -> bool {
        self.modifier_type == "date"
    }

    /// The value id a ticked checkbox sends.
    pub fn checked_value(&self) -> Option<i64> {
        self.values
            .iter()
            .find(|value| value.checked == Some(true))
            .map(|value| value.id)
    }
}

impl From<CatalogModifier> for ProductModifier {
    fn from(modifier: CatalogModifier) -> Self {
        let config = &modifier.config;
        let number = |key: &str| config.get(key).and_then(serde_json::Value::as_f64);
        let flag = |key: &str| config.get(key).and_then(serde_json::Value::as_bool) == Some(true);
        let text = |key: &str| config.get(key).and_then(serde_json::Value::as_str);
        // ISO-8601 ATOM dates in the catalog; forms want the date part.
        let date = |key: &str| date_part(text(key)?);
        let checkbox = modifier.modifier_type == "checkbox";
        let is_date = modifier.modifier_type == "date";
        let numbers_mode = text("number_limit_mode");
        let numbers_limited = flag("number_limited");
        // A bound is only a bound when the store limits dates, and only the ones its mode names
        // (the catalog may carry both values whatever the mode).
        let dates_mode = text("date_limit_mode");
        let dates_limited = is_date && flag("date_limited");
        let text_limited = flag("text_characters_limited");
        let length = |key: &str| {
            text_limited
                .then(|| config.get(key).and_then(serde_json::Value::as_u64))
                .flatten()
        };
        let default_value = text("default_value")
            .filter(|value| !value.is_empty())
            .and_then(|value| {
                if is_date {
                    date_part(value)
                } else {
                    Some(value.to_owned())
                }
            });
        ProductModifier {
            option_id: modifier.id,
            name: modifier.display_name,
            required: modifier.required,
            min_length: length("text_min_length").filter(|n| *n > 0),
            max_length: length("text_max_length"),
            number_min: (numbers_limited && numbers_mode != Some("highest"))
                .then(|| number("number_lowest_value"))
                .flatten(),
            number_max: (numbers_limited && numbers_mode != Some("lowest"))
                .then(|| number("number_highest_value"))
                .flatten(),
            integers_only: flag("number_integers_only"),
            date_earliest: (dates_limited && matches!(dates_mode, Some("earliest" | "range")))
                .then(|| date("date_earliest_value"))
                .flatten(),
            date_latest: (dates_limited && matches!(dates_mode, Some("latest" | "range")))
                .then(|| date("date_latest_value"))
                .flatten(),
            checkbox_label: checkbox
                .then(|| text("checkbox_label"))
                .flatten()
                .map(str::to_owned),
            checked_by_default: checkbox && flag("checked_by_default"),
            default_value: (!checkbox && !modifier_takes_value_id(&modifier.modifier_type))
                .then_some(default_value)
                .flatten(),
            values: modifier
                .option_values
                .into_iter()
                .map(|value| ModifierValue {
                    id: value.id,
                    label: value.label,
                    is_default: value.is_default,
                    checked: checkbox.then(|| {
                        value
                            .value_data
                            .get("checked_value")
                            .and_then(|c| c.as_bool())
                            == Some(true)
                    }),
                })
                .collect(),
            modifier_type: modifier.modifier_type,
        }
    }
}

fn modifier_takes_value_id(modifier_type: &str) -> bool {
    matches!(
        modifier_type,
        "dropdown" | "radio_buttons" | "rectangles" | "swatch" | "checkbox"
    )
}

/// `YYYY-MM-DD` from an ISO-8601 date or date-time; `None` when it is not one.
fn date_part(text: &str) -> Option<String> {
    let day = text.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, &format).ok()?;
    Some(day.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn modifier(kind: &str, config: serde_json::Value) -> ProductModifier {
        let raw: CatalogModifier = serde_json::from_value(json!({"id": 1, "display_name": "M",
            "type": kind, "required": false, "config": config, "option_values": []}))
        .expect("modifier");
        ProductModifier::from(raw)
    }

    #[test]
    fn date_bounds_apply_only_when_limited_and_as_the_mode_says() {
        let bounds = |limited: bool, mode: &str| {
            let m = modifier(
                "date",
                json!({"date_limited": limited, "date_limit_mode": mode,
                "date_earliest_value": "2026-01-01T00:00:00+00:00",
                "date_latest_value": "2030-12-31T00:00:00+00:00"}),
            );
            (m.date_earliest, m.date_latest)
        };
        let (early, late) = (Some("2026-01-01".to_owned()), Some("2030-12-31".to_owned()));
        assert_eq!(bounds(false, "range"), (None, None));
        assert_eq!(bounds(true, "range"), (early.clone(), late.clone()));
        assert_eq!(bounds(true, "earliest"), (early, None));
        assert_eq!(bounds(true, "latest"), (None, late));
    }

    #[test]
    fn defaults_and_text_limits_come_from_the_config() {
        let checkbox = modifier(
            "checkbox",
            json!({"checked_by_default": true, "checkbox_label": "Wrap"}),
        );
        assert!(checkbox.checked_by_default);
        assert_eq!(checkbox.default_value, None);
        let text = modifier(
            "text",
            json!({"default_value": "Hi", "text_characters_limited": true,
            "text_min_length": 2, "text_max_length": 1000}),
        );
        assert_eq!(text.default_value.as_deref(), Some("Hi"));
        assert_eq!((text.min_length, text.max_length), (Some(2), Some(1000)));
        let unlimited = modifier(
            "text",
            json!({"text_characters_limited": false, "text_max_length": 5}),
        );
        assert_eq!(unlimited.max_length, None);
        let date = modifier(
            "date",
            json!({"default_value": "2026-12-24T00:00:00+00:00"}),
        );
        assert_eq!(date.default_value.as_deref(), Some("2026-12-24"));
        assert_eq!(
            modifier("date", json!({"default_value": "soon"})).default_value,
            None
        );
    }

    #[test]
    fn file_and_product_list_modifiers_cannot_be_filled_in() {
        for kind in [
            "file",
            "product_list",
            "product_list_with_images",
            "hologram",
        ] {
            assert!(!modifier(kind, json!({})).can_be_filled_in(), "{kind}");
        }
        for kind in ["text", "date", "dropdown", "checkbox", "numbers_only_text"] {
            assert!(modifier(kind, json!({})).can_be_filled_in(), "{kind}");
        }
    }
}
