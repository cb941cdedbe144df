//! Moving lines from one cart into another (a guest cart into the customer's at sign-in, an
//! abandoned cart into the shopper's on recovery) without losing any and without adding any
//! twice: what BigCommerce refuses in one call is tried line by line, and every line that
//! could not move is reported. Lines left behind are moved back with the same adds and the
//! same settle rule (`tell_landed`), their state kept in the database (see `left_behind`).
//!
//! Adding lines is not idempotent, so a failure whose outcome is unknown (a 5xx, a timeout, a
//! broken connection: BigCommerce may have applied the add and lost its answer) is never
//! retried. It is settled with one read of the target: the line moved if the target's quantity
//! of that purchase (product, variant and options) grew by the line's quantity since the last
//! state of the target we knew, and did not if it is short while the target is otherwise as it
//! was (its version). A store that fails like that is not asked for more: the lines
//! after it are not tried. When even the read fails, the line is reported as possibly moved
//! (`line_outcome_unknown`) and is never moved again by us: at worst the shopper adds it by
//! hand after looking at their cart; a silent double is what we refuse to risk.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::selections::{rebuilt_selections, LinesCatalog};
use super::service::CartService;
use crate::bigcommerce::{BigCommerceError, CorrelationId, Echoes, StoreCart};
use crate::domain::{Cart, CartId, CartLineItem, NewLineItem, ProductId, Quantity, VariantId};

/// Something the shopper should know about a change that otherwise succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CartWarning {
    pub code: WarningCode,
    /// What happened, in words a shopper understands (BigCommerce's reason where it gave one).
    pub detail: String,
    /// The line concerned, when it is about one line.
    pub line: Option<WarnedLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// The line stayed in the cart it came from; `detail` says why.
    LineNotMoved,
    /// The store did not confirm whether the line reached the cart, and could not be asked:
    /// it may be there. It is not offered to move again; check the cart before adding it.
    LineOutcomeUnknown,
    /// The guest cart could not become the customer's; the shopper keeps it as it is.
    CartNotAssigned,
    /// The guest cart could not be merged into the customer's; the shopper keeps it as it is.
    CartNotMerged,
    /// A promotion added a free gift line (`added_by_promotion`; not editable).
    GiftAdded,
    /// A promotion's gift line came back under a new line id (use the new `id`).
    GiftReadded,
    /// A promotion no longer applies, and its gift line went.
    GiftRemoved,
    /// A coupon code stopped applying and was taken off the cart.
    CouponRemoved,
    /// A line's unit price (`sale_price`) changed without the shopper changing it.
    PriceChanged,
    /// The store changed a line's quantity by itself.
    QuantityChanged,
    /// The store removed a line the shopper did not remove.
    LineRemoved,
}

/// Enough of a line to show it and add it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WarnedLine {
    pub name: String,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub quantity: u64,
}

impl CartWarning {
    pub fn about_cart(code: WarningCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            line: None,
        }
    }

    pub(crate) fn about_line(
        code: WarningCode,
        line: &CartLineItem,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            code,
            detail: detail.into(),
            line: Some(WarnedLine {
                name: line.name.clone(),
                product_id: line.product_id,
                variant_id: line.variant_id,
                quantity: line.quantity,
            }),
        }
    }
}

/// Why a line was not tried: the store failed on an earlier one.
pub(super) const NOT_TRIED: &str = "The store could not be reached, so this item was not moved.";
/// The store failed on this very line, and a read showed it did not land.
pub(super) const NOT_TAKEN: &str = "The store could not take this item just now.";
pub(super) const CANNOT_MOVE: &str = "This item cannot be moved to another cart.";
pub(super) const OUTCOME_PENDING: &str = "The store did not confirm whether this item reached \
                                          your cart yet; it is being checked.";
pub(super) const OUTCOME_UNKNOWN: &str = "The store did not confirm whether this item reached \
                                          your cart. Check your cart before adding it again.";

/// A line that certainly stayed where it was, and why: it may be moved again.
#[derive(Debug, Clone)]
pub(super) struct StayedLine {
    pub line: CartLineItem,
    /// What was (or would have been) sent to add it; `None` when it cannot be added elsewhere.
    pub item: Option<NewLineItem>,
    pub reason: String,
    /// BigCommerce refused it (its reason), rather than failing or not being asked.
    pub refused: bool,
}

/// A line whose add lost its answer and was not found by the read right after: BigCommerce
/// may still be applying it, so it is neither moved nor free to move again until the settle
/// window has passed (see `left_behind`).
#[derive(Debug, Clone)]
pub(super) struct PendingLine {
    pub line: CartLineItem,
    pub item: NewLineItem,
    /// The cart it was sent to, how much of its purchase that cart held before, and its
    /// version then.
    pub cart: CartId,
    pub before: u64,
    pub version: i64,
}

/// What a move did.
pub(super) struct Moved {
    /// The target cart as last seen: after the last line that moved, or as the settling read
    /// saw it; `None` if no line is known to have moved.
    pub cart: Option<StoreCart>,
    /// The lines that certainly stayed where they were.
    pub stayed: Vec<StayedLine>,
    /// The lines that may or may not have moved (reported, never moved again by us).
    pub unknown: Vec<CartLineItem>,
    /// The lines whose lost add may still land (settled once the settle window has passed).
    pub pending: Vec<PendingLine>,
    /// For the shopper, in the order of the lines: every line that stayed, and every line
    /// whose outcome is unknown.
    pub warnings: Vec<CartWarning>,
}

impl Moved {
    pub(super) fn new() -> Self {
        Self {
            cart: None,
            stayed: Vec::new(),
            unknown: Vec::new(),
            pending: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// `line`'s add lost its answer and was not found yet: it may still land.
    pub(super) fn pending(&mut self, pending: PendingLine) {
        self.warnings.push(CartWarning::about_line(
            WarningCode::LineOutcomeUnknown,
            &pending.line,
            OUTCOME_PENDING,
        ));
        self.pending.push(pending);
    }

    /// `line` stayed because the store failed or was not asked (`item`: what to send).
    pub(super) fn stay(
        &mut self,
        line: &CartLineItem,
        item: Option<&NewLineItem>,
        reason: impl Into<String>,
    ) {
        self.push_stayed(line, item, reason.into(), false);
    }

    /// BigCommerce refused `line` (sent as `item`), for `reason`.
    pub(super) fn refused(&mut self, line: &CartLineItem, item: &NewLineItem, reason: &str) {
        self.push_stayed(line, Some(item), reason.to_owned(), true);
    }

    fn push_stayed(
        &mut self,
        line: &CartLineItem,
        item: Option<&NewLineItem>,
        reason: String,
        refused: bool,
    ) {
        self.warnings.push(CartWarning::about_line(
            WarningCode::LineNotMoved,
            line,
            reason.clone(),
        ));
        self.stayed.push(StayedLine {
            line: line.clone(),
            item: item.cloned(),
            reason,
            refused,
        });
    }

    pub(super) fn unknown(&mut self, line: &CartLineItem) {
        self.unknown.push(line.clone());
        self.warnings.push(CartWarning::about_line(
            WarningCode::LineOutcomeUnknown,
            line,
            OUTCOME_UNKNOWN,
        ));
    }

    /// No line is known to have moved, and some may have: the caller cannot tell what the
    /// source still needs to keep.
    pub fn nothing_known(&self) -> bool {
        self.cart.is_none() && !(self.unknown.is_empty() && self.pending.is_empty())
    }
}

/// Why nothing moved.
pub(super) enum MoveFailed {
    /// The target cart is gone (BigCommerce said so, or a read found it gone).
    TargetGone,
    /// The first call failed and certainly changed nothing: BigCommerce was too busy to take
    /// it, or it failed and a read showed that nothing landed.
    NothingMoved(BigCommerceError),
}

impl CartService {
    /// Adds `lines` to `target`: in one call, and when BigCommerce refuses that call, line by
    /// line, so that every line that can move does. `before` is the target as last known
    /// before the move (it tells a landed add from a lost one; without it a lost add is only
    /// ever found not to have landed, never to have landed).
    ///
    /// Cost: 1 call when BigCommerce takes every line; when it refuses the batch, 1 more per
    /// line; a failure with an unknown outcome stops the move and costs 1 read.
    pub(super) async fn move_lines(
        &self,
        target: CartId,
        lines: &[CartLineItem],
        before: Option<&Cart>,
        cx: CorrelationId,
    ) -> Result<Moved, MoveFailed> {
        let mut moved = Moved::new();
        let mut movable: Vec<(&CartLineItem, NewLineItem)> = Vec::new();
        let catalog = self.lines_catalog(lines, cx).await;
        // A line whose options need the catalog cannot be rebuilt while it is unavailable, but
        // could be later: nothing moves now (the source keeps every line), rather than moving
        // the others and leaving that one behind for good.
        if let Some(error) = catalog.unavailable_for(lines) {
            return Err(MoveFailed::NothingMoved(error));
        }
        // A promotion's free line is not the shopper's to move: the promotion adds it again
        // wherever its conditions hold.
        for line in lines.iter().filter(|line| !line.added_by_promotion) {
            match line_to_add(line, &catalog) {
                Some(item) => movable.push((line, item)),
                None => moved.stay(line, None, CANNOT_MOVE),
            }
        }
        if movable.is_empty() {
            return Ok(moved);
        }
        let items: Vec<NewLineItem> = movable.iter().map(|(_, item)| item.clone()).collect();
        let error = match self.add_expecting_echoes(target, &items, cx).await {
            Ok(cart) => {
                moved.cart = Some(cart);
                return Ok(moved);
            }
            Err(error) => error,
        };
        match (error.refusal(), movable.as_slice()) {
            // BigCommerce refused the batch as a whole: one line at a time finds the culprits.
            (Some(_), [_, _, ..]) => {}
            (Some(reason), [(line, item)]) => {
                moved.refused(line, item, reason);
                return Ok(moved);
            }
            (Some(_), []) => return Ok(moved),
            (None, _) if matches!(error, BigCommerceError::NotFound) => {
                return Err(MoveFailed::TargetGone)
            }
            (None, _) if error.is_busy() => return Err(MoveFailed::NothingMoved(error)),
            (None, _) => {
                tracing::warn!(error = %error, "moving lines failed with an unknown outcome");
                let lines: Vec<&CartLineItem> = movable.iter().map(|(line, _)| *line).collect();
                return match self.settle_lost_add(target, &lines, before, cx).await {
                    Settled::Landed(cart) => {
                        moved.cart = Some(*cart);
                        Ok(moved)
                    }
                    Settled::NotLanded => Err(MoveFailed::NothingMoved(error)),
                    Settled::TargetGone => Err(MoveFailed::TargetGone),
                    Settled::Unknown => {
                        lines.iter().for_each(|line| moved.unknown(line));
                        Ok(moved)
                    }
                };
            }
        }
        let mut known = before.cloned();
        let mut rest = movable.into_iter();
        while let Some((line, item)) = rest.next() {
            let error = match self
                .add_expecting_echoes(target, std::slice::from_ref(&item), cx)
                .await
            {
                Ok(after) => {
                    known = Some(after.cart.clone());
                    moved.cart = Some(after);
                    continue;
                }
                Err(error) => error,
            };
            if let Some(reason) = error.refusal() {
                // A refused add changed nothing: what we knew of the target still holds.
                moved.refused(line, &item, reason);
                continue;
            }
            // The store is failing: settle this line with one read and try no more.
            tracing::warn!(error = %error, "a line could not be moved; not trying the rest");
            if matches!(error, BigCommerceError::NotFound) || error.is_busy() {
                moved.stay(line, Some(&item), NOT_TRIED);
            } else {
                match self
                    .settle_lost_add(target, &[line], known.as_ref(), cx)
                    .await
                {
                    Settled::Landed(cart) => moved.cart = Some(*cart),
                    // Not there yet, but BigCommerce may still be applying it.
                    Settled::NotLanded => match known.as_ref() {
                        Some(known) => moved.pending(PendingLine {
                            line: line.clone(),
                            item: item.clone(),
                            cart: target,
                            before: purchase_quantity(known, line),
                            version: known.version,
                        }),
                        None => moved.stay(line, Some(&item), NOT_TAKEN),
                    },
                    Settled::TargetGone => moved.stay(line, Some(&item), NOT_TAKEN),
                    Settled::Unknown => moved.unknown(line),
                }
            }
            rest.by_ref()
                .for_each(|(line, item)| moved.stay(line, Some(&item), NOT_TRIED));
        }
        Ok(moved)
    }

    /// One add, its webhook echoes noted first (so they cost no read when they come back).
    pub(super) async fn add_expecting_echoes(
        &self,
        target: CartId,
        items: &[NewLineItem],
        cx: CorrelationId,
    ) -> Result<StoreCart, BigCommerceError> {
        let change = self.bigcommerce.add_line_items(target, items, cx);
        self.expecting_echoes(target, Echoes::of_change(items.len()), change)
            .await
    }

    /// Whether an add of `lines` to `target` whose answer was lost landed: one read, compared
    /// with `before` (the target as last known before the add).
    async fn settle_lost_add(
        &self,
        target: CartId,
        lines: &[&CartLineItem],
        before: Option<&Cart>,
        cx: CorrelationId,
    ) -> Settled {
        let now = match self.bigcommerce.get_cart(target, cx).await {
            Ok(Some(now)) => now,
            Ok(None) => return Settled::TargetGone,
            Err(error) => {
                tracing::warn!(error = %error, "could not read the cart to settle a lost add");
                return Settled::Unknown;
            }
        };
        let added: Vec<(&CartLineItem, Option<u64>)> = lines
            .iter()
            .map(|line| (*line, before.map(|before| purchase_quantity(before, line))))
            .collect();
        let version = before.map(|before| before.version);
        match tell_landed(&now.cart, &added, version) {
            Told::Landed => Settled::Landed(Box::new(now)),
            Told::NotLanded => Settled::NotLanded,
            Told::Unknown => Settled::Unknown,
        }
    }
}

/// What one read said about an add whose answer was lost.
enum Settled {
    Landed(Box<StoreCart>),
    NotLanded,
    TargetGone,
    /// The read failed, or cannot tell.
    Unknown,
}

/// What a read of the target says about one add whose answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Told {
    /// Every purchase it carried grew by its quantity.
    Landed,
    /// It certainly did not land: a purchase is short, and the cart is as it was (or its
    /// version is not known, and one add lands whole or not at all).
    NotLanded,
    /// It may have: the cart changed otherwise since, or what it held before is not known.
    Unknown,
}

/// Whether one add of `lines` landed, by `now` (the target read after it). Each line comes
/// with how much of its purchase the target held before the add (`None`: not known);
/// `version` is the target's version before (`None` or 0: not known). Several lines of one
/// purchase add up, as BigCommerce sums them.
pub(super) fn tell_landed(
    now: &Cart,
    lines: &[(&CartLineItem, Option<u64>)],
    version: Option<i64>,
) -> Told {
    let mut added: Vec<(&CartLineItem, Option<u64>, u64)> = Vec::new();
    for (line, before) in lines {
        match added
            .iter_mut()
            .find(|(seen, _, _)| same_purchase(seen, line))
        {
            Some((_, _, quantity)) => *quantity += line.quantity,
            None => added.push((line, *before, line.quantity)),
        }
    }
    let mut short = false;
    let mut certain = true;
    for (line, before, quantity) in added {
        let after = purchase_quantity(now, line);
        match before {
            Some(before) if after >= before + quantity => {}
            Some(_) => short = true,
            // Without a known state before, only a shortfall is certain.
            None if after >= quantity => certain = false,
            None => short = true,
        }
    }
    match version.filter(|version| *version != 0) {
        // Landed only when the cart moved by exactly the one change the add is: more changes
        // may be another device's add of the same purchase, and ours may not have landed.
        Some(version) if !short && certain && now.version != version + 1 => Told::Unknown,
        // One add lands whole or not at all: a purchase short means none of it landed, unless
        // the cart changed otherwise since (it may have landed, and been changed after).
        _ if !short && certain => Told::Landed,
        Some(version) if short && now.version != version => Told::Unknown,
        _ if short => Told::NotLanded,
        _ => Told::Unknown,
    }
}

/// The quantity `cart` holds of the purchase `line` is (its product, variant and options).
pub(super) fn purchase_quantity(cart: &Cart, line: &CartLineItem) -> u64 {
    cart.line_items
        .iter()
        .filter(|other| same_purchase(other, line))
        .map(|other| other.quantity)
        .sum()
}

/// Whether two lines are the same purchase: BigCommerce adds one to the other.
pub(super) fn same_purchase(a: &CartLineItem, b: &CartLineItem) -> bool {
    let options = |line: &CartLineItem| {
        let mut options: Vec<(Option<i64>, Option<i64>, String)> = line
            .options
            .iter()
            .map(|option| {
                (
                    option.option_id,
                    option.option_value_id,
                    option.value.clone(),
                )
            })
            .collect();
        options.sort();
        options
    };
    a.product_id.is_some()
        && a.product_id == b.product_id
        && a.variant_id == b.variant_id
        && options(a) == options(b)
}

/// A line as an item to add elsewhere: every option as BigCommerce shows it (dates turned
/// back into dates, as `catalog` says which options are dates) and no variant id; without
/// options, the variant id. `None` for a line that cannot be re-added: custom and
/// gift-certificate lines, a line whose selections cannot be rebuilt (see `selections`), and
/// a promotion's free line (the promotion's to add).
pub(super) fn line_to_add(line: &CartLineItem, catalog: &LinesCatalog) -> Option<NewLineItem> {
    if line.added_by_promotion {
        return None;
    }
    let product_id = ProductId::parse(line.product_id?).ok()?;
    let quantity = Quantity::parse(i64::try_from(line.quantity).ok()?, u32::MAX).ok()?;
    let selections = match rebuilt_selections(line, catalog.of(line.product_id)) {
        Ok(selections) => selections,
        Err(unrebuilt) => {
            tracing::warn!(
                ?unrebuilt,
                "a line's options could not be rebuilt to move it"
            );
            return None;
        }
    };
    let variant_id = if selections.is_empty() {
        line.variant_id.and_then(|id| VariantId::parse(id).ok())
    } else {
        None
    };
    Some(NewLineItem {
        product_id,
        variant_id,
        quantity,
        option_selections: selections,
    })
}

#[cfg(test)]
mod tests {
    use super::{purchase_quantity, same_purchase, tell_landed, Told};
    use crate::domain::{Cart, CartCurrency, CartLineItem, LineItemOption, LineItemType};

    fn line(id: &str, variant: i64, options: &[(i64, i64)], quantity: u64) -> CartLineItem {
        CartLineItem {
            id: id.to_owned(),
            item_type: LineItemType::Physical,
            product_id: Some(120),
            variant_id: Some(variant),
            sku: None,
            name: "Shirt".to_owned(),
            url: None,
            image_url: None,
            quantity,
            original_price: None,
            list_price: 1.0,
            sale_price: 1.0,
            extended_list_price: 1.0,
            extended_sale_price: 1.0,
            discount_amount: 0.0,
            coupon_amount: 0.0,
            added_by_promotion: false,
            problems: Vec::new(),
            options: options
                .iter()
                .map(|(option, value)| LineItemOption {
                    name: format!("option {option}"),
                    value: format!("value {value}"),
                    option_id: Some(*option),
                    option_value_id: Some(*value),
                })
                .collect(),
        }
    }

    #[test]
    fn one_purchase_is_its_product_variant_and_options_in_any_order() {
        let a = line("a", 1, &[(1, 10), (2, 20)], 1);
        assert!(same_purchase(&a, &line("b", 1, &[(2, 20), (1, 10)], 3)));
        assert!(!same_purchase(&a, &line("c", 2, &[(1, 10), (2, 20)], 1)));
        assert!(!same_purchase(&a, &line("d", 1, &[(1, 10), (2, 21)], 1)));
        let mut custom = a.clone();
        custom.product_id = None;
        assert!(
            !same_purchase(&custom, &custom),
            "custom items are no purchase"
        );
    }

    fn cart(lines: Vec<CartLineItem>, version: i64) -> Cart {
        Cart {
            currency: CartCurrency {
                code: "USD".to_owned(),
            },
            base_amount: 0.0,
            discount_amount: 0.0,
            cart_amount: 0.0,
            tax_included: false,
            item_count: 0,
            line_items: lines,
            coupons: Vec::new(),
            promotions: Vec::new(),
            totals: crate::domain::CartTotals::of_cart(0.0, 0.0, 0.0, &[], &[]),
            updated_time: String::new(),
            version,
            note: None,
            shipping: None,
            checkout: None,
        }
    }

    #[test]
    fn a_lost_add_landed_when_every_purchase_grew_by_its_quantity() {
        let print = line("g1", 1, &[], 1);
        let mug = line("g2", 2, &[], 2);
        let added = [(&print, Some(2)), (&mug, Some(0))];
        let landed = cart(vec![line("a", 1, &[], 3), line("b", 2, &[], 2)], 8);
        assert_eq!(tell_landed(&landed, &added, Some(7)), Told::Landed);
        // One add lands whole or not at all: a purchase short, and the cart as it was.
        let untouched = cart(vec![line("a", 1, &[], 2)], 7);
        assert_eq!(tell_landed(&untouched, &added, Some(7)), Told::NotLanded);
        // Short, but the cart changed otherwise since: it may have landed and been changed.
        let changed = cart(vec![line("a", 1, &[], 2)], 9);
        assert_eq!(tell_landed(&changed, &added, Some(7)), Told::Unknown);
        // Without a version to tell, a shortfall is taken as not landed.
        assert_eq!(tell_landed(&changed, &added, None), Told::NotLanded);
        assert_eq!(tell_landed(&changed, &added, Some(0)), Told::NotLanded);
        // Without the state before, enough of it cannot tell a landed add from one made
        // elsewhere.
        let unknown_before = [(&print, None)];
        assert_eq!(
            tell_landed(&landed, &unknown_before, Some(7)),
            Told::Unknown
        );
    }

    #[test]
    fn lines_of_one_purchase_in_one_add_add_up() {
        let first = line("g1", 1, &[], 1);
        let second = line("g2", 1, &[], 1);
        let added = [(&first, Some(0)), (&second, Some(0))];
        assert_eq!(
            tell_landed(&cart(vec![line("a", 1, &[], 2)], 2), &added, Some(1)),
            Told::Landed
        );
        assert_eq!(
            tell_landed(&cart(vec![line("a", 1, &[], 1)], 2), &added, Some(1)),
            Told::Unknown
        );
    }

    #[test]
    fn the_quantity_of_a_purchase_adds_up_its_lines() {
        let cart = Cart {
            currency: CartCurrency {
                code: "USD".to_owned(),
            },
            base_amount: 0.0,
            discount_amount: 0.0,
            cart_amount: 0.0,
            tax_included: false,
            item_count: 6,
            line_items: vec![
                line("a", 1, &[(1, 10)], 2),
                line("b", 1, &[(1, 10)], 3),
                line("c", 1, &[(1, 11)], 1),
            ],
            coupons: Vec::new(),
            promotions: Vec::new(),
            totals: crate::domain::CartTotals::of_cart(0.0, 0.0, 0.0, &[], &[]),
            updated_time: String::new(),
            version: 0,
            note: None,
            shipping: None,
            checkout: None,
        };
        assert_eq!(purchase_quantity(&cart, &line("x", 1, &[(1, 10)], 1)), 5);
        assert_eq!(purchase_quantity(&cart, &line("y", 2, &[(1, 10)], 1)), 0);
    }
}
