//! Moving lines from one cart into another (a guest cart into the customer's at sign-in, an
//! abandoned cart into the shopper's on recovery) without losing any: what BigCommerce refuses
//! in one call is tried line by line, and every line that could not move is reported.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::CartService;
use crate::bigcommerce::{BigCommerceError, CorrelationId, StoreCart};
use crate::domain::{
    CartId, CartLineItem, NewLineItem, OptionSelection, OptionValue, ProductId, Quantity, VariantId,
};

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
    /// The guest cart could not become the customer's; the shopper keeps it as it is.
    CartNotAssigned,
    /// The guest cart could not be merged into the customer's; the shopper keeps it as it is.
    CartNotMerged,
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

    fn line_not_moved(line: &CartLineItem, detail: impl Into<String>) -> Self {
        Self {
            code: WarningCode::LineNotMoved,
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

/// What a move did.
pub(super) struct Moved {
    /// The target cart after the last line that moved; `None` if none did.
    pub cart: Option<StoreCart>,
    /// The lines that stayed where they were.
    pub unmoved: Vec<CartWarning>,
}

impl CartService {
    /// Adds `lines` to `target`: in one call, and when BigCommerce refuses that call, line by
    /// line, so that every line that can move does. Only a failure of the first call that is
    /// not a refusal (the target gone, BigCommerce down or its outcome unknown) is an error:
    /// then nothing was retried.
    pub(super) async fn move_lines(
        &self,
        target: CartId,
        lines: &[CartLineItem],
        cx: CorrelationId,
    ) -> Result<Moved, BigCommerceError> {
        let mut unmoved = Vec::new();
        let mut movable: Vec<(&CartLineItem, NewLineItem)> = Vec::new();
        // A promotion's free line is not the shopper's to move: the promotion adds it again
        // wherever its conditions hold.
        for line in lines.iter().filter(|line| !line.added_by_promotion) {
            match line_to_add(line) {
                Some(item) => movable.push((line, item)),
                None => unmoved.push(CartWarning::line_not_moved(
                    line,
                    "This item cannot be moved to another cart.",
                )),
            }
        }
        if movable.is_empty() {
            return Ok(Moved {
                cart: None,
                unmoved,
            });
        }
        let items: Vec<NewLineItem> = movable.iter().map(|(_, item)| item.clone()).collect();
        match self.bigcommerce.add_line_items(target, &items, cx).await {
            Ok(cart) => {
                return Ok(Moved {
                    cart: Some(cart),
                    unmoved,
                })
            }
            Err(error) if error.refusal().is_some() && movable.len() > 1 => {}
            Err(error) if error.refusal().is_some() => {
                let reason = error.refusal().unwrap_or_default().to_owned();
                unmoved.push(CartWarning::line_not_moved(movable[0].0, reason));
                return Ok(Moved {
                    cart: None,
                    unmoved,
                });
            }
            Err(error) => return Err(error),
        }
        // BigCommerce refused the batch as a whole: one line at a time finds the culprits.
        let mut cart = None;
        for (line, item) in movable {
            match self
                .bigcommerce
                .add_line_items(target, std::slice::from_ref(&item), cx)
                .await
            {
                Ok(after) => cart = Some(after),
                Err(error) if error.refusal().is_some() => {
                    let reason = error.refusal().unwrap_or_default().to_owned();
                    unmoved.push(CartWarning::line_not_moved(line, reason));
                }
                Err(error) => {
                    tracing::warn!(error = %error, "a line could not be moved");
                    unmoved.push(CartWarning::line_not_moved(
                        line,
                        "The store could not take this item just now.",
                    ));
                }
            }
        }
        Ok(Moved { cart, unmoved })
    }
}

/// A line as an item to add elsewhere. With options, BigCommerce wants every option as a
/// selection and no variant id; without, the variant id. Custom and gift-certificate lines
/// cannot be re-added, and a promotion's free line is the promotion's to add.
pub(super) fn line_to_add(line: &CartLineItem) -> Option<NewLineItem> {
    if line.added_by_promotion {
        return None;
    }
    let product_id = ProductId::parse(line.product_id?).ok()?;
    let quantity = Quantity::parse(i64::try_from(line.quantity).ok()?, u32::MAX).ok()?;
    let selections: Vec<OptionSelection> = line
        .options
        .iter()
        .filter_map(|option| {
            let value = match option.option_value_id {
                Some(id) => OptionValue::ValueId(id),
                None => OptionValue::Text(option.value.clone()),
            };
            OptionSelection::parse(option.option_id?, value).ok()
        })
        .collect();
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
