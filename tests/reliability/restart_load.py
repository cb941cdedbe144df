"""Load for the Postgres-restart test: shoppers keep reading their carts and adding to them
while the database restarts. Standard library only.

  restart_load.py APP_URL SECONDS COOKIES_FILE OUT_JSON

Each line of COOKIES_FILE is one shopper's `Cookie` header value. Writes, for every request,
its status (0 when the connection failed) and duration, so the caller can check that the
outage was answered with fast 503s and nothing else went wrong.
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request


def call(url, cookie, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if body else "GET")
    request.add_header("Cookie", cookie)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        status = 0
    return status, time.monotonic() - started


def shopper(app, cookie, until, results, lock):
    n = 0
    while time.monotonic() < until:
        n += 1
        if n % 5 == 0:
            outcome = call(f"{app}/api/cart/items", cookie,
                           {"line_items": [{"product_id": 101, "quantity": 1}]})
            kind = "add"
        else:
            outcome = call(f"{app}/api/cart", cookie)
            kind = "read"
        with lock:
            results.append({"kind": kind, "status": outcome[0], "seconds": outcome[1],
                            "at": time.monotonic()})
        time.sleep(0.02)


def main():
    app, seconds, cookies_file, out = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    cookies = [line.strip() for line in open(cookies_file) if line.strip()]
    until = time.monotonic() + seconds
    results, lock = [], threading.Lock()
    threads = [threading.Thread(target=shopper, args=(app, c, until, results, lock)) for c in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump(results, open(out, "w"))


if __name__ == "__main__":
    main()
