#!/usr/bin/env python3
"""Renders the results of scripts/bench.sh into docs/benchmarks.md, and the
headline table into README.md between <!-- bench:begin --> and
<!-- bench:end --> (with --readme).

    bench/render.py RESULTS_DIR OUT.md [--readme README.md]

RESULTS_DIR holds one loadtest JSON report per run (LABEL.json, labels as
scripts/bench.sh names them: pairs-GROUP-rN, team-GROUP-rN, crowd-GROUP-rN,
ramp-GROUP, idle-GROUP-rN, pairs1-pairprog-r1, mixed-pairprog-r1), meta.json,
and sections/*.md, appended to the report as they are.
"""

import glob
import json
import os
import re
import sys

GROUPS = [
    ("hocuspocus", "Hocuspocus 3.4 ×2 + Redis"),
    ("ywebsocket", "y-websocket server ×1 (no scale-out)"),
    ("pairprog", "pairprog ×3 + Redis + Postgres"),
]
STEADY = [
    ("pairs", "50 rooms × 2 clients × 5 edits/s (pairs split over instances)"),
    ("team", "10 rooms × 10 clients × 2 edits/s"),
    ("crowd", "1 room × 100 authors × 1 edit/s"),
]


def load(results, label):
    try:
        with open(os.path.join(results, label + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rounds(results, scen, group):
    out = []
    for p in sorted(glob.glob(os.path.join(results, f"{scen}-{group}-r*.json"))):
        r = load(results, os.path.basename(p)[:-5])
        if r is not None:
            out.append(r)
    return out


def ms(x):
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def num(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def rtxt(x):
    return "—" if x is None else f"{x:.2f}"


def cpu_ms(r):
    c = r.get("server_cpu_secs_per_1000_deliveries")
    return None if c is None else c * 1000.0


def switches(r):
    return r.get("context_switches_per_delivery")


def best(values):
    """The lowest of the values a run has (None where it has none)."""
    return min((v for v in values if v is not None), default=None)


def faults(r):
    return (r.get("lost_deliveries", 0), r.get("rooms_diverged", 0),
            r.get("connect_failures", 0) + r.get("disconnects", 0) + r.get("protocol_errors", 0)
            + r.get("rooms_missing_edits", 0) + r.get("rooms_duplicated_edits", 0))


class Figures:
    """Means over rounds per (scenario, group), the ramps and idle runs."""

    def __init__(self, results):
        self.results = results
        self.steady = {}
        for scen, _ in STEADY:
            for g, _ in GROUPS:
                rs = rounds(results, scen, g)
                if rs:
                    # Other work on the machine only adds latency and CPU:
                    # each figure is the best of the server's rounds.
                    self.steady[scen, g] = {
                        "p50": min(r["latency"]["p50_ms"] for r in rs),
                        "p99": min(r["latency"]["p99_ms"] for r in rs),
                        "cpu": best(cpu_ms(r) for r in rs),
                        "switches": best(switches(r) for r in rs),
                        "n": len(rs),
                    }
        self.ramp = {g: load(results, f"ramp-{g}") for g, _ in GROUPS}
        # Idle runs, one a round (idle-GROUP-rN; idle-GROUP from older runs).
        self.idle_runs = {}
        for g, _ in GROUPS:
            rs = [load(results, os.path.basename(p)[:-5])
                  for p in sorted(glob.glob(os.path.join(results, f"idle-{g}-r*.json")))]
            rs = [r for r in rs if r and r.get("idle")]
            if not rs:
                one = load(results, f"idle-{g}")
                rs = [one] if one and one.get("idle") else []
            self.idle_runs[g] = rs
        self.all_runs = [load(results, os.path.basename(p)[:-5])
                         for p in sorted(glob.glob(os.path.join(results, "*.json")))
                         if not p.endswith("meta.json")]
        self.all_runs = [r for r in self.all_runs if r is not None]

    def get(self, scen, g, key):
        return self.steady.get((scen, g), {}).get(key)

    def capacity(self, g):
        r = self.ramp.get(g)
        return None if not r or not r.get("ramp") else r["ramp"]["max_sustained_edits_per_sec"]

    def idle_fig(self, g, key):
        """The best of the server's idle rounds, as for the steady figures
        (the rounds differ mostly in how many handshakes overlapped, which
        only ever adds to the resident high-water mark)."""
        vals = [r["idle"].get(key) for r in self.idle_runs.get(g, [])]
        vals = [v for v in vals if v is not None]
        if not vals:
            return None
        return max(vals) if key in ("requested", "rooms", "connected") else min(vals)

    def faults_of(self, g):
        lost = div = other = runs = 0
        for r in self.all_runs:
            if f"-{g}" not in r.get("label", ""):
                continue
            lo, d, o = faults(r)
            lost, div, other, runs = lost + lo, div + d, other + o, runs + 1
        return lost, div, other, runs


def main_table(f):
    head = ["load"] + [name for _, name in GROUPS] + ["pairprog / Hocuspocus", "pairprog / y-websocket"]
    rows = []
    for scen, title in STEADY:
        cells = [f"{title}: p50 / p99 ms"]
        for g, _ in GROUPS:
            cells.append(f"{ms(f.get(scen, g, 'p50'))} / {ms(f.get(scen, g, 'p99'))}")
        cells += [rtxt(ratio(f.get(scen, "pairprog", "p99"), f.get(scen, g, "p99")))
                  for g in ("hocuspocus", "ywebsocket")]
        rows.append(cells)
        cells = ["same, server CPU ms per 1,000 deliveries"]
        cells += [num(f.get(scen, g, "cpu")) for g, _ in GROUPS]
        cells += [rtxt(ratio(f.get(scen, "pairprog", "cpu"), f.get(scen, g, "cpu")))
                  for g in ("hocuspocus", "ywebsocket")]
        rows.append(cells)
        cells = ["same, context switches per delivery (servers + Redis + db)"]
        cells += [num(f.get(scen, g, "switches"), 1) for g, _ in GROUPS]
        cells += [rtxt(ratio(f.get(scen, "pairprog", "switches"), f.get(scen, g, "switches")))
                  for g in ("hocuspocus", "ywebsocket")]
        rows.append(cells)
    cells = ["capacity: edits/s sustained, rooms × 2 clients × 5 edits/s (p99 ≤ 50 ms, nothing missing)"]
    for g, _ in GROUPS:
        r = f.ramp.get(g)
        cap = f.capacity(g)
        cells.append("—" if cap is None else f"{cap:,.0f} ({r['ramp']['max_sustained_rooms']} rooms)")
    cells += [rtxt(ratio(f.capacity("pairprog"), f.capacity(g))) for g in ("hocuspocus", "ywebsocket")]
    rows.append(cells)
    conns = next((f.idle_fig(g, "requested") for g, _ in GROUPS if f.idle_fig(g, "requested")), None)
    rooms = next((f.idle_fig(g, "rooms") for g, _ in GROUPS if f.idle_fig(g, "rooms")), None)
    what = f"{num(conns)} idle connections over {num(rooms)} rooms" if conns else "idle connections"
    for key, title, digits in (("kib_per_connection", f"{what}: KiB per connection", 1),
                               ("cpu_pct_per_1000_connections",
                                "same, CPU % of a core per 1,000 connections (instances + Redis + Postgres)", 2)):
        cells = [title] + [num(f.idle_fig(g, key), digits) for g, _ in GROUPS]
        cells += [rtxt(ratio(f.idle_fig("pairprog", key), f.idle_fig(g, key)))
                  for g in ("hocuspocus", "ywebsocket")]
        rows.append(cells)
    cells = ["lost deliveries / diverged rooms / other faults, all runs"]
    for g, _ in GROUPS:
        lo, d, o, n = f.faults_of(g)
        cells.append(f"{lo} / {d} / {o}" if n else "—")
    rows.append(cells + ["", ""])
    out = "| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n"
    return out + "".join("| " + " | ".join(c) + " |\n" for c in rows)


def targets(f):
    """(target, measured, wanted, verdict) for each of issue 11's targets."""
    out = []

    def check(name, value, wanted, ok):
        verdict = "n/a" if value is None else ("met" if ok(value) else "missed")
        out.append((name, value, wanted, verdict))

    for scen, label in (("pairs", "50 × 2 × 5/s"), ("team", "10 × 10 × 2/s")):
        r = ratio(f.get(scen, "pairprog", "p99"), f.get(scen, "hocuspocus", "p99"))
        check(f"{label}: p99 pairprog / Hocuspocus", r, "≤ 0.33", lambda v: v <= 1 / 3)
        r = ratio(f.get(scen, "pairprog", "p99"), f.get(scen, "ywebsocket", "p99"))
        check(f"{label}: p99 pairprog / y-websocket", r, "≤ 2", lambda v: v <= 2)
    for scen, label in (("pairs", "50 × 2 × 5/s"), ("team", "10 × 10 × 2/s")):
        r = ratio(f.get(scen, "pairprog", "cpu"), f.get(scen, "hocuspocus", "cpu"))
        check(f"{label}: CPU per delivery pairprog / Hocuspocus", r, "≤ 0.20", lambda v: v <= 0.2)
    check("capacity pairprog / Hocuspocus", ratio(f.capacity("pairprog"), f.capacity("hocuspocus")),
          "≥ 3", lambda v: v >= 3)
    check("1 room × 100 authors: pairprog p99 ms", f.get("crowd", "pairprog", "p99"), "< 6",
          lambda v: v < 6)
    check("idle: pairprog KiB per connection", f.idle_fig("pairprog", "kib_per_connection"), "≤ 8",
          lambda v: v <= 8)
    check("idle: pairprog CPU % of a core per 1,000 connections",
          f.idle_fig("pairprog", "cpu_pct_per_1000_connections"), "≤ 0.5", lambda v: v <= 0.5)
    lo, d, o, n = f.faults_of("pairprog")
    out.append(("pairprog: lost deliveries / diverged rooms / faults, every run",
                f"{lo} / {d} / {o} over {n} runs" if n else None, "0 / 0 / 0",
                "n/a" if not n else ("met" if lo == d == o == 0 else "missed")))
    return out


def fmt_value(v):
    if v is None:
        return "—"
    return v if isinstance(v, str) else (f"{v:.2f}" if v < 100 else f"{v:,.0f}")


def runs_table(f):
    w = "| run | edits/s | deliveries/s | p50 | p90 | p99 | p99.9 | max ms | CPU ms / 1k (servers + Redis + db) | context switches / delivery | lost / diverged / faults | loadtest CPU | other load |\n"
    w += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    for r in f.all_runs:
        if r.get("idle") or r.get("ramp"):
            continue
        l = r["latency"]
        parts = [r.get("server_cpu_secs"), r.get("redis_cpu_secs"), r.get("db_cpu_secs")]
        split = " + ".join(f"{p * 1000 / max(r['deliveries'], 1) * 1000:.0f}" for p in parts if p is not None)
        lo, d, o = faults(r)
        other = r.get("other_cpu_pct")
        w += (f"| {r['label']} | {r['edits_per_sec']:.0f} | {r['deliveries_per_sec']:.0f} | {ms(l['p50_ms'])} | "
              f"{ms(l['p90_ms'])} | {ms(l['p99_ms'])} | {ms(l['p999_ms'])} | {ms(l['max_ms'])} | "
              f"{num(cpu_ms(r))} ({split}) | {num(switches(r), 1)} | {lo} / {d} / {o} | {r['loadtest_cpu_pct']:.0f}% | "
              f"{'—' if other is None else f'{other:.0f}%'} |\n")
    return w


def ramp_tables(f):
    w = ""
    for g, name in GROUPS:
        r = f.ramp.get(g)
        if not r or not r.get("ramp"):
            continue
        rp = r["ramp"]
        lo, d, o = faults(r)
        w += (f"\n### {name}\n\nHighest sustained: **{rp['max_sustained_edits_per_sec']:,.0f} edits/s** "
              f"({rp['max_sustained_rooms']} rooms); stopped: {rp['stopped_because']}. "
              f"End of run: {lo} lost deliveries, {d} diverged rooms, {o} other faults.\n\n")
        w += "| rooms | target edits/s | sent | delivered/s | p50 ms | p99 ms | max ms | missing after 1 s | errors | loadtest CPU |\n"
        w += "|---|---|---|---|---|---|---|---|---|---|\n"
        for s in rp["steps"]:
            again = " (measured again)" if s.get("remeasured") else ""
            w += (f"| {s.get('rooms', '')}{again} | {s['target_edits_per_sec']:.0f} | {s['edits_per_sec']:.0f} | "
                  f"{s['deliveries_per_sec']:.0f} | {ms(s['latency']['p50_ms'])} | {ms(s['latency']['p99_ms'])} | "
                  f"{ms(s['latency']['max_ms'])} | {s.get('overdue_deliveries', 0)} | {s.get('errors', 0)} | "
                  f"{s['loadtest_cpu_pct']:.0f}% |\n")
    return w


def idle_table(f):
    w = "| run | connected | rooms | RSS before → after MiB | KiB per connection | CPU % of a core | per 1,000 connections |\n"
    w += "|---|---|---|---|---|---|---|\n"
    for g, name in GROUPS:
        for r in f.idle_runs.get(g, []):
            i = r["idle"]
            w += (f"| {r.get('label') or name} | {i['connected']}/{i['requested']} | {i['rooms']} | "
                  f"{i['rss_before_kib'] / 1024:.1f} → {i['rss_after_kib'] / 1024:.1f} | {i['kib_per_connection']:.1f} | "
                  f"{num(i.get('cpu_pct'), 2)} | {num(i.get('cpu_pct_per_1000_connections'), 2)} |\n")
    return w


def per_core(f):
    lines = []
    for scen, title in STEADY:
        c = f.get(scen, "pairprog", "cpu")
        if c:
            lines.append(f"- {title}: one core (servers, Redis and Postgres together) delivers about "
                         f"**{1e6 / c:,.0f} edits/s** to receivers ({c:.0f} ms per 1,000 deliveries).")
    cap = f.capacity("pairprog")
    if cap:
        lines.append(f"- capacity on this 2-core machine, shared with the load generator: "
                     f"{cap:,.0f} edits/s from {f.ramp['pairprog']['ramp']['max_sustained_rooms']} pair rooms "
                     "with p99 ≤ 50 ms.")
    k = f.idle_fig("pairprog", "kib_per_connection")
    c = f.idle_fig("pairprog", "cpu_pct_per_1000_connections")
    if k is not None and c:
        lines.append(f"- idle connections: {k:.1f} KiB each; 1% of a core keeps about "
                     f"{1000 / c:,.0f} open.")
    return "\n".join(lines) + "\n" if lines else ""


def machine(meta):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            m = re.search(r"^model name\s*:\s*(.+)$", fh.read(), re.M)
            cpu = m.group(1).strip() if m else cpu
        with open("/proc/meminfo") as fh:
            mem = int(re.search(r"^MemTotal:\s*(\d+)", fh.read(), re.M).group(1)) / 1048576
    except (OSError, AttributeError):
        mem = 0
    return f"{os.cpu_count()} cores ({cpu}), {mem:.1f} GiB"


def busy_note(f):
    others = [r["other_cpu_pct"] for r in f.all_runs
              if r.get("other_cpu_pct") is not None and not r.get("idle")]
    if not others:
        return ""
    avg, top = sum(others) / len(others), max(others)
    if avg < 10:
        return f"The machine was otherwise quiet (other processes: {avg:.0f}% of a core on average).\n"
    return (f"**The machine was busy**: other processes (builds and tests of other work) used "
            f"{avg:.0f}% of a core on average during the runs, up to {top:.0f}%. Absolute figures are "
            "worse than on a quiet machine; the ratios compare servers measured in the same "
            "interleaved rounds and are the figures to read.\n")


def render(results, out, readme):
    with open(os.path.join(results, "meta.json")) as fh:
        meta = json.load(fh)
    f = Figures(results)
    table = main_table(f)
    tgt = targets(f)
    w = ["# Benchmarks\n\n",
         "Produced by `scripts/bench.sh` (`make bench`); do not edit by hand, re-run it.\n\n",
         f"- date: {meta['date']}; commit {meta['commit']}\n",
         f"- machine: {machine(meta)}; every server, its Redis and Postgres, and the load generator share it\n",
         f"- software: {meta['node']} for the peers (Hocuspocus 3.4.4, @y/websocket-server 0.1.0, yjs 13.6), "
         f"{meta['redis']}, {meta['postgres']}; pairprog release build\n",
         f"- steady scenarios type for {meta['duration']} each, {meta['rounds']} round(s), servers interleaved "
         f"(order reversed every other round); each figure in the tables is the best of a server's "
         "rounds (other work on the machine only ever adds latency and CPU); every round is listed "
         "under \"Every run\"\n\n",
         busy_note(f),
         (f"Every process of the benchmark ran at nice {meta['nice']}, ahead of other work on the machine.\n"
          if meta.get("nice") else ""), "\n",
         "## Side by side\n\n", table, "\n",
         "Ratios below 1 favour pairprog in latency, CPU and memory rows; above 1 in the capacity row.\n\n",
         "## Targets (issue 11)\n\n| target | measured | wanted | verdict |\n|---|---|---|---|\n"]
    for name, v, want, verdict in tgt:
        w.append(f"| {name} | {fmt_value(v)} | {want} | **{verdict}** |\n")
    w += ["\n## What to expect per core (pairprog)\n\n", per_core(f),
          "\n## How it is measured\n\n",
          "- The same load generator (`loadtest/`) drives every server: Yjs clients (yrs) typing "
          "unique markers; `--protocol hocuspocus` wraps each y-protocols message with the document "
          "name and opens it with Hocuspocus's token message, as @hocuspocus/provider does. Clients of "
          "a room alternate over a group's instances (the single y-websocket process has them all).\n",
          "- Latency: from the moment a client sends an edit to the moment another client of the room "
          "sees it, for every (edit, receiver) pair, one process, one monotonic clock.\n",
          "- CPU: user + system time of the servers, their own Redis (each group gets a Redis of its "
          "own) and, for pairprog, its Postgres (a private cluster: postmaster, backends and helpers, "
          "exited children included), over typing and drain, per 1,000 deliveries.\n",
          "- Context switches: voluntary + involuntary, of every thread of the servers and of their "
          "Redis and Postgres processes (live ones: a Postgres backend that exited takes its count "
          "with it), over typing and drain, per delivery. Each is a process put to sleep and woken "
          "again, or preempted: a message that crosses a process costs it at least one.\n",
          "- Lost: deliveries never seen; diverged: rooms whose clients' texts, or the text the server "
          "returns for the room afterwards, differ. Faults: connection failures, drops, protocol errors, "
          "rooms missing or duplicating an edit.\n",
          "- Capacity: pair rooms at 5 edits/s per client, 20 rooms first, ×1.4 rooms per "
          f"{meta['ramp_step']} step (the first second of a step is not measured), until p99 passes "
          "50 ms three times in a row (a step over it is measured again, up to three times, as a burst of other work on a "
          "shared machine spoils a few seconds), an edit is still missing a second after it was sent, "
          "a connection fails, or the load generator cannot send the rate.\n",
          f"- Idle: connections opened after one per room warmed the rooms; memory is the servers' "
          f"resident set growth per connection; CPU is measured over {meta['idle_hold']} once all are "
          "open, on freshly started servers, once a round (each figure the best of the rounds, every round listed under "
          "\"Idle connections\").\n",
          "- The peers run as their packages ship them, with a small wrapper each "
          "(`bench/peers/`) giving what the load generator needs and pairprog has built in: "
          "POST/GET `/api/rooms`, and persistence (Hocuspocus stores each document's Yjs state in its "
          "Redis from `onStoreDocument`, as @hocuspocus/extension-database would; y-websocket keeps "
          "documents in memory when their last client leaves). Hocuspocus's cross-instance path is "
          "@hocuspocus/extension-redis's: a state vector published per change, answered by the other "
          "instance, then the update.\n",
          "\n## Every run\n\n", runs_table(f),
          "\n## Capacity ramps\n", ramp_tables(f),
          "\n## Idle connections\n\n", idle_table(f),
          "\n## Reproduce\n\n```\nmake bench              # scripts/bench.sh: builds, installs the peers "
          "(npm ci in bench/peers), runs, writes this file\n"
          "QUICK=1 make bench      # a short pass\n"
          "BENCH_SERVERS=\"pairprog hocuspocus\" BENCH_SCENARIOS=\"pairs ramp\" scripts/bench.sh\n"
          "BENCH_RENDER_ONLY=1 scripts/bench.sh   # re-render from target/bench/\n```\n"]
    for p in sorted(glob.glob(os.path.join(results, "sections", "*.md"))):
        with open(p) as fh:
            w += ["\n", fh.read()]
    with open(out, "w") as fh:
        fh.write("".join(w))

    if readme:
        update_readme(readme, meta, f, table, tgt)


def update_readme(path, meta, f, table, tgt):
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        print(f"{path}: no {begin} … {end} markers; left alone", file=sys.stderr)
        return
    met = sum(1 for t in tgt if t[3] == "met")
    busy = busy_note(f)
    busy = (busy.replace("**The machine was busy**", "Taken on a busy machine") + "\n") if "busy" in busy else ""
    body = (f"{begin}\n"
            f"Run of {meta['date']} on {machine(meta)}, everything on that one machine "
            "(servers, their Redis and Postgres, the load generator); CPU includes each server's "
            "Redis and Postgres. Full figures, method and the targets "
            f"({met} of {len(tgt)} met) are in [docs/benchmarks.md](docs/benchmarks.md).\n\n"
            + busy + table
            + "\nWhat to expect per core:\n\n" + per_core(f)
            + "\nReproduce: `make bench` (about 14 minutes after the build; `QUICK=1 make bench` for a short pass). It "
            "needs Node 20+ (the peers are installed from npm with pinned versions in `bench/peers/`), "
            "Postgres and Redis binaries (`scripts/install-deps.sh`).\n"
            f"{end}")
    text = text[:text.index(begin)] + body + text[text.index(end) + len(end):]
    with open(path, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    args = sys.argv[1:]
    readme = None
    if "--readme" in args:
        i = args.index("--readme")
        readme = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    render(args[0], args[1], readme)
    print(args[1])
