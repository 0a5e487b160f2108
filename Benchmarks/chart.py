#!/usr/bin/env python3
"""Summarises Benchmarks/run samples: prints the tables (Markdown) and draws the chart PNG.

  chart.py SAMPLES.tsv [--png FILE] [--markdown FILE] [--title TEXT]

Each sample line is: section, load, server, repetition, then space-separated key=value pairs.
Medians are taken over repetitions, shown with their min-max; ratios are mockmx's median over the
peer's median, with the range of the per-repetition ratios (runs were alternated, so repetition k of
every server ran under the same machine conditions).
"""
import argparse
import collections
import statistics
import sys

LOADS = [
    ("source", "smtp-source -s C 1 msg/conn"),
    ("source-d", "smtp-source -s C -d (reuse)"),
    ("lockstep", "smtpload lockstep, reuse"),
    ("pipeline", "smtpload PIPELINING, reuse"),
]
PEERS = ["smtp-sink", "aiosmtpd"]
COLORS = {"mockmx": "#1f77b4", "smtp-sink": "#ff7f0e", "aiosmtpd": "#2ca02c", "mockmx-rules50": "#9467bd"}


def parse(path):
    samples = collections.defaultdict(list)   # (section, load, server) -> [dict]
    header = []
    for line in open(path):
        if line.startswith("#"):
            header.append(line[1:].strip())
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 5:
            continue
        section, load, server, rep, kv = parts[:5]
        values = {"rep": int(rep)}
        for item in kv.split():
            if "=" in item:
                k, v = item.split("=", 1)
                try:
                    values[k] = float(v)
                except ValueError:
                    values[k] = v
        samples[(section, load, server)].append(values)
    return samples, header


def values(samples, key, field):
    return [s[field] for s in samples.get(key, []) if field in s and s.get("ok", 1) == 1]


def failures(samples, key):
    return sum(1 for s in samples.get(key, []) if s.get("ok", 1) != 1)


def fmt(x, digits=0):
    if x is None:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(x)
    return "{:,.{d}f}".format(x, d=digits)


def cell(vs, digits=0, fails=0):
    if not vs:
        return "failed" if fails else "–"
    med = statistics.median(vs)
    text = fmt(med, digits)
    if len(vs) > 1:
        text += " [%s–%s]" % (fmt(min(vs), digits), fmt(max(vs), digits))
    if fails:
        text += " (%d failed)" % fails
    return text


def paired_ratio(samples, a_key, b_key, field):
    a = {s["rep"]: s[field] for s in samples.get(a_key, []) if field in s and s.get("ok", 1) == 1}
    b = {s["rep"]: s[field] for s in samples.get(b_key, []) if field in s and s.get("ok", 1) == 1}
    if not a or not b:
        return "–"
    ratio = statistics.median(a.values()) / statistics.median(b.values()) if statistics.median(b.values()) else 0
    per = [a[r] / b[r] for r in a if r in b and b[r]]
    text = "%.2f×" % ratio
    if len(per) > 1:
        text += " [%.2f–%.2f]" % (min(per), max(per))
    return text


def table(rows, head):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def summarize(samples, header):
    servers = ["mockmx"] + [p for p in PEERS if any(k[2] == p for k in samples)]
    md = []
    if header:
        md.append("\n".join("    " + h for h in header))
    # throughput
    rows = []
    for load, label in LOADS:
        if not any((("throughput", load, s) in samples) for s in servers):
            continue
        r = [label] + [cell(values(samples, ("throughput", load, s), "msg_per_s"), 0,
                            failures(samples, ("throughput", load, s))) for s in servers]
        r += [paired_ratio(samples, ("throughput", load, "mockmx"), ("throughput", load, p), "msg_per_s")
              for p in servers[1:]]
        rows.append(r)
    if rows:
        md.append("**Throughput, msg/s** — median [min–max]; ratio = mockmx ÷ peer [range of per-repetition ratios]\n\n"
                  + table(rows, ["load"] + servers + ["mockmx ÷ " + p for p in servers[1:]]))
        rows = []
        for load, label in LOADS:
            r = [label] + [cell(values(samples, ("throughput", load, s), "cpu_us_per_msg"), 1) for s in servers]
            rows.append(r)
        md.append("**Server CPU per message, µs** (utime+stime of the server process over the run ÷ messages; "
                  "less sensitive to other load on the machine than wall-clock throughput)\n\n"
                  + table(rows, ["load"] + servers))
    # latency
    rows = []
    for s in servers:
        probe = ("throughput", "probe", s)
        lock = ("throughput", "lockstep", s)
        if probe not in samples and lock not in samples:
            continue
        rows.append([s,
                     cell(values(samples, probe, "cmd_p50_ms"), 3), cell(values(samples, probe, "cmd_p99_ms"), 3),
                     cell(values(samples, probe, "load_msg_per_s"), 0),
                     cell(values(samples, lock, "cmd_p50_ms"), 3), cell(values(samples, lock, "cmd_p99_ms"), 3)])
    if rows:
        md.append("**Per-command latency, ms** (write → complete reply, for MAIL, RCPT, DATA and the final dot). "
                  "*Probe*: one lockstep session timing every command while `smtp-source -d -s C` loads the "
                  "server; *50 lockstep sessions*: all sessions of one Python client timed, so it includes "
                  "the client's own queueing.\n\n"
                  + table(rows, ["server", "probe p50", "probe p99", "background load msg/s",
                                 "50 lockstep sessions p50", "50 lockstep sessions p99"]))
    # rules
    if ("rules", "pipeline", "mockmx") in samples or ("rules", "source-d", "mockmx") in samples:
        rows = []
        for load, label in LOADS:
            a, b = ("rules", load, "mockmx"), ("rules", load, "mockmx-rules50")
            if a not in samples:
                continue
            ratio = paired_ratio(samples, b, a, "msg_per_s")
            cpu_a = values(samples, a, "cpu_us_per_msg")
            cpu_b = values(samples, b, "cpu_us_per_msg")
            cpu_cost = ("%+.1f%%" % (100 * (statistics.median(cpu_b) / statistics.median(cpu_a) - 1))
                        if cpu_a and cpu_b else "–")
            rows.append([label, cell(values(samples, a, "msg_per_s")), cell(values(samples, b, "msg_per_s")), ratio,
                         cell(cpu_a, 1), cell(cpu_b, 1), cpu_cost])
        md.append("**Scenario engine: 50 rules that never fire vs the default persona** (mockmx only, alternated)\n\n"
                  + table(rows, ["load", "default msg/s", "50 rules msg/s", "50 rules ÷ default",
                                 "default CPU µs/msg", "50 rules CPU µs/msg", "CPU cost"]))
    # spool / API busy: variants of mockmx against the quiet default, alternated
    for section, variants, title in (
            ("spool", ["mockmx-spool", "mockmx-spool-sync", "mockmx-spool-tmpfs"],
             "**Spool: no spool vs `--spool DIR` and `--spool DIR --spool-sync` on disk, and `--spool` on tmpfs** "
             "(mockmx only, alternated)"),
            ("apibusy", ["mockmx-api", "mockmx-api-elsewhere"],
             "**Control API busy** (100 long-polls of `/api/v1/wait` and a client listing 50 messages in a loop, "
             "during the load) vs a quiet API (mockmx only, alternated); *elsewhere*: the same API load on "
             "another mockmx process, the SMTP load on the quiet one")):
        if not any(k[0] == section for k in samples):
            continue
        rows = []
        for load, label in LOADS:
            base = (section, load, "mockmx")
            if base not in samples:
                continue
            for v in variants:
                key = (section, load, v)
                cpu_a, cpu_b = values(samples, base, "cpu_us_per_msg"), values(samples, key, "cpu_us_per_msg")
                rows.append([label, v, cell(values(samples, base, "msg_per_s")),
                             cell(values(samples, key, "msg_per_s"), 0, failures(samples, key)),
                             paired_ratio(samples, key, base, "msg_per_s"), cell(cpu_a, 1), cell(cpu_b, 1),
                             cell(values(samples, key, "lists"), 0) if section == "apibusy" else "–",
                             cell(values(samples, key, "client_cpu_pct"), 0) if section == "apibusy" else "–"])
        md.append(title + "\n\n" + table(rows, ["load", "variant", "quiet msg/s", "variant msg/s",
                                               "variant ÷ quiet", "quiet CPU µs/msg", "variant CPU µs/msg",
                                               "API lists during the run", "API client's CPU, % of a core"]))
    if any(k[0] == "proxy" for k in samples):
        rows = []
        for load, label in LOADS:
            direct, proxied = ("proxy", load, "smtp-sink"), ("proxy", load, "mockmx-proxy")
            if direct not in samples:
                continue
            rows.append([label, cell(values(samples, direct, "msg_per_s")),
                         cell(values(samples, proxied, "msg_per_s"), 0, failures(samples, proxied)),
                         paired_ratio(samples, proxied, direct, "msg_per_s"),
                         cell(values(samples, proxied, "cpu_us_per_msg"), 1),
                         cell(values(samples, direct, "cpu_us_per_msg"), 1)])
        md.append("**Proxy mode**: mockmx in front of smtp-sink (`upstream:`) vs smtp-sink direct (alternated)\n\n"
                  + table(rows, ["load", "smtp-sink direct msg/s", "mockmx → smtp-sink msg/s", "ratio",
                                 "mockmx CPU µs/msg", "smtp-sink CPU µs/msg (direct)"]))
    if any(k[0] == "slowspool" for k in samples):
        rows = []
        for phase, label in (("idle", "idle host"), ("writing", "while 10 sessions' messages are written")):
            got = samples.get(("slowspool", phase, "mockmx-slowspool"), [])
            if got:
                v = got[-1]
                rows.append([label, fmt(v.get("noops")), fmt(v.get("noop_p50_ms"), 3), fmt(v.get("noop_p99_ms"), 3),
                             fmt(v.get("noop_max_ms"), 3)])
        md.append("**Slow spool** (every spool write delayed by the slowdisk shim): one session's NOOP round "
                  "trip, ms\n\n" + table(rows, ["probe", "NOOPs", "p50", "p99", "max"]))
    # sweep
    sizes = sorted({int(k[1]) for k in samples if k[0] == "sweep"})
    if sizes:
        rows = []
        for size in sizes:
            r = [human(size)] + [cell(values(samples, ("sweep", str(size), s), "mb_per_s"), 1,
                                      failures(samples, ("sweep", str(size), s))) for s in servers]
            r += [paired_ratio(samples, ("sweep", str(size), "mockmx"), ("sweep", str(size), p), "mb_per_s")
                  for p in servers[1:]]
            rows.append(r)
        md.append("**Message size sweep, MB/s of body** (smtpload PIPELINING, reuse) — median [min–max]\n\n"
                  + table(rows, ["body"] + servers + ["mockmx ÷ " + p for p in servers[1:]]))
    # hold / stall
    for section, title in (("hold", "**Held sessions past EHLO**"),
                           ("stall", "**Stalled sessions** (after MAIL FROM; CPU of the server over the window)")):
        keys = [k for k in samples if k[0] == section]
        if not keys:
            continue
        rows = []
        for k in sorted(keys, key=lambda k: (not k[2].startswith("mockmx"), k[2], k[1])):
            s = samples[k][-1]
            rows.append([k[2], k[1], fmt(s.get("n")), "%s / %s" % (fmt(s.get("greeted")), fmt(s.get("held"))),
                         fmt(s.get("closed_by_server")),
                         fmt(s.get("rss_before_kb")), fmt(s.get("rss_held_kb")), fmt(s.get("kb_per_conn"), 2)]
                        + ([fmt(s.get("cpu_ms")), fmt(s.get("window_secs"), 1), fmt(s.get("cpu_pct"), 2)]
                           if section == "stall" else []))
        head = ["server", "sessions", "n", "greeted / connected", "closed by server",
                "RSS before, KB", "RSS held, KB", "KB per session"]
        if section == "stall":
            head += ["CPU ms in window", "window s", "CPU %"]
        md.append(title + "\n\n" + table(rows, head))
    # profile
    keys = [k for k in samples if k[0] == "profile"]
    if keys:
        rows = [[k[1], k[2], fmt(samples[k][-1].get("ir_per_msg")), fmt(samples[k][-1].get("messages"))]
                for k in sorted(keys)]
        md.append("**callgrind, user-space instructions per message** (server process, warm-up excluded)\n\n"
                  + table(rows, ["run", "server", "Ir per message", "messages"]))
    # noise
    loads = [s.get("load1") for v in samples.values() for s in v if "load1" in s]
    spreads = []
    for k, v in samples.items():
        if k[0] not in ("throughput", "rules") or k[1] == "probe":
            continue
        xs = [s["msg_per_s"] for s in v if "msg_per_s" in s and s.get("ok", 1) == 1]
        if len(xs) > 1 and statistics.median(xs):
            spreads.append((max(xs) - min(xs)) / statistics.median(xs))
    if loads:
        md.append("Machine noise during this run: 1-minute load average %.2f–%.2f (median %.2f) on %s; "
                  "spread (max−min)/median of the repeated throughput runs of one load and server: median %.0f%%, "
                  "worst %.0f%%."
                  % (min(loads), max(loads), statistics.median(loads), "the 2 cores" if True else "",
                     100 * statistics.median(spreads) if spreads else 0, 100 * max(spreads) if spreads else 0))
    return "\n\n".join(md) + "\n"


def human(size):
    for unit, div in (("MB", 1000000), ("KB", 1000)):
        if size >= div:
            return "%g %s" % (size / div, unit)
    return "%d B" % size


def draw(samples, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("chart.py: matplotlib missing; no PNG", file=sys.stderr)
        return
    servers = ["mockmx"] + [p for p in PEERS if any(k[2] == p for k in samples)]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [4, 2.2, 1.8]})
    # throughput
    ax = axes[0]
    loads = [(l, label) for l, label in LOADS if any(("throughput", l, s) in samples for s in servers)]
    width = 0.8 / len(servers)
    for i, s in enumerate(servers):
        med, lo, hi = [], [], []
        for load, _ in loads:
            vs = values(samples, ("throughput", load, s), "msg_per_s")
            m = statistics.median(vs) if vs else 0
            med.append(m)
            lo.append(m - min(vs) if vs else 0)
            hi.append(max(vs) - m if vs else 0)
        xs = [j + (i - (len(servers) - 1) / 2) * width for j in range(len(loads))]
        bars = ax.bar(xs, med, width, yerr=[lo, hi], capsize=3, label=s, color=COLORS.get(s))
        for b, m, h in zip(bars, med, hi):
            ax.annotate("{:,.0f}".format(m), (b.get_x() + b.get_width() / 2, m + h),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(range(len(loads)))
    ax.set_xticklabels([label.replace(", ", "\n").replace(" -s C ", "\n") for _, label in loads], fontsize=8)
    ax.set_ylabel("messages / s (median, min–max)")
    ax.set_title("Throughput, 1 KB messages, 50 sessions")
    ax.legend(fontsize=8)
    ax.margins(y=0.2)
    # sweep
    ax = axes[1]
    sizes = sorted({int(k[1]) for k in samples if k[0] == "sweep"})
    for i, s in enumerate(servers):
        med = []
        for size in sizes:
            vs = values(samples, ("sweep", str(size), s), "mb_per_s")
            med.append(statistics.median(vs) if vs else 0)
        xs = [j + (i - (len(servers) - 1) / 2) * width for j in range(len(sizes))]
        ax.bar(xs, med, width, label=s, color=COLORS.get(s))
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([human(s) for s in sizes])
    ax.set_yscale("log")
    ax.set_ylabel("MB/s of message body (log)")
    ax.set_title("Message size sweep (PIPELINING)")
    ax.legend(fontsize=8)
    # held sessions
    ax = axes[2]
    keys = [("hold", "ehlo", s) for s in servers if ("hold", "ehlo", s) in samples]
    kb = [samples[k][-1].get("kb_per_conn", 0) for k in keys]
    bars = ax.bar([k[2] for k in keys], kb, color=[COLORS.get(k[2]) for k in keys])
    for b, v in zip(bars, kb):
        ax.annotate("%.1f" % v, (b.get_x() + b.get_width() / 2, b.get_height()), xytext=(0, 3),
                    textcoords="offset points", ha="center", fontsize=8)
    if kb:
        ax.set_yscale("log")
    n = samples[keys[0]][-1].get("n", 0) if keys else 0
    ax.set_title("RSS per held session (%s held)" % fmt(n))
    ax.set_ylabel("KB (log)")
    ax.tick_params(axis="x", labelsize=8)
    fig.suptitle("mockmx vs smtp-sink vs aiosmtpd on loopback — " + title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("chart: %s" % path, file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("samples")
    p.add_argument("--png")
    p.add_argument("--markdown")
    p.add_argument("--title", default="")
    a = p.parse_args()
    samples, header = parse(a.samples)
    text = summarize(samples, header)
    print(text)
    if a.markdown:
        open(a.markdown, "w").write(text)
    if a.png:
        draw(samples, a.png, a.title)


if __name__ == "__main__":
    main()
