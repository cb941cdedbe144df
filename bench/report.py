#!/usr/bin/env python3
"""Writes the benchmark report from the JSON files bench/run collected. Standard library only.

  report.py OUT_DIR ENV_JSON DURATION RESULTS_DIR
      writes RESULTS_DIR/<timestamp>.md, .json and .svg, and RESULTS_DIR/latest.md
  report.py line RUN_JSON
      prints one summary line of one run (bench/run's progress output)
"""

import glob
import json
import math
import os
import sys
import time

MIB = 1024

PERCENTILES = ["1", "5", "10", "25", "50", "75", "90", "95", "99", "99.5", "99.9", "99.99", "100"]


def ms(us):
    return us / 1000


def pct(run, p):
    return run["latency_us"]["percentiles"][p]


def errors(run):
    e = run.get("errors", 0)
    return sum(e.values()) if isinstance(e, dict) else e


def line(run):
    text = (f"{run['name']:<20} c={run['connections']:<4} {run['rps']:>9.0f} req/s  "
            f"p50 {ms(pct(run, '50')):7.2f} ms  p99 {ms(pct(run, '99')):7.2f} ms  "
            f"max {ms(run['latency_us']['max']):7.1f} ms  errors {errors(run)}  "
            f"BigCommerce calls {run.get('bc_calls', '-')}")
    if "journeys" in run:
        text += (f"  journeys {run['journeys']} (failed {run['failed_journeys']}), "
                 f"{run['bc_calls'] / max(1, run['journeys']):.3f} calls per journey")
    if run.get("counters"):
        text += "  " + " ".join(f"{k}={v}" for k, v in run["counters"].items())
    return text


# --- chart --------------------------------------------------------------------------------

COLOURS = {"bff": "#d62728", "nginx": "#1f77b4", "sandbox": "#2ca02c"}


def svg_chart(panels):
    """Percentile curves, one panel per group: x = percentile on a 'nines' scale, y = log ms."""
    width, panel_h, left, right, top = 900, 300, 70, 230, 40
    height = top + len(panels) * (panel_h + 60)
    xs = [float(p) for p in PERCENTILES]

    def xpos(p):  # -log10(1 - p) with 100 drawn at 99.999
        nines = -math.log10(max(1e-5, 1 - min(p, 99.999) / 100))
        return left + nines / 5 * (width - left - right)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">'
           'checkout-bff latency distributions (log scale; 100 = max)</text>']
    for index, (title, runs) in enumerate(panels):
        y0 = top + index * (panel_h + 60) + 20
        values = [pct(r, p) for r in runs for p in PERCENTILES]
        lo = 10 ** math.floor(math.log10(max(1, min(values))))
        hi = 10 ** math.ceil(math.log10(max(values)))

        def ypos(us):
            span = math.log10(hi) - math.log10(lo)
            return y0 + panel_h - (math.log10(max(us, lo)) - math.log10(lo)) / span * panel_h

        out.append(f'<text x="{left}" y="{y0 - 6}" font-weight="bold">{title}</text>')
        out.append(f'<rect x="{left}" y="{y0}" width="{width - left - right}" height="{panel_h}" '
                   'fill="none" stroke="#999"/>')
        decade = lo
        while decade <= hi:
            for mult in (1, 2, 5):
                v = decade * mult
                if v > hi:
                    break
                y = ypos(v)
                out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                           f'stroke="#eee"/>')
                label = f"{v / 1000:g} ms"
                out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
            decade *= 10
        for p in ["50", "90", "99", "99.9", "99.99", "100"]:
            x = xpos(float(p))
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + panel_h}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{y0 + panel_h + 16}" text-anchor="middle">p{p}</text>')
        for n, run in enumerate(runs):
            system = run["name"].split("_")[1]
            colour = COLOURS.get(system, "#9467bd")
            dash = ' stroke-dasharray="6,3"' if run["connections"] >= 256 or "1m" in run["name"] else ""
            if run["connections"] == 1:
                dash = ' stroke-dasharray="2,2"'
            points = " ".join(f"{xpos(x):.1f},{ypos(pct(run, p)):.1f}" for x, p in zip(xs, PERCENTILES))
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            ly = y0 + 14 + n * 18
            out.append(f'<line x1="{width - right + 12}" x2="{width - right + 40}" y1="{ly - 4}" '
                       f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
            out.append(f'<text x="{width - right + 46}" y="{ly}">{run["name"]}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- report -------------------------------------------------------------------------------

def verdict(ok):
    return "**met**" if ok else "**missed**"


def report(out_dir, env_path, duration, results_dir):
    runs = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "*.json"))):
        name = os.path.basename(path)[:-5]
        if name in ("sweep", "journey_raw"):
            continue
        runs[name] = json.load(open(path))
    sweep = json.load(open(os.path.join(out_dir, "sweep.json")))
    env = json.load(open(env_path))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    peak_mib = env["peak_rss_kib"] / MIB

    # Rows of the main table, with ratios to the references at the same connection count.
    rows = []
    order = ["read_bff_c64", "read_nginx_c64", "read_sandbox_c64", "read_bff_c256",
             "read_nginx_c256", "read_sandbox_c256", "read_bff_c64_1m", "mut_bff_c1",
             "mut_sandbox_c1", "mut_bff_c64", "mut_sandbox_c64", "journey_bff_c64"]
    what = {"read": "GET cart", "mut": "mutation mix", "journey": "shopper journey"}
    for name in order:
        if name not in runs:
            continue
        run = runs[name]
        kind, system = name.split("_")[:2]
        c = run["connections"]
        refs = []
        for ref in ("nginx", "sandbox"):
            ref_name = f"{kind}_{ref}_c{c}"
            if system == "bff" and ref_name in runs:
                r = runs[ref_name]
                refs.append(f"{ref}: {run['rps'] / r['rps']:.2f}× rps, "
                            f"p50 {pct(run, '50') / pct(r, '50'):.2f}×, p99 {pct(run, '99') / pct(r, '99'):.2f}×")
        label = {"bff": "checkout-bff", "nginx": "nginx → sandbox", "sandbox": "sandbox direct"}[system]
        if name.endswith("_1m"):
            label += " (+1M sessions)"
        calls = run.get("bc_calls", "")
        if kind == "journey":
            calls = f"{calls} ({calls / max(1, run['journeys']):.2f}/journey)"
        rows.append(f"| {what[kind]} | {label} | {c} | {run['rps']:,.0f} | {ms(pct(run, '50')):.2f} | "
                    f"{ms(pct(run, '99')):.2f} | {ms(pct(run, '99.9')):.2f} | {ms(run['latency_us']['max']):.1f} | "
                    f"{errors(run)} | {calls} | {'; '.join(refs)} |")

    # Targets.
    targets = []
    read_ok = True
    read_detail = []
    for c in (64, 256):
        b, n = runs.get(f"read_bff_c{c}"), runs.get(f"read_nginx_c{c}")
        if not (b and n):
            continue
        ok = b["rps"] >= n["rps"] and pct(b, "99") <= pct(n, "99")
        read_ok &= ok
        read_detail.append(f"c={c}: {b['rps']:,.0f} vs {n['rps']:,.0f} req/s = {b['rps'] / n['rps']:.2f}×, "
                           f"p99 {ms(pct(b, '99')):.2f} vs {ms(pct(n, '99')):.2f} ms")
    targets.append(("`GET /api/cart` ≥ 1.0× nginx-proxied `GET /carts/{id}` throughput at ≤ its p99",
                    read_ok, "; ".join(read_detail)))
    mut_detail, mut_ok = [], None
    for c in (1, 64):
        b, s = runs.get(f"mut_bff_c{c}"), runs.get(f"mut_sandbox_c{c}")
        if not (b and s):
            continue
        added = ms(pct(b, "50") - pct(s, "50"))
        if c == 1:
            mut_ok = added <= 1.0
        mut_detail.append(f"c={c}: p50 {ms(pct(b, '50')):.2f} vs {ms(pct(s, '50')):.2f} ms = +{added:.2f} ms")
    targets.append(("mutations add ≤ 1 ms at p50 over the sandbox direct (judged at 1 connection, "
                    "i.e. without queueing)", bool(mut_ok), "; ".join(mut_detail)))
    j = runs.get("journey_bff_c64")
    if j:
        per = j["bc_calls"] / max(1, j["journeys"])
        targets.append(("BigCommerce calls per journey = 6 (3 adds + 1 quantity + 1 remove + 1 checkout)",
                        abs(per - 6) < 1e-9 and j["failed_journeys"] == 0,
                        f"{j['bc_calls']} calls / {j['journeys']} journeys = {per:.3f} "
                        f"({j['failed_journeys']} failed journeys); by route: "
                        + ", ".join(f"{k} {v}" for k, v in sorted(j["bc_stats"]["by_route"].items()))))
    targets.append(("peak RSS ≤ 64 MiB (runs went up to 256 connections)", peak_mib <= 64,
                    f"VmHWM {peak_mib:.1f} MiB at the end of the run"))
    base, big = runs.get("read_bff_c64"), runs.get("read_bff_c64_1m")
    if base and big:
        r50 = pct(big, "50") / pct(base, "50")
        r99 = pct(big, "99") / pct(base, "99")
        targets.append((f"`GET /api/cart` with {sweep['rows']:,} more sessions within 10% of the small table (p50)",
                        r50 <= 1.10,
                        f"p50 {ms(pct(big, '50')):.2f} vs {ms(pct(base, '50')):.2f} ms ({r50:.2f}×); "
                        f"p99 {ms(pct(big, '99')):.2f} vs {ms(pct(base, '99')):.2f} ms ({r99:.2f}×); "
                        f"{big['rps']:,.0f} vs {base['rps']:,.0f} req/s"))
    windows = sweep["windows"]
    during = [w for w in windows if w["end"] > sweep["expire_at"]
              and (sweep["done_at"] is None or w["start"] < sweep["done_at"])]
    before = [w for w in windows if w["end"] <= sweep["expire_at"]]
    max_during = max((w["latency_us"]["max"] for w in during), default=0)
    max_before = max((w["latency_us"]["max"] for w in before), default=0)
    p99_during = max((pct(w, "99") for w in during), default=0)
    p99_before = max((pct(w, "99") for w in before), default=0)
    sweep_s = (sweep["done_at"] - sweep["expire_at"]) if sweep["done_at"] else None
    sweep_text = (f"sweep took ≤ {sweep_s:.1f} s after the sessions expired" if sweep_s is not None
                  else f"sweep NOT finished when watching stopped ({sweep['remaining']:,} rows left)")
    targets.append((f"sweeping {sweep['rows']:,} expired sessions never blocks a request > 50 ms",
                    bool(during) and max_during <= 50_000 and sweep_s is not None,
                    f"max latency during the sweep {ms(max_during):.1f} ms (worst 1-s window p99 "
                    f"{ms(p99_during):.1f} ms) vs {ms(max_before):.1f} ms (p99 {ms(p99_before):.1f} ms) "
                    f"in the {len(before)} windows before; {sweep_text}; {len(during)} one-second windows "
                    "during the sweep"))

    md = [f"# checkout-bff benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
          f"Machine: {env['cpu']} ({env['cpus']} CPUs), Linux {env['kernel']}; {env['wrk']}; "
          f"{env['nginx']}; {env['postgres']}; {env['rustc']}; commit {env['commit']}"
          f"{' (with uncommitted changes)' if env['dirty'] else ''}. Load average (1/5/15 min) "
          f"{' '.join(env.get('loadavg_start', []))} when measuring began, {' '.join(env.get('loadavg_end', []))} "
          "at the end: other work on the machine competes for both cores when it is above ~1.", "",
          f"Each run: {duration} s of wrk (`-t1`) on CPU 0; the system under test on CPU 1 with its whole "
          "chain (checkout-bff with 1 worker + Postgres + bc-sandbox with 1 worker; nginx with 1 worker + "
          "the sandbox; the sandbox alone). Latencies in ms, as wrk measures them (closed loop).", "",
          "## Targets", "", "| target | result | numbers |", "|---|---|---|"]
    md += [f"| {t} | {verdict(ok)} | {detail} |" for t, ok, detail in targets]
    md += ["", "## Results", "",
           "| scenario | system | conns | req/s | p50 | p99 | p99.9 | max | errors | BigCommerce calls | ratio to references |",
           "|---|---|---|---|---|---|---|---|---|---|---|"] + rows
    md += ["", f"Peak RSS of checkout-bff (VmHWM at the end): **{peak_mib:.1f} MiB**.", "",
           f"Scale: {sweep['rows']:,} sessions inserted with one `INSERT ... SELECT generate_series` plus "
           f"`VACUUM ANALYZE` in {sweep['insert_s']} s; marking them expired (an `UPDATE` plus `VACUUM`) took "
           f"{sweep['mark_s']} s.", "",
           f"![latency distributions]({stamp}.svg)", ""]
    md_text = "\n".join(md) + "\n"

    os.makedirs(results_dir, exist_ok=True)
    panels = [("GET cart, 64 connections", [runs[n] for n in ("read_bff_c64", "read_nginx_c64",
                                                             "read_sandbox_c64", "read_bff_c64_1m") if n in runs]),
              ("GET cart, 256 connections", [runs[n] for n in ("read_bff_c256", "read_nginx_c256",
                                                              "read_sandbox_c256") if n in runs]),
              ("mutations and journey", [runs[n] for n in ("mut_bff_c1", "mut_sandbox_c1", "mut_bff_c64",
                                                           "mut_sandbox_c64", "journey_bff_c64") if n in runs])]
    with open(os.path.join(results_dir, f"{stamp}.svg"), "w") as f:
        f.write(svg_chart([p for p in panels if p[1]]))
    with open(os.path.join(results_dir, f"{stamp}.json"), "w") as f:
        json.dump({"timestamp": stamp, "duration_s": duration, "environment": env,
                   "targets": [{"target": t, "met": ok, "detail": d} for t, ok, d in targets],
                   "runs": runs, "sweep": sweep}, f, indent=1)
    with open(os.path.join(results_dir, f"{stamp}.md"), "w") as f:
        f.write(md_text)
    with open(os.path.join(results_dir, "latest.md"), "w") as f:
        f.write(md_text)
    print(md_text)
    print(f"written: {results_dir}/{stamp}.md .json .svg and latest.md", file=sys.stderr)


def main(argv):
    if len(argv) == 3 and argv[1] == "line":
        print(line(json.load(open(argv[2]))))
    elif len(argv) == 5:
        report(argv[1], argv[2], argv[3], argv[4])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
