//! A line-item quantity within the configured bounds.

use super::InvalidInput;

/// A quantity of at least 1 and at most the configured maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    pub fn parse(value: i64, max: u32) -> Result<Self, InvalidInput> {
        if value < 1 {
            return Err(InvalidInput::new("quantity must be at least 1"));
        }
        if value > i64::from(max) {
            return Err(InvalidInput::new(format!("quantity must be at most {max}")));
        }
        Ok(Self(value as u32))
    }

    pub fn get(&self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_bounded() {
        assert!(Quantity::parse(0, 100).is_err());
        assert!(Quantity::parse(-1, 100).is_err());
        assert!(Quantity::parse(101, 100).is_err());
        assert_eq!(Quantity::parse(1, 100).map(|q| q.get()), Ok(1));
        assert_eq!(Quantity::parse(100, 100).map(|q| q.get()), Ok(100));
        assert!(Quantity::parse(i64::MAX, 100).is_err());
    }
}
