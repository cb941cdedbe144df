//! Product modifiers in `option_selections`: each type's `option_value` checked the way the
//! catalog describes it (a value id of that modifier, text within its limits, a number in
//! range, a date as a Unix timestamp or `{"day","month","year"}`), and turned into the
//! `options[]` entry the line shows.

use serde_json::Value;

use super::carts::SelectedOption;
use super::errors::CartError;
use super::line_items::OptionSelectionInput;
use crate::seed::{parse_iso_date, ModifierSeed, ModifierType, ProductSeed};

fn unprocessable(title: String) -> CartError {
    CartError::Unprocessable {
        title,
        errors: None,
    }
}

/// What to answer when a required modifier has no selection: "Missing line_items in request
/// body" on add (BigCommerce's guide), "Please create some text…" on a line update without
/// selections (the guide's example of the text-modifier 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingRequired {
    OnAdd,
    OnUpdate,
}

/// The modifiers chosen for a line of `product`, in the catalog's order.
pub fn resolve_modifiers(
    product: &ProductSeed,
    selections: &[OptionSelectionInput],
    missing: MissingRequired,
) -> Result<Vec<SelectedOption>, CartError> {
    let mut chosen = Vec::new();
    for modifier in &product.modifiers {
        let selection = selections.iter().find(|s| s.option_id == Some(modifier.id));
        match selection {
            Some(selection) => {
                if let Some(option) = resolve_one(modifier, &selection.option_value)? {
                    chosen.push(option);
                }
            }
            None if modifier.required => return Err(missing_required(modifier, missing)),
            // An optional checkbox left out is unticked: the line shows its unchecked value,
            // as the spec's "Add a $5 Donation: No" example does.
            None if modifier.kind == ModifierType::Checkbox => {
                if let Some(unchecked) = modifier.values.iter().find(|v| !v.checked) {
                    chosen.push(choice(modifier, unchecked.id, &unchecked.label));
                }
            }
            None => {}
        }
    }
    Ok(chosen)
}

fn missing_required(modifier: &ModifierSeed, missing: MissingRequired) -> CartError {
    let text_type = matches!(
        modifier.kind,
        ModifierType::Text | ModifierType::MultiLineText
    );
    if missing == MissingRequired::OnUpdate && text_type {
        return text_refused(modifier);
    }
    unprocessable("Missing line_items in request body".to_owned())
}

fn text_refused(modifier: &ModifierSeed) -> CartError {
    unprocessable(format!(
        "Please create some text for the {} option",
        modifier.display_name
    ))
}

fn choice(modifier: &ModifierSeed, value_id: i64, label: &str) -> SelectedOption {
    SelectedOption {
        name: modifier.display_name.clone(),
        name_id: modifier.id,
        value: label.to_owned(),
        value_id: Some(value_id),
    }
}

fn free(modifier: &ModifierSeed, value: String) -> SelectedOption {
    SelectedOption {
        name: modifier.display_name.clone(),
        name_id: modifier.id,
        value,
        value_id: None,
    }
}

/// One selection; `None` when an optional text was left empty.
fn resolve_one(
    modifier: &ModifierSeed,
    value: &Value,
) -> Result<Option<SelectedOption>, CartError> {
    match modifier.kind {
        kind if kind.has_values() => {
            let id = value.as_i64().ok_or_else(|| invalid_value(modifier))?;
            let picked = modifier
                .values
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(|| invalid_value(modifier))?;
            Ok(Some(choice(modifier, picked.id, &picked.label)))
        }
        ModifierType::Date => {
            let date = parse_date(value).ok_or_else(|| invalid_date(modifier))?;
            let earliest = modifier.date_earliest.as_deref().and_then(parse_iso_date);
            let latest = modifier.date_latest.as_deref().and_then(parse_iso_date);
            if earliest.is_some_and(|e| date < e) || latest.is_some_and(|l| date > l) {
                return Err(invalid_date(modifier));
            }
            Ok(Some(free(modifier, iso(date))))
        }
        ModifierType::NumbersOnlyText => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite())
            .ok_or_else(|| invalid_number(modifier))?;
            let out_of_range = modifier.number_min.is_some_and(|min| number < min)
                || modifier.number_max.is_some_and(|max| number > max)
                || (modifier.integers_only && number.fract() != 0.0);
            if out_of_range {
                return Err(invalid_number(modifier));
            }
            Ok(Some(free(modifier, format_number(number))))
        }
        _ => resolve_text(modifier, value),
    }
}

fn resolve_text(
    modifier: &ModifierSeed,
    value: &Value,
) -> Result<Option<SelectedOption>, CartError> {
    let text = value.as_str().ok_or_else(|| text_refused(modifier))?.trim();
    let single_line = modifier.kind == ModifierType::Text;
    let length = text.chars().count();
    let too_short = length < modifier.min_length.max(usize::from(modifier.required));
    if too_short || length > modifier.max_length || (single_line && text.contains('\n')) {
        return Err(text_refused(modifier));
    }
    Ok((!text.is_empty()).then(|| free(modifier, text.to_owned())))
}

fn invalid_value(modifier: &ModifierSeed) -> CartError {
    unprocessable(format!(
        "Please choose a valid value for the {} option",
        modifier.display_name
    ))
}

fn invalid_date(modifier: &ModifierSeed) -> CartError {
    unprocessable(format!(
        "Please choose a valid date for the {} option",
        modifier.display_name
    ))
}

fn invalid_number(modifier: &ModifierSeed) -> CartError {
    unprocessable(format!(
        "Please enter a valid number for the {} option",
        modifier.display_name
    ))
}

/// A Unix timestamp, or `{"day","month","year"}` with numbers or numeric strings.
fn parse_date(value: &Value) -> Option<time::Date> {
    match value {
        Value::Number(n) => {
            let seconds = n.as_i64()?;
            Some(
                time::OffsetDateTime::from_unix_timestamp(seconds)
                    .ok()?
                    .date(),
            )
        }
        Value::Object(parts) => {
            let part = |key: &str| -> Option<i64> {
                match parts.get(key)? {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
            };
            let month = time::Month::try_from(u8::try_from(part("month")?).ok()?).ok()?;
            let year = i32::try_from(part("year")?).ok()?;
            let day = u8::try_from(part("day")?).ok()?;
            time::Date::from_calendar_date(year, month, day).ok()
        }
        _ => None,
    }
}

/// How the sandbox shows a date on the line (BigCommerce's display format is undocumented).
fn iso(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_come_as_timestamps_or_day_month_year() {
        let expected = time::Date::from_calendar_date(2020, time::Month::February, 1).ok();
        assert_eq!(
            parse_date(&json!({"day": "01", "month": "02", "year": "2020"})),
            expected
        );
        assert_eq!(
            parse_date(&json!({"day": 1, "month": 2, "year": 2020})),
            expected
        );
        assert_eq!(parse_date(&json!(1_580_515_200)), expected);
        assert_eq!(
            parse_date(&json!({"day": 31, "month": 2, "year": 2020})),
            None
        );
        assert_eq!(parse_date(&json!("2020-02-01")), None);
    }
}
