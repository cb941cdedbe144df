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
  await screenshot(page, "cart-added");

  // Change the quantity.
  const line = page.locator("li.line", { hasText: "Sandbox Mug" });
  await line.getByLabel("Quantity").fill("3");
  await line.getByRole("button", { name: "Update" }).click();
  await page.getByRole("status").filter({ hasText: "Quantity changed to 3." }).waitFor();
  assert.match(await page.locator(".totals").innerText(), /Items \(3\)/);
  await screenshot(page, "cart-quantity-changed");

  // Add a tote, then remove it again.
  const tote = page.locator("li.product", { hasText: "Canvas Tote Bag" });
  await tote.getByRole("button", { name: /Add to cart/ }).click();
  await page.locator("li.line", { hasText: "Canvas Tote Bag" }).waitFor();
  await page.locator("li.line", { hasText: "Canvas Tote Bag" }).getByRole("button", { name: /Remove/ }).click();
  await page.getByRole("status").filter({ hasText: "Removed the item." }).waitFor();
  assert.equal(await page.locator("li.line").count(), 1);
  await screenshot(page, "cart-line-removed");

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
  await page.locator("#cart-count", { hasText: "(4)" }).waitFor();
  await screenshot(page, "storefront-cart");

  // The session lives in an HttpOnly cookie of the service: scripts cannot read it.
  assert.equal(await page.evaluate(() => document.cookie.includes("session")), false);

  // A reload keeps the cart: the cookie went along with credentials: "include".
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.locator("#cart-count", { hasText: "(4)" }).waitFor();

  await page.getByRole("button", { name: "Check out" }).click();
  await page.waitForURL((url) => url.href.startsWith(SANDBOX) && url.href.includes("loadInCheckout"));
  await screenshot(page, "storefront-checkout");

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
