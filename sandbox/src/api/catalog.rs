//! A slice of the Catalog API: `GET /v3/catalog/products` (paged) and
//! `GET /v3/catalog/products/{product_id}`, with `include=variants,images,primary_image,
//! options,modifiers` — what a storefront needs to list products and add them to a cart —
//! and the merchant's stock edits: `PUT /v3/catalog/products/{product_id}` and
//! `PUT /v3/catalog/products/{product_id}/variants/{variant_id}` (inventory, availability,
//! purchase limits; carts holding the product keep their lines, as on BigCommerce).

use serde::Deserialize;
use serde_json::{json, Value};

use super::body::{parse_json, query_param};
use super::errors::ApiError;
use super::response::ApiReply;
use super::Ctx;
use crate::seed::{
    Availability, InventoryTracking, ModifierSeed, ModifierType, ProductSeed, ProductType,
};
use crate::state::catalog::ProductExt;
use crate::state::render::{image_url, money};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;
/// With `options` or `modifiers` included, BigCommerce answers at most 10 products a page
/// whatever `limit` says (`IncludeParamGetProducts`, `reference/catalog/products_catalog.v3.yml`).
const LIMIT_WITH_OPTIONS: usize = 10;

#[derive(Debug, Default, Clone, Copy)]
struct ProductIncludes {
    variants: bool,
    images: bool,
    primary_image: bool,
    options: bool,
    modifiers: bool,
}

impl ProductIncludes {
    fn parse(query: &str) -> Self {
        let mut inc = Self::default();
        for part in query_param(query, "include").unwrap_or_default().split(',') {
            match part.trim() {
                "variants" => inc.variants = true,
                "images" => inc.images = true,
                "primary_image" => inc.primary_image = true,
                "options" => inc.options = true,
                "modifiers" => inc.modifiers = true,
                _ => {}
            }
        }
        inc
    }
}

fn inventory_level(p: &ProductSeed) -> i64 {
    match p.inventory_tracking {
        InventoryTracking::Variant => p.variants.iter().map(|v| v.inventory_level).sum(),
        _ => p.inventory_level,
    }
}

fn image(p: &ProductSeed, public_url: &str) -> Value {
    let url = image_url(p, public_url);
    json!({"id": p.id, "product_id": p.id, "is_thumbnail": true, "sort_order": 0,
           "url_zoom": url, "url_standard": url, "url_thumbnail": url, "url_tiny": url})
}

fn variant_json(p: &ProductSeed, public_url: &str) -> Value {
    let variants: Vec<Value> = p
        .variants
        .iter()
        .map(|v| {
            let option_values: Vec<Value> = v
                .option_values
                .iter()
                .filter_map(|id| {
                    p.option_of_value(*id).map(|(o, label)| {
                        json!({"id": id, "label": label, "option_id": o.id,
                           "option_display_name": o.display_name})
                    })
                })
                .collect();
            json!({"id": v.id, "product_id": p.id, "sku": v.sku,
                   "price": money(p.variant_price(v)),
                   "calculated_price": money(p.unit_list_price(v)),
                   "inventory_level": v.inventory_level,
                   "purchasing_disabled": v.purchasing_disabled,
                   "image_url": image_url(p, public_url),
                   "option_values": option_values})
        })
        .collect();
    Value::Array(variants)
}

fn product_json(p: &ProductSeed, inc: ProductIncludes, public_url: &str) -> Value {
    let calculated = p.variants.first().map_or(p.price, |v| p.unit_list_price(v));
    let mut v = json!({
        "id": p.id,
        "name": p.name,
        "type": match p.kind { ProductType::Physical => "physical", ProductType::Digital => "digital" },
        "sku": p.sku,
        "price": money(p.price),
        "sale_price": money(p.sale_price),
        "calculated_price": money(calculated),
        "inventory_level": inventory_level(p),
        "inventory_tracking": match p.inventory_tracking {
            InventoryTracking::None => "none",
            InventoryTracking::Product => "product",
            InventoryTracking::Variant => "variant",
        },
        "availability": match p.availability {
            Availability::Available => "available",
            Availability::Disabled => "disabled",
        },
        "order_quantity_minimum": p.order_quantity_minimum,
        "order_quantity_maximum": p.order_quantity_maximum,
        "is_visible": p.is_visible,
        "base_variant_id": p.variants.first().map(|v| v.id),
        "custom_url": {"url": format!("/{}/", p.slug), "is_customized": false},
    });
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    if inc.variants {
        obj.insert("variants".to_owned(), variant_json(p, public_url));
    }
    if inc.images {
        obj.insert("images".to_owned(), json!([image(p, public_url)]));
    }
    if inc.primary_image {
        obj.insert("primary_image".to_owned(), image(p, public_url));
    }
    if inc.options {
        let options: Vec<Value> = p
            .options
            .iter()
            .map(|o| {
                let values: Vec<Value> = o.values.iter().enumerate().map(|(i, val)| {
                json!({"id": val.id, "label": val.label, "sort_order": i, "is_default": false})
            }).collect();
                json!({"id": o.id, "product_id": p.id, "display_name": o.display_name,
                   "type": "rectangles", "option_values": values})
            })
            .collect();
        obj.insert("options".to_owned(), Value::Array(options));
    }
    if inc.modifiers {
        let modifiers: Vec<Value> = p.modifiers.iter().map(|m| modifier_json(p, m)).collect();
        obj.insert("modifiers".to_owned(), Value::Array(modifiers));
    }
    v
}

/// A modifier as the catalog describes it: `config` per type, `option_values` for choices
/// (`value_data.checked_value` marks a checkbox's ticked value).
fn modifier_json(p: &ProductSeed, m: &ModifierSeed) -> Value {
    let mut config = match m.kind {
        ModifierType::Text | ModifierType::MultiLineText => json!({
            "text_characters_limited": true,
            "text_min_length": m.min_length, "text_max_length": m.max_length}),
        ModifierType::NumbersOnlyText => json!({
            "number_limited": m.number_min.is_some() || m.number_max.is_some(),
            "number_limit_mode": match (m.number_min, m.number_max) {
                (Some(_), Some(_)) => "range", (Some(_), None) => "lowest", _ => "highest" },
            "number_lowest_value": m.number_min.unwrap_or(0.0),
            "number_highest_value": m.number_max.unwrap_or(0.0),
            "number_integers_only": m.integers_only}),
        ModifierType::Date => json!({
            "date_limited": m.date_earliest.is_some() || m.date_latest.is_some(),
            "date_limit_mode": match (&m.date_earliest, &m.date_latest) {
                (Some(_), Some(_)) => "range", (None, Some(_)) => "latest", _ => "earliest" },
            "date_earliest_value": m.date_earliest.as_ref().map(|d| format!("{d}T00:00:00+00:00")),
            "date_latest_value": m.date_latest.as_ref().map(|d| format!("{d}T00:00:00+00:00"))}),
        ModifierType::Checkbox => json!({"checkbox_label": m.checkbox_label.clone()
            .unwrap_or_else(|| m.display_name.clone()), "checked_by_default": m.checked_by_default}),
        _ => json!({}),
    };
    if let (Some(default), false) = (&m.default_value, m.kind.has_values()) {
        // Dates as ISO-8601 ATOM, as the catalog gives its other dates.
        let default = match m.kind {
            ModifierType::Date => format!("{default}T00:00:00+00:00"),
            _ => default.clone(),
        };
        config["default_value"] = json!(default);
    }
    let values: Vec<Value> = m
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let value_data = match m.kind {
                ModifierType::Checkbox => json!({"checked_value": v.checked}),
                _ => Value::Null,
            };
            json!({"id": v.id, "option_id": m.id, "label": v.label, "sort_order": i,
                   "is_default": v.is_default, "value_data": value_data})
        })
        .collect();
    json!({"id": m.id, "product_id": p.id, "name": m.display_name,
           "display_name": m.display_name, "type": m.kind.as_str(), "required": m.required,
           "sort_order": 0, "config": config, "option_values": values})
}

fn positive(query: &str, name: &str) -> Result<Option<usize>, ApiError> {
    match query_param(query, name) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| ApiError::new(422, format!("The parameter {name} is invalid."))),
    }
}

/// `GET /v3/catalog/products?page=&limit=&include=&id:in=`.
pub fn list(ctx: &Ctx<'_>) -> Result<ApiReply, ApiError> {
    let page = positive(ctx.query, "page")?.unwrap_or(1);
    let inc = ProductIncludes::parse(ctx.query);
    let cap = if inc.options || inc.modifiers {
        LIMIT_WITH_OPTIONS
    } else {
        MAX_LIMIT
    };
    let limit = positive(ctx.query, "limit")?
        .unwrap_or(DEFAULT_LIMIT)
        .min(cap);
    let ids: Option<Vec<i64>> = query_param(ctx.query, "id:in").map(|raw| {
        raw.split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect()
    });
    let catalog = ctx.state.catalog();
    let matching: Vec<&ProductSeed> = catalog
        .products()
        .filter(|p| ids.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .collect();
    let total = matching.len();
    let data: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(|p| product_json(p, inc, &ctx.state.public_url))
        .collect();
    let total_pages = total.div_ceil(limit);
    let link = |n: usize| format!("?page={n}&limit={limit}");
    let mut links = json!({"current": link(page)});
    if page > 1 {
        links["previous"] = json!(link(page - 1));
    }
    if page < total_pages {
        links["next"] = json!(link(page + 1));
    }
    let pagination = json!({"total": total, "count": data.len(), "per_page": limit,
        "current_page": page, "total_pages": total_pages, "links": links, "too_many": false});
    Ok(ApiReply::json(
        200,
        json!({"data": data, "meta": {"pagination": pagination}}),
    ))
}

/// `GET /v3/catalog/products/{product_id}`.
pub fn get(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let not_found = || ApiError::new(404, "The requested product was not found.");
    let id: i64 = raw_id.parse().map_err(|_| not_found())?;
    let catalog = ctx.state.catalog();
    let product = catalog.product(id).ok_or_else(not_found)?;
    let inc = ProductIncludes::parse(ctx.query);
    Ok(ApiReply::json(
        200,
        json!({"data": product_json(product, inc, &ctx.state.public_url), "meta": {}}),
    ))
}

/// The fields of `PUT /v3/catalog/products/{product_id}` the sandbox models; BigCommerce takes
/// many more (name, price, ...), which the sandbox refuses with 422 rather than ignore.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductUpdate {
    inventory_level: Option<i64>,
    inventory_tracking: Option<InventoryTracking>,
    availability: Option<Availability>,
    order_quantity_minimum: Option<u32>,
    order_quantity_maximum: Option<u32>,
    is_visible: Option<bool>,
    /// Accepted (a merchant's update often carries it) and not modelled.
    #[serde(default)]
    #[allow(dead_code)]
    inventory_warning_level: Option<i64>,
}

/// The fields of `PUT /v3/catalog/products/{product_id}/variants/{variant_id}` modelled.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantUpdate {
    inventory_level: Option<i64>,
    purchasing_disabled: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    inventory_warning_level: Option<i64>,
}

/// BigCommerce stores stock as a signed 32-bit int, and refuses a negative level.
fn check_level(level: Option<i64>) -> Result<(), ApiError> {
    match level {
        Some(level) if !(0..=i64::from(i32::MAX)).contains(&level) => Err(ApiError::new(
            422,
            "The field 'inventory_level' is invalid.",
        )),
        _ => Ok(()),
    }
}

/// `PUT /v3/catalog/products/{product_id}`: answers the product as `GET` would (without
/// includes), 200.
pub fn update(ctx: &Ctx<'_>, raw_id: &str) -> Result<ApiReply, ApiError> {
    let not_found = || ApiError::new(404, "The requested product was not found.");
    let id: i64 = raw_id.parse().map_err(|_| not_found())?;
    let change: ProductUpdate = parse_json(ctx.body)?;
    check_level(change.inventory_level)?;
    let found = ctx.state.change_product(id, |product| {
        if let Some(tracking) = change.inventory_tracking {
            product.inventory_tracking = tracking;
        }
        if let Some(level) = change.inventory_level {
            product.inventory_level = level;
        }
        if let Some(availability) = change.availability {
            product.availability = availability;
        }
        if let Some(min) = change.order_quantity_minimum {
            product.order_quantity_minimum = min;
        }
        if let Some(max) = change.order_quantity_maximum {
            product.order_quantity_maximum = max;
        }
        if let Some(visible) = change.is_visible {
            product.is_visible = visible;
        }
    });
    if !found {
        return Err(not_found());
    }
    get(ctx, raw_id)
}

/// `PUT /v3/catalog/products/{product_id}/variants/{variant_id}`: answers the variant, 200.
pub fn update_variant(
    ctx: &Ctx<'_>,
    raw_product: &str,
    raw_variant: &str,
) -> Result<ApiReply, ApiError> {
    let not_found = || ApiError::new(404, "The requested product variant was not found.");
    let product_id: i64 = raw_product.parse().map_err(|_| not_found())?;
    let variant_id: i64 = raw_variant.parse().map_err(|_| not_found())?;
    let change: VariantUpdate = parse_json(ctx.body)?;
    check_level(change.inventory_level)?;
    let mut found = false;
    ctx.state.change_product(product_id, |product| {
        if let Some(variant) = product.variants.iter_mut().find(|v| v.id == variant_id) {
            found = true;
            if let Some(level) = change.inventory_level {
                variant.inventory_level = level;
            }
            if let Some(disabled) = change.purchasing_disabled {
                variant.purchasing_disabled = disabled;
            }
        }
    });
    if !found {
        return Err(not_found());
    }
    let catalog = ctx.state.catalog();
    let product = catalog.product(product_id).ok_or_else(not_found)?;
    let variants = variant_json(product, &ctx.state.public_url);
    let variant = variants
        .as_array()
        .and_then(|all| all.iter().find(|v| v["id"] == json!(variant_id)))
        .cloned()
        .ok_or_else(not_found)?;
    Ok(ApiReply::json(200, json!({"data": variant, "meta": {}})))
}
