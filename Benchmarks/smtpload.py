#!/usr/bin/env python3
"""Bounded SMTP load generator for the mockmx benchmarks (asyncio protocols, uvloop when present).

Loopback (or own test hosts) only: it refuses any other target unless ALLOW_REMOTE=1.
Every mode is bounded in count and in time (--timeout) and stops by itself.

  smtpload.py load HOST:PORT [-s SESSIONS] [-m MESSAGES] [-l BYTES] [--per-conn N] [--pipeline]
      Sends exactly MESSAGES messages of BYTES body bytes over SESSIONS concurrent sessions.
      --per-conn 1 opens a session per message, 0 keeps each session until all are sent.
      --pipeline sends MAIL+RCPT+DATA as one group and the body + "." + the next group as the next
      (RFC 2920: one round trip per message instead of four).
      Prints one line of key=value pairs: sent failed secs msg_per_s mb_per_s, and the latency of
      every command round trip (write -> reply) as cmd_p50_ms cmd_p99_ms (per verb too: mail_p99_ms…)
      and of whole messages as msg_p50_ms msg_p99_ms. Exit 0 only if every message was accepted.

  smtpload.py hold HOST:PORT -n N [--after ehlo|mail] [--hold-secs S]
      Opens N sessions and takes each past EHLO (--after mail: also sends MAIL FROM and does not wait
      for its reply, for a host that withholds it). Prints "held=N greeted=K failed=F" once all are
      up, then keeps them until SIGTERM/SIGINT or S seconds, and prints "closed_by_server=K" at the end.

  smtpload.py load ... --until-signal
      A latency probe: keeps sending (lockstep, timing every command) until SIGTERM, then prints the
      same line. Run one session of it beside a heavier load.

  smtpload.py banner HOST:PORT [--timeout S] [--expect TEXT]
      Waits until the host answers with a 220 greeting (a readiness probe without sleeps on the
      caller's side); exit 0 when it did.
"""
import argparse
import asyncio
import collections
import os
import resource
import signal
import sys
import time

perf = time.perf_counter


def loopback_only(target):
    host, port = target.rsplit(":", 1)
    host = host.strip("[]")
    if not (host.startswith("127.") or host in ("localhost", "::1")) and os.environ.get("ALLOW_REMOTE") != "1":
        sys.exit("smtpload: refusing non-loopback target %s (ALLOW_REMOTE=1 for your own test hosts)" % host)
    return host, int(port)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def install_loop():
    try:
        import uvloop
        uvloop.install()
        return "uvloop"
    except ImportError:
        return "asyncio"


class ReplyReader:
    """Splits received bytes into complete SMTP replies: (code, [lines])."""

    __slots__ = ("buffer", "lines")

    def __init__(self):
        self.buffer = b""
        self.lines = []

    def feed(self, data):
        buffer = self.buffer + data if self.buffer else data
        replies = []
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 1
            self.lines.append(line)
            if line[3:4] != b"-":
                code = int(line[:3]) if line[:3].isdigit() else -1
                replies.append((code, self.lines))
                self.lines = []
        self.buffer = buffer[start:]
        return replies


# --------------------------------------------------------------------------------------------- load

class Load:
    def __init__(self, a):
        self.a = a
        self.host, self.port = loopback_only(a.target)
        self.remaining = a.messages
        self.sent = 0
        self.failed = 0
        self.errors = []
        self.cmd_lat = collections.defaultdict(list)   # verb -> [seconds]
        self.msg_lat = []
        self.record = not a.no_latency
        header = ("From: <%s>\r\nTo: <%s>\r\nSubject: load\r\n\r\n" % (a.mfrom, a.rcpt)).encode()
        line = b"x" * 78 + b"\r\n"          # 80-byte lines, never a leading dot
        body = (line * (a.length // 80 + 1))[: a.length]
        if not body.endswith(b"\r\n"):
            body = body[:-2] + b"\r\n" if len(body) >= 2 else b"\r\n"
        self.data = header + body + b".\r\n"
        self.body_bytes = a.length
        self.mail = b"MAIL FROM:<%s>\r\n" % a.mfrom.encode()
        self.rcpt = b"RCPT TO:<%s>\r\n" % a.rcpt.encode()
        self.envelope = self.mail + self.rcpt + b"DATA\r\n"
        self.ehlo = b"EHLO %s\r\n" % a.helo.encode()
        self.done = None

    def take(self):
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def error(self, text):
        self.failed += 1
        if len(self.errors) < 5:
            self.errors.append(text)
        if self.failed > 100:
            self.remaining = 0

    async def worker(self, loop):
        while self.remaining > 0:
            done = loop.create_future()
            try:
                await loop.create_connection(lambda: LoadSession(self, done), self.host, self.port)
            except OSError as e:
                self.error("connect: %s" % e)
                continue
            await done

    async def run(self):
        loop = asyncio.get_running_loop()
        if self.a.until_signal:
            for s in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(s, self.stop)
            if STOP_REQUESTED:      # a signal that came before the loop was up
                self.stop()
        await asyncio.gather(*(self.worker(loop) for _ in range(self.a.sessions)))

    def stop(self):
        """--until-signal: no new messages; sessions finish the one in flight and QUIT."""
        self.a.messages -= self.remaining
        self.remaining = 0


class LoadSession(asyncio.Protocol):
    """One SMTP session driven from data_received: replies are timestamped when they arrive."""

    def __init__(self, load, done):
        self.load = load
        self.done = done
        self.reader = ReplyReader()
        self.expect = collections.deque()   # (code, verb, sent_at)
        self.transport = None
        self.count = 0
        self.in_flight = 0      # messages taken but not yet acknowledged
        self.msg_start = collections.deque()
        self.finished = False

    def connection_made(self, transport):
        self.transport = transport
        self.expect.append((220, "greeting", perf()))

    def send(self, data, *expected):
        now = perf()
        self.transport.write(data)
        for code, verb in expected:
            self.expect.append((code, verb, now))

    def more_allowed(self):
        per_conn = self.load.a.per_conn
        return per_conn == 0 or self.count + self.in_flight < per_conn

    def start_message(self):
        ld = self.load
        if self.more_allowed() and ld.take():
            self.in_flight += 1
            self.msg_start.append(perf())
            if ld.a.pipeline:
                self.send(ld.envelope, (250, "mail"), (250, "rcpt"), (354, "data"))
            else:
                self.send(ld.mail, (250, "mail"))
        else:
            self.send(b"QUIT\r\n", (221, "quit"))

    def data_received(self, data):
        now = perf()
        ld = self.load
        for code, lines in self.reader.feed(data):
            if not self.expect:
                return self.fail("unexpected reply %r" % lines[-1][:60])
            want, verb, sent_at = self.expect.popleft()
            if code != want:
                return self.fail("%s: got %d, wanted %d: %r" % (verb, code, want, lines[-1][:60]))
            if ld.record:
                ld.cmd_lat[verb].append(now - sent_at)
            if verb == "greeting":
                self.send(ld.ehlo, (250, "ehlo"))
            elif verb == "ehlo":
                self.start_message()
            elif verb == "mail":
                if not ld.a.pipeline:
                    self.send(ld.rcpt, (250, "rcpt"))
            elif verb == "rcpt":
                if not ld.a.pipeline:
                    self.send(b"DATA\r\n", (354, "data"))
            elif verb == "data":
                if ld.a.pipeline and self.more_allowed() and ld.take():
                    # the body, its dot and the next envelope in one write
                    self.in_flight += 1
                    self.send(ld.data + ld.envelope, (250, "dot"), (250, "mail"), (250, "rcpt"), (354, "data"))
                    self.msg_start.append(self.expect[-1][2])
                else:
                    self.send(ld.data, (250, "dot"))
            elif verb == "dot":
                self.in_flight -= 1
                self.count += 1
                ld.sent += 1
                if ld.sent == 1 and ld.a.until_signal:
                    print("probe: first message accepted", flush=True)   # the caller may start its load
                if ld.record:
                    ld.msg_lat.append(now - self.msg_start.popleft())
                if not ld.a.pipeline or not self.in_flight:
                    self.start_message()
            elif verb == "quit":
                self.finish()
                return

    def fail(self, text):
        self.load.error(text)
        self.in_flight = 0
        self.finish()

    def finish(self):
        if not self.finished:
            self.finished = True
            self.transport.close()
            if self.in_flight:
                self.load.error("connection lost with %d message(s) in flight" % self.in_flight)
            if not self.done.done():
                self.done.set_result(None)

    def connection_lost(self, exc):
        if not self.finished:
            self.fail("connection lost: %s" % (exc or "closed by server"))


def percentile(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


STOP_REQUESTED = False


def early_stop(signum, frame):
    global STOP_REQUESTED
    STOP_REQUESTED = True


def run_load(a):
    if a.until_signal:
        signal.signal(signal.SIGTERM, early_stop)
    loop_name = install_loop()
    raise_fd_limit()
    ld = Load(a)
    t = perf()
    try:
        asyncio.run(asyncio.wait_for(ld.run(), a.timeout))
    except asyncio.TimeoutError:
        ld.error("timeout after %.0fs" % a.timeout)
    secs = perf() - t
    for e in ld.errors:
        print("error: %s" % e, file=sys.stderr)
    commands = [x for verb in ("mail", "rcpt", "data", "dot") for x in ld.cmd_lat[verb]]
    out = [
        "sent=%d" % ld.sent, "failed=%d" % ld.failed, "secs=%.3f" % secs,
        "msg_per_s=%.0f" % (ld.sent / secs if secs else 0),
        "mb_per_s=%.2f" % (ld.sent * ld.body_bytes / secs / 1e6 if secs else 0),
        "cmd_p50_ms=%.3f" % percentile(commands, 0.5), "cmd_p99_ms=%.3f" % percentile(commands, 0.99),
        "msg_p50_ms=%.3f" % percentile(ld.msg_lat, 0.5), "msg_p99_ms=%.3f" % percentile(ld.msg_lat, 0.99),
    ]
    for verb in ("ehlo", "mail", "rcpt", "data", "dot"):
        if ld.cmd_lat[verb]:
            out.append("%s_p99_ms=%.3f" % (verb, percentile(ld.cmd_lat[verb], 0.99)))
    out.append("loop=%s" % loop_name)
    print(" ".join(out), flush=True)
    return 0 if ld.sent == a.messages and ld.failed == 0 else 1


# --------------------------------------------------------------------------------------------- hold

class HoldSession(asyncio.Protocol):
    def __init__(self, hold, ready):
        self.hold = hold
        self.ready = ready
        self.reader = ReplyReader()
        self.state = "greeting"
        self.transport = None
        self.releasing = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        for code, lines in self.reader.feed(data):
            if self.state == "greeting":
                if code != 220:
                    return self.settle("greeting %d" % code)
                self.transport.write(self.hold.ehlo)
                self.state = "ehlo"
            elif self.state == "ehlo":
                if code != 250:
                    return self.settle("ehlo %d" % code)
                if self.hold.after == "mail":
                    self.transport.write(self.hold.mail)
                self.state = "held"
                self.settle(None)
            # replies while held (e.g. a peer's 250 to MAIL) are read and ignored

    def settle(self, error):
        if not self.ready.done():
            self.ready.set_result(error)

    def connection_lost(self, exc):
        if self.state == "held" and not self.releasing:
            self.hold.closed_by_server += 1
        self.settle("closed before EHLO was answered: %s" % (exc or "EOF"))


class Hold:
    def __init__(self, a):
        self.a = a
        self.host, self.port = loopback_only(a.target)
        self.after = a.after
        self.ehlo = b"EHLO %s\r\n" % a.helo.encode()
        self.mail = b"MAIL FROM:<%s>\r\n" % a.mfrom.encode()
        self.sessions = []
        self.closed_by_server = 0
        self.errors = []

    async def open_one(self, loop, gate):
        async with gate:
            ready = loop.create_future()
            try:
                _, proto = await loop.create_connection(lambda: HoldSession(self, ready), self.host, self.port)
            except OSError as e:
                return "connect: %s" % e
            self.sessions.append(proto)
            try:
                return await asyncio.wait_for(ready, 60)
            except asyncio.TimeoutError:
                return "no EHLO reply within 60s"

    async def run(self):
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, stop.set)
        gate = asyncio.Semaphore(self.a.connect_concurrency)   # keeps the listen backlog from overflowing
        t = perf()
        results = await asyncio.gather(*(self.open_one(loop, gate) for _ in range(self.a.n)))
        errors = [r for r in results if r]
        greeted = len(results) - len(errors)
        for e in errors[:5]:
            print("error: %s" % e, file=sys.stderr)
        print("held=%d greeted=%d failed=%d after=%s open_secs=%.2f"
              % (len(self.sessions), greeted, len(errors), self.after, perf() - t), flush=True)
        try:
            await asyncio.wait_for(stop.wait(), self.a.hold_secs)
        except asyncio.TimeoutError:
            pass
        for p in self.sessions:
            p.releasing = True
            if p.transport and not p.transport.is_closing():
                p.transport.write(b"QUIT\r\n")
        await asyncio.sleep(0.2)
        for p in self.sessions:
            if p.transport:
                p.transport.close()
        await asyncio.sleep(0)
        print("closed_by_server=%d" % self.closed_by_server, flush=True)
        return 0 if greeted == self.a.n and self.closed_by_server == 0 else 1


def run_hold(a):
    install_loop()
    limit = raise_fd_limit()
    if limit < a.n + 64:
        sys.exit("smtpload: open-file limit %d is too low to hold %d sessions" % (limit, a.n))
    return asyncio.run(Hold(a).run())


# ------------------------------------------------------------------------------------------- banner

async def banner(a):
    host, port = loopback_only(a.target)
    deadline = perf() + a.timeout
    while perf() < deadline:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
            line = await asyncio.wait_for(r.readline(), 5)
            w.write(b"QUIT\r\n")
            w.close()
            if line.startswith(b"220") and a.expect.encode() in line:
                return 0
        except (OSError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(0.05)
    print("smtpload: no 220 greeting from %s within %.0fs" % (a.target, a.timeout), file=sys.stderr)
    return 1


async def noop_probe(a):
    """Prints `noops=N noop_p50_ms= noop_p99_ms= noop_max_ms=` of one session's NOOP round trips."""
    host, port = a.target.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))

    async def reply():
        while True:
            line = await reader.readline()
            if not line:
                raise OSError("connection closed")
            if line[3:4] != b"-":
                return line

    await reply()
    writer.write(b"EHLO %s\r\n" % a.helo.encode())
    await reply()
    times = []
    end = time.monotonic() + a.secs
    while time.monotonic() < end:
        t = time.perf_counter()
        writer.write(b"NOOP\r\n")
        await reply()
        times.append((time.perf_counter() - t) * 1000)
    writer.write(b"QUIT\r\n")
    await reply()
    writer.close()
    times.sort()
    print("noops=%d noop_p50_ms=%.3f noop_p99_ms=%.3f noop_max_ms=%.3f" % (
        len(times), times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))], times[-1]))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("target", help="host:port")
    common.add_argument("--helo", default="loadgen.example")
    common.add_argument("--from", dest="mfrom", default="load@example.com")
    common.add_argument("--to", dest="rcpt", default="sink@example.org")

    lp = sub.add_parser("load", parents=[common])
    lp.add_argument("-s", "--sessions", type=int, default=50)
    lp.add_argument("-m", "--messages", type=int, default=20000)
    lp.add_argument("-l", "--length", type=int, default=1024)
    lp.add_argument("--per-conn", type=int, default=0)
    lp.add_argument("--pipeline", action="store_true")
    lp.add_argument("--no-latency", action="store_true", help="do not record latencies")
    lp.add_argument("--until-signal", action="store_true",
                    help="a latency probe: send until SIGTERM (or -m messages, or --timeout)")
    lp.add_argument("--timeout", type=float, default=300.0)

    hp = sub.add_parser("hold", parents=[common])
    hp.add_argument("-n", type=int, default=1000)
    hp.add_argument("--after", choices=("ehlo", "mail"), default="ehlo")
    hp.add_argument("--hold-secs", type=float, default=120.0, help="upper bound; SIGTERM releases earlier")
    hp.add_argument("--connect-concurrency", type=int, default=256)

    bp = sub.add_parser("banner", parents=[common])
    bp.add_argument("--timeout", type=float, default=15.0)
    bp.add_argument("--expect", default="", help="text the greeting must contain (whose server answers)")

    np_ = sub.add_parser("noop", parents=[common], help="one session timing NOOP round trips for --secs")
    np_.add_argument("--secs", type=float, default=3.0)

    a = p.parse_args()
    if a.mode == "noop":
        sys.exit(asyncio.run(noop_probe(a)))
    if a.mode == "load":
        sys.exit(run_load(a))
    if a.mode == "hold":
        sys.exit(run_hold(a))
    sys.exit(asyncio.run(banner(a)))


if __name__ == "__main__":
    main()
