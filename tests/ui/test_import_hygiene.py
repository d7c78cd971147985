"""Only tuimon.ui imports Textual: the core, the CLI and the headless snapshot run without it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

CORE_MODULES = [
    "tuimon",
    "tuimon.clock",
    "tuimon.config",
    "tuimon.resources",
    "tuimon.protocol.endpoints",
    "tuimon.protocol.models",
    "tuimon.protocol.parse",
    "tuimon.protocol.book",
    "tuimon.protocol.streams",
    "tuimon.protocol.signing",
    "tuimon.protocol.user_parse",
    "tuimon.feeds.market",
    "tuimon.feeds.rest",
    "tuimon.feeds.connection",
    "tuimon.feeds.user",
    "tuimon.feeds.credentials",
    "tuimon.store",
    "tuimon.store.store",
    "tuimon.store.state",
    "tuimon.store.topics",
    "tuimon.store.account",
    "tuimon.headless",
    "tuimon.cli",
    "tuimon.serve",  # the server: only each session's monitor process imports Textual
    "tuimon.serve.server",
]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def _sim_modules() -> list[str]:
    if not _importable("tuimon.sim"):
        return []
    return ["tuimon.sim"]


@pytest.mark.parametrize("module", CORE_MODULES + _sim_modules())
def test_module_does_not_import_textual(module: str) -> None:
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(bad[:3])\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"{module} imported textual: {result.stdout}{result.stderr}"


def test_cli_help_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "from tuimon.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.exit(1 if 'textual' in sys.modules else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
