"""``tuimon watch``: alerts without a screen, for a VPS under systemd or cron.

Watches every symbol a rule names (plus the SYMBOL arguments), evaluates the rules a few times a
second, and prints one JSON line per alert fired on stdout (flushed at once, so a pipe or the
journal sees it immediately). Runs until ``--seconds`` or SIGINT/SIGTERM, then exits 0. A bad
rule exits 2 with one line naming it; an unreachable exchange exits 1, and so does an account
(``fill`` rules) whose worker gave up (refused key, or unreachable). No Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

import orjson

from tuimon.alerts.engine import AlertEngine
from tuimon.alerts.notify import HookRunner
from tuimon.alerts.rules import Metric, Rule, RuleError, check_market, parse_rule
from tuimon.clock import Clock, SystemClock
from tuimon.config import AlertPrefs
from tuimon.feeds.connection import GiveUp
from tuimon.feeds.market import FeedError
from tuimon.feeds.rest import RestError
from tuimon.feeds.user import AuthFailure
from tuimon.headless import SnapshotRequest, UsageError, market_session
from tuimon.protocol.endpoints import Endpoints

EVALUATE_EVERY = 0.25
"""Seconds between rule evaluations: tickers arrive once a second, books every 100 ms."""


@dataclass(slots=True)
class WatchRequest:
    """What ``tuimon watch`` was asked for."""

    endpoints: Endpoints
    rules: list[Rule]
    symbols: list[str] = field(default_factory=list)
    seconds: float | None = None
    demo: bool = False
    seed: int = 7
    give_up_after: int | None = 5
    snapshot: SnapshotRequest | None = None
    """Keys and config paths for ``fill`` rules (the private side)."""
    hook: tuple[str, ...] = ()
    """``[notify] command``: run for each alert too (JSON on stdin), as in the monitor."""
    hook_timeout: float = 5.0


def rules_from(texts: Sequence[str], configured: Sequence[AlertPrefs]) -> list[Rule]:
    """The config's enabled rules plus the ``--alert`` ones (duplicates once).

    Raises:
        UsageError: ``bad alert 'TEXT': problem`` for the first rule that does not parse.
    """
    rules: dict[str, Rule] = {}
    for prefs in configured:
        if prefs.enabled:
            rule = parse_rule(prefs.rule, cooldown=prefs.cooldown)
            rules.setdefault(rule.text, rule)
    for text in texts:
        try:
            rule = parse_rule(text)
        except RuleError as exc:
            raise UsageError(f"bad alert {text!r}: {exc}") from None
        rules.setdefault(rule.text, rule)
    return list(rules.values())


def _check_rules(request: WatchRequest) -> None:
    if not request.rules:
        raise UsageError("no alert rules: give --alert RULE or add [[alerts]] to the config")
    futures = request.endpoints.market.is_futures
    for rule in request.rules:
        try:
            check_market(rule, futures=futures)
        except RuleError as exc:
            raise UsageError(f"bad alert {rule.text!r}: {exc}") from None


async def watch(
    request: WatchRequest,
    out: TextIO,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run until ``seconds`` or ``stop``; print fired alerts to ``out``. Returns the exit code."""
    _check_rules(request)
    clock = clock or SystemClock()
    engine = AlertEngine(clock, request.rules)
    private = any(rule.metric is Metric.FILL for rule in request.rules)
    symbols = sorted(engine.ticker_symbols | {s.upper() for s in request.symbols})
    base = request.snapshot or SnapshotRequest([], request.endpoints)
    session_request = SnapshotRequest(
        symbols=symbols,
        endpoints=request.endpoints,
        demo=request.demo,
        seed=request.seed,
        interval="1m",
        give_up_after=request.give_up_after or 5,
        private=private,
        env=base.env,
        key_file=base.key_file,
        private_key_path=base.private_key_path,
        proxies=base.proxies,
        persistent=True,
    )
    stop = stop or asyncio.Event()
    moving = engine.move_symbols
    hook = HookRunner(request.hook, request.hook_timeout, _report_hook)
    async with market_session(
        session_request,
        clock=clock,
        books=engine.book_symbols,
        klines=moving,
        trades=frozenset(),  # no rule reads trades; marks (funding_rate) stream on futures
    ) as session:
        store, feed, _, user = session
        failed = asyncio.ensure_future(feed.wait_failed())
        stopped = asyncio.ensure_future(stop.wait())
        # A user worker that gives up must end the watch like the market worker does: staying
        # up without it would never fire a fill alert again, and say nothing.
        user_failed = asyncio.ensure_future(user.wait_failed()) if user is not None else None
        ends = {failed, stopped} | ({user_failed} if user_failed is not None else set())
        deadline = None if request.seconds is None else clock.monotonic() + request.seconds
        try:
            while not any(end.done() for end in ends):
                engine.seed_from_klines(store)
                for event in engine.evaluate(store):
                    out.write(orjson.dumps(event.as_json()).decode() + "\n")
                    out.flush()
                    hook.submit(event)
                left = None if deadline is None else deadline - clock.monotonic()
                if left is not None and left <= 0:
                    break
                wait = EVALUATE_EVERY if left is None else min(EVALUATE_EVERY, left)
                await asyncio.wait(ends, timeout=wait)
            if failed.done():
                raise FeedError(str(failed.result()))
            if user_failed is not None and user_failed.done():
                raise FeedError(f"account: {user_failed.result()}")
        finally:
            for end in ends:
                end.cancel()
            # Alerts already printed still reach the hook (each bounded by its timeout).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hook.idle(), request.hook_timeout + 1)
            await hook.close()
    return 0


def _report_hook(problem: str) -> None:
    print(f"tuimon watch: {problem}", file=sys.stderr)  # noqa: T201 - watch's error channel


def run_watch(request: WatchRequest, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The ``tuimon watch`` process: SIGINT/SIGTERM end it cleanly (exit 0)."""
    out = out or sys.stdout
    err = err or sys.stderr

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        return await watch(request, out, stop=stop)

    try:
        return asyncio.run(main())
    except UsageError as exc:
        print(f"tuimon watch: {exc}", file=err)
        return 2
    except (FeedError, RestError, GiveUp, AuthFailure) as exc:
        print(f"tuimon watch: {exc}", file=err)
        return 1
