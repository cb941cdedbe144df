//! Prices formatted in the cart's currency.

/// `amount` in `currency` for people: "$12.00", "€9.50", "¥1200", or "12.00 CHF".
pub fn format_money(amount: f64, currency: &str) -> String {
    let (symbol, decimals) = match currency {
        "USD" => ("$", 2),
        "CAD" => ("CA$", 2),
        "AUD" => ("A$", 2),
        "NZD" => ("NZ$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        "JPY" => ("¥", 0),
        "INR" => ("₹", 2),
        _ => return format!("{amount:.2} {currency}"),
    };
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{sign}{symbol}{:.*}", decimals, amount.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_formatted_per_currency() {
        assert_eq!(format_money(12.0, "USD"), "$12.00");
        assert_eq!(format_money(74.75, "EUR"), "€74.75");
        assert_eq!(format_money(1200.0, "JPY"), "¥1200");
        assert_eq!(format_money(-5.5, "GBP"), "-£5.50");
        assert_eq!(format_money(9.5, "CHF"), "9.50 CHF");
    }
}
