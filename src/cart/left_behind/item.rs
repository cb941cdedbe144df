//! The item that puts a line left behind back, as it is kept in the database: rebuilt once at
//! sign-in (with the catalog, as BigCommerce showed the line), so a move needs no catalog and
//! sends exactly what the merge sent.

use serde::{Deserialize, Serialize};

use crate::domain::{NewLineItem, OptionSelection, OptionValue, ProductId, Quantity, VariantId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredItem {
    product_id: i64,
    #[serde(default)]
    variant_id: Option<i64>,
    quantity: u64,
    #[serde(default)]
    option_selections: Vec<StoredSelection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredSelection {
    option_id: i64,
    #[serde(flatten)]
    value: StoredValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredValue {
    ValueId(i64),
    Text(String),
    /// `YYYY-MM-DD`.
    Date(String),
}

impl From<&NewLineItem> for StoredItem {
    fn from(item: &NewLineItem) -> Self {
        StoredItem {
            product_id: item.product_id.get(),
            variant_id: item.variant_id.map(|id| id.get()),
            quantity: u64::from(item.quantity.get()),
            option_selections: item
                .option_selections
                .iter()
                .map(|selection| StoredSelection {
                    option_id: selection.option_id,
                    value: match &selection.option_value {
                        OptionValue::ValueId(id) => StoredValue::ValueId(*id),
                        OptionValue::Text(text) => StoredValue::Text(text.clone()),
                        OptionValue::Date(date) => StoredValue::Date(date.to_string()),
                    },
                })
                .collect(),
        }
    }
}

impl StoredItem {
    /// The item to send; `None` if what is stored no longer parses (it is then treated as a
    /// line that cannot be added again here).
    pub(super) fn to_item(&self) -> Option<NewLineItem> {
        let option_selections = self
            .option_selections
            .iter()
            .map(|selection| {
                let value = match &selection.value {
                    StoredValue::ValueId(id) => OptionValue::ValueId(*id),
                    StoredValue::Text(text) => OptionValue::Text(text.clone()),
                    StoredValue::Date(date) => OptionValue::parse_date(date).ok()?,
                };
                Some(OptionSelection::from_bigcommerce(
                    selection.option_id,
                    value,
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(NewLineItem {
            product_id: ProductId::parse(self.product_id).ok()?,
            variant_id: match self.variant_id {
                Some(id) => Some(VariantId::parse(id).ok()?),
                None => None,
            },
            quantity: Quantity::parse(i64::try_from(self.quantity).ok()?, u32::MAX).ok()?,
            option_selections,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_reads_back_as_it_was_stored_dates_as_dates() {
        let item = NewLineItem {
            product_id: ProductId::parse(122).expect("id"),
            variant_id: None,
            quantity: Quantity::parse(2, u32::MAX).expect("quantity"),
            option_selections: vec![
                OptionSelection::from_bigcommerce(
                    404,
                    OptionValue::parse_date("2026-12-24").expect("a date"),
                ),
                OptionSelection::from_bigcommerce(405, OptionValue::Text("Hi\tthere".into())),
                OptionSelection::from_bigcommerce(406, OptionValue::ValueId(7)),
            ],
        };
        let stored = serde_json::to_value(StoredItem::from(&item)).expect("json");
        assert_eq!(
            stored["option_selections"][0],
            serde_json::json!({"option_id": 404, "date": "2026-12-24"})
        );
        let read: StoredItem = serde_json::from_value(stored).expect("reads");
        assert_eq!(read.to_item(), Some(item));
    }

    #[test]
    fn a_line_without_options_reads_from_what_the_migration_wrote() {
        let stored: StoredItem = serde_json::from_value(serde_json::json!({
            "product_id": 140, "variant_id": 1401, "quantity": 1, "option_selections": []
        }))
        .expect("reads");
        let item = stored.to_item().expect("an item");
        assert_eq!(item.variant_id.map(|id| id.get()), Some(1401));
        let broken: StoredItem =
            serde_json::from_value(serde_json::json!({"product_id": 0, "quantity": 1}))
                .expect("reads");
        assert_eq!(broken.to_item(), None);
    }
}
