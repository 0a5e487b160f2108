"""The plugin and client against a real `mockmx serve`, with Python's smtplib as the sender under test."""

import smtplib

import pytest

from mockmx import MockMXError, Server


def send(mockmx, recipients, subject="Hello", sender="app@example.com"):
    body = f"Subject: {subject}\r\nFrom: {sender}\r\n\r\nHello from the test.\r\n"
    with smtplib.SMTP(mockmx.smtp_host, mockmx.smtp_port) as smtp:
        return smtp.sendmail(sender, recipients, body)


def test_a_delivered_message_is_there_with_its_headers_and_bytes(mockmx):
    send(mockmx, ["someone@example.org"], subject="Welcome")
    [envelope] = mockmx.assert_delivered("someone@example.org")
    assert envelope["mailFrom"] == "app@example.com"
    assert ["Subject", "Welcome"] in mockmx.message(envelope["id"])["headers"]
    assert mockmx.raw(envelope["id"]).endswith(b"Hello from the test.\r\n")
    [session] = mockmx.sessions()
    texts = [entry["text"] for entry in mockmx.transcript(session["id"])]
    assert "RCPT TO:<someone@example.org>" in texts


def test_each_test_starts_from_a_clean_host(mockmx):
    # The test before this one left a message and a session behind: the fixture's reset cleared them.
    assert mockmx.messages() == []
    assert mockmx.sessions() == []


@pytest.mark.mockmx(scenario="greylist")
def test_the_marker_puts_the_host_on_a_scenario(mockmx):
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(mockmx, ["new@example.org"])
    entry = mockmx.assert_replied(451)
    assert entry["rule"], "the 451 is reported with the rule that gave it"


def test_the_reset_puts_the_start_up_scenario_back(mockmx):
    send(mockmx, ["new@example.org"])
    mockmx.assert_delivered("new@example.org")


def test_a_scenario_given_as_yaml_applies_and_a_bad_one_says_where(mockmx):
    mockmx.use_scenario("rules:\n  - on: rcpt\n    when: {args: 'bounce'}\n    do: {reply: '550 5.1.1 No such user'}\n")
    refused = {}
    try:
        send(mockmx, ["bounce@example.org", "fine@example.org"])
    except smtplib.SMTPRecipientsRefused as error:  # pragma: no cover - only when every recipient is refused
        refused = error.recipients
    mockmx.assert_delivered("fine@example.org")
    assert refused == {}
    assert mockmx.messages()[0]["recipients"] == ["fine@example.org"]

    with pytest.raises(MockMXError) as error:
        mockmx.use_scenario("rules:\n  - on: rcpt\n    do: {reply: 'not a reply'}\n")
    assert error.value.status == 400
    assert "api:3:" in str(error.value)


def test_a_failed_assertion_shows_the_transcript(mockmx):
    send(mockmx, ["other@example.org"])
    mockmx.assert_delivered("other@example.org")
    with pytest.raises(AssertionError) as failure:
        mockmx.assert_delivered("expected@example.org", timeout=0.2)
    text = str(failure.value)
    assert "expected 1 message(s) to expected@example.org" in text
    assert "C: RCPT TO:<other@example.org>" in text
    assert "S: 250" in text


def test_a_wait_that_times_out_says_what_the_host_has(mockmx):
    with pytest.raises(AssertionError, match=r"waited 0.2s for 3 message\(s\); the host has 0 message\(s\)"):
        mockmx.wait_for_messages(3, timeout=0.2)


def test_verdicts_are_a_list_or_none_on_a_host_without_them(mockmx):
    send(mockmx, ["someone@example.org"])
    mockmx.wait(sessions=1)
    verdicts = mockmx.verdicts()
    assert verdicts is None or isinstance(verdicts, list)


def test_a_server_with_a_token_refuses_a_client_without_it():
    server = Server(token="s3cret")
    client = server.start()
    try:
        assert client.messages() == []
        client.token = None
        with pytest.raises(MockMXError) as error:
            client.messages()
        assert error.value.status == 401
    finally:
        assert server.stop() == 0


def test_a_server_that_cannot_start_says_so():
    with pytest.raises(RuntimeError, match="exited with"):
        Server(scenario="no-such-scenario").start()
