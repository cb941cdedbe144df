//! Identifiers. BigCommerce cart and line-item ids are UUIDs; catalog and customer ids are
//! positive integers. Parsing a path segment into one of these is what keeps a client from
//! steering a request to any other BigCommerce path.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::InvalidInput;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new(id: Uuid) -> Self {
                Self(id)
            }

            /// Parses the canonical hyphenated form only.
            pub fn parse(value: &str) -> Result<Self, InvalidInput> {
                if value.len() != 36 {
                    return Err(InvalidInput::new(concat!(stringify!($name), " must be a UUID")));
                }
                Uuid::try_parse(value)
                    .map(Self)
                    .map_err(|_| InvalidInput::new(concat!(stringify!($name), " must be a UUID")))
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A BigCommerce cart id (also its checkout id). Never shown to browsers.
    CartId
);
uuid_id!(
    /// A line item in a BigCommerce cart.
    LineItemId
);

macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Accepts 1..=i32::MAX, the range BigCommerce ids live in.
            pub fn parse(value: i64) -> Result<Self, InvalidInput> {
                if (1..=i64::from(i32::MAX)).contains(&value) {
                    Ok(Self(value))
                } else {
                    Err(InvalidInput::new(concat!(stringify!($name), " must be a positive integer")))
                }
            }

            pub fn get(&self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

positive_id!(
    /// A catalog product.
    ProductId
);
positive_id!(
    /// A catalog variant of a product.
    VariantId
);
positive_id!(
    /// A BigCommerce customer account.
    CustomerId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_refuse_anything_that_could_change_a_path() {
        for value in [
            "",
            "..",
            "../../v2/orders",
            "00000000-0000-0000-0000-000000000000/../x",
            "0000000000000000000000000000000%2f",
            "{00000000-0000-0000-0000-000000000000}",
            "00000000000000000000000000000000",
            "urn:uuid:00000000-0000-0000-0000-000000000000",
        ] {
            assert!(LineItemId::parse(value).is_err(), "accepted {value:?}");
        }
        assert!(LineItemId::parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff").is_ok());
    }

    #[test]
    fn integer_ids_must_be_positive_and_fit_bigcommerce() {
        assert!(ProductId::parse(0).is_err());
        assert!(ProductId::parse(-5).is_err());
        assert!(ProductId::parse(i64::from(i32::MAX) + 1).is_err());
        assert_eq!(ProductId::parse(77).map(|id| id.get()), Ok(77));
    }
}
