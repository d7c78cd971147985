"""Benchmark ``tuimon serve``: the monitor in Debian's chromium, beside the same monitor in a
terminal, in one run.

Not collected by pytest (``norecursedirs``). Run::

    .venv/bin/python tests/bench/bench_serve.py                    # 20 s window
    .venv/bin/python tests/bench/bench_serve.py --screenshot screenshots/browser.png

Browser row: ``tuimon serve --demo`` with chromium (Playwright, ``executable_path``) at a
1280x800 page. A counting TCP relay sits between the browser and the server, so "wire" is
what the WebSocket costs on the network (with permessage-deflate, which browser and server
agree on); "payload" is the same frames after decompression (the terminal bytes the page's
xterm.js is given). First live frame: from ``page.goto`` until the ladder reads ``● live`` in
xterm's own buffer. Switch: from ``j`` typed into the page until the chart's header names the
next symbol. CPU: the server process and the session's monitor process, % of one core.

Terminal row: ``tuimon --demo`` on a pty of the same columns x rows (bench_demo.py's run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "serve"))

from bench_demo import cpu_seconds, measure  # noqa: E402
from browser_helpers import TERMINAL_HOOK, launch  # noqa: E402
from serve_helpers import serving  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}


class Relay:
    """A TCP relay on 127.0.0.1 that counts the bytes each way, in its own thread."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.down = 0  # server -> browser
        self.up = 0
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, down: bool) -> None:
            try:
                while data := await src.read(65536):
                    if down:
                        self.down += len(data)
                    else:
                        self.up += len(data)
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))


def browser_row(seconds: float, screenshot: Path | None) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("TUIMON_CHROMIUM") or shutil.which("chromium")
    if not executable:
        raise SystemExit("bench_serve: needs Debian's chromium (apt-get install chromium)")
    payload: list[int] = [0]

    def on_websocket(ws: object) -> None:
        ws.on("framereceived", lambda data: payload.__setitem__(0, payload[0] + len(data)))  # type: ignore[attr-defined]

    result: dict[str, object] = {"mode": "browser (tuimon serve --demo)"}
    with tempfile.TemporaryDirectory(prefix="tuimon-bench-") as tmp:
        os.environ["TUIMON_CONFIG"] = str(Path(tmp) / "config.toml")
        with serving("--demo") as served, sync_playwright() as pw:
            relay = Relay(int(served.url.rsplit(":", 1)[1].rstrip("/")))
            browser = launch(pw, executable)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                page.set_default_timeout(30_000)
                page.add_init_script(TERMINAL_HOOK)
                page.on("websocket", on_websocket)
                t0 = time.monotonic()
                page.goto(f"http://127.0.0.1:{relay.port}/")
                page.wait_for_function("() => window.__tuimon.screen().includes('● live')")
                result["first_live_frame_s"] = round(time.monotonic() - t0, 3)
                size = page.evaluate(
                    "() => [window.__tuimon.terminals[0].cols, window.__tuimon.terminals[0].rows]"
                )
                result["size"] = f"{size[0]}x{size[1]}"
                page.wait_for_timeout(max(0.0, 5.0 - (time.monotonic() - t0)) * 1000)
                (child,) = served.children()
                pids = {"serve": served.proc.pid, "monitor": child}
                cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
                wire0, pay0, w0 = relay.down, payload[0], time.monotonic()
                page.wait_for_timeout(seconds * 1000)  # a benchmark window, not a test wait
                page.evaluate("() => 0")  # deliver the frame events received so far
                wire1, pay1, w1 = relay.down, payload[0], time.monotonic()
                cpu1 = {k: cpu_seconds(p) for k, p in pids.items()}
                span = w1 - w0
                result["window_s"] = round(span, 1)
                for key in pids:
                    result[f"cpu_pct_{key}"] = round(100 * (cpu1[key] - cpu0[key]) / span, 1)
                result["wire_bytes_per_s"] = round((wire1 - wire0) / span)
                result["payload_bytes_per_s"] = round((pay1 - pay0) / span)
                if screenshot is not None:
                    page.screenshot(path=str(screenshot))
                page.focus(".xterm-helper-textarea")  # a click would hit a grid row
                sent = time.monotonic()
                page.keyboard.press("j")
                page.wait_for_function("() => /^ETHUSDT 1m/m.test(window.__tuimon.screen())")
                result["switch_shown_s"] = round(time.monotonic() - sent, 3)
            finally:
                browser.close()
            code, _, err = served.stop()
            result["exit_status"] = code
            result["traceback"] = "Traceback" in err
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="steady-state window")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--screenshot", type=Path, help="save the page as a PNG here")
    args = parser.parse_args()
    browser = browser_row(args.seconds, args.screenshot)
    print(json.dumps(browser), flush=True)  # noqa: T201
    cols, rows = (int(x) for x in str(browser["size"]).split("x"))
    terminal = measure("demo", args.seconds, (cols, rows), args.fps)
    print(json.dumps(terminal), flush=True)  # noqa: T201
    print()  # noqa: T201
    print("| path | size | first live frame | CPU serve | CPU monitor | bytes/s |")  # noqa: T201
    print("|---|---|---|---|---|---|")  # noqa: T201
    print(  # noqa: T201
        f"| browser | {browser['size']} | {browser['first_live_frame_s']} s "
        f"| {browser['cpu_pct_serve']} % | {browser['cpu_pct_monitor']} % "
        f"| wire {browser['wire_bytes_per_s']:,}, payload {browser['payload_bytes_per_s']:,} |"
    )
    print(  # noqa: T201
        f"| terminal | {terminal['size']} | {terminal['first_live_frame_s']} s | — "
        f"| {terminal['cpu_pct_one_core']} % | terminal {terminal['terminal_bytes_per_s']:,} |"
    )
    print(  # noqa: T201
        f"switch: browser {browser['switch_shown_s']} s, terminal {terminal['switch_marked_s']} s"
    )
    ok = browser["exit_status"] == 0 and terminal.get("exit_status") == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
