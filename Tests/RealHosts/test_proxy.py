"""mockmx in proxy mode in front of hosts nobody here wrote (aiosmtpd, Postfix smtpd) and of upstreams that
misbehave on purpose. Run by scripts/test-real-hosts (from scripts/test's plain pass)."""
import smtplib
import socket
import time

import pytest

# Lines starting with dots (stuffed on the wire), 8-bit text, an empty line, trailing spaces.
MESSAGE = (
    b"From: a@example.test\r\nTo: b@example.test\r\nSubject: relay\r\n\r\n"
    b".leading dot\r\n..two dots\r\n.\r\n\r\ntrailing spaces   \r\nna\xc3\xafve 8-bit\r\n"
)


def texts(session, prefix=""):
    return [entry["text"] for entry in session["transcript"] if entry["text"].startswith(prefix)]


def test_aiosmtpd_receives_the_message_byte_exact_and_the_client_gets_its_replies(mockmx, aiosmtpd_host):
    proxy = mockmx("upstream: %s\n" % aiosmtpd_host.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        code, banner = client.ehlo("client.test")
        assert code == 250
        assert banner.splitlines()[0] == b"upstream.test"  # the upstream's EHLO reply is the proposal
        assert client.has_extn("smtputf8") and client.has_extn("8bitmime")
        rejected = client.sendmail("a@example.test", ["b@example.test"], MESSAGE)
        assert rejected == {}
        code, text = client.noop()
        assert (code, text) == (250, b"OK")  # aiosmtpd's own text
    assert aiosmtpd_host.arrived.wait(10)
    envelope = aiosmtpd_host.envelopes[0]
    assert envelope.original_content == MESSAGE
    assert envelope.mail_from == "a@example.test" and envelope.rcpt_tos == ["b@example.test"]
    # Stored as for a local host, the same bytes.
    proxy.wait("messages=1&timeout=10s")
    stored = proxy.get("/api/v1/messages")["messages"][0]
    assert proxy.get("/api/v1/messages/%s/raw" % stored["id"]) == MESSAGE
    session = proxy.only_session()
    assert "upstream said: 250 2.0.0 Message accepted for delivery" in texts(session)
    assert any(text.startswith("upstream said: 220 upstream.test") for text in texts(session))
    server_lines = [e["text"] for e in session["transcript"] if e["direction"] == "server"]
    assert "250 2.0.0 Message accepted for delivery" in server_lines


def test_rules_transform_the_upstreams_replies(mockmx, aiosmtpd_host):
    proxy = mockmx("""\
upstream: %s
rules:
  - name: refuse-blocked
    on: rcpt
    when: {args: "blocked@"}
    do: {reply: "550 5.1.1 rewritten by the proxy"}
  - on: noop
    do: [delay: 200ms, default]
""" % aiosmtpd_host.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        client.ehlo("client.test")
        client.mail("a@example.test")
        assert client.rcpt("blocked@example.test") == (550, b"5.1.1 rewritten by the proxy")
        assert client.rcpt("ok@example.test")[0] == 250
        started = time.monotonic()
        assert client.noop() == (250, b"OK")
        assert time.monotonic() - started >= 0.2
        assert client.data(b"Subject: x\r\n\r\nbody\r\n")[0] == 250
    assert aiosmtpd_host.arrived.wait(10)
    assert aiosmtpd_host.envelopes[0].rcpt_tos == ["ok@example.test"]
    session = proxy.only_session()
    # The rule replaced the reply, but the command still went upstream (a middlebox rewriting replies).
    assert "upstream said: 550 5.1.1 <blocked@example.test>: Recipient address rejected: User unknown" in texts(session)
    labels = {e["rule"] for e in session["transcript"] if e["rule"]}
    assert any(label.startswith("refuse-blocked (") for label in labels)


def test_a_scenarios_extensions_replace_the_upstreams(mockmx, aiosmtpd_host):
    proxy = mockmx("""\
upstream: %s
host:
  extensions: [PIPELINING, "SIZE 1000"]
""" % aiosmtpd_host.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        code, banner = client.ehlo("client.test")
        assert banner.splitlines() == [b"upstream.test", b"PIPELINING", b"SIZE 1000"]


def test_closing_after_the_354_leaves_postfix_with_a_lost_connection(mockmx, postfix_host):
    proxy = mockmx("""\
upstream: %s
rules:
  - on: data
    do: [default, close]
""" % postfix_host.address)
    client = smtplib.SMTP("127.0.0.1", proxy.port, timeout=10)
    client.ehlo("client.test")
    client.mail("a@example.test")
    client.rcpt("b@example.test")
    client.putcmd("data")
    assert client.getreply()[0] == 354
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.getreply()
    postfix_host.wait_log("lost connection after DATA")


def test_postfix_accepts_relayed_mail_and_its_replies_reach_the_client(mockmx, postfix_host):
    proxy = mockmx("upstream: %s\n" % postfix_host.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        code, banner = client.ehlo("client.test")
        assert banner.splitlines()[0] == b"postfix-upstream.test"
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        code, text = client.data(MESSAGE)
        assert code == 250 and text.startswith(b"2.0.0 Ok: queued as ")
    queue_id = text.split()[-1].decode()
    postfix_host.wait_log("%s: from=<a@example.test>" % queue_id)


def test_serve_upstream_is_the_default_for_scenarios_without_one(mockmx, aiosmtpd_host):
    proxy = mockmx(args=["--upstream", aiosmtpd_host.address])
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        assert client.ehlo("client.test")[1].splitlines()[0] == b"upstream.test"
    env_proxy = mockmx(env={"MOCKMX_UPSTREAM": aiosmtpd_host.address})
    with smtplib.SMTP("127.0.0.1", env_proxy.port, timeout=10) as client:
        assert client.ehlo("client.test")[1].splitlines()[0] == b"upstream.test"


def test_an_unreachable_upstream_gives_a_421_greeting(mockmx):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = "127.0.0.1:%d" % unused.getsockname()[1]  # bound, not listening: refused
        proxy = mockmx("upstream: %s\n" % address)
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
            greeting = raw.makefile("rb").readline()
    assert greeting.startswith(b"421 4.4.1 ")
    assert b"Upstream host %s not reachable" % address.encode() in greeting
    session = proxy.only_session()
    assert any("Connection refused" in text for text in texts(session, "upstream %s failed" % address))


def test_an_upstream_closing_mid_data_gives_451_and_no_message(mockmx, scripted_upstream):
    def respond(line, connection):
        if line.startswith(b"DATA"):
            connection.sendall(b"354 go ahead\r\n")
        elif line.startswith(b"EHLO"):
            connection.sendall(b"250-scripted.test\r\n250 ENHANCEDSTATUSCODES\r\n")
        elif line.startswith((b"MAIL", b"RCPT")):
            connection.sendall(b"250 ok\r\n")
        else:
            return False  # the first content line: hang up

    upstream = scripted_upstream(respond)
    proxy = mockmx("upstream: %s\n" % upstream.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        client.ehlo("client.test")
        client.mail("a@example.test")
        client.rcpt("b@example.test")
        code, text = client.data(b"Subject: x\r\n\r\nbody\r\n")
        assert code == 451 and text.startswith(b"4.4.2 ")
        assert b"the upstream closed the connection" in text
        # With no upstream left the relay ends the session.
        assert client.rset()[0] == 421
    assert proxy.get("/api/v1/messages")["total"] == 0
    assert any("closed the connection" in t for t in texts(proxy.only_session(), "upstream"))


def test_a_10_mb_reply_line_gives_451_without_reading_it_all(mockmx, scripted_upstream):
    def respond(line, connection):
        if line.startswith(b"EHLO"):
            connection.sendall(b"250 ok\r\n")
        elif line.startswith(b"MAIL"):
            try:
                connection.sendall(b"250-" + b"x" * (10 << 20) + b"\r\n250 ok\r\n")
            except OSError:
                pass  # the proxy stopped reading and hung up, as it should

    upstream = scripted_upstream(respond)
    proxy = mockmx("upstream: %s\n" % upstream.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        client.ehlo("client.test")
        code, text = client.mail("a@example.test")
    assert code == 451 and b"a reply line longer than 16384 bytes" in text
    assert upstream.closed.wait(10)


def test_a_silent_upstream_times_out_into_451(mockmx, scripted_upstream):
    upstream = scripted_upstream(lambda line, connection: connection.sendall(b"250 ok\r\n") if line.startswith(b"EHLO") else None)
    proxy = mockmx("upstream: {address: %s, reply-timeout: 300ms}\n" % upstream.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        client.ehlo("client.test")
        started = time.monotonic()
        code, text = client.mail("a@example.test")
        assert code == 451 and b"no reply within 300 ms" in text
        assert time.monotonic() - started < 5


def test_golden_transcripts_through_the_proxy(mockmx, aiosmtpd_host, tmp_path):
    import json
    import subprocess

    from conftest import MOCKMX

    proxy = mockmx("upstream: %s\n" % aiosmtpd_host.address)

    def send(extra_rset):
        with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
            client.ehlo("client.test")
            if extra_rset:
                client.rset()
            client.sendmail("a@example.test", ["b@example.test"], b"Subject: golden\r\n\r\nbody\r\n")

    def diff(*args):
        return subprocess.run([MOCKMX, "diff", *args], capture_output=True, text=True, timeout=30)

    ids = []
    for extra_rset in (False, False, True):
        send(extra_rset)
        proxy.wait("sessions=%d&timeout=10s" % (len(ids) + 1))
        ids.append(proxy.get("/api/v1/sessions")["sessions"][-1]["id"])
    golden = tmp_path / "golden.json"
    golden.write_text(json.dumps(proxy.get("/api/v1/sessions/" + ids[0])))
    api = proxy.api[len("http://"):]

    same = diff(str(golden), ids[1], "--api", api)
    assert same.returncode == 0, same.stdout + same.stderr
    changed = diff(str(golden), ids[2], "--api", api)
    assert changed.returncode == 1
    assert "+ C: RSET\n+ S: 250 OK\n" in changed.stdout
    assert diff(str(golden), ids[1], "--api", api, "--notes").returncode == 0
    exact = diff(str(golden), ids[1], "--api", api, "--exact", "--notes")
    assert exact.returncode == 1 and "message %s.1 stored" % ids[1] in exact.stdout  # ids differ
    missing = diff(str(golden), "no-such-session", "--api", api)
    assert missing.returncode == 2 and "404" in missing.stderr
    no_file = diff(str(tmp_path / "nothing.json"), str(golden))
    assert no_file.returncode == 2 and "no such file" in no_file.stderr


DIALOGUE = [
    b"EHLO client.test\r\n", b"MAIL FROM:<a@example.test>\r\n", b"RCPT TO:<blocked@example.test>\r\n",
    b"RCPT TO:<b@example.test>\r\n", b"DATA\r\n", b"Subject: recorded\r\n\r\nbody\r\n.\r\n", b"NOOP\r\n",
    b"RSET\r\n", b"VRFY b\r\n", b"QUIT\r\n",
]


def converse(port, commands=DIALOGUE):
    """The replies, byte for byte, to each command (the greeting first)."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        reader = raw.makefile("rb")

        def reply():
            lines = []
            while True:
                line = reader.readline()
                lines.append(line)
                if len(line) < 4 or line[3:4] != b"-":
                    return b"".join(lines)

        replies.append(reply())
        for command in commands:
            raw.sendall(command)
            replies.append(reply())
    return replies


def record_and_replay(mockmx, upstream_address, tmp_path):
    import subprocess

    from conftest import MOCKMX

    out = tmp_path / "host.yaml"
    ready = tmp_path / "ready.json"
    recorder = subprocess.Popen(
        [MOCKMX, "record", "--upstream", upstream_address, "--out", str(out), "--listen", "127.0.0.1:0",
         "--sessions", "1", "--ready-file", str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert recorder.poll() is None, recorder.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    import json
    port = json.loads(ready.read_text())["smtp"][0]["port"]
    converse(port)
    assert recorder.wait(timeout=20) == 0, recorder.stderr.read().decode()
    # What the host itself says to the same dialogue, without mockmx between (its queue ids masked).
    import re
    real = [re.sub(rb"queued as [0-9A-F]+", b"queued as <id>", reply)
            for reply in converse(int(upstream_address.rsplit(":", 1)[1]))]
    check = subprocess.run([MOCKMX, "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr + out.read_text()
    replay = mockmx(out.read_text())
    replayed = [re.sub(rb"queued as [0-9A-F]+", b"queued as <id>", reply) for reply in converse(replay.port)]
    return real, replayed, out.read_text()


def test_recording_aiosmtpd_replays_its_dialogue_byte_for_byte(mockmx, aiosmtpd_host, tmp_path):
    real, replayed, yaml = record_and_replay(mockmx, aiosmtpd_host.address, tmp_path)
    assert real[3].startswith(b"550 5.1.1 <blocked@example.test>")  # the refused recipient, recorded
    assert replayed == real, yaml


def test_recording_postfix_replays_its_dialogue_byte_for_byte(mockmx, postfix_host, tmp_path):
    real, replayed, yaml = record_and_replay(mockmx, postfix_host.address, tmp_path)
    assert real[0].startswith(b"220 postfix-upstream.test ESMTP")
    assert b"250-PIPELINING\r\n" in real[1]
    assert replayed == real, yaml


def test_starttls_is_negotiated_separately_on_each_leg(mockmx, postfix_host):
    import ssl

    proxy = mockmx("upstream: %s\n" % postfix_host.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        client.ehlo("client.test")
        assert client.has_extn("starttls")  # Postfix offers it, so the proxy does
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client.starttls(context=context)
        certificate = client.sock.getpeercert(binary_form=True)
        code, banner = client.ehlo("client.test")
        assert banner.splitlines()[0] == b"postfix-upstream.test"
        assert not client.has_extn("starttls")  # not offered again inside TLS (RFC 3207 §4.2)
        code, text = client.sendmail("a@example.test", ["b@example.test"], MESSAGE) or (250, b"")
    postfix_cert = open(postfix_host.log.replace("maillog", "cert.pem")).read()
    der = ssl.PEM_cert_to_DER_cert(postfix_cert)
    assert certificate != der  # the client's TLS is mockmx's own
    session = proxy.only_session()
    assert any(t.startswith("TLS established") for t in texts(session))  # the client's leg
    assert any(t.startswith("TLS toward upstream established: TLSv1.3") for t in texts(session)), "\n".join(texts(session))
    postfix_host.wait_log("from=<a@example.test>")
    postfix_host.wait_log("TLS connection established from localhost[127.0.0.1]")


def test_postfix_as_the_sender_through_the_proxy_sees_the_injected_fault(mockmx, postfix_host):
    import subprocess

    real = mockmx()  # the host behind the proxy: it gets the message
    mockmx("""\
upstream: %s
rules:
  - on: data.end
    do: {reply: "451 4.3.0 injected by the proxy"}
""" % ("127.0.0.1:%d" % real.port), listen=postfix_host.relay_address)
    subprocess.run(
        ["/usr/sbin/sendmail", "-C", postfix_host.config, "-f", "a@example.test", "b@proxy.test"],
        input=b"Subject: through the proxy\n\nbody\n", check=True, timeout=30)
    postfix_host.wait_log("451 4.3.0 injected by the proxy")
    assert "status=deferred" in postfix_host.log_text()
    # The upstream accepted it before the proxy's rule replaced its 250: the sender will send it again.
    assert real.wait("messages=1&timeout=10s")["messages"] == 1


def test_record_and_diff_refuse_bad_input(tmp_path):
    import subprocess

    from conftest import MOCKMX

    def run(*args):
        return subprocess.run([MOCKMX, *args], capture_output=True, text=True, timeout=30)

    bad = run("record", "--upstream", "mx.example.test:25", "--out", str(tmp_path / "x.yaml"))
    assert bad.returncode != 0 and "--upstream: expected HOST:PORT" in bad.stderr
    assert "--sessions: must be a whole number above 0" in run(
        "record", "--upstream", "127.0.0.1:25", "--out", str(tmp_path / "x.yaml"), "--sessions", "0").stderr
    serve = run("serve", "--upstream", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--api", "none")
    assert serve.returncode != 0 and "--upstream: expected HOST:PORT" in serve.stderr
    not_json = tmp_path / "not.json"
    not_json.write_text("{transcript: [")
    result = run("diff", str(not_json), str(not_json))
    assert result.returncode == 2 and "not a JSON object" in result.stderr
    assert "--timing: expected a duration" in run("diff", str(not_json), str(not_json), "--timing", "soon").stderr
