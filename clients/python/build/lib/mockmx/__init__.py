"""Test mail senders against mockmx: a client for its control API, a launcher, and a pytest plugin
(`mockmx` fixture) registered as the `pytest11` entry point `mockmx`."""

from .client import Client, MockMXError, Server

__all__ = ["Client", "MockMXError", "Server"]
