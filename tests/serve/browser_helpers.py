"""Debian's chromium under Playwright, and the text of textual-serve's terminal in the page.

The page draws the terminal with xterm.js on a canvas (WebGL, else 2D canvas), so the DOM
holds no screen text, and the page keeps its ``Terminal`` in a closure. An init script
catches it as it is made: textual-serve's front end assigns ``this.terminal = new
Terminal(...)``, and an assignment to a property an object does not have yet goes to a setter
on ``Object.prototype``; that setter puts the value back as an own property and keeps a
reference. The text is then read from xterm's own buffer (``translateToString``): the cells
the canvas draws, not the bytes the socket carried.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling its own services, which a closed network turns
    # into a flood of failing connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Playwright gives every launch a fresh temporary profile itself (and refuses
``--user-data-dir``: that is ``launch_persistent_context``)."""

TERMINAL_HOOK = """
(() => {
  const terminals = [];
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "terminal", {
        value, writable: true, configurable: true, enumerable: true,
      });
      if (value && value.buffer) terminals.push(value);
    },
  });
  window.__tuimon = {
    terminals,
    screen() {
      const term = terminals[0];
      if (!term) return "";
      const buffer = term.buffer.active;
      const rows = [];
      for (let y = 0; y < term.rows; y++) {
        const line = buffer.getLine(buffer.viewportY + y);
        rows.push(line ? line.translateToString(true, 0, term.cols) : "");
      }
      return rows.join("\\n");
    },
    // The ticker grid: each row's symbol and its five number columns (the ladder shares
    // the rows on the right and changes 10 times a second: it is left out).
    grid() {
      return this.screen().split("\\n")
        .map((row) => row.match(/^ ([A-Z0-9]{2,}USDT)((?: +\\S+){5})/))
        .filter(Boolean)
        .map((m) => m[1] + m[2].replace(/ +/g, " "))
        .join("\\n");
    },
    last(symbol) {
      const m = this.grid().match(new RegExp("^" + symbol + " ([0-9,]+\\\\.[0-9]+) ", "m"));
      return m ? Number(m[1].replaceAll(",", "")) : null;
    },
    mid() {
      const m = this.screen().match(/mid ([0-9,]+\\.[0-9]+)/);
      return m ? Number(m[1].replaceAll(",", "")) : null;
    },
  };
})();
"""


def chromium_path() -> str:
    """Debian's chromium, or skip (fail under CI=true: CI installs it, see .ci/run).

    ``TUIMON_CHROMIUM`` names another executable."""
    path = os.environ.get("TUIMON_CHROMIUM") or shutil.which("chromium") or ""
    why = "Debian's chromium is not installed (apt-get install chromium)"
    if path and not os.access(path, os.X_OK):
        path, why = "", f"no executable chromium at {path}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path, why = "", "the playwright package is not installed (pip install -e '.[test]')"
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser test required in CI: {why}")
    pytest.skip(why)


def launch(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
