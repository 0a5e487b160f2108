"""What the proxy relays beyond command lines, in front of real hosts: AUTH judged by aiosmtpd's
authenticator line by line, BDAT chunks to Postfix's smtpd (CHUNKING), XEXCH50 toward hosts that do not
know it. Postfix's AUTH needs a Cyrus or Dovecot SASL server, so AUTH is tested against aiosmtpd only."""
import base64
import re
import smtplib
import socket
import threading

import pytest

from conftest import free_port


@pytest.fixture
def aiosmtpd_auth_host():
    """aiosmtpd accepting alice/secret (AUTH without TLS, as in a test network)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    class Collect:
        def __init__(self):
            self.envelopes = []
            self.arrived = threading.Event()

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append((session.authenticated, envelope))
            self.arrived.set()
            return "250 2.0.0 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"alice", b"secret")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends its 535 itself

    handler = Collect()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="upstream.test",
        authenticator=authenticator, auth_require_tls=False)
    controller.start()
    handler.address = "127.0.0.1:%d" % controller.port
    yield handler
    controller.stop()


def lines(session, direction):
    return [e["text"] for e in session["transcript"] if e["direction"] == direction]


def test_aiosmtpd_judges_auth_plain_and_login_through_the_proxy(mockmx, aiosmtpd_auth_host):
    proxy = mockmx("upstream: %s\n" % aiosmtpd_auth_host.address)
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        client.ehlo("client.test")
        assert "PLAIN" in client.esmtp_features["auth"] and "LOGIN" in client.esmtp_features["auth"]
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("alice", "wrong")
        assert refused.value.smtp_code == 535  # aiosmtpd's verdict, relayed
        client.user, client.password = "alice", "secret"
        # LOGIN without an initial response: two 334 challenges from aiosmtpd, two response lines relayed.
        code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
        assert code == 235
        client.sendmail("a@example.test", ["b@example.test"], b"Subject: auth\r\n\r\nrelayed\r\n")
    assert aiosmtpd_auth_host.arrived.wait(10)
    assert aiosmtpd_auth_host.envelopes[0][0] is True
    proxy.wait("messages=1&timeout=10s")
    assert proxy.get("/api/v1/messages")["messages"][0]["authenticatedUser"] == "alice"
    session = proxy.only_session()
    challenges = [text for text in lines(session, "note") if text.startswith("upstream said: 334 ")]
    # aiosmtpd's own challenges ("User Name\0", "Password\0"), not mockmx's ("Username:").
    assert challenges[-2:] == ["upstream said: 334 VXNlciBOYW1lAA==", "upstream said: 334 UGFzc3dvcmQA"]
    # As for a local exchange: response lines are not in the transcript, only that one came.
    assert lines(session, "client").count("<AUTH response>") == 3
    transcript = " ".join(e["text"] for e in session["transcript"])
    assert base64.b64encode(b"secret").decode() not in transcript


def converse(port, steps):
    """Sends each chunk of bytes and reads one reply after it; returns the replies' last lines."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        reader = s.makefile("rb")

        def reply():
            while True:
                line = reader.readline()
                assert line, "connection closed"
                if line[3:4] != b"-":
                    return line.rstrip(b"\r\n").decode("latin-1")

        replies.append(reply())
        for data in steps:
            s.sendall(data)
            replies.append(reply())
    return replies


def test_postfix_receives_bdat_chunks_with_their_counts(mockmx, postfix_host):
    proxy = mockmx("upstream: %s\n" % postfix_host.address)
    first = b"Subject: chunked\r\n\r\n.a line starting with a dot\r\n"
    last = b"last chunk\r\n"
    replies = converse(proxy.port, [
        b"EHLO client.test\r\n",
        b"MAIL FROM:<a@example.test>\r\n",
        b"RCPT TO:<b@example.test>\r\n",
        b"BDAT %d\r\n" % len(first) + first,
        b"BDAT %d LAST\r\n" % len(last) + last,
        b"QUIT\r\n",
    ])
    assert replies[4] == "250 2.0.0 Ok: %d bytes" % len(first)  # Postfix's own per-chunk text
    assert re.fullmatch(r"250 2\.0\.0 Ok: \d+ bytes queued as \w+", replies[5])
    queue_id = replies[5].split()[-1]
    postfix_host.wait_log("%s: from=<a@example.test>, size=" % queue_id)
    session = proxy.only_session()
    assert "relaying %d bytes of bdat.chunk content to upstream %s" % (len(first), postfix_host.address) \
        in lines(session, "note")


def test_aiosmtpd_has_no_chunking_and_refuses_xexch50_itself(mockmx, aiosmtpd_host):
    proxy = mockmx("upstream: %s\n" % aiosmtpd_host.address)
    replies = converse(proxy.port, [
        b"EHLO client.test\r\n",
        b"BDAT 4 LAST\r\n",
        b"MAIL FROM:<a@example.test>\r\n",
        b"RCPT TO:<b@example.test>\r\n",
        b"XEXCH50 8 2\r\n",
        b"DATA\r\n",
        b"Subject: after xexch50\r\n\r\nbody\r\n.\r\n",
        b"QUIT\r\n",
    ])
    # CHUNKING was not offered (aiosmtpd has none): mockmx answers BDAT itself and nothing reaches aiosmtpd.
    assert replies[2] == "500 Error: command not recognized"  # no ENHANCEDSTATUSCODES upstream
    # XEXCH50 goes up like any command; aiosmtpd's refusal is non-fatal and DATA goes on.
    assert replies[5] == '500 Error: command "XEXCH50" not recognized'
    assert replies[7] == "250 2.0.0 Message accepted for delivery"
    assert aiosmtpd_host.arrived.wait(10)
    assert aiosmtpd_host.envelopes[0].original_content == b"Subject: after xexch50\r\n\r\nbody\r\n"


@pytest.mark.parametrize("name, verified", [("postfix-upstream.test", True), ("other.test", False)])
def test_postfixs_certificate_is_verified_when_asked(mockmx, postfix_host, name, verified):
    proxy = mockmx("upstream: {address: %s, verify: true, ca-file: %s/cert.pem, server-name: %s}\n"
                   % (postfix_host.address, postfix_host.config, name))
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        code, text = client.ehlo("client.test")
        if verified:
            assert code == 250 and text.splitlines()[0] == b"postfix-upstream.test"
        else:
            assert code == 451
            assert b"certificate verification failed: hostname mismatch" in text
    session = proxy.only_session()
    established = [t for t in lines(session, "note") if t.startswith("TLS toward upstream established")]
    assert bool(established) == verified
    if verified:
        assert established[0].endswith("certificate verified for postfix-upstream.test")


def api(host, method, path):
    import json
    import urllib.error
    import urllib.request
    request = urllib.request.Request(host.api + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_recording_aiosmtpd_through_the_api_replays_its_ehlo(mockmx, aiosmtpd_host):
    proxy = mockmx("upstream: %s\n" % aiosmtpd_host.address)
    path = "/api/v1/listeners/%d/record" % proxy.port
    assert api(proxy, "POST", path)[0] == 201
    with smtplib.SMTP("127.0.0.1", proxy.port, timeout=10) as client:
        real_ehlo = client.ehlo("client.test")
        client.sendmail("a@example.test", ["b@example.test"], b"Subject: recorded\r\n\r\nbody\r\n")
    proxy.wait("sessions=1&timeout=10s")
    status, scenario = api(proxy, "DELETE", path + "?format=yaml")
    assert status == 200
    assert api(proxy, "GET", path)[0] == 404  # stopped
    replay = mockmx(scenario.decode())
    with smtplib.SMTP("127.0.0.1", replay.port, timeout=10) as client:
        assert client.ehlo("client.test") == real_ehlo
