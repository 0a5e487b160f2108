"""Python's smtplib.LMTP against mockmx's LMTP listeners (TCP and a unix-domain socket), both playing the
bundled lmtp-mailbox-full scenario. Run by scripts/test-lmtp, which starts mockmx and sets the environment."""
import json
import os
import smtplib
import urllib.parse
import urllib.request

import pytest

TCP_PORT = int(os.environ["MOCKMX_LMTP_PORT"])
SOCKET = os.environ["MOCKMX_LMTP_SOCKET"]
API = os.environ["MOCKMX_API"]
MESSAGE = b"Subject: lmtp from smtplib\r\n\r\nhello\r\n"


def api(path):
    with urllib.request.urlopen(f"http://{API}{path}") as response:
        return json.load(response)


def message_from(session_id):
    return [m for m in api("/api/v1/messages")["messages"] if m["session"] == session_id]


def last_session():
    return api("/api/v1/sessions?start=0&limit=1000")["sessions"][-1]["id"]


@pytest.fixture(params=["tcp", "unix"])
def client(request):
    # smtplib.LMTP takes a path starting with "/" as a unix-domain socket.
    lmtp = smtplib.LMTP("127.0.0.1", TCP_PORT) if request.param == "tcp" else smtplib.LMTP(SOCKET)
    yield lmtp
    lmtp.close()


def test_every_recipient_gets_its_own_reply_after_the_data(client):
    code, lines = client.ehlo("client.test")  # smtplib sends LHLO for LMTP
    assert code == 250 and b"PIPELINING" in lines and b"ENHANCEDSTATUSCODES" in lines
    assert client.mail("app@client.test")[0] == 250
    for recipient in ["a@lmtp.test", "full@lmtp.test", "b@lmtp.test"]:
        assert client.rcpt(recipient)[0] == 250
    # data() reads the first recipient's reply; LMTP sends one more per further recipient (RFC 2033 §4.2).
    first = client.data(MESSAGE)
    rest = [client.getreply(), client.getreply()]
    assert first[0] == 250 and first[1].startswith(b"2.0.0 <a@lmtp.test> Ok: delivered as ")
    assert rest[0] == (452, b"4.2.2 Mailbox full")
    assert rest[1][0] == 250 and b"<b@lmtp.test>" in rest[1][1]
    assert client.noop()[0] == 250  # nothing left unread: the session is in step
    client.quit()
    api("/api/v1/wait?messages=1&timeout=5s")
    [stored] = message_from(last_session())
    assert stored["recipients"] == ["a@lmtp.test", "full@lmtp.test", "b@lmtp.test"]
    assert stored["lmtp"] == {"delivered": ["a@lmtp.test", "b@lmtp.test"],
                              "refused": [{"recipient": "full@lmtp.test", "code": 452}]}


def test_sendmail_to_one_recipient_and_a_full_mailbox_is_a_data_error(client):
    assert client.sendmail("app@client.test", ["one@lmtp.test"], MESSAGE) == {}
    with pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("app@client.test", ["full@lmtp.test"], MESSAGE)
    assert refused.value.smtp_code == 452
    session = last_session()
    client.quit()
    assert [m["lmtp"]["delivered"] for m in message_from(session)] == [["one@lmtp.test"]]


def test_an_smtp_client_is_turned_away_with_500():
    with smtplib.SMTP("127.0.0.1", TCP_PORT) as smtp:
        assert smtp.ehlo("client.test") == (500, b"5.5.1 Error: this is LMTP, use LHLO")
        assert smtp.helo("client.test")[0] == 500
    with smtplib.SMTP("127.0.0.1", TCP_PORT) as smtp:
        with pytest.raises(smtplib.SMTPHeloError):
            smtp.sendmail("app@client.test", ["a@lmtp.test"], MESSAGE)


def test_the_unix_listener_is_named_by_its_path_in_the_api():
    name = "unix:" + SOCKET
    listeners = api("/api/v1/listeners")["listeners"]
    assert name in [listener["address"] for listener in listeners]
    state = api("/api/v1/listeners/" + urllib.parse.quote(name, safe="") + "/state")
    assert state["listeners"][0]["address"] == name
    sessions = api("/api/v1/sessions?start=0&limit=1000")["sessions"]
    assert {s["client"] for s in sessions if s["listener"] == name} == {"unix:"}
