// The reference client of checkout-bff's JSON API: plain JavaScript, no build step.
//
// Every call sends the session cookie (`credentials: "include"`); the browser never sees a
// BigCommerce id or token. Mutations carry an Idempotency-Key so a retried request is safe.
// Errors are application/problem+json: show `detail`, branch on `code`.
"use strict";

const API = new URLSearchParams(location.search).get("api")
  || document.querySelector('meta[name="checkout-bff"]').content;

const $ = (id) => document.getElementById(id);
let busy = false;

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["Idempotency-Key"] = crypto.randomUUID();
  const response = await fetch(API + path, {
    method,
    headers,
    credentials: "include",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.detail) || `HTTP ${response.status}`);
    error.code = data && data.code;
    throw error;
  }
  return data;
}

function money(amount, currency) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
}

function say(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "error" : "ok";
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

async function run(action, success) {
  if (busy) return;
  busy = true;
  try {
    const result = await action();
    if (result && "cart" in result) renderCart(result.cart);
    // What BigCommerce changed that the shopper did not ask for (a free gift, a dropped
    // coupon, a new price): said next to the success message, never swallowed.
    const warnings = (result && result.warnings) || [];
    const told = warnings.map((w) => w.detail).join(" ");
    if (success || told) say([success, told].filter(Boolean).join(" "));
  } catch (error) {
    say(error.message, true);
  } finally {
    busy = false;
  }
}

function renderProducts(products, currency) {
  const list = $("products");
  list.replaceChildren();
  for (const product of products) {
    // `addable` is false when a required modifier cannot be filled in here (a file upload, a
    // product list); `not_addable_reason` says so in words.
    const available = product.purchasable && product.in_stock && product.addable !== false;
    const form = el("form", { class: "product", "data-product-id": product.id });
    form.append(el("h3", { text: product.name }), el("p", { class: "price", text: money(product.calculated_price, currency) }));
    if (product.not_addable_reason) form.append(el("p", { class: "muted", text: product.not_addable_reason }));
    const variants = product.variants.filter((v) => v.purchasable && v.in_stock);
    let select = null;
    if (variants.length > 1) {
      select = el("select", { name: "variant_id", "aria-label": `${product.name} option` });
      for (const v of variants) select.append(el("option", { value: v.id, text: v.label }));
      form.append(select);
    }
    const modifiers = product.modifiers.map((modifier) => renderModifier(product, modifier, form)).filter(Boolean);
    const quantity = el("input", { type: "number", min: "1", value: "1", "aria-label": `${product.name} quantity` });
    const button = el("button", { type: "submit", text: available ? "Add to cart" : "Unavailable" });
    if (!available) button.disabled = true;
    form.append(quantity, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const item = { product_id: product.id, quantity: Number(quantity.value) };
      const variantId = select ? Number(select.value) : variants.length === 1 ? variants[0].id : undefined;
      if (variantId !== undefined) item.variant_id = variantId;
      const selections = modifiers.map((read) => read()).filter(Boolean);
      if (selections.length) item.option_selections = selections;
      run(() => api("POST", "/api/cart/items", { line_items: [item] }), `Added ${item.quantity} × ${product.name}`);
    });
    list.append(el("li", {}, form));
  }
}

// One form control per modifier; returns a function that reads the shopper's choice as an
// option selection (or null when left empty). Value ids for the choice types, text for the
// text types, {"date": "YYYY-MM-DD"} for dates.
function renderModifier(product, modifier, form) {
  const id = `m-${product.id}-${modifier.option_id}`;
  const label = el("label", { for: id, text: modifier.name });
  const selection = (value) => ({ option_id: modifier.option_id, option_value: value });
  const required = modifier.required ? { required: "" } : {};
  switch (modifier.type) {
    case "dropdown": case "rectangles": case "swatch": {
      const select = el("select", { id, ...required });
      if (!modifier.required) select.append(el("option", { value: "", text: "None" }));
      for (const v of modifier.values) {
        const option = el("option", { value: v.id, text: v.label });
        if (v.is_default) option.selected = true;
        select.append(option);
      }
      form.append(label, select);
      return () => (select.value ? selection(Number(select.value)) : null);
    }
    case "radio_buttons": {
      const set = el("fieldset", { class: "choices" }, el("legend", { text: modifier.name }));
      const radios = modifier.values.map((v) => {
        const radio = el("input", { type: "radio", name: id, value: v.id, ...required });
        if (v.is_default) radio.checked = true;
        set.append(el("label", {}, radio, ` ${v.label}`));
        return radio;
      });
      form.append(set);
      return () => {
        const chosen = radios.find((radio) => radio.checked);
        return chosen ? selection(Number(chosen.value)) : null;
      };
    }
    case "checkbox": {
      const ticked = modifier.values.find((v) => v.checked);
      if (!ticked) return null;
      const box = el("input", { type: "checkbox", id, ...required });
      if (modifier.checked_by_default) box.checked = true;
      form.append(el("label", { class: "checkbox", for: id }, box, ` ${modifier.checkbox_label || modifier.name}`));
      return () => (box.checked ? selection(ticked.id) : null);
    }
    case "date": {
      const input = el("input", { id, type: "date", ...required });
      if (modifier.date_earliest) input.min = modifier.date_earliest;
      if (modifier.date_latest) input.max = modifier.date_latest;
      if (modifier.default_value) input.value = modifier.default_value;
      form.append(label, input);
      return () => (input.value ? selection({ date: input.value }) : null);
    }
    case "text": case "multi_line_text": case "numbers_only_text": {
      const input = modifier.type === "multi_line_text"
        ? el("textarea", { id, rows: "2", ...required })
        : el("input", { id, type: modifier.type === "numbers_only_text" ? "number" : "text", ...required });
      if (modifier.max_length) input.maxLength = modifier.max_length;
      if (modifier.min_length) input.minLength = modifier.min_length;
      if (modifier.default_value) input.value = modifier.default_value;
      if (modifier.number_min !== undefined) input.min = modifier.number_min;
      if (modifier.number_max !== undefined) input.max = modifier.number_max;
      if (modifier.type === "numbers_only_text") input.step = modifier.integers_only ? "1" : "any";
      form.append(label, input);
      return () => (input.value !== "" ? selection(input.value) : null);
    }
    default:
      return null; // file uploads and product lists cannot be filled in here
  }
}

function renderCart(cart) {
  const lines = $("cart-lines");
  lines.replaceChildren();
  $("promotions").replaceChildren();
  $("coupons").replaceChildren();
  const empty = !cart || cart.line_items.length === 0;
  $("cart-empty").hidden = !empty;
  $("cart-totals").hidden = empty;
  $("coupon-form").hidden = empty;
  $("note-form").hidden = empty;
  $("gift-form").hidden = empty;
  $("checkout").hidden = empty;
  $("clear").hidden = empty;
  $("cart-count").textContent = empty ? "" : `(${cart.item_count})`;
  renderShipping(empty ? null : cart);
  if (empty) return;
  // The note is the shopper's own text: a value, never markup.
  if (document.activeElement !== $("order-note")) $("order-note").value = cart.note || "";
  const currency = cart.currency.code;
  // Banners are plain text: textContent, never innerHTML.
  for (const banner of cart.promotions) {
    $("promotions").append(el("li", { class: `promotion ${banner.type}`, text: banner.text }));
  }
  for (const line of cart.line_items) {
    const options = line.options.map((o) => `${o.name}: ${o.value}`).join(", ");
    const price = el("span", { class: "price" });
    // Strike the list price when a discount applies, or the catalog price of a product on sale.
    const was = line.sale_price < line.list_price ? line.list_price
      : line.original_price !== null && line.original_price > line.list_price ? line.original_price : null;
    if (was !== null) price.append(el("s", { text: money(was * line.quantity, currency) }), " ");
    price.append(line.extended_sale_price === 0 && line.extended_list_price > 0 ? "Free" : money(line.extended_sale_price, currency));
    const item = el("li", { class: "line", "data-line-id": line.id },
      el("span", { class: "name", text: line.name + (options ? ` (${options})` : "") }), price);
    // Why the line cannot be fulfilled ("Only 3 left."): checkout is refused until it is fixed.
    for (const problem of line.problems || []) {
      item.append(el("span", { class: "problem", role: "status", text: problem.detail }));
    }
    if (line.added_by_promotion) {
      // A promotion's line: BigCommerce adds and removes it; the shopper cannot change it.
      item.classList.add("gift");
      item.append(el("span", { class: "badge", text: `Free with a promotion · ${line.quantity}` }));
    } else {
      // Custom items and gift certificates cannot change quantity (BigCommerce refuses it):
      // they show their quantity and can only be removed.
      const fixed = line.type === "custom" || line.type === "gift_certificate";
      const quantity = fixed
        ? el("span", { class: "quantity", text: `× ${line.quantity}` })
        : el("input", { type: "number", min: "0", value: String(line.quantity), "aria-label": `${line.name} quantity` });
      if (!fixed) {
        quantity.addEventListener("change", () =>
          run(() => api("PATCH", `/api/cart/items/${encodeURIComponent(line.id)}`, { quantity: Number(quantity.value) }), "Quantity updated"));
      }
      const remove = el("button", { type: "button", class: "secondary", text: "Remove",
        onclick: () => run(() => api("DELETE", `/api/cart/items/${encodeURIComponent(line.id)}`), "Removed") });
      item.append(quantity, remove);
    }
    lines.append(item);
  }
  for (const coupon of cart.coupons) {
    const remove = el("button", { type: "button", class: "secondary", text: "Remove", "aria-label": `Remove coupon ${coupon.code}`,
      onclick: () => run(() => api("DELETE", `/api/cart/coupons/${encodeURIComponent(coupon.code)}`), `Coupon ${coupon.code} removed`) });
    $("coupons").append(el("li", { class: "coupon" },
      el("span", { text: `${coupon.code} · ${coupon.name} · -${money(coupon.amount, currency)}` }), remove));
  }
  const totals = cart.totals;
  const later = "Calculated at checkout";
  $("cart-base").textContent = money(totals.subtotal, currency);
  $("cart-discounts").textContent = `-${money(totals.discounts, currency)}`;
  $("cart-coupons").textContent = `-${money(totals.coupons, currency)}`;
  for (const node of document.querySelectorAll(".discount")) node.hidden = totals.discounts === 0 && totals.coupons === 0;
  $("cart-shipping").textContent = totals.shipping === null ? later : money(totals.shipping, currency);
  $("cart-tax").textContent = totals.tax === null ? later : money(totals.tax, currency);
  $("cart-total").textContent = money(totals.grand_total, currency);
}

// Shipping: the estimate form (only when something in the cart ships), the destination, and
// one radio button per option quoted. Choosing one is a request of its own; shipping, tax and
// the total then come from BigCommerce's checkout. `current` is false once the cart changed
// after the quote: estimate again.
function renderShipping(cart) {
  const ships = cart !== null && cart.line_items.some((line) => line.type === "physical");
  $("estimate-form").hidden = !ships;
  const options = $("shipping-options");
  options.replaceChildren(el("legend", { text: "Shipping option" }));
  options.hidden = true;
  $("shipping-destination").textContent = "";
  const shipping = ships ? cart.shipping : null;
  if (!shipping) return;
  const where = [shipping.destination.state, shipping.destination.postal_code, shipping.destination.country_code]
    .filter(Boolean).join(", ");
  if (!shipping.current) {
    $("shipping-destination").textContent = `Your cart changed since the estimate for ${where}: estimate again.`;
    return;
  }
  if (shipping.options.length === 0) {
    $("shipping-destination").textContent = `The store does not ship to ${where}.`;
    return;
  }
  $("shipping-destination").textContent = `Shipping to ${where}`;
  const currency = cart.currency.code;
  for (const option of shipping.options) {
    const radio = el("input", { type: "radio", name: "shipping-option", value: option.id });
    radio.checked = option.id === shipping.selected_option_id;
    radio.addEventListener("change", () =>
      run(() => api("PUT", "/api/cart/shipping-option", { option_id: option.id }), `${option.description} chosen`));
    const cost = option.cost === 0 ? "Free" : money(option.cost, currency);
    const time = option.transit_time ? ` (${option.transit_time})` : "";
    options.append(el("label", {}, radio, ` ${option.description} · ${cost}${time}`));
  }
  options.hidden = false;
}

$("estimate-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { country_code: $("estimate-country").value.trim() };
  for (const [field, id] of [["state", "estimate-state"], ["postal_code", "estimate-postal"], ["email", "estimate-email"]]) {
    const value = $(id).value.trim();
    if (value) body[field] = value;
  }
  run(() => api("POST", "/api/cart/shipping-estimate", body), "Shipping estimated");
});

$("note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(() => api("PUT", "/api/cart/note", { message: $("order-note").value }), "Note saved");
});

$("gift-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = (id) => $(id).value.trim();
  const body = {
    name: value("gift-name"),
    amount: Number(value("gift-amount")),
    theme: $("gift-theme").value,
    sender: { name: value("gift-sender-name"), email: value("gift-sender-email") },
    recipient: { name: value("gift-recipient-name"), email: value("gift-recipient-email") },
  };
  if (value("gift-message")) body.message = value("gift-message");
  run(async () => {
    const result = await api("POST", "/api/cart/gift-certificates", body);
    $("gift-form").reset();
    return result;
  }, "Gift certificate added");
});

$("coupon-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("coupon-code").value.trim();
  // coupon_invalid's detail is BigCommerce's reason ("… has expired"): show it as it is.
  run(async () => {
    const result = await api("POST", "/api/cart/coupons", { code });
    $("coupon-code").value = "";
    return result;
  }, `Coupon ${code} applied`);
});

$("checkout").addEventListener("click", () =>
  run(async () => {
    // A hand-off URL is single-use (and spends the others BigCommerce minted with it): ask
    // for a fresh one, for the one page wanted, on every click.
    const handOff = await api("POST", "/api/cart/checkout?target=checkout");
    location.assign(handOff.url);
  }));

$("clear").addEventListener("click", () =>
  run(async () => { await api("DELETE", "/api/cart"); renderCart(null); }, "Cart emptied"));

(async () => {
  try {
    const [products, cart] = await Promise.all([api("GET", "/api/products"), api("GET", "/api/cart")]);
    // Prices in the cart's currency, or the store's (which new carts are created in).
    renderProducts(products.products, (cart.cart && cart.cart.currency.code) || products.currency.code);
    renderCart(cart.cart);
    document.body.dataset.ready = "true";
  } catch (error) {
    say(`Could not reach the cart service: ${error.message}`, true);
    document.body.dataset.ready = "error";
  }
})();
