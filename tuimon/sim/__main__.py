"""``python -m tuimon.sim`` / ``tuimon sim``: run spot, USDⓈ-M and COIN-M simulators.

Prints one line per market once every server is listening — JSON by default
(``{"market": "spot", "rest_url": ..., "stream_url": ..., "ws_api_url": ...}``) or
``<market> <rest_url> <stream_url>`` with ``--plain`` — so a parent process can read the URLs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

import orjson

from tuimon.sim.markets import MARKETS
from tuimon.sim.server import SimServer


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tuimon sim", description=__doc__.splitlines()[0])
    p.add_argument("--markets", default="spot,usdm,coinm",
                   help="comma-separated subset of spot,usdm,coinm (default: all three)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--spot-port", type=int, default=0, help="0 = ephemeral")
    p.add_argument("--usdm-port", type=int, default=0)
    p.add_argument("--coinm-port", type=int, default=0)
    p.add_argument("--symbols", default=None,
                   help="comma-separated symbols for every market (default: each universe)")
    p.add_argument("--depth-interval-ms", type=int, default=100,
                   help="fast diff cadence; all cadences scale with it (default 100)")
    p.add_argument("--ping-interval", type=float, default=None)
    p.add_argument("--pong-timeout", type=float, default=None)
    p.add_argument("--max-lifetime", type=float, default=24 * 3600.0)
    p.add_argument("--weight-limit", type=int, default=None)
    p.add_argument("--autoplay", type=float, default=None, metavar="SECONDS",
                   help="the demo account acts every SECONDS (as in tuimon --demo, which "
                        "uses 1.0); default: it moves only when told")
    p.add_argument("--plain", action="store_true", help="print plain text instead of JSON")
    p.add_argument("--replay", metavar="FILE", default=None,
                   help="serve a 'tuimon record' file (its market, on --spot-port etc.) instead")
    p.add_argument("--speed", type=float, default=1.0, help="replay speed (default 1)")
    return p


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> int:
    if args.replay:
        return await _serve_replay(args, stop)
    markets = [m.strip() for m in args.markets.split(",") if m.strip()]
    bad = [m for m in markets if m not in MARKETS]
    if bad or not markets:
        print(f"unknown market(s): {bad}; expected {MARKETS}", file=sys.stderr)
        return 2
    if args.autoplay is not None and not args.autoplay > 0:
        print(f"--autoplay must be > 0 seconds, not {args.autoplay}", file=sys.stderr)
        return 2
    symbols = [s.strip().upper() for s in args.symbols.split(",")] if args.symbols else None
    servers: list[SimServer] = []
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        for market in markets:
            sim = SimServer(
                market, seed=args.seed, symbols=symbols, host=args.host,
                port=getattr(args, f"{market}_port"), ping_interval=args.ping_interval,
                pong_timeout=args.pong_timeout, max_lifetime=args.max_lifetime,
                depth_interval_ms=args.depth_interval_ms, weight_limit=args.weight_limit,
            )
            await sim.start()
            servers.append(sim)
            if args.autoplay is not None and sim.private.enabled:
                sim.private.start_autoplay(args.autoplay)
        for sim in servers:
            if args.plain:
                print(f"{sim.market} {sim.rest_url} {sim.stream_url}")
            else:
                print(orjson.dumps({"market": sim.market, "rest_url": sim.rest_url,
                                    "stream_url": sim.stream_url,
                                    "ws_api_url": sim.ws_api_url}).decode())
        sys.stdout.flush()
        await stop.wait()
    finally:
        for sim in servers:
            await sim.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    return 0


async def _serve_replay(args: argparse.Namespace, stop: asyncio.Event | None) -> int:
    from pathlib import Path

    from tuimon.sim.replay import serve_replay

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    if not (0 < args.speed <= 256):
        print("tuimon sim: --speed must be above 0 and at most 256", file=sys.stderr)
        return 2
    port = max(args.spot_port, args.usdm_port, args.coinm_port)
    return await serve_replay(Path(args.replay), host=args.host, port=port, speed=args.speed,
                              stop=stop, out=sys.stdout)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 0


run_cli = main

if __name__ == "__main__":
    raise SystemExit(main())
