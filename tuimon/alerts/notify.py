"""How a fired alert leaves tuimon: desktop escape sequences and the command hook (no Textual).

Desktop notifications go through the terminal itself, so they work over SSH: OSC 9 (iTerm2,
WezTerm, kitty, Windows Terminal, foot...) or OSC 777 (rxvt-unicode, VTE terminals such as GNOME
Terminal). Inside tmux the sequence is wrapped in tmux's DCS passthrough, which tmux forwards
to the outer terminal when ``allow-passthrough`` is on (tmux 3.3+). The text comes from rules
and symbols, which Binance lets contain any Unicode letter: control characters (and ``;``, the
OSC 777 field separator) are removed, so a symbol can never end the sequence early and inject
its own.

The hook is an argv list (never a shell string): each alert is written as one JSON object on its
stdin. Hooks run one at a time from a queue in their own task, each bounded by a timeout after
which it is killed, so a slow or hanging hook never stalls the monitor; a failure is reported
through a callback in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson

from tuimon.alerts.engine import AlertEvent

log = logging.getLogger(__name__)

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"
MAX_TEXT = 200
"""Characters of notification text (a desktop toast shows one or two lines anyway)."""
HOOK_QUEUE = 100
"""Alerts waiting for a busy hook; beyond this the oldest waiting ones are dropped and the
drop is reported (cooldowns make this a hook that hangs for minutes, not a normal burst)."""
_REMOVED = {ord(";"): None, **{c: None for c in range(0x20)}, 0x7F: None}
_REMOVED.update({c: None for c in range(0x80, 0xA0)})


def clean_text(text: str) -> str:
    """Text safe inside an OSC string: no C0/C1 controls, no ``;``, bounded."""
    return text.translate(_REMOVED)[:MAX_TEXT]


def osc9(body: str) -> str:
    """``ESC ] 9 ; body BEL``."""
    return f"{ESC}]9;{clean_text(body)}{BEL}"


def osc777(title: str, body: str) -> str:
    """``ESC ] 777 ; notify ; title ; body BEL``."""
    return f"{ESC}]777;notify;{clean_text(title)};{clean_text(body)}{BEL}"


def tmux_passthrough(sequence: str) -> str:
    """Wrap for tmux: ``ESC P tmux; <sequence with every ESC doubled> ESC \\``."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def desktop_sequence(
    kind: str, event: AlertEvent, env: Mapping[str, str] | None = None
) -> str | None:
    """The bytes to write for a desktop notification, or None when ``kind`` is ``off``."""
    env = os.environ if env is None else env
    title = f"tuimon: {event.symbol}"
    if kind == "osc9":
        sequence = osc9(f"{title} {event.summary}")
    elif kind == "osc777":
        sequence = osc777(title, event.summary)
    else:
        return None
    return tmux_passthrough(sequence) if env.get("TMUX") else sequence


@dataclass(slots=True)
class HookRunner:
    """Runs the command hook for each alert, one at a time, off the caller's path.

    ``report`` gets one line per failure (a non-zero exit, a timeout, a command that cannot be
    started, dropped alerts); it is called from the runner's task.
    """

    argv: Sequence[str]
    timeout: float
    report: Callable[[str], None]
    queue_size: int = HOOK_QUEUE
    _queue: asyncio.Queue[AlertEvent] = field(init=False)
    _task: asyncio.Task[None] | None = None
    dropped: int = 0
    ran: int = 0
    failed: int = 0

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.queue_size)

    def submit(self, event: AlertEvent) -> None:
        """Queue an alert (never blocks, never raises)."""
        if not self.argv:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="alert-hook")
        if self._queue.full():
            self._queue.get_nowait()
            self._queue.task_done()  # the dropped alert will never be processed: not waited on
            self.dropped += 1
            self.report(f"alert hook busy: dropped an alert ({self.dropped} so far)")
        self._queue.put_nowait(event)

    async def idle(self) -> None:
        """Wait until every queued alert went through the hook (tests, shutdown)."""
        await self._queue.join()

    async def close(self) -> None:
        """Stop the runner; a hook still running is killed."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _drain(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                problem = await self.run_one(event)
            finally:
                self._queue.task_done()
            self.ran += 1
            if problem is not None:
                self.failed += 1
                self.report(f"alert hook {self.argv[0]!r}: {problem}")

    async def run_one(self, event: AlertEvent) -> str | None:
        """Run the hook once; None when it exited 0, else the problem in a few words."""
        payload = orjson.dumps(event.as_json()) + b"\n"
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # a Ctrl-C meant for the monitor does not hit the hook
            )
        except OSError as exc:
            return f"cannot start: {exc.strerror or exc}"
        try:
            _, stderr = await asyncio.wait_for(process.communicate(payload), self.timeout)
        except TimeoutError:
            await _kill(process)
            return f"killed after {self.timeout:g} s"
        except asyncio.CancelledError:
            await _kill(process)
            raise
        if process.returncode:
            last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            detail = f": {clean_text(last[0])}" if last[0] else ""
            return f"exit status {process.returncode}{detail}"
        return None


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the hook's whole process group (a shell script's children too: it has its own
    session), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()
