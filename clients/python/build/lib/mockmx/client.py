"""A client for mockmx's control API, and a launcher for `mockmx serve`. Standard library only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

Json = Dict[str, Any]


class MockMXError(Exception):
    """The API refused a request: `status` is the HTTP status, `document` the JSON error body."""

    def __init__(self, status: int, document: Json):
        self.status = status
        self.document = document
        diagnostics = document.get("diagnostics") or []
        super().__init__("\n".join([f"HTTP {status}: {document.get('error', document)}", *diagnostics]))


@dataclass
class Client:
    """One mockmx host's control API. `smtp_port` is the first SMTP listener's unless given."""

    api: str
    token: Optional[str] = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0
    #: Seconds a request may take; waits add their own timeout to it.
    timeout: float = 30.0

    def __post_init__(self) -> None:
        self.url = self.api if self.api.startswith("http") else "http://" + self.api
        if not self.smtp_port:
            listener = self.listeners()[0]
            self.smtp_host, self.smtp_port = listener["host"], listener["port"]
        if self.smtp_host in ("0.0.0.0", "::"):
            self.smtp_host = "127.0.0.1" if self.smtp_host == "0.0.0.0" else "::1"

    # The transport: JSON in, JSON out, errors as MockMXError.

    def request(self, method: str, path: str, body: Optional[bytes] = None, timeout: Optional[float] = None,
                content_type: Optional[str] = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                payload = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                document = json.loads(payload)
            except ValueError:
                document = {"error": payload.decode("utf-8", "replace")}
            raise MockMXError(error.code, document) from None
        return json.loads(payload) if "json" in kind else payload

    def get(self, path: str, **query: Any) -> Any:
        query = {key: value for key, value in query.items() if value is not None}
        return self.request("GET", path + ("?" + urllib.parse.urlencode(query) if query else ""))

    # What arrived.

    def messages(self, recipient: Optional[str] = None, sender: Optional[str] = None) -> List[Json]:
        """Accepted messages' envelopes, oldest first; filters are exact and case-insensitive."""
        return self.get("/api/v1/messages", recipient=recipient, sender=sender)["messages"]

    def message(self, message_id: str) -> Json:
        """One message: its envelope, `headers` and `text`."""
        return self.get(f"/api/v1/messages/{urllib.parse.quote(message_id)}")

    def raw(self, message_id: str) -> bytes:
        """A message's content, byte for byte."""
        return self.get(f"/api/v1/messages/{urllib.parse.quote(message_id)}/raw")

    def sessions(self) -> List[Json]:
        """Every retained session, without transcripts."""
        return self.get("/api/v1/sessions")["sessions"]

    def session(self, session_id: str) -> Json:
        return self.get(f"/api/v1/sessions/{urllib.parse.quote(session_id)}")

    def transcript(self, session_id: str) -> List[Json]:
        """A session's transcript: `[{"time", "direction", "text", "rule"}]`."""
        return self.session(session_id)["transcript"]

    def verdicts(self, **filters: Any) -> Optional[List[Json]]:
        """The host's verdicts on the sender (`client=`, `check=`, `session=`); None on a host without them."""
        try:
            return self.get("/api/v1/verdicts", **filters)["verdicts"]
        except MockMXError as error:
            if error.status == 404 and str(error.document.get("error", "")).startswith("no such endpoint"):
                return None
            raise

    # Waiting instead of sleeping.

    def wait(self, messages: Optional[int] = None, sessions: Optional[int] = None, timeout: float = 10.0) -> Json:
        """Returns once `messages` were accepted and `sessions` ended; AssertionError with what the host has
        (and its last sessions' transcripts) when `timeout` seconds pass first."""
        query = {"messages": messages, "sessions": sessions, "timeout": f"{int(timeout * 1000)}ms"}
        try:
            return self.get("/api/v1/wait", **query)
        except MockMXError as error:
            if error.status != 408:
                raise
            wanted = ", ".join(f"{count} {what}" for what, count in (("message(s)", messages),
                                                                   ("ended session(s)", sessions)) if count)
            raise AssertionError(f"waited {timeout:g}s for {wanted}; the host has {error.document.get('messages')} "
                                 f"message(s) and {error.document.get('sessions')} ended session(s)\n"
                                 + self.recent_transcripts()) from None

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> List[Json]:
        """The first `count` messages, once they are there."""
        self.wait(messages=count, timeout=timeout)
        return self.messages()

    # Changing the host.

    def use_scenario(self, scenario: str, listener: Optional[int] = None) -> None:
        """Switch a listener (the first by default) to a bundled scenario by name, or to YAML text. A bad
        scenario raises MockMXError with the loader's `line:column` diagnostics."""
        port = listener or self.smtp_port
        if "\n" not in scenario and ":" not in scenario:
            self.request("PUT", f"/api/v1/listeners/{port}/scenario?name={urllib.parse.quote(scenario)}")
        else:
            self.request("PUT", f"/api/v1/listeners/{port}/scenario", scenario.encode(), content_type="application/yaml")

    def reset(self, keep_scenarios: bool = False) -> None:
        """Messages, sessions, metrics and rule state cleared; listeners back on their start-up scenarios."""
        self.request("POST", "/api/v1/reset" + ("?scenarios=keep" if keep_scenarios else ""))

    def listeners(self) -> List[Json]:
        return self.get("/api/v1/listeners")["listeners"]

    # Assertions that explain themselves.

    def assert_delivered(self, recipient: Optional[str] = None, count: int = 1, timeout: float = 10.0) -> List[Json]:
        """At least `count` messages (to `recipient`, if given) arrive within `timeout`; else AssertionError
        with the transcripts of the last sessions. Long-polls for each further message: no sleeping."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(recipient=recipient)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            total = len(self.messages())
            try:
                if remaining <= 0:
                    raise AssertionError
                self.wait(messages=total + 1, timeout=remaining)
            except AssertionError:
                raise AssertionError(f"expected {count} message(s){' to ' + recipient if recipient else ''} "
                                     f"within {timeout:g}s, found {len(self.messages(recipient=recipient))}\n"
                                     + self.recent_transcripts()) from None

    def assert_replied(self, code: int, session_id: Optional[str] = None) -> Json:
        """Some server line of the session (the last one by default) starts with `code`; returns its entry."""
        sessions = self.sessions()
        if not sessions:
            raise AssertionError(f"expected a {code} reply, but no session was recorded")
        session = session_id or sessions[-1]["id"]
        for entry in self.transcript(session):
            if entry["direction"] == "server" and entry["text"].startswith(str(code)):
                return entry
        raise AssertionError(f"expected a {code} reply in session {session}\n" + self.transcript_excerpt(session))

    def transcript_excerpt(self, session_id: str, limit: int = 40) -> str:
        """A session's transcript as lines a person reads: `C:` client, `S:` server, `*` notes, rule labels."""
        marks = {"client": "C:", "server": "S:", "note": " *", "host-received": "H:"}
        lines = [f"--- session {session_id}"]
        entries = self.transcript(session_id)
        for entry in entries[:limit]:
            rule = f"   [{entry['rule']}]" if entry.get("rule") else ""
            lines.append(f"{marks.get(entry['direction'], entry['direction'])} {entry['text']}{rule}")
        if len(entries) > limit:
            lines.append(f"... {len(entries) - limit} more entries")
        return "\n".join(lines)

    def recent_transcripts(self, sessions: int = 3) -> str:
        recent = self.sessions()[-sessions:]
        if not recent:
            return "(no session was recorded)"
        return "\n".join(self.transcript_excerpt(session["id"]) for session in recent)


class Server:
    """A `mockmx serve` of its own, on free ports, started and stopped by the caller (or a `with` block).

    The binary is `binary`, else `$MOCKMX_BIN`, else `mockmx` on PATH. Readiness is the ready file: its
    first stdout line comes once it is complete, so nothing polls or sleeps. Output keeps being read, so the
    host never waits on a full pipe, and is kept for a failure's report.
    """

    def __init__(self, scenario: Optional[str] = None, binary: Optional[str] = None,
                 arguments: Sequence[str] = (), token: Optional[str] = None):
        self.binary = binary or os.environ.get("MOCKMX_BIN") or shutil.which("mockmx") or "mockmx"
        self.scenario = scenario
        self.arguments = list(arguments)
        self.token = token
        self.output: List[str] = []
        self.process: Optional[subprocess.Popen] = None
        self.client: Optional[Client] = None

    def start(self) -> Client:
        directory = Path(tempfile.mkdtemp(prefix="mockmx-"))
        ready = directory / "ready.json"
        listen = "127.0.0.1:0" + (f"={self.scenario}" if self.scenario else "")
        command = [self.binary, "serve", "--listen", listen, "--api", "127.0.0.1:0", "--ready-file", str(ready),
                   *self.arguments]
        # MOCKMX_BIN is this launcher's; mockmx refuses MOCKMX_* variables it does not know (typos).
        environment = {key: value for key, value in os.environ.items() if key != "MOCKMX_BIN"}
        if self.token:
            environment["MOCKMX_API_TOKEN"] = self.token
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=environment)
        first = self.process.stdout.readline()
        if not first or not ready.exists():
            # Not ready: an error (a bad scenario, a taken port) is on the output, and the process ends.
            rest = self.process.stdout.read()
            raise RuntimeError(f"{' '.join(command)} exited with {self.process.wait()} before it was ready:\n"
                               + first + rest)
        self.output.append(first)
        threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True).start()
        document = json.loads(ready.read_text())
        smtp = document["smtp"][0]
        self.client = Client(document["api"]["address"], token=self.token, smtp_host=smtp["host"],
                             smtp_port=smtp["port"])
        return self.client

    def stop(self) -> int:
        """SIGTERM, then the exit status (0 after a graceful stop)."""
        if self.process is None:
            return 0
        self.process.terminate()
        status = self.process.wait(timeout=15)
        self.process = None
        return status

    def __enter__(self) -> Client:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
