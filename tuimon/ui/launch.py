"""``run_monitor``: what ``tuimon [SYMBOL...]`` runs after the CLI has parsed its options.

One asyncio loop owns everything: the optional in-process simulator (``--demo``), the market
feed (started inside the app as a worker), the user-data feed (when API keys are configured)
and the Textual app. On quit the app closes both feeds' sockets; the exit stack here closes
them again if the app died some other way, and stops the simulator. Fatal start-up problems
become one line on stderr and an exit status (2 for bad input, 1 for an unreachable
exchange), never a traceback.

API keys (see :mod:`tuimon.feeds.credentials`): the environment, else the key file or PEM
path named in the config's ``[account]`` table. No keys is not an error: the account pane
says how to add them. Unusable keys disable the account with the one-line reason (never the
key material). ``--demo`` uses only the simulator's published test key, whatever the
environment or the config say, so a real key is never sent to the simulator; its demo
account trades on its own once a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import replace

from tuimon.clock import SystemClock
from tuimon.config import AccountPrefs, Settings, load_settings
from tuimon.feeds.credentials import Credentials, CredentialsError, load_credentials
from tuimon.feeds.proxy import ProxyConfigError, ProxyRules, run_proxies
from tuimon.feeds.session import (
    MARKET_ORDER,
    EndpointsFor,
    Sessions,
    demo_endpoints_for,
    fixed_endpoints,
)
from tuimon.headless import UsageError, check_interval
from tuimon.protocol.endpoints import ENV_OVERRIDES, Endpoints, resolve_endpoints
from tuimon.store import Store
from tuimon.store.account import AccountStore
from tuimon.ui.app import TuimonApp
from tuimon.ui.factory import build_app
from tuimon.ui.logbridge import CapturedLog, captured_logging

SHOWN_AFTER_EXIT = 5
"""Warnings printed after the UI closes (the health bar showed them live)."""

DEMO_AUTOPLAY = 1.0
"""Seconds between the demo account's actions (place, fill, cancel, deposit)."""


def settle_heap() -> None:
    """Leave the objects the monitor has made by now out of every later garbage collection.

    Called after the first frame with tickers of each market (start-up, then each switch).
    A full (generation 2) collection walks every container object in the process: in
    ``--demo`` about 150,000 of them (widgets, styles, symbol tables, the simulator's books
    and candles), about 70 ms each, every ten seconds or so: 0.7 % of a core and a visible
    stall, to find nothing, since those objects live as long as the market is shown. Frozen
    after one collection, later collections look only at what was made since. Objects are
    still freed by reference counting as usual; what a market switch leaves behind in
    reference cycles (the old simulator in ``--demo``) is unfrozen first, so this
    collection frees it.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def account_credentials(
    account: AccountStore,
    prefs: AccountPrefs,
    *,
    demo: bool = False,
    env: Mapping[str, str] | None = None,
) -> Credentials | None:
    """The API keys to use, or None (then ``account`` is disabled when they are unusable).

    ``demo``: the simulator's published test key only (never the user's real key).
    A :class:`CredentialsError` is one line without key material; it becomes the account's
    status, and the market side runs on regardless.
    """
    try:
        if demo:
            from tuimon.sim.private import DEMO_ENV  # the simulator ships the test key

            return load_credentials(DEMO_ENV)
        return load_credentials(
            env, key_file=prefs.key_file_path, private_key_path=prefs.private_key_file
        )
    except CredentialsError as exc:
        account.disable(str(exc))
        return None


def _endpoints_for(args: argparse.Namespace, endpoints: Endpoints) -> EndpointsFor:
    """How this run reaches each market: ``--demo`` starts that market's simulator; URL
    overrides (command line or environment) point at one market only, so they pin the run to
    it; otherwise every market's own hosts (testnet ones with ``--testnet``)."""
    if args.demo:
        return demo_endpoints_for(
            lambda market: resolve_endpoints(market, env={}), args.seed, DEMO_AUTOPLAY
        )
    overridden = any(getattr(args, name, None) for name in ("stream_url", "rest_url", "ws_api_url"))
    overridden = overridden or any(os.environ.get(name) for name in ENV_OVERRIDES)
    if overridden:
        return fixed_endpoints({endpoints.market: endpoints})
    table = {
        market: endpoints
        if market is endpoints.market
        else resolve_endpoints(market, testnet=bool(getattr(args, "testnet", False)))
        for market in MARKET_ORDER
    }
    return fixed_endpoints(table)


def run_monitor(
    args: argparse.Namespace, endpoints: Endpoints, *, proxies: ProxyRules | None = None
) -> int:
    """Run the monitor until the user quits; returns the process exit status.

    ``proxies``: the run's proxy settings (None: the environment's, checked here).
    """
    try:
        check_interval(endpoints.market, args.interval)
        proxies = run_proxies(endpoints, private=True, demo=bool(args.demo), proxies=proxies)
    except (UsageError, ProxyConfigError) as exc:
        print(f"tuimon: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's error channel
        return 2
    demo = bool(args.demo)
    settings = load_settings(
        market=endpoints.market.value,
        symbols=list(args.symbols),
        interval=args.interval,
        fps=float(args.fps),
        # A demo runs on a simulator that lists other symbols than the exchange: it reads the
        # person's watchlist but keeps every change in memory, never in their file.
        save=not demo,
    )
    if demo:
        logging.getLogger(__name__).info("--demo: the config is read, never written")
    verbose = bool(getattr(args, "verbose", False))
    with captured_logging() as capture:
        try:
            code, message = asyncio.run(_run(args, endpoints, settings, capture, proxies))
        except KeyboardInterrupt:
            code, message = 130, None
    level = logging.INFO if verbose else logging.WARNING
    lines = capture.lines(level)
    for line in lines if verbose else lines[-SHOWN_AFTER_EXIT:]:
        print(line, file=sys.stderr)  # noqa: T201
    if message:
        print(f"tuimon: {message}", file=sys.stderr)  # noqa: T201
    return code


async def _run(
    args: argparse.Namespace,
    endpoints: Endpoints,
    settings: Settings,
    capture: CapturedLog,
    proxies: ProxyRules,
) -> tuple[int, str | None]:
    async with contextlib.AsyncExitStack() as stack:
        market = endpoints.market
        clock = SystemClock()
        store = Store(market.value, clock=clock, futures=market.is_futures)
        demo = bool(args.demo)
        sessions = Sessions(
            _endpoints_for(args, endpoints),
            credentials_for=lambda account: account_credentials(
                account, settings.config.account, demo=demo
            ),
            clock=clock,
            proxies=proxies,
        )
        try:
            session = await sessions.open(market, store)
        except ImportError as exc:
            return 1, f"--demo needs the built-in simulator, which failed to load: {exc}"
        except OSError as exc:
            return 1, f"--demo: cannot start the simulator: {exc}"
        app_ref: list[TuimonApp] = []

        async def close_current() -> None:
            # The app closes its session on quit and on every switch; this covers a crash.
            await (app_ref[0].session if app_ref and app_ref[0].session else session).close()

        stack.push_async_callback(close_current)
        warnings = session.credentials.warnings if session.credentials is not None else ()
        if warnings:
            # Key files other users can read: shown like config problems (health bar, toast).
            settings = replace(settings, problems=(*settings.problems, *warnings))
        app = build_app(
            settings,
            store=store,
            feed=session.feed,
            clock=clock,
            live=True,
            rest_base=session.endpoints.rest_base,
            log_capture=capture,
            user_feed=session.user,
            sessions=sessions,
            session=session,
        )
        app.after_live_frame = settle_heap
        app_ref.append(app)
        await app.run_async()
        return app.return_code or 0, app.exit_message
    return 1, None  # pragma: no cover - the block always returns
