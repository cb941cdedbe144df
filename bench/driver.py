#!/usr/bin/env python3
"""Helpers of bench/run that wrk cannot do: preparing sessions and carts, and the shopper journey.

Standard library only. Every address is given on the command line (bench/run passes loopback).

  driver.py sessions BASE COUNT OUT    service sessions, each with a cart holding one line
                                       (product 104); writes "cookie base_line_id" per line
  driver.py carts    BASE COUNT OUT    carts created directly in the sandbox, same shape;
                                       writes "cart_id base_line_id" per line
  driver.py journey  BASE CONNS SECONDS OUT
                                       the 11-step shopper journey over fresh sessions (below);
                                       writes a JSON summary shaped like bench/lua/common.lua's
  driver.py metric   BASE NAME         prints one counter of the service's GET /metrics

The journey, per fresh session (no cookie at first; the service issues one):
  read, add 101, read, add 102, read, add 103, read, quantity of 101 -> 2, read, remove 102,
  checkout  = 5 reads, 3 adds, 1 quantity change, 1 remove, 1 checkout.
Each connection runs one journey at a time, so every step knows the line ids its session got
from the previous answers. Journeys still running when the time is up are finished, and only
completed journeys are counted.
"""

import asyncio
import json
import re
import sys
import time
import urllib.parse

PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100]
SANDBOX_TOKEN = "sandbox-token"
COOKIE_NAME = "bff_session"


class Conn:
    """One HTTP/1.1 keep-alive connection."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method, path, headers=None, body=None):
        if self.writer is None:
            await self.open()
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        if body is not None:
            lines.append("Content-Type: application/json")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(payload)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        response_headers = []
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                response_headers.append((key.strip().lower(), value.strip()))
        lookup = dict(response_headers)
        if "content-length" in lookup:
            data = await self.reader.readexactly(int(lookup["content-length"]))
        elif lookup.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = b""
        if lookup.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, response_headers, data

    def close(self):
        if self.writer is not None:
            self.writer.close()


def session_cookie(headers):
    for key, value in headers:
        if key == "set-cookie":
            match = re.match(rf"{COOKIE_NAME}=([^;]*)", value)
            if match and match.group(1):
                return match.group(1)
    return None


def line_id(cart, product_id):
    """The id of the line holding product_id in a service cart or a sandbox cart."""
    if cart is None:
        return None
    items = cart.get("line_items")
    if isinstance(items, dict):  # BigCommerce: {physical_items: [...], digital_items: [...]}
        items = [item for group in items.values() for item in group]
    for item in items or []:
        if item.get("product_id") == product_id:
            return str(item["id"])
    return None


async def prepare(kind, base, count, out):
    """Creates `count` sessions (or sandbox carts) each holding one line of product 104."""
    results = []

    async def worker(share):
        conn = Conn(base)
        for _ in range(share):
            add = {"line_items": [{"product_id": 104, "quantity": 1}]}
            if kind == "sessions":
                status, headers, data = await conn.request("POST", "/api/cart/items", body=add)
                cookie, cart = session_cookie(headers), json.loads(data)["cart"]
                first = cookie
            else:
                status, headers, data = await conn.request(
                    "POST", "/stores/sandbox/v3/carts",
                    headers={"X-Auth-Token": SANDBOX_TOKEN}, body=add)
                cart = json.loads(data)["data"]
                first = cart["id"]
            if status >= 300 or not first:
                raise SystemExit(f"{kind}: unexpected answer {status}: {data[:300]!r}")
            results.append(f"{first} {line_id(cart, 104)}")
        conn.close()

    shares = [count // 8 + (1 if i < count % 8 else 0) for i in range(8)]
    await asyncio.gather(*(worker(share) for share in shares if share))
    with open(out, "w") as handle:
        handle.write("\n".join(results) + "\n")


def percentile_summary(latencies_us, duration_s, requests, errors):
    latencies_us.sort()
    n = len(latencies_us)

    def pct(p):
        if n == 0:
            return 0
        index = min(n - 1, max(0, int(round(p / 100 * n + 0.5)) - 1))
        return latencies_us[index]

    return {
        "duration_s": duration_s,
        "requests": requests,
        "rps": requests / duration_s if duration_s else 0,
        "errors": errors,
        "latency_us": {
            "min": latencies_us[0] if n else 0,
            "max": latencies_us[-1] if n else 0,
            "mean": sum(latencies_us) / n if n else 0,
            "percentiles": {str(p): pct(p) for p in PERCENTILES},
        },
    }


async def journey(base, conns, seconds, out):
    deadline = time.monotonic() + seconds
    latencies, stats = [], {"requests": 0, "errors": 0, "journeys": 0, "failed_journeys": 0}

    async def call(conn, cookie, method, path, body=None):
        headers = {"Cookie": f"{COOKIE_NAME}={cookie}"} if cookie else {}
        start = time.perf_counter_ns()
        status, response_headers, data = await conn.request(method, path, headers, body)
        latencies.append((time.perf_counter_ns() - start) // 1000)
        stats["requests"] += 1
        if status >= 400:
            stats["errors"] += 1
            raise RuntimeError(f"{method} {path}: {status} {data[:200]!r}")
        return status, session_cookie(response_headers) or cookie, data

    def add(product):
        return {"line_items": [{"product_id": product, "quantity": 1}]}

    async def one_journey(conn):
        cookie = None
        _, cookie, _ = await call(conn, cookie, "GET", "/api/cart")
        _, cookie, data = await call(conn, cookie, "POST", "/api/cart/items", add(101))
        line_101 = line_id(json.loads(data)["cart"], 101)
        _, cookie, _ = await call(conn, cookie, "GET", "/api/cart")
        _, cookie, data = await call(conn, cookie, "POST", "/api/cart/items", add(102))
        line_102 = line_id(json.loads(data)["cart"], 102)
        _, cookie, _ = await call(conn, cookie, "GET", "/api/cart")
        _, cookie, _ = await call(conn, cookie, "POST", "/api/cart/items", add(103))
        _, cookie, _ = await call(conn, cookie, "GET", "/api/cart")
        _, cookie, _ = await call(conn, cookie, "PATCH", f"/api/cart/items/{line_101}",
                                  {"quantity": 2})
        _, cookie, _ = await call(conn, cookie, "GET", "/api/cart")
        _, cookie, _ = await call(conn, cookie, "DELETE", f"/api/cart/items/{line_102}")
        _, cookie, data = await call(conn, cookie, "POST", "/api/cart/checkout?target=checkout")
        if "url" not in json.loads(data):
            raise RuntimeError(f"checkout without a url: {data[:200]!r}")

    async def worker():
        conn = Conn(base)
        while time.monotonic() < deadline:
            try:
                await one_journey(conn)
                stats["journeys"] += 1
            except Exception as error:  # noqa: BLE001 - counted and reported
                stats["failed_journeys"] += 1
                if stats["failed_journeys"] <= 3:
                    print(f"journey failed: {error}", file=sys.stderr)
                conn.close()
                conn = Conn(base)
        conn.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    elapsed = time.monotonic() - start
    summary = percentile_summary(latencies, elapsed, stats["requests"], stats["errors"])
    summary.update(journeys=stats["journeys"], failed_journeys=stats["failed_journeys"],
                   connections=conns)
    with open(out, "w") as handle:
        json.dump(summary, handle)


async def metric(base, name):
    conn = Conn(base)
    _, _, data = await conn.request("GET", "/metrics")
    conn.close()
    for line in data.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            print(line.rsplit(" ", 1)[1])
            return
    print(0)


def main(argv):
    command = argv[1]
    if command in ("sessions", "carts"):
        asyncio.run(prepare(command, argv[2], int(argv[3]), argv[4]))
    elif command == "journey":
        asyncio.run(journey(argv[2], int(argv[3]), float(argv[4]), argv[5]))
    elif command == "metric":
        asyncio.run(metric(argv[2], argv[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
