"""Fixtures for the proxy tests against real receiving hosts: a mockmx of the build under test, aiosmtpd,
hand-written misbehaving upstreams, and a private Postfix smtpd. Loopback only."""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MOCKMX = os.environ.get("MOCKMX", str(ROOT / ".build/debug/mockmx"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mockmx:
    def __init__(self, scenario_yaml=None, args=(), env=None, listen="127.0.0.1:0"):
        self.dir = tempfile.mkdtemp(prefix="mockmx-proxy-")
        ready = os.path.join(self.dir, "ready.json")
        if scenario_yaml is not None:
            path = os.path.join(self.dir, "scenario.yaml")
            with open(path, "w") as f:
                f.write(scenario_yaml)
            listen += "=" + path
        self.process = subprocess.Popen(
            [MOCKMX, "serve", "--listen", listen, "--api", "127.0.0.1:0", "--ready-file", ready, *args],
            stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            if self.process.poll() is not None:
                raise RuntimeError("mockmx exited: " + self.process.stderr.read().decode())
            assert time.monotonic() < deadline, "mockmx did not start"
            time.sleep(0.02)
        info = json.load(open(ready))
        self.port = info["smtp"][0]["port"]
        self.api = "http://127.0.0.1:%d" % info["api"]["port"]

    def get(self, path):
        with urllib.request.urlopen(self.api + path, timeout=10) as response:
            body = response.read()
            return json.loads(body) if response.headers.get_content_type() == "application/json" else body

    def wait(self, query):
        return self.get("/api/v1/wait?" + query)

    def only_session(self):
        self.wait("sessions=1&timeout=10s")
        sessions = self.get("/api/v1/sessions")["sessions"]
        return self.get("/api/v1/sessions/" + sessions[-1]["id"])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def mockmx():
    started = []

    def start(scenario_yaml=None, args=(), env=None, listen="127.0.0.1:0"):
        host = Mockmx(scenario_yaml, args, env, listen)
        started.append(host)
        return host

    yield start
    for host in started:
        host.stop()


@pytest.fixture
def aiosmtpd_host():
    """aiosmtpd on a free loopback port; `.envelopes` holds what it accepted."""
    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self):
            self.envelopes = []
            self.arrived = threading.Event()

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("blocked@"):
                return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            self.arrived.set()
            return "250 2.0.0 Message accepted for delivery"

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="upstream.test")
    controller.start()
    handler.address = "127.0.0.1:%d" % controller.port
    yield handler
    controller.stop()


class ScriptedUpstream:
    """A misbehaving receiving host: a greeting, then `respond(line, connection)` for every line it reads."""

    def __init__(self, respond):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.respond = respond
        self.lines = []
        self.closed = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"220 scripted.test ESMTP\r\n")
                reader = connection.makefile("rb")
                try:
                    for line in reader:
                        self.lines.append(line)
                        if self.respond(line, connection) is False:
                            break
                    # The file object keeps the socket open: hang up explicitly.
                    reader.close()
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # the proxy hung up first
            self.closed.set()

    def stop(self):
        self.listener.close()


@pytest.fixture
def scripted_upstream():
    started = []

    def start(respond):
        upstream = ScriptedUpstream(respond)
        started.append(upstream)
        return upstream

    yield start
    for upstream in started:
        upstream.stop()


POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
mail_owner = postfix
myhostname = postfix-upstream.test
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = discard:
relay_transport = discard:
smtpd_banner = $myhostname ESMTP upstream
smtpd_tls_security_level = may
smtpd_tls_cert_file = {dir}/cert.pem
smtpd_tls_key_file = {dir}/key.pem
smtpd_tls_loglevel = 1
transport_maps = texthash:{dir}/transport
"""

POSTFIX_MASTER = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
tlsmgr unix - - n 1000? 1 tlsmgr
smtp unix - - n - - smtp
postlog unix-dgram n - n - 1 postlogd
"""


@pytest.fixture(scope="session")
def postfix_host():
    """A private Postfix instance whose smtpd listens on a free loopback port (discarding what it accepts)."""
    postfix = shutil.which("postfix") or "/usr/sbin/postfix"
    if not os.path.exists(postfix):
        pytest.skip("postfix is not installed (scripts/install-deps installs it)")
    directory = tempfile.mkdtemp(prefix="mockmx-postfix-")
    os.chmod(directory, 0o755)
    port = free_port()
    # As a sender it delivers proxy.test to this port, where a test puts a mockmx.
    relay_port = free_port()
    with open(os.path.join(directory, "transport"), "w") as f:
        f.write("proxy.test smtp:[127.0.0.1]:%d\n" % relay_port)
    with open(os.path.join(directory, "main.cf"), "w") as f:
        f.write(POSTFIX_MAIN.format(dir=directory))
    with open(os.path.join(directory, "master.cf"), "w") as f:
        f.write(POSTFIX_MASTER.format(port=port))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=postfix-upstream.test", "-keyout", os.path.join(directory, "key.pem"),
         "-out", os.path.join(directory, "cert.pem")], check=True, capture_output=True)
    os.makedirs(os.path.join(directory, "queue"))
    os.makedirs(os.path.join(directory, "data"))
    shutil.chown(os.path.join(directory, "data"), "postfix")
    started = subprocess.run([postfix, "-c", directory, "start"], capture_output=True, text=True)
    assert started.returncode == 0, "postfix did not start: " + started.stderr + open(os.path.join(directory, "maillog")).read() if os.path.exists(os.path.join(directory, "maillog")) else started.stderr
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "postfix smtpd did not start"
        time.sleep(0.1)

    class Host:
        address = "127.0.0.1:%d" % port
        relay_address = "127.0.0.1:%d" % relay_port
        config = directory
        log = os.path.join(directory, "maillog")

        def log_text(self):
            return open(self.log).read() if os.path.exists(self.log) else ""

        def wait_log(self, text, timeout=10):
            deadline = time.monotonic() + timeout
            while text not in self.log_text():
                assert time.monotonic() < deadline, "not in postfix's log: %r\n%s" % (text, self.log_text())
                time.sleep(0.05)

    yield Host()
    subprocess.run([postfix, "-c", directory, "stop"], capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)
