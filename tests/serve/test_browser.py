"""The monitor in a real browser: ``tuimon serve --demo`` opened in Debian's chromium.

The page loads, the ticker grid's numbers change live, and ``j`` (typed into the page) moves
the ladder to the next symbol: its mid price becomes that symbol's, and the chart's header
names it; a smaller window gets the monitor laid out again at its size; ``q`` ends the
session. Every wait is on the terminal's text (Playwright's ``wait_for_function``), with
deadlines only for failing.
"""

from __future__ import annotations

import sys

import pytest
from browser_helpers import TERMINAL_HOOK, chromium_path, launch
from serve_helpers import alive, serving

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Debian's chromium")

WAIT_MS = 20_000
"""A deadline only (2 shared cores, a cold browser): a pass returns as soon as it is true."""


def test_the_monitor_runs_live_in_a_browser() -> None:
    executable = chromium_path()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with serving("--demo", "BTCUSDT", "ETHUSDT", "SOLUSDT") as served, sync_playwright() as pw:
        browser = launch(pw, executable)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(WAIT_MS)
            page.add_init_script(TERMINAL_HOOK)
            page.goto(served.url)
            try:
                page.wait_for_function("() => window.__tuimon.terminals.length > 0")
            except PlaywrightTimeout:
                pytest.fail("the page made no xterm Terminal the hook saw: textual-serve changed?")

            # The first live frame: the ladder's book is live and the grid has prices.
            page.wait_for_function("() => window.__tuimon.screen().includes('● live')")
            assert "BTCUSDT 1m" in page.evaluate("() => window.__tuimon.screen()")
            page.wait_for_function(
                "() => window.__tuimon.last('BTCUSDT') && window.__tuimon.last('ETHUSDT')"
            )
            grid = page.evaluate("() => window.__tuimon.grid()")
            page.wait_for_function("(before) => window.__tuimon.grid() !== before", arg=grid)
            assert page.evaluate("() => window.__tuimon.grid()") != grid

            # j in the page: the ladder shows ETHUSDT's book (its mid near ETHUSDT's last
            # price, far from BTCUSDT's) and the chart is ETHUSDT's.
            eth = page.evaluate("() => window.__tuimon.last('ETHUSDT')")
            btc_mid = page.evaluate("() => window.__tuimon.mid()")
            assert abs(btc_mid - eth) / eth > 0.5, (btc_mid, eth)  # the demo's BTC and ETH
            page.focus(".xterm-helper-textarea")  # a click would hit a grid row
            page.keyboard.press("j")
            page.wait_for_function(
                """(eth) => {
                  const t = window.__tuimon, mid = t.mid();
                  return /^ETHUSDT 1m/m.test(t.screen()) && mid && Math.abs(mid - eth) / eth < 0.05;
                }""",
                arg=eth,
            )
            screen = page.evaluate("() => window.__tuimon.screen()")
            assert "BTCUSDT 1m" not in screen

            # A smaller window: the monitor lays itself out again at the page's new size (its
            # footer on the new last row), the selection still on ETHUSDT.
            page.set_viewport_size({"width": 800, "height": 600})
            page.wait_for_function(
                """() => {
                  const t = window.__tuimon, term = t.terminals[0];
                  const rows = t.screen().split("\\n");
                  return term.cols < 100 && rows.length === term.rows
                    && t.screen().includes("ETHUSDT 1m") && t.grid().includes("SOLUSDT")
                    && rows[term.rows - 1].includes("q quit");  // the footer on the last row
                }"""
            )

            # q quits the monitor, and the page says its session ended.
            (monitor,) = served.children()
            page.keyboard.press("q")
            page.wait_for_function("() => document.body.classList.contains('-closed')")
            assert page.locator(".ended").is_visible()
            assert served.proc.poll() is None  # the server goes on serving other tabs
        finally:
            browser.close()
        code, out, err = served.stop()
        assert code == 0, out + err
        assert not alive(monitor)
