//! Maps `METHOD /v3/...` (the part after `/stores/{store_hash}`) onto a route and its stable
//! template string, the key of `/__sandbox/stats` and of fault patterns.

use actix_web::http::Method;

/// Template used for requests that match no route.
pub const UNMATCHED: &str = "(unmatched)";

/// A recognised API route with its raw path parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    CreateCart,
    GetCart(&'a str),
    UpdateCart(&'a str),
    DeleteCart(&'a str),
    AddItems(&'a str),
    UpdateItem(&'a str, &'a str),
    DeleteItem(&'a str, &'a str),
    RedirectUrls(&'a str),
    GetCheckout(&'a str),
    UpdateCheckout(&'a str),
    AddConsignments(&'a str),
    UpdateConsignment(&'a str, &'a str),
    DeleteConsignment(&'a str, &'a str),
    AddCoupon(&'a str),
    DeleteCoupon(&'a str, &'a str),
    AbandonedCart(&'a str),
    ValidateCredentials,
    ListProducts,
    GetProduct(&'a str),
    UpdateProduct(&'a str),
    UpdateVariant(&'a str, &'a str),
    ListHooks,
    CreateHook,
    GetHook(&'a str),
    UpdateHook(&'a str),
    DeleteHook(&'a str),
    Time,
}

/// Result of routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched<'a> {
    Route(Route<'a>, &'static str),
    /// The path exists but not with this method.
    MethodNotAllowed(&'static str),
    NotFound,
}

/// Method names as static strings (stats keys); extension methods count as `OTHER`.
pub fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Routes `path` (starting with `/v3` or `/v2`).
pub fn match_route<'a>(method: &str, path: &'a str) -> Matched<'a> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Matched::NotFound;
    }
    let pick = |template: &'static str, options: &[(&str, Route<'a>)]| -> Matched<'a> {
        options
            .iter()
            .find(|(m, _)| *m == method)
            .map_or(Matched::MethodNotAllowed(template), |(_, r)| {
                Matched::Route(*r, template)
            })
    };
    match segments.as_slice() {
        ["v3", "carts"] => pick("/v3/carts", &[("POST", Route::CreateCart)]),
        ["v3", "carts", id] => pick(
            "/v3/carts/{cart_id}",
            &[
                ("GET", Route::GetCart(id)),
                ("PUT", Route::UpdateCart(id)),
                ("DELETE", Route::DeleteCart(id)),
            ],
        ),
        ["v3", "carts", id, "items"] => pick(
            "/v3/carts/{cart_id}/items",
            &[("POST", Route::AddItems(id))],
        ),
        ["v3", "carts", id, "items", item] => pick(
            "/v3/carts/{cart_id}/items/{item_id}",
            &[
                ("PUT", Route::UpdateItem(id, item)),
                ("DELETE", Route::DeleteItem(id, item)),
            ],
        ),
        ["v3", "carts", id, "redirect_urls"] => pick(
            "/v3/carts/{cart_id}/redirect_urls",
            &[("POST", Route::RedirectUrls(id))],
        ),
        ["v3", "checkouts", id] => pick(
            "/v3/checkouts/{checkout_id}",
            &[
                ("GET", Route::GetCheckout(id)),
                ("PUT", Route::UpdateCheckout(id)),
            ],
        ),
        ["v3", "checkouts", id, "consignments"] => pick(
            "/v3/checkouts/{checkout_id}/consignments",
            &[("POST", Route::AddConsignments(id))],
        ),
        ["v3", "checkouts", id, "consignments", consignment] => pick(
            "/v3/checkouts/{checkout_id}/consignments/{consignment_id}",
            &[
                ("PUT", Route::UpdateConsignment(id, consignment)),
                ("DELETE", Route::DeleteConsignment(id, consignment)),
            ],
        ),
        ["v3", "checkouts", id, "coupons"] => pick(
            "/v3/checkouts/{checkout_id}/coupons",
            &[("POST", Route::AddCoupon(id))],
        ),
        ["v3", "checkouts", id, "coupons", code] => pick(
            "/v3/checkouts/{checkout_id}/coupons/{coupon_code}",
            &[("DELETE", Route::DeleteCoupon(id, code))],
        ),
        ["v3", "abandoned-carts", token] => pick(
            "/v3/abandoned-carts/{token}",
            &[("GET", Route::AbandonedCart(token))],
        ),
        ["v3", "customers", "validate-credentials"] => pick(
            "/v3/customers/validate-credentials",
            &[("POST", Route::ValidateCredentials)],
        ),
        ["v3", "catalog", "products"] => {
            pick("/v3/catalog/products", &[("GET", Route::ListProducts)])
        }
        ["v3", "catalog", "products", id] => pick(
            "/v3/catalog/products/{product_id}",
            &[
                ("GET", Route::GetProduct(id)),
                ("PUT", Route::UpdateProduct(id)),
            ],
        ),
        ["v3", "catalog", "products", id, "variants", variant] => pick(
            "/v3/catalog/products/{product_id}/variants/{variant_id}",
            &[("PUT", Route::UpdateVariant(id, variant))],
        ),
        ["v3", "hooks"] => pick(
            "/v3/hooks",
            &[("GET", Route::ListHooks), ("POST", Route::CreateHook)],
        ),
        ["v3", "hooks", id] => pick(
            "/v3/hooks/{hook_id}",
            &[
                ("GET", Route::GetHook(id)),
                ("PUT", Route::UpdateHook(id)),
                ("DELETE", Route::DeleteHook(id)),
            ],
        ),
        ["v2", "time"] => pick("/v2/time", &[("GET", Route::Time)]),
        _ => Matched::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_templates() {
        assert_eq!(
            match_route("PUT", "/v3/carts/abc/items/def"),
            Matched::Route(
                Route::UpdateItem("abc", "def"),
                "/v3/carts/{cart_id}/items/{item_id}"
            )
        );
        assert_eq!(
            match_route("PATCH", "/v3/carts/abc"),
            Matched::MethodNotAllowed("/v3/carts/{cart_id}")
        );
        assert_eq!(match_route("GET", "/v3/carts/"), Matched::NotFound);
        assert_eq!(match_route("GET", "/v3/nothing"), Matched::NotFound);
    }
}
