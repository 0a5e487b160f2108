"""mockmx's Mailpit-compatible API read by an existing Mailpit client from PyPI (mailpit-api-client), unmodified.

scripts/test-mailpit-client starts mockmx with --mailpit-api and passes its addresses in MOCKMX_SMTP_PORT and
MAILPIT_URL. Mail goes in over SMTP with Python's smtplib; everything read back goes through the client's API
class and its own pytest fixture (mailpit.testing.pytest's mailpit_api).
"""
import datetime
import os
import smtplib
from email.message import EmailMessage

import httpx
import pytest

from mailpit.client.api import API

pytest_plugins = ["mailpit.testing.pytest"]

MAILPIT_URL = os.environ["MAILPIT_URL"]
SMTP_PORT = int(os.environ["MOCKMX_SMTP_PORT"])


def send(subject: str, to: str = "Bob Example <bob@example.com>", bcc: tuple = ()) -> None:
    message = EmailMessage()
    message["From"] = '"Doe, Jane" <jane@example.com>'
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash(subject))}@example.com>"
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0100"
    message["Delivered-To"] = "bob@example.com"
    message.set_content("Hello Bob,\nthe report is attached.\n")
    message.add_alternative("<p>Hello <b>Bob</b></p>", subtype="html")
    message.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="report.pdf")
    with smtplib.SMTP("127.0.0.1", SMTP_PORT) as smtp:
        smtp.send_message(message, to_addrs=[to.split("<")[-1].rstrip(">"), *bcc])


@pytest.fixture(autouse=True)
def empty_mailbox():
    API(MAILPIT_URL).delete_messages([])
    yield


@pytest.mark.parametrize("mailpit_api", [MAILPIT_URL], indirect=True)
def test_the_client_lists_and_reads_what_mockmx_received(mailpit_api: API):
    send("Grüße aus Köln", bcc=("hidden@example.com",))
    messages = mailpit_api.get_messages()
    assert (messages.total, messages.unread, messages.count, messages.start) == (1, 1, 1, 0)
    summary = messages.messages[0]
    assert summary.subject == "Grüße aus Köln"
    assert (summary.from_.name, summary.from_.address) == ("Doe, Jane", "jane@example.com")
    assert [(c.name, c.address) for c in summary.to] == [("Bob Example", "bob@example.com")]
    assert [c.address for c in summary.bcc] == ["hidden@example.com"]
    assert summary.attachments == 1 and summary.read is False
    assert isinstance(summary.created, datetime.datetime)

    message = mailpit_api.get_message(summary.id)
    assert message.text.startswith("Hello Bob,\n") or message.text.startswith("Hello Bob,\r\n")
    assert "<b>Bob</b>" in message.html
    assert message.date == datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc)
    assert [(a.file_name, a.content_type, a.size) for a in message.attachments] == [
        ("report.pdf", "application/pdf", 9)
    ]
    assert mailpit_api.get_message_attachment(summary.id, message.attachments[0].part_id) == "%PDF-1.4\n"
    assert mailpit_api.get_messages().unread == 0

    headers = mailpit_api.get_message_headers(summary.id)
    assert headers.from_ == ['"Doe, Jane" <jane@example.com>']
    assert headers.delivered_to == ["bob@example.com"]


@pytest.mark.parametrize("mailpit_api", [MAILPIT_URL], indirect=True)
def test_paging_and_deleting_through_the_client(mailpit_api: API):
    for number in range(3):
        send(f"message {number}")
    page = mailpit_api.get_messages(limit=2, start=1)
    assert (page.total, page.count, page.start) == (3, 2, 1)
    # Newest first, as Mailpit lists them.
    assert [m.subject for m in page.messages] == ["message 1", "message 0"]
    with pytest.raises(httpx.HTTPStatusError) as missing:
        mailpit_api.get_message("no-such-id")
    assert missing.value.response.status_code == 404
    # The client sends its IDs as a form, which Mailpit (and so mockmx) reads as "delete everything".
    mailpit_api.delete_messages([page.messages[0].id])
    assert mailpit_api.get_messages().total == 0


def test_search_and_chaos_as_mailpit_answers_them():
    send("invoice 42", to="Carol <carol@example.com>")
    send("newsletter")
    found = httpx.get(f"{MAILPIT_URL}/api/v1/search", params={"query": 'to:carol "invoice 42"'}).json()
    assert [m["Subject"] for m in found["messages"]] == ["invoice 42"]
    assert (found["total"], found["messages_count"]) == (2, 1)
    assert httpx.get(f"{MAILPIT_URL}/api/v1/search", params={"query": " "}).status_code == 400

    chaos = httpx.put(f"{MAILPIT_URL}/api/v1/chaos", json={"Recipient": {"ErrorCode": 452, "Probability": 100}})
    assert chaos.json()["Recipient"] == {"ErrorCode": 452, "Probability": 100}
    with smtplib.SMTP("127.0.0.1", SMTP_PORT) as smtp:
        smtp.ehlo()
        smtp.mail("jane@example.com")
        assert smtp.rcpt("bob@example.com") == (452, b"Chaos recipient error")
    httpx.put(f"{MAILPIT_URL}/api/v1/chaos", json={})
    send("after chaos")
    assert httpx.get(f"{MAILPIT_URL}/api/v1/messages").json()["total"] == 3
