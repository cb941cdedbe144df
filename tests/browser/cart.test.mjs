// Browser tests: the server-rendered cart pages and the example storefront, walked in Debian's
// headless Chromium. scripts/browser-test starts the service, the sandbox and two static
// servers, and passes their URLs in the environment. Every visited page is saved as a
// screenshot under SCREENSHOT_DIR.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BFF = process.env.BFF_URL;
const STOREFRONT = process.env.STOREFRONT_URL;
const FOREIGN_STOREFRONT = process.env.FOREIGN_STOREFRONT_URL;
const SANDBOX = process.env.SANDBOX_URL;
const SHOTS = process.env.SCREENSHOT_DIR || "screenshots";
mkdirSync(SHOTS, { recursive: true });

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser profile whose console errors are collected. */
async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  return { context, page, errors };
}

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
}

test("the server-rendered cart: add, change, remove, check out on the sandbox, come back empty", async () => {
  const { context, page, errors } = await newPage();

  await page.goto(`${BFF}/cart`);
  await assert.doesNotReject(page.getByText("Your cart is empty.").waitFor());
  await screenshot(page, "cart-empty");

  // Add two mugs through the product form.
  const mug = page.locator("li.product", { hasText: "Sandbox Mug" });
  await mug.getByLabel("Quantity").fill("2");
  await mug.getByRole("button", { name: /Add to cart/ }).click();
  await page.waitForURL(`${BFF}/cart`);
  await page.getByRole("status").filter({ hasText: "Added 2 × Sandbox Mug" }).waitFor();
  // The second mug brings the sandbox's free pin: marked, struck through, not editable.
  const pin = page.locator("li.line", { hasText: "Enamel Pin" });
  await pin.getByText("Free with a promotion").waitFor();
  assert.match(await pin.innerText(), /\$6\.00\s+Free each/);
  assert.equal(await pin.getByRole("button").count(), 0, "no Update or Remove on a promotion's line");
  assert.match(await page.locator(".promotions").innerText(), /A free Enamel Pin is in your cart\./);
  await screenshot(page, "cart-added");

  // Change the quantity.
  const line = page.locator("li.line", { hasText: "Sandbox Mug" });
  await line.getByLabel("Quantity").fill("3");
  await line.getByRole("button", { name: "Update" }).click();
  await page.getByRole("status").filter({ hasText: "Quantity changed to 3." }).waitFor();
  assert.match(await page.locator(".totals").innerText(), /Items \(4\)/);
  assert.match(await page.locator(".totals").innerText(), /Shipping\s+Calculated at checkout/);
  await screenshot(page, "cart-quantity-changed");

  // Add a tote, then remove it again.
  const tote = page.locator("li.product", { hasText: "Canvas Tote Bag" });
  await tote.getByRole("button", { name: /Add to cart/ }).click();
  await page.locator("li.line", { hasText: "Canvas Tote Bag" }).waitFor();
  await page.locator("li.line", { hasText: "Canvas Tote Bag" }).getByRole("button", { name: /Remove/ }).click();
  await page.getByRole("status").filter({ hasText: "Removed the item." }).waitFor();
  assert.equal(await page.locator("li.line").count(), 2);
  await screenshot(page, "cart-line-removed");

  // Coupons: a refused code says BigCommerce's reason; SAVE10 shows with its amount.
  await page.getByRole("textbox", { name: "Code", exact: true }).fill("EXPIRED");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByRole("alert").filter({ hasText: /has expired/ }).waitFor();
  await page.getByRole("textbox", { name: "Code", exact: true }).fill("SAVE10");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByRole("status").filter({ hasText: "Coupon SAVE10 applied." }).waitFor();
  assert.match(await page.locator(".coupons").innerText(), /SAVE10 · 10% off your order · -\$3\.60/);
  assert.match(await page.locator(".totals").innerText(), /Coupons\s+-\$3\.60/);
  await screenshot(page, "cart-coupon");

  // A refused add shows BigCommerce's reason on the page.
  const limited = page.locator("li.product", { hasText: "Limited" });
  if (await limited.count()) {
    await limited.getByLabel("Quantity").fill("5");
    await limited.getByRole("button", { name: /Add to cart/ }).click();
    await page.getByRole("alert").filter({ hasText: /maximum of 2/ }).waitFor();
    await screenshot(page, "cart-refused");
  }

  // Check out: the sandbox's hosted checkout, place the order, continue shopping.
  await page.getByRole("button", { name: "Check out" }).click();
  await page.waitForURL((url) => url.href.startsWith(SANDBOX) && url.href.includes("loadInCheckout"));
  await screenshot(page, "sandbox-checkout");
  await page.getByRole("button", { name: /Place order/ }).click();
  await page.getByText(/has been placed/).waitFor();
  await screenshot(page, "sandbox-order-placed");
  await page.getByRole("link", { name: /Continue shopping/ }).click();
  await page.waitForURL(`${BFF}/cart`);
  await page.getByText("Your cart is empty.").waitFor();
  await screenshot(page, "cart-after-order");

  assert.deepEqual(errors, [], "no errors in the browser console");
  await context.close();
});

test("the example storefront shops through the JSON API from its own origin", async () => {
  const { context, page, errors } = await newPage();

  await page.goto(STOREFRONT);
  await page.waitForSelector("body[data-ready=true]");
  await screenshot(page, "storefront-loaded");

  const mug = page.locator("form.product", { hasText: "Sandbox Mug" });
  await mug.getByRole("button", { name: "Add to cart" }).click();
  const line = page.locator("li.line", { hasText: "Sandbox Mug" });
  await line.waitFor();

  const shirt = page.locator("form.product", { hasText: "T-Shirt" });
  if (await shirt.count()) {
    await shirt.getByRole("button", { name: "Add to cart" }).click();
    await page.locator("li.line", { hasText: "T-Shirt" }).waitFor();
    await page.locator("li.line", { hasText: "T-Shirt" }).getByRole("button", { name: "Remove" }).click();
    await page.locator("li.line", { hasText: "T-Shirt" }).waitFor({ state: "detached" });
  }

  await line.getByLabel(/quantity/).fill("4");
  await line.getByLabel(/quantity/).dispatchEvent("change");
  // Four mugs and the promotion's free pin.
  await page.locator("#cart-count", { hasText: "(5)" }).waitFor();
  const pin = page.locator("li.line", { hasText: "Enamel Pin" });
  await pin.getByText(/Free with a promotion/).waitFor();
  assert.equal(await pin.locator("input, button").count(), 0, "a promotion's line has no controls");
  await page.locator("#promotions", { hasText: "A free Enamel Pin is in your cart." }).waitFor();

  await page.getByLabel("Coupon code").fill("SAVE10");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.locator("#coupons", { hasText: "SAVE10 · 10% off your order" }).waitFor();
  assert.equal(await page.locator("#cart-shipping").innerText(), "Calculated at checkout");
  await screenshot(page, "storefront-cart");

  // The session lives in an HttpOnly cookie of the service: scripts cannot read it.
  assert.equal(await page.evaluate(() => document.cookie.includes("session")), false);

  // A reload keeps the cart: the cookie went along with credentials: "include".
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.locator("#cart-count", { hasText: "(5)" }).waitFor();
  await page.locator("#coupons", { hasText: "SAVE10" }).waitFor();

  await page.getByRole("button", { name: "Check out" }).click();
  await page.waitForURL((url) => url.href.startsWith(SANDBOX) && url.href.includes("loadInCheckout"));
  await screenshot(page, "storefront-checkout");

  assert.deepEqual(errors, [], "no errors in the browser console");
  await context.close();
});

test("every modifier type is added from the cart page's forms", async () => {
  const { context, page, errors } = await newPage();
  await page.goto(`${BFF}/cart`);

  // A dropdown and a checkbox.
  const box = page.locator("li.product", { hasText: "Gift Box" });
  await box.getByLabel("Ribbon").selectOption({ label: "Gold" });
  await box.getByLabel("Add a greeting card").check();
  await box.getByRole("button", { name: /Add to cart/ }).click();
  await page.getByRole("status").filter({ hasText: "Added 1 × Gift Box" }).waitFor();

  // A date and an optional text.
  const cake = page.locator("li.product", { hasText: "Celebration Cake" });
  await cake.getByLabel("Delivery date").fill("2027-03-14");
  await cake.getByLabel("Message on the cake").fill("Happy birthday");
  await cake.getByRole("button", { name: /Add to cart/ }).click();
  await page.getByRole("status").filter({ hasText: "Added 1 × Celebration Cake" }).waitFor();

  // Rectangles (a select) and radio buttons.
  const poster = page.locator("li.product", { hasText: "Art Poster" });
  await poster.getByLabel("Finish").selectOption({ label: "Gloss" });
  await poster.getByLabel("Oak").check();
  await poster.getByRole("button", { name: /Add to cart/ }).click();
  await page.getByRole("status").filter({ hasText: "Added 1 × Art Poster" }).waitFor();

  // A swatch, a number and a multi-line text.
  const socks = page.locator("li.product", { hasText: "Knitted Socks" });
  await socks.getByLabel("Colour").selectOption({ label: "Blue" });
  await socks.getByLabel("Shoe size").fill("41");
  await socks.getByRole("button", { name: /Add to cart/ }).click();
  await page.getByRole("status").filter({ hasText: "Added 1 × Knitted Socks" }).waitFor();
  const board = page.locator("li.product", { hasText: "Letter Board" });
  await board.getByLabel("Your text").fill("Hello\nthere");
  await board.getByRole("button", { name: /Add to cart/ }).click();
  await page.getByRole("status").filter({ hasText: "Added 1 × Letter Board" }).waitFor();

  const lines = await page.locator("ul.lines").innerText();
  for (const shown of ["Gold", "Yes", "2027-03-14", "Happy birthday", "Gloss", "Oak", "Blue", "41", "Hello"]) {
    assert.match(lines, new RegExp(shown), shown);
  }
  // A line with modifiers changes quantity (its option_selections go along).
  const cakeLine = page.locator("li.line", { hasText: "Celebration Cake" });
  await cakeLine.getByLabel("Quantity").fill("2");
  await cakeLine.getByRole("button", { name: "Update" }).click();
  await page.getByRole("status").filter({ hasText: "Quantity changed to 2." }).waitFor();
  await screenshot(page, "cart-modifiers");

  assert.deepEqual(errors, [], "no errors in the browser console");
  await context.close();
});

test("the example storefront adds products with modifiers", async () => {
  const { context, page, errors } = await newPage();
  await page.goto(STOREFRONT);
  await page.waitForSelector("body[data-ready=true]");

  const poster = page.locator("form.product", { hasText: "Art Poster" });
  await poster.getByLabel("Finish").selectOption({ label: "Matte" });
  await poster.getByLabel("Black").check();
  await poster.getByRole("button", { name: "Add to cart" }).click();
  await page.locator("li.line", { hasText: "Art Poster" }).waitFor();

  const cake = page.locator("form.product", { hasText: "Celebration Cake" });
  await cake.getByLabel("Delivery date").fill("2027-06-01");
  await cake.getByRole("button", { name: "Add to cart" }).click();
  await page.locator("li.line", { hasText: "Celebration Cake" }).waitFor();

  const box = page.locator("form.product", { hasText: "Gift Box" });
  await box.getByLabel("Ribbon").selectOption({ label: "Silver" });
  await box.getByLabel("Add a greeting card").check();
  await box.getByRole("button", { name: "Add to cart" }).click();
  await page.locator("li.line", { hasText: "Gift Box" }).waitFor();

  const socks = page.locator("form.product", { hasText: "Knitted Socks" });
  await socks.getByLabel("Colour").selectOption({ label: "Red" });
  await socks.getByLabel("Shoe size").fill("44");
  await socks.getByRole("button", { name: "Add to cart" }).click();
  await page.locator("li.line", { hasText: "Knitted Socks" }).waitFor();

  const board = page.locator("form.product", { hasText: "Letter Board" });
  await board.getByLabel("Your text").fill("Hi");
  await board.getByRole("button", { name: "Add to cart" }).click();
  await page.locator("li.line", { hasText: "Letter Board" }).waitFor();

  const lines = await page.locator("#cart-lines").innerText();
  for (const shown of ["Matte", "Black", "2027-06-01", "Silver", "Yes", "Red", "44", "Hi"]) {
    assert.match(lines, new RegExp(shown), shown);
  }
  // The quantity of a line with modifiers changes too.
  const cakeLine = page.locator("li.line", { hasText: "Celebration Cake" });
  await cakeLine.getByLabel(/quantity/).fill("3");
  await cakeLine.getByLabel(/quantity/).dispatchEvent("change");
  await page.locator("#status", { hasText: "Quantity updated" }).waitFor();
  await screenshot(page, "storefront-modifiers");

  assert.deepEqual(errors, [], "no errors in the browser console");
  await context.close();
});

test("the cart page estimates shipping, takes an option, a note and a gift certificate", async () => {
  const { context, page, errors } = await newPage();
  await page.goto(`${BFF}/cart`);
  const notebook = page.locator("li.product", { hasText: "Dot Grid Notebook" });
  await notebook.getByLabel("Quantity").fill("2");
  await notebook.getByRole("button", { name: /Add to cart/ }).click();
  await page.getByRole("status").filter({ hasText: "Added 2 × Dot Grid Notebook" }).waitFor();
  assert.match(await page.locator(".totals").innerText(), /Tax\s+Calculated at checkout/);

  const shipping = page.locator("section.shipping");
  await shipping.getByLabel("Country code").fill("US");
  await shipping.getByLabel("State or province").fill("Texas");
  await shipping.getByLabel("Postal code").fill("78701");
  await shipping.getByLabel(/E-mail/).fill("shopper@example.com");
  await shipping.getByRole("button", { name: "Estimate shipping" }).click();
  await page.getByRole("status").filter({ hasText: "Shipping estimated." }).waitFor();
  await shipping.getByLabel(/Express shipping/).check();
  await shipping.getByRole("button", { name: "Use this option" }).click();
  await page.getByRole("status").filter({ hasText: "Shipping option chosen." }).waitFor();
  const totals = await page.locator(".totals").innerText();
  assert.match(totals, /Shipping\s+\$15\.00/);
  assert.match(totals, /Tax\s+\$2\.80/);
  assert.match(totals, /Total\s+\$37\.78/);

  await page.getByLabel("Note", { exact: true }).fill("Leave it at the door");
  await page.getByRole("button", { name: "Save note" }).click();
  await page.getByRole("status").filter({ hasText: "Note saved." }).waitFor();

  const gift = page.locator("section.gift-certificate");
  await gift.getByLabel("Name on the certificate").fill("A gift for Sam");
  await gift.getByLabel(/Amount/).fill("25");
  await gift.getByLabel("Theme").selectOption({ label: "Birthday" });
  await gift.getByLabel("Your name").fill("Jane");
  await gift.getByLabel("Your e-mail").fill("jane@example.com");
  await gift.getByLabel("Recipient's name").fill("Sam");
  await gift.getByLabel("Recipient's e-mail").fill("sam@example.com");
  await gift.getByRole("button", { name: "Add the gift certificate" }).click();
  await page.getByRole("status").filter({ hasText: "Gift certificate added." }).waitFor();
  await page.locator("li.line", { hasText: "A gift for Sam" }).getByText("Quantity: 1").waitFor();
  await screenshot(page, "cart-shipping-note-gift");

  // BigCommerce's hosted checkout shows the certificate, the note and the tax.
  await page.getByRole("button", { name: "Check out" }).click();
  await page.waitForURL((url) => url.href.startsWith(SANDBOX) && url.href.includes("loadInCheckout"));
  const checkout = await page.locator("main").innerText();
  assert.match(checkout, /Gift certificate: A gift for Sam/);
  assert.match(checkout, /Note from the shopper: Leave it at the door/);
  assert.match(checkout, /Tax \(Sales Tax\): USD 1\.60/, "the certificate is not taxed");
  await screenshot(page, "sandbox-checkout-gift");

  assert.deepEqual(errors, [], "no errors in the browser console");
  await context.close();
});

test("the example storefront estimates shipping, takes an option, a note and a gift certificate", async () => {
  const { context, page, errors } = await newPage();
  await page.goto(STOREFRONT);
  await page.waitForSelector("body[data-ready=true]");
  const notebook = page.locator("form.product", { hasText: "Dot Grid Notebook" });
  await notebook.getByLabel(/quantity/).fill("2");
  await notebook.getByRole("button", { name: "Add to cart" }).click();
  await page.locator("li.line", { hasText: "Dot Grid Notebook" }).waitFor();
  assert.equal(await page.locator("#cart-tax").innerText(), "Calculated at checkout");

  await page.getByLabel("Country code").fill("US");
  await page.getByLabel("Postal code").fill("78701");
  await page.getByLabel(/E-mail \(needed/).fill("shopper@example.com");
  await page.getByRole("button", { name: "Estimate shipping" }).click();
  await page.locator("#shipping-destination", { hasText: "Shipping to 78701, US" }).waitFor();
  await page.locator("#cart-tax", { hasText: "$1.60" }).waitFor();
  await page.getByLabel(/Express shipping/).check();
  await page.locator("#cart-shipping", { hasText: "$15.00" }).waitFor();
  assert.equal(await page.locator("#cart-tax").innerText(), "$2.80");
  assert.equal(await page.locator("#cart-total").innerText(), "$37.78");

  await page.getByLabel("Note for your order").fill("Ring twice");
  await page.getByRole("button", { name: "Save note" }).click();
  await page.locator("#status", { hasText: "Note saved" }).waitFor();

  await page.getByLabel("Name on the certificate").fill("For Sam");
  await page.getByLabel("Amount").fill("30");
  await page.getByLabel("Your name").fill("Jane");
  await page.getByLabel("Your e-mail").fill("jane@example.com");
  await page.getByLabel("Recipient's name").fill("Sam");
  await page.getByLabel("Recipient's e-mail").fill("sam@example.com");
  await page.getByRole("button", { name: "Add the gift certificate" }).click();
  const certificate = page.locator("li.line", { hasText: "For Sam" });
  await certificate.waitFor();
  assert.equal(await certificate.locator("input").count(), 0, "its quantity cannot change");
  // A line change: the quote is no longer current, so shipping and tax are unknown again.
  await page.locator("#shipping-destination", { hasText: "estimate again" }).waitFor();
  assert.equal(await page.locator("#cart-shipping").innerText(), "Calculated at checkout");
  await screenshot(page, "storefront-shipping-note-gift");
  await certificate.getByRole("button", { name: "Remove" }).click();
  await certificate.waitFor({ state: "detached" });

  // The note survived the line changes.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await page.getByLabel("Note for your order").inputValue(), "Ring twice");

  assert.deepEqual(errors, [], "no errors in the browser console");
  await context.close();
});

test("a storefront on an origin that is not allowed gets no cart", async () => {
  const { context, page } = await newPage();

  await page.goto(FOREIGN_STOREFRONT);
  await page.waitForSelector("body[data-ready=error]");
  await screenshot(page, "foreign-origin-refused");

  assert.match(await page.locator("#status").innerText(), /Could not reach the cart service/);
  assert.equal(await page.locator("form.product").count(), 0);
  await context.close();
});
