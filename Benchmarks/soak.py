#!/usr/bin/env python3
"""A long run stays flat: mockmx receives big and small messages for several minutes while its resident
memory (VmRSS) and the retained bytes it reports in /metrics are sampled every second.

  soak.py --mockmx PATH [--secs 180] [--big 5000000] [--small 1024] [--out DIR] [--png FILE] [--markdown FILE]
          [-- extra mockmx serve arguments, e.g. --retain-message-bytes 64MiB]

Two loads run side by side, each a loop of `smtpload.py load` runs (PIPELINING, bounded in count and time):
big messages over 2 sessions, and small ones over 20 sessions with a new session every 10 messages, so
transcripts pile up too. Loopback only. mockmx runs with its default budgets (256 MiB of message content,
64 MiB of transcripts) unless extra arguments say otherwise. Every process started here is stopped on exit.

Writes DIR/soak.tsv (one line per second: secs rss_bytes messages dropped retained_bytes transcript_bytes
sessions sessions_dropped), prints a Markdown summary (also to --markdown) and draws the chart (--png).
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20


def size(text):
    """A size as mockmx reads it: digits and an optional K/KiB, M/MiB, G/GiB (powers of 1024) or B."""
    digits = text.rstrip("KkMmGgIiBb")
    unit = text[len(digits):].lower().removesuffix("ib").removesuffix("b")
    return int(digits) << {"": 0, "k": 10, "m": 20, "g": 30}[unit]


def resident_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return -1


def metrics(url):
    values = {}
    with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line and not line.startswith("#") and "{" not in line:
                name, value = line.split()
                values[name] = int(float(value))
    return values


def load_loop(target, stop, args, totals, lock):
    """Runs smtpload.py runs back to back until `stop` is set; counts what they sent."""
    while not stop.is_set():
        run = subprocess.run(
            [sys.executable, os.path.join(HERE, "smtpload.py"), "load", target, "--pipeline", "--no-latency",
             "--timeout", "120"] + args,
            capture_output=True, text=True)
        fields = dict(item.split("=", 1) for item in run.stdout.split() if "=" in item)
        with lock:
            totals["sent"] += int(fields.get("sent", 0))
            totals["failed"] += int(fields.get("failed", 0))
            totals["runs"] += 1


def draw(samples, path, title, budgets):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    secs = [s["secs"] for s in samples]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(secs, [s["rss"] / MIB for s in samples], label="mockmx RSS", color="#1f77b4", linewidth=2)
    ax.plot(secs, [s["retained"] / MIB for s in samples], label="message bytes retained", color="#ff7f0e")
    ax.plot(secs, [s["transcripts"] / MIB for s in samples], label="transcript bytes retained", color="#2ca02c")
    ax.axhline(budgets / MIB, color="#d62728", linestyle="--", linewidth=1, label="sum of the two budgets")
    ax.set_xlabel("seconds")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mockmx", required=True)
    parser.add_argument("--secs", type=float, default=180)
    parser.add_argument("--big", type=int, default=5_000_000, help="body bytes of a big message")
    parser.add_argument("--small", type=int, default=1024, help="body bytes of a small message")
    parser.add_argument("--out", default=tempfile.mkdtemp(prefix="mockmx-soak-"))
    parser.add_argument("--png")
    parser.add_argument("--markdown")
    parser.add_argument("serve", nargs="*", help="extra `mockmx serve` arguments (after --)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    message_budget, transcript_budget = 256 * MIB, 64 * MIB
    for flag, value in zip(args.serve, args.serve[1:]):
        if flag == "--retain-message-bytes":
            message_budget = size(value)
        if flag == "--retain-transcript-bytes":
            transcript_budget = size(value)

    ready = os.path.join(args.out, "ready.json")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOCKMX_")}
    server = subprocess.Popen(
        [args.mockmx, "serve", "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--ready-file", ready,
         "--grace", "1"] + args.serve,
        stdout=subprocess.PIPE, stderr=open(os.path.join(args.out, "mockmx.err"), "w"), env=environment, text=True)
    stop = threading.Event()
    threads = []
    try:
        # The first line is printed once the ready file is written: no polling.
        first = server.stdout.readline()
        if not first.startswith("mockmx: listening on"):
            sys.exit(f"soak.py: mockmx did not start: {first!r}")
        document = json.load(open(ready))
        target = f"127.0.0.1:{document['smtp'][0]['port']}"
        api = f"http://127.0.0.1:{document['api']['port']}"
        threading.Thread(target=server.stdout.read, daemon=True).start()

        idle = resident_bytes(server.pid)
        lock = threading.Lock()
        loads = {
            "big": ({"sent": 0, "failed": 0, "runs": 0}, ["-s", "2", "-m", "20", "-l", str(args.big)]),
            "small": ({"sent": 0, "failed": 0, "runs": 0},
                      ["-s", "20", "-m", "20000", "-l", str(args.small), "--per-conn", "10"]),
        }
        for totals, load_args in loads.values():
            thread = threading.Thread(target=load_loop, args=(target, stop, load_args, totals, lock))
            thread.start()
            threads.append(thread)

        samples = []
        started = time.monotonic()
        with open(os.path.join(args.out, "soak.tsv"), "w") as tsv:
            tsv.write("secs\trss_bytes\tmessages\tdropped\tretained_bytes\ttranscript_bytes\tsessions\t"
                      "sessions_dropped\n")
            while (elapsed := time.monotonic() - started) < args.secs:
                values = metrics(api)
                sample = {
                    "secs": round(elapsed, 1), "rss": resident_bytes(server.pid),
                    "messages": values.get("mockmx_messages_total", 0),
                    "dropped": values.get("mockmx_messages_dropped_total", 0),
                    "retained": values.get("mockmx_messages_retained_bytes", 0),
                    "transcripts": values.get("mockmx_transcripts_retained_bytes", 0),
                    "sessions": values.get("mockmx_sessions_total", 0),
                    "sessions_dropped": values.get("mockmx_sessions_dropped_total", 0),
                }
                samples.append(sample)
                tsv.write("\t".join(str(v) for v in sample.values()) + "\n")
                tsv.flush()
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started - elapsed)))
        stop.set()
        for thread in threads:
            thread.join(timeout=150)
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    budgets = message_budget + transcript_budget
    last_minute = [s["rss"] for s in samples if s["secs"] >= samples[-1]["secs"] - 60]
    peak = max(s["rss"] for s in samples)
    final = samples[-1]
    big, small = loads["big"][0], loads["small"][0]
    received = big["sent"] * args.big + small["sent"] * args.small
    rows = [
        ("duration", f"{final['secs']:.0f} s"),
        ("budgets (messages + transcripts)", f"{message_budget // MIB} + {transcript_budget // MIB} MiB"),
        ("messages accepted (big / small)", f"{final['messages']:,} ({big['sent']:,} of {args.big:,} B / "
                                            f"{small['sent']:,} of {args.small:,} B; {big['failed'] + small['failed']} failed)"),
        ("message bytes received", f"{received / MIB:,.0f} MiB ({received / budgets:.0f}× the budgets)"),
        ("messages dropped from memory", f"{final['dropped']:,}"),
        ("sessions (dropped)", f"{final['sessions']:,} ({final['sessions_dropped']:,})"),
        ("RSS idle", f"{idle / MIB:.1f} MiB"),
        ("RSS peak", f"{peak / MIB:.1f} MiB"),
        ("RSS over the last minute, median [min–max]",
         f"{statistics.median(last_minute) / MIB:.1f} [{min(last_minute) / MIB:.1f}–{max(last_minute) / MIB:.1f}] MiB"),
        ("peak over the budgets", f"{(peak - budgets) / MIB:+.1f} MiB"),
    ]
    text = "| soak | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)
    print(text)
    if args.markdown:
        open(args.markdown, "w").write(text)
    if args.png:
        draw(samples, args.png, f"mockmx soak: {args.big:,} B and {args.small:,} B messages, RSS sampled every second",
             budgets)
    return 0 if big["failed"] + small["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
