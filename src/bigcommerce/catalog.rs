//! A read of the catalog (`/v3/catalog/products`): what a storefront needs to list products
//! and add them to the cart, read page by page.

use std::collections::HashSet;

use reqwest::Method;
use serde::Deserialize;

use super::client::{Call, CorrelationId};
use super::{BigCommerceClient, BigCommerceError};

/// A product as the catalog API returns it (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogProduct {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type", default)]
    pub product_type: String,
    #[serde(default)]
    pub price: f64,
    #[serde(default)]
    pub sale_price: f64,
    #[serde(default)]
    pub calculated_price: Option<f64>,
    #[serde(default)]
    pub inventory_level: i64,
    #[serde(default)]
    pub inventory_tracking: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub order_quantity_maximum: i64,
    #[serde(default = "visible")]
    pub is_visible: bool,
    #[serde(default)]
    pub images: Vec<CatalogImage>,
    #[serde(default)]
    pub variants: Vec<CatalogVariant>,
    #[serde(default)]
    pub modifiers: Vec<CatalogModifier>,
}

fn visible() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogImage {
    #[serde(default)]
    pub url_standard: Option<String>,
    #[serde(default)]
    pub is_thumbnail: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogVariant {
    pub id: i64,
    #[serde(default)]
    pub price: Option<f64>,
    #[serde(default)]
    pub calculated_price: Option<f64>,
    #[serde(default)]
    pub inventory_level: i64,
    #[serde(default)]
    pub purchasing_disabled: bool,
    #[serde(default)]
    pub option_values: Vec<CatalogOptionValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogOptionValue {
    /// The option value's id (`option_selections[].option_value` for a variant option).
    #[serde(default)]
    pub id: i64,
    pub label: String,
    /// The variant option it is a value of (`option_selections[].option_id`).
    #[serde(default)]
    pub option_id: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogModifier {
    pub id: i64,
    #[serde(default)]
    pub display_name: String,
    #[serde(rename = "type", default)]
    pub modifier_type: String,
    #[serde(default)]
    pub required: bool,
    /// Per-type settings (`text_max_length`, `number_lowest_value`, `date_earliest_value`,
    /// `checkbox_label`, ...); read leniently, since every type has its own.
    #[serde(default)]
    pub config: serde_json::Value,
    #[serde(default)]
    pub option_values: Vec<CatalogModifierValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogModifierValue {
    pub id: i64,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub is_default: bool,
    /// For a checkbox, `{"checked_value": bool}`; `null` or other shapes for other types.
    #[serde(default)]
    pub value_data: serde_json::Value,
}

#[derive(Deserialize)]
struct ProductPage {
    data: Vec<CatalogProduct>,
    #[serde(default)]
    meta: PageMeta,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(default)]
    pagination: Option<Pagination>,
}

/// `meta.pagination`, every field optional: a store (or a proxy before it) that answers an
/// odd one must cost a page or two, never the refresh budget.
#[derive(Deserialize, Default)]
struct Pagination {
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    current_page: Option<u64>,
    #[serde(default)]
    total_pages: Option<u64>,
    #[serde(default)]
    links: Option<PageLinks>,
}

#[derive(Deserialize, Default)]
struct PageLinks {
    #[serde(default)]
    next: Option<String>,
}

/// Most pages one read takes (at 10 a page, 1,000 products): a bound on the calls a read can
/// spend, whatever the store answers.
const MAX_PAGES: u32 = 100;

/// A read of the catalog's pages, which may span several refreshes: when a page cannot be
/// had (the budget sheds it, BigCommerce fails), the pages already read are kept and the next
/// call resumes at the page that failed.
#[derive(Debug, Default)]
pub struct CatalogRead {
    /// The next page to ask for (1-based); 0 before the first.
    next_page: u32,
    products: Vec<CatalogProduct>,
    seen: HashSet<i64>,
}

impl CatalogRead {
    /// How many pages have been read so far.
    pub fn pages_read(&self) -> u32 {
        self.next_page.saturating_sub(1)
    }
}

/// Whether the page just read was the last, by what it says of itself.
fn is_last_page(
    page: u32,
    pagination: Option<&Pagination>,
    new_ids: usize,
    read: &CatalogRead,
) -> bool {
    let Some(pagination) = pagination else {
        // No pagination at all: nothing says there is more.
        return true;
    };
    let page = u64::from(page);
    // A store ignoring `page` answers page 1 again: it does not advance.
    let stuck = pagination
        .current_page
        .is_some_and(|current| current != page);
    let no_next = pagination
        .links
        .as_ref()
        .is_some_and(|links| links.next.as_deref().is_none_or(str::is_empty));
    let past_total_pages = pagination.total_pages.is_some_and(|pages| page >= pages);
    let have_total = pagination
        .total
        .is_some_and(|total| read.products.len() as u64 >= total);
    let nothing_new = new_ids == 0;
    stuck || no_next || past_total_pages || have_total || nothing_new
}

impl BigCommerceClient {
    /// `GET /catalog/products`: every visible product, with variants, images and modifiers.
    /// With modifiers included BigCommerce answers at most 10 products a page whatever
    /// `limit` says (reference §1.2), so pages are read one by one: one call per 10 products.
    ///
    /// Reads the catalog's remaining pages into `read` and returns the whole list. It stops at
    /// the first sign of the last page: an empty page, no `links.next`, `total_pages` reached,
    /// `total` products had, a `current_page` other than the one asked for, or a page with
    /// nothing but products already seen (each product is kept once, by id); and after
    /// `MAX_PAGES` in all. On an error `read` keeps the pages read so far, for a later call to
    /// resume from.
    pub async fn read_products(
        &self,
        read: &mut CatalogRead,
        cx: CorrelationId,
    ) -> Result<Vec<CatalogProduct>, BigCommerceError> {
        read.next_page = read.next_page.max(1);
        while read.next_page <= MAX_PAGES {
            let page = read.next_page;
            let page_number = page.to_string();
            let call = Call {
                method: Method::GET,
                path: "v3/catalog/products".into(),
                endpoint: "GET /v3/catalog/products",
                query: &[
                    ("include", "variants,images,modifiers"),
                    ("is_visible", "true"),
                    ("limit", "250"),
                    ("page", &page_number),
                ],
                body: None,
                idempotent: true,
            };
            let answer: ProductPage = self.send(call, cx).await?.json()?;
            read.next_page += 1;
            let empty = answer.data.is_empty();
            let mut new_ids = 0;
            for product in answer.data {
                if read.seen.insert(product.id) {
                    new_ids += 1;
                    read.products.push(product);
                }
            }
            if empty || is_last_page(page, answer.meta.pagination.as_ref(), new_ids, read) {
                return Ok(std::mem::take(&mut read.products));
            }
        }
        tracing::warn!(
            products = read.products.len(),
            "the catalog has more pages than one read takes"
        );
        Ok(std::mem::take(&mut read.products))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pagination(value: serde_json::Value) -> Pagination {
        serde_json::from_value(value).expect("pagination")
    }

    #[test]
    fn the_last_page_is_known_by_any_of_its_signs() {
        let read = CatalogRead::default();
        let more = pagination(serde_json::json!({"total": 25, "current_page": 1,
            "total_pages": 3, "links": {"current": "?page=1", "next": "?page=2"}}));
        assert!(
            !is_last_page(1, Some(&more), 10, &read),
            "a first page of three"
        );
        assert!(is_last_page(1, Some(&more), 0, &read), "nothing new");
        assert!(
            is_last_page(2, Some(&more), 10, &read),
            "current_page did not advance"
        );
        assert!(
            is_last_page(
                3,
                Some(&pagination(serde_json::json!({"current_page": 3,
            "total_pages": 3, "links": {"next": "?page=4"}}))),
                10,
                &read
            ),
            "total_pages"
        );
        assert!(
            is_last_page(
                1,
                Some(&pagination(serde_json::json!({"current_page": 1,
            "total_pages": 3, "links": {"current": "?page=1"}}))),
                10,
                &read
            ),
            "no next link"
        );
        assert!(is_last_page(1, None, 10, &read), "no pagination");
        assert!(
            !is_last_page(1, Some(&pagination(serde_json::json!({}))), 10, &read),
            "an empty pagination says nothing; repeats and MAX_PAGES still bound it"
        );
    }
}
