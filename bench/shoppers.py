#!/usr/bin/env python3
"""The quota benchmark (bench/quota): shoppers at a shopper's pace against a store whose API
quota they would overrun, and its report. Standard library only.

  shoppers.py run BASE SHOPPERS SECONDS OUT
      SHOPPERS shoppers, each from an address of its own (X-Forwarded-For), run the standard
      journey over fresh sessions for SECONDS, about a second between steps; writes a JSON
      summary
  shoppers.py report RUN_JSON STATS_BEFORE STATS_AFTER METRICS_TXT ENV_JSON RESULTS_DIR
      writes RESULTS_DIR/quota-<timestamp>.md and .json, and RESULTS_DIR/quota-latest.md

The journey is bench/driver.py's: read, add 101, read, add 102, read, add 103, read, quantity of
101 -> 2, read, remove 102, checkout (5 reads, 3 adds, 1 quantity change, 1 remove, 1 checkout).
A step answered 503 with Retry-After (the service shedding it to keep the store's quota) is
tried again after that wait, as a storefront would; any other error ends the journey (counted
as failed). Journeys running when the time is up are finished (for at most DRAIN_SECONDS more),
so BigCommerce calls per completed journey are not inflated by half-done ones. Every checkout
attempt counts as a hand-off requested: served (200 with a URL), or busy (503 with Retry-After;
"in time" when answered within 1 s).
"""

import asyncio
import json
import os
import random
import sys
import time

from driver import COOKIE_NAME, Conn, line_id, session_cookie

PAUSE_SECONDS = (0.8, 1.2)   # between steps: "about a second"
DRAIN_SECONDS = 90           # the longest a journey may run on after the time is up
MAX_RETRY_WAIT = 35          # never sleep longer than one window (30 s) and a margin on a 503
IDLE_REOPEN_SECONDS = 3      # reopen a connection idle this long (the server's keep-alive is 5 s)
BUSY_IN_TIME_SECONDS = 1.0


class Shopper:
    """One shopper: an address, a keep-alive connection, and the counters it adds to."""

    def __init__(self, base, number, stats):
        self.base, self.stats = base, stats
        self.address = f"10.{64 + number // 65536}.{number // 256 % 256}.{number % 256}"
        self.conn, self.last_used = Conn(base), 0.0

    async def request(self, method, path, cookie, body=None):
        if time.monotonic() - self.last_used > IDLE_REOPEN_SECONDS:
            self.conn.close()
            self.conn = Conn(self.base)
        headers = {"X-Forwarded-For": self.address}
        if cookie:
            headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
        try:
            return await self.conn.request(method, path, headers, body)
        finally:
            self.last_used = time.monotonic()

    async def step(self, kind, method, path, cookie, body=None, give_up_at=None):
        """One step, tried again after each shed answer; returns (cookie, body)."""
        while True:
            started = time.monotonic()
            status, headers, data = await self.request(method, path, cookie, body)
            took = time.monotonic() - started
            count(self.stats["answers"], f"{kind} {status}")
            retry_after = dict(headers).get("retry-after")
            if kind == "checkout":
                self.note_checkout(status, retry_after, took, data)
            if status == 503 and retry_after is not None:
                wait = min(MAX_RETRY_WAIT, max(1.0, float(retry_after)))
                if give_up_at is not None and time.monotonic() + wait > give_up_at:
                    raise TimeoutError(f"{kind} still shed when the run ended")
                self.stats["retry_wait_s"] += wait
                await asyncio.sleep(wait + random.uniform(0, 0.5))
                continue
            if status >= 400:
                raise RuntimeError(f"{method} {path}: {status} {data[:200]!r}")
            return session_cookie(headers) or cookie, data

    def note_checkout(self, status, retry_after, took, data):
        checkout = self.stats["checkout"]
        checkout["requested"] += 1
        checkout["max_s"] = max(checkout["max_s"], took)
        if status == 200 and "url" in json.loads(data or b"{}"):
            checkout["served"] += 1
        elif status == 503 and retry_after is not None:
            checkout["busy"] += 1
            checkout["busy_in_time"] += took <= BUSY_IN_TIME_SECONDS
            checkout["busy_max_s"] = max(checkout["busy_max_s"], took)
        else:
            checkout["other"] += 1

    async def journey(self, give_up_at):
        async def pause():
            await asyncio.sleep(random.uniform(*PAUSE_SECONDS))

        def add(product):
            return {"line_items": [{"product_id": product, "quantity": 1}]}

        cookie = None
        steps = [
            ("read", "GET", "/api/cart", None),
            ("add", "POST", "/api/cart/items", add(101)),
            ("read", "GET", "/api/cart", None),
            ("add", "POST", "/api/cart/items", add(102)),
            ("read", "GET", "/api/cart", None),
            ("add", "POST", "/api/cart/items", add(103)),
            ("read", "GET", "/api/cart", None),
            ("quantity", "PATCH", "line:101", {"quantity": 2}),
            ("read", "GET", "/api/cart", None),
            ("remove", "DELETE", "line:102", None),
            ("checkout", "POST", "/api/cart/checkout?target=checkout", None),
        ]
        lines = {}
        for index, (kind, method, path, body) in enumerate(steps):
            if index:
                await pause()
            if path.startswith("line:"):
                path = f"/api/cart/items/{lines[int(path[5:])]}"
            cookie, data = await self.step(kind, method, path, cookie, body, give_up_at)
            if kind == "add":
                cart = json.loads(data)["cart"]
                for product in (101, 102):
                    lines[product] = line_id(cart, product) or lines.get(product)

    async def run(self, start_delay, deadline):
        await asyncio.sleep(start_delay)
        give_up_at = deadline + DRAIN_SECONDS
        while time.monotonic() < deadline:
            try:
                await self.journey(give_up_at)
                self.stats["journeys"] += 1
            except TimeoutError:
                self.stats["unfinished_journeys"] += 1
            except Exception as error:  # noqa: BLE001 - counted and reported
                self.stats["failed_journeys"] += 1
                if self.stats["failed_journeys"] <= 3:
                    print(f"journey failed: {error}", file=sys.stderr)
                self.conn.close()
                self.conn = Conn(self.base)
            await asyncio.sleep(random.uniform(*PAUSE_SECONDS))
        self.conn.close()


def count(counter, key):
    counter[key] = counter.get(key, 0) + 1


async def run(base, shoppers, seconds, out):
    stats = {"journeys": 0, "failed_journeys": 0, "unfinished_journeys": 0, "answers": {},
             "retry_wait_s": 0.0,
             "checkout": {"requested": 0, "served": 0, "busy": 0, "busy_in_time": 0,
                          "other": 0, "max_s": 0.0, "busy_max_s": 0.0}}
    started = time.monotonic()
    deadline = started + seconds
    # Starts spread over one journey's length, so the shoppers are not in step.
    spread = 11 * sum(PAUSE_SECONDS) / 2
    await asyncio.gather(*(Shopper(base, n, stats).run(spread * n / shoppers, deadline)
                           for n in range(shoppers)))
    stats.update(shoppers=shoppers, seconds=seconds, elapsed_s=time.monotonic() - started)
    with open(out, "w") as handle:
        json.dump(stats, handle)


# --- report ---------------------------------------------------------------------------------

def metric(text, name, **labels):
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        series_name, _, label_text = series.partition("{")
        if series_name != name:
            continue
        if all(f'{key}="{want}"' in label_text for key, want in labels.items()):
            total += float(value)
    return total


def verdict(ok):
    return "**met**" if ok else "**missed**"


def since(before, after):
    """The sandbox's counters of the run: `after` less `before`."""
    def less(key):
        return {k: v - before[key].get(k, 0) for k, v in after[key].items()
                if v - before[key].get(k, 0)}
    return {"total": after["total"] - before["total"], "by_route": less("by_route"),
            "by_status": less("by_status"), "rate_limit": after["rate_limit"]}


def report(run_path, before_path, after_path, metrics_path, env_path, results_dir):
    run = json.load(open(run_path))
    stats = since(json.load(open(before_path)), json.load(open(after_path)))
    metrics = open(metrics_path).read()
    env = json.load(open(env_path))
    limit = stats["rate_limit"]
    calls, journeys = stats["total"], run["journeys"]
    per_journey = calls / journeys if journeys else float("nan")
    rate_limited = stats["by_status"].get("429", 0)
    reserve = limit["quota"] - limit["peak_window_requests"]
    configured_reserve = metric(metrics, "bigcommerce_quota_reserve_requests")
    checkout = run["checkout"]
    window_s = limit["window_ms"] / 1000
    wanted = run["shoppers"] * 6 / (11 * sum(PAUSE_SECONDS) / 2 + sum(PAUSE_SECONDS) / 2)
    rows = [
        ("BigCommerce 429s received = 0", rate_limited == 0,
         f"{rate_limited} of {calls} calls"),
        ("every checkout hand-off served, or answered 503 with Retry-After within 1 s",
         checkout["other"] == 0 and checkout["busy"] == checkout["busy_in_time"],
         f"{checkout['requested']} requested: {checkout['served']} served, {checkout['busy']} "
         f"answered 503 with Retry-After ({checkout['busy_in_time']} within 1 s, slowest "
         f"{checkout['busy_max_s']:.2f} s), {checkout['other']} otherwise; slowest answer "
         f"{checkout['max_s']:.2f} s"),
        ("BigCommerce calls per completed journey = 6", abs(per_journey - 6) < 0.05,
         f"{calls} calls / {journeys} journeys = {per_journey:.3f} "
         f"({run['failed_journeys']} failed, {run['unfinished_journeys']} unfinished)"),
        (f"reserve kept for other apps ≥ {configured_reserve:.0f} (the service's reserve)",
         reserve >= configured_reserve,
         f"at least {reserve} of {limit['quota']} left in every window "
         f"(busiest: {limit['peak_window_requests']} requests; {limit['windows']} windows)"),
    ]
    shed = {c: metric(metrics, "bigcommerce_shed_total", **{"class": c})
            for c in ("refresh", "change", "checkout")}
    by_class = {c: metric(metrics, "bigcommerce_calls_by_class_total", **{"class": c})
                for c in ("refresh", "change", "checkout")}
    echoes = metric(metrics, "webhook_deliveries_total", result="already_known")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    lines = [
        f"# checkout-bff quota benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"{run['shoppers']} shoppers, each from its own address, ran the standard journey over "
        f"fresh sessions for {run['seconds']:.0f} s (finishing the journeys under way: "
        f"{run['elapsed_s']:.0f} s in all), about a second between steps: demand of about "
        f"{wanted:.1f} BigCommerce calls/s against a quota of {limit['quota']} per "
        f"{window_s:.0f} s ({limit['quota'] / window_s:.1f}/s), enforced by the sandbox, with "
        f"the service's webhooks registered. A step answered 503 with Retry-After was tried "
        f"again after that wait. Machine: {env['cpu']} ({env['cpus']} CPUs); commit "
        f"{env['commit']}{' (dirty)' if env['dirty'] else ''}.",
        "",
        "| goal | result | numbers |",
        "|---|---|---|",
        *(f"| {goal} | {verdict(ok)} | {numbers} |" for goal, ok, numbers in rows),
        "",
        "| | |",
        "|---|---|",
        f"| BigCommerce calls by route | "
        + ", ".join(f"{route} {n}" for route, n in sorted(stats["by_route"].items())) + " |",
        f"| calls by class (service) | "
        + ", ".join(f"{c} {n:.0f}" for c, n in by_class.items()) + " |",
        f"| shed by class (service) | " + ", ".join(f"{c} {n:.0f}" for c, n in shed.items())
        + " |",
        f"| webhook callbacks taken as our own echoes | {echoes:.0f} |",
        f"| answers by step and status | "
        + ", ".join(f"{k} {v}" for k, v in sorted(run["answers"].items())) + " |",
        f"| time shoppers spent waiting out Retry-After | {run['retry_wait_s']:.0f} s |",
        "",
    ]
    os.makedirs(results_dir, exist_ok=True)
    text = "\n".join(lines)
    for name in (f"quota-{stamp}.md", "quota-latest.md"):
        with open(os.path.join(results_dir, name), "w") as handle:
            handle.write(text)
    with open(os.path.join(results_dir, f"quota-{stamp}.json"), "w") as handle:
        json.dump({"run": run, "sandbox_stats": stats, "shed": shed, "calls_by_class": by_class,
                   "env": env}, handle, indent=1)
    print(text)


def main(argv):
    if len(argv) == 6 and argv[1] == "run":
        asyncio.run(run(argv[2], int(argv[3]), float(argv[4]), argv[5]))
    elif len(argv) == 8 and argv[1] == "report":
        report(*argv[2:8])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
