"""The spool as the issue promises it, against a real `mockmx serve` process: writes leave the loop (a slow disk
holds up only the session whose message is being written), a full disk answers 451 4.3.0 and keeps nothing half
written, and every 250 a client saw survives `kill -9` during a load. The slow and full disk are the
scripts/slowdisk LD_PRELOAD shim, switched through its control file. Loopback only."""
import json
import os
import pathlib
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MOCKMX = os.environ.get("MOCKMX", str(ROOT / ".build/debug/mockmx"))
SHIM = os.environ["SLOWDISK_SO"]


class Host:
    def __init__(self, tmp, args=()):
        self.spool = os.path.join(tmp, "spool")
        self.control = os.path.join(tmp, "slowdisk-control")
        self.set_disk("normal")
        ready = os.path.join(tmp, "ready.json")
        self.log = open(os.path.join(tmp, "mockmx.log"), "w")
        env = {**os.environ, "LD_PRELOAD": SHIM, "SLOWDISK_DIR": self.spool, "SLOWDISK_CONTROL": self.control}
        self.process = subprocess.Popen(
            [MOCKMX, "serve", "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--ready-file", ready,
             "--spool", self.spool, *args], stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            assert self.process.poll() is None, "mockmx exited"
            assert time.monotonic() < deadline, "mockmx did not start"
            time.sleep(0.02)
        info = json.load(open(ready))
        self.port = info["smtp"][0]["port"]
        self.api = "http://127.0.0.1:%d" % info["api"]["port"]

    def set_disk(self, mode):
        with open(self.control + ".new", "w") as f:
            f.write(mode)
        os.replace(self.control + ".new", self.control)

    def messages(self):
        with urllib.request.urlopen(self.api + "/api/v1/messages?limit=1000", timeout=10) as response:
            return json.load(response)["messages"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture
def host(tmp_path):
    started = []

    def start(args=()):
        started.append(Host(str(tmp_path), args))
        return started[-1]

    yield start
    for h in started:
        h.stop()


class Line:
    """A raw SMTP client that reads one reply at a time, so a test sees exactly when each reply arrives."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.file = self.sock.makefile("rb")
        self.reply()

    def reply(self):
        lines = []
        while True:
            line = self.file.readline().decode()
            assert line, "connection closed; got %r" % lines
            lines.append(line.rstrip("\r\n"))
            if line[3:4] != "-":
                return lines[-1]

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def send_message(self, body="Subject: t\r\n\r\nhello\r\n"):
        assert self.command("MAIL FROM:<a@sender.test>").startswith("250")
        assert self.command("RCPT TO:<b@receiver.test>").startswith("250")
        assert self.command("DATA").startswith("354")
        self.sock.sendall(body.encode() + b".\r\n")


def queued_id(reply):
    assert reply.startswith("250 "), reply
    return reply.split()[-1]


def test_a_slow_spool_write_holds_up_only_its_own_session(host):
    h = host()
    probe = Line(h.port)
    probe.command("EHLO probe.test")
    unloaded = []
    for _ in range(20):
        t = time.monotonic()
        assert probe.command("NOOP").startswith("250")
        unloaded.append(time.monotonic() - t)

    writer = Line(h.port)
    writer.command("EHLO writer.test")
    h.set_disk("delay 1500")
    started = time.monotonic()
    writer.send_message()
    loaded = []
    answered = threading.Event()
    result = {}

    def wait_for_ack():
        result["reply"] = writer.reply()
        result["after"] = time.monotonic() - started
        answered.set()

    threading.Thread(target=wait_for_ack, daemon=True).start()
    while not answered.is_set():
        t = time.monotonic()
        assert probe.command("NOOP").startswith("250")
        loaded.append(time.monotonic() - t)
    h.set_disk("normal")
    message_id = queued_id(result["reply"])
    # The 250 waited for the slow write (two files, each write delayed)...
    assert result["after"] >= 1.4, result
    assert os.path.exists(os.path.join(h.spool, message_id + ".json"))
    # ...while the probe kept being answered at once.
    assert len(loaded) >= 20, loaded
    assert max(loaded) < 0.3, (max(loaded), max(unloaded))
    print("NOOP round trip, unloaded max %.2f ms; during the slow write: %d NOOPs, max %.2f ms" % (
        max(unloaded) * 1000, len(loaded), max(loaded) * 1000))


def test_a_full_spool_answers_451_keeps_nothing_and_the_session_goes_on(host):
    h = host()
    client = Line(h.port)
    client.command("EHLO full.test")
    h.set_disk("enospc")
    client.send_message()
    reply = client.reply()
    assert reply.startswith("451 4.3.0"), reply
    assert h.messages() == []
    leftovers = [name for name in os.listdir(h.spool) if name.endswith(".json")]
    assert leftovers == [], leftovers
    assert not [name for name in os.listdir(h.spool) if name.startswith(".")], "a temporary file was left"
    # The disk has room again: the same session delivers.
    h.set_disk("normal")
    client.send_message()
    message_id = queued_id(client.reply())
    assert [m["id"] for m in h.messages()] == [message_id]
    with open(os.path.join(h.spool, message_id + ".eml"), "rb") as f:
        assert f.read() == b"Subject: t\r\n\r\nhello\r\n"


@pytest.mark.parametrize("args", [(), ("--spool-sync",)], ids=["write", "sync"])
def test_every_acknowledged_message_survives_kill_9_during_a_load(host, args):
    h = host(args)
    acked = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def sender(n):
        try:
            with smtplib.SMTP("127.0.0.1", h.port, timeout=20) as smtp:
                smtp.ehlo("load%d.test" % n)
                i = 0
                while not stop.is_set():
                    i += 1
                    smtp.mail("a@sender.test")
                    smtp.rcpt("b@receiver.test")
                    code, text = smtp.data(("Subject: %d-%d\r\n\r\n" % (n, i) + "x" * 1000 + "\r\n").encode())
                    if code == 250:
                        with lock:
                            acked.append(text.decode().split()[-1])
                            if len(acked) >= 300:
                                enough.set()
        except (OSError, smtplib.SMTPException):
            pass  # the host was killed under it

    threads = [threading.Thread(target=sender, args=(n,), daemon=True) for n in range(10)]
    for t in threads:
        t.start()
    assert enough.wait(60), "the load did not get going"
    h.process.send_signal(signal.SIGKILL)
    h.process.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=20)
    with lock:
        seen = list(acked)
    missing = []
    for message_id in seen:
        envelope_path = os.path.join(h.spool, message_id + ".json")
        if not os.path.exists(envelope_path):
            missing.append(message_id)
            continue
        with open(envelope_path) as f:
            envelope = json.load(f)
        assert os.path.getsize(os.path.join(h.spool, message_id + ".eml")) == envelope["size"]
    assert missing == [], "%d of %d acknowledged messages are not in the spool" % (len(missing), len(seen))
    print("kill -9 after %d acknowledged messages: all %d in the spool" % (len(seen), len(seen)))
