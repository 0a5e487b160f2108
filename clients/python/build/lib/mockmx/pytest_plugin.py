"""The pytest plugin: a `mockmx` fixture backed by one host per test session.

- `mockmx_server` (session scope): uses the host at `$MOCKMX_API` (with `$MOCKMX_API_TOKEN`) when set,
  else starts `mockmx serve` on free ports (`$MOCKMX_BIN` or `mockmx` on PATH) and stops it at the end.
- `mockmx` (function scope): the same host reset for the test — messages, sessions and rule state cleared,
  listeners back on their start-up scenarios — then switched to the scenario of the test's marker:

      @pytest.mark.mockmx(scenario="greylist")
      def test_retry(mockmx): ...
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from .client import Client, Server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockmx(scenario=None): the scenario (bundled name or YAML) for this test")


@pytest.fixture(scope="session")
def mockmx_server() -> Iterator[Client]:
    if os.environ.get("MOCKMX_API"):
        yield Client(os.environ["MOCKMX_API"], token=os.environ.get("MOCKMX_API_TOKEN"))
        return
    server = Server(token=os.environ.get("MOCKMX_API_TOKEN"))
    client = server.start()
    try:
        yield client
    finally:
        status = server.stop()
        assert status == 0, f"mockmx serve exited with {status}:\n" + "".join(server.output)


@pytest.fixture
def mockmx(mockmx_server: Client, request: pytest.FixtureRequest) -> Client:
    mockmx_server.reset()
    marker = request.node.get_closest_marker("mockmx")
    if marker is not None:
        scenario = marker.kwargs.get("scenario", marker.args[0] if marker.args else None)
        if scenario:
            mockmx_server.use_scenario(scenario)
    return mockmx_server
