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
    /// Text types: the most characters allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `numbers_only_text`: the range, and whether only whole numbers are allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_max: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub integers_only: bool,
    /// `date`: the earliest and latest dates allowed (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_earliest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_latest: Option<String>,
    /// `checkbox`: the text next to the box.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkbox_label: Option<String>,
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
        matches!(
            self.modifier_type.as_str(),
            "dropdown" | "radio_buttons" | "rectangles" | "swatch" | "checkbox"
        )
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
        let limited = |key: &str| config.get(key).and_then(serde_json::Value::as_bool);
        // ISO-8601 ATOM dates in the catalog; forms want the date part.
        let date = |key: &str| {
            config
                .get(key)
                .and_then(serde_json::Value::as_str)
                .and_then(|text| text.get(..10))
                .map(str::to_owned)
        };
        let numbers_limited = limited("number_limited") == Some(true);
        let mode = config.get("number_limit_mode").and_then(|m| m.as_str());
        let checkbox = modifier.modifier_type == "checkbox";
        ProductModifier {
            option_id: modifier.id,
            name: modifier.display_name,
            required: modifier.required,
            max_length: (limited("text_characters_limited") == Some(true))
                .then(|| config.get("text_max_length").and_then(|v| v.as_u64()))
                .flatten(),
            number_min: (numbers_limited && mode != Some("highest"))
                .then(|| number("number_lowest_value"))
                .flatten(),
            number_max: (numbers_limited && mode != Some("lowest"))
                .then(|| number("number_highest_value"))
                .flatten(),
            integers_only: limited("number_integers_only") == Some(true),
            date_earliest: date("date_earliest_value"),
            date_latest: date("date_latest_value"),
            checkbox_label: checkbox
                .then(|| config.get("checkbox_label").and_then(|v| v.as_str()))
                .flatten()
                .map(str::to_owned),
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
