//! Sandbox time: the real clock plus an offset that tests can move, so clients can be
//! checked against clock skew (`/v2/time`, Customer Login `iat`).

use std::sync::atomic::{AtomicI64, Ordering};

use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// BigCommerce's cart timestamp style, as in real captures: `2022-02-18T07:11:26+00:00`.
const CART_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");

/// The store clock.
#[derive(Debug)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    pub fn new(offset_seconds: i64) -> Self {
        Self {
            offset_seconds: AtomicI64::new(offset_seconds),
        }
    }

    pub fn offset_seconds(&self) -> i64 {
        self.offset_seconds.load(Ordering::Relaxed)
    }

    pub fn set_offset_seconds(&self, offset: i64) {
        self.offset_seconds.store(offset, Ordering::Relaxed);
    }

    /// Current sandbox time.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            .checked_add(time::Duration::seconds(self.offset_seconds()))
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Current sandbox time in Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

/// Formats a time the way cart responses do.
pub fn format_cart_time(t: OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    utc.format(CART_TIME).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_times_look_like_real_captures() {
        let t = OffsetDateTime::from_unix_timestamp(1_645_168_286).expect("valid");
        assert_eq!(format_cart_time(t), "2022-02-18T07:11:26+00:00");
    }
}
