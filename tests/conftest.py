"""Shared fixtures: no developer config or proxy setting leaks in, recorded data importable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """Point every config/env override at nothing so a developer's setup never leaks in."""
    monkeypatch.setenv("TUIMON_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in (
        "TUIMON_STREAM_URL",
        "TUIMON_REST_URL",
        "TUIMON_WS_API_URL",
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    # No proxy setting of the developer's (or of another test) reaches a test: proxy tests
    # set their own with monkeypatch.setenv, which undoes them afterwards.
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
