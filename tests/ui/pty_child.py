"""Child of ``test_ui_terminal.py``: the sample app on a real terminal (a pty), real driver.

Usage: ``python pty_child.py REPORT_FD``. Whenever the app has drawn a new size (at start and
after each SIGWINCH), one JSON line goes to REPORT_FD: the size, the composed screen's text
and the sparkline chart's region. The parent feeds the bytes the driver wrote to a terminal
emulator and compares. Not a test module (no ``test_`` prefix): pytest never collects it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from ui_helpers import sample_app, settle

from tuimon.ui.sample import SYMBOLS
from tuimon.ui.widgets.close_chart import CloseChart


def main() -> None:
    fd = int(sys.argv[1])
    app = sample_app(watchlist=tuple(s[0] for s in SYMBOLS[:20]))

    def report() -> None:
        screen = app.screen
        chart = screen.query_one(CloseChart).region
        lines = [strip.text for strip in screen._compositor.render_strips()]
        message = {"size": list(app.size), "lines": lines, "chart": list(chart)}
        os.write(fd, (json.dumps(message) + "\n").encode())

    async def auto_pilot(pilot) -> None:
        await settle(pilot)
        # A worker, not this coroutine: the app awaits its auto-pilot before it exits, and
        # cancels its workers.
        app.run_worker(follow_sizes(pilot), name="pty-report")

    async def follow_sizes(pilot) -> None:
        laid_out = asyncio.Event()
        app.screen.screen_layout_refresh_signal.subscribe(app, lambda _screen: laid_out.set())
        size = None
        while True:
            if app.size != size:
                # A new size: one frame (the sample app runs no frame timer), let the panes'
                # follow-up rebuilds draw, then say what the screen should now show.
                size = app.size
                app.flush_frame()
                await pilot.pause()
                await pilot.pause()
                report()
            laid_out.clear()
            await laid_out.wait()

    app.run(auto_pilot=auto_pilot)


if __name__ == "__main__":
    main()
