"""What a REST ban costs the client in memory: every book resyncs while REST is refused.

Not collected by pytest. Run::

    .venv/bin/python tests/bench/soak_ban.py                 # spot, 20 books, 80 s ban
    .venv/bin/python tests/bench/soak_ban.py --market usdm --ban 80

The soak (``soak.py``) showed the client's RSS climbing whenever its books waited long for a
snapshot (the REST weight window, a ban): a book that waits keeps its diffs (BookSync buffers
up to ``max_buffer`` per book, ~1.9 KB each once parsed; 5000 then, 250 now). This probe
isolates that: the same child client as the soak, the simulator in this process at
depth_interval_ms=10 (100 diffs/s per book, 10x the exchange's @100ms), a gap on every book
and a 418 ban of ``--ban`` seconds. It prints the client's RSS and buffered diffs every 10 s,
and the RSS after the books resync. At the exchange's speed the cap (250) is reached after
25 s of ban (a 418 lasts 2 min to 3 days).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


async def probe(args: argparse.Namespace) -> int:
    from soak import rss_mb, start_child

    from tuimon.sim import SimServer

    sim = SimServer(market=args.market, seed=7, port=0, depth_interval_ms=10)
    await sim.start()
    symbols = sim.symbols[: args.symbols]
    child = await start_child(argparse.Namespace(market=args.market, trace="none"), sim, symbols)
    reader = asyncio.create_task(child.read())
    try:
        await asyncio.wait_for(child.replies.get(), 60)
        while (await child.next_progress())["books_synced"] < len(symbols):
            pass
        before = rss_mb(child.proc.pid)
        print(f"{len(symbols)} books synced; client RSS {before:.1f} MB; gap on every book, "
              f"then REST banned (418) for {args.ban:g} s", flush=True)
        sim.inject("gap", count=1)
        sim.inject("rest_418", retry_after=args.ban)
        t0 = time.monotonic()
        due = 0.0
        while (t := time.monotonic() - t0) < args.ban - 2:
            p = await child.next_progress()
            if t >= due:
                due += 10
                print(f"  {t:5.1f} s: {p['buffered']:>7,} diffs buffered, {p['books_synced']:>2} "
                      f"books synced, client RSS {rss_mb(child.proc.pid):6.1f} MB", flush=True)
        sim.inject("clear")
        while (await child.next_progress())["books_synced"] < len(symbols):
            pass
        after = rss_mb(child.proc.pid)
        print(f"ban lifted, every book resynced: client RSS {after:.1f} MB "
              f"({after - before:+.1f} MB kept), {child.progress['buffered']} buffered")
    finally:
        child.send({"cmd": "stop"})
        await child.proc.wait()
        reader.cancel()
        await sim.stop()
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--market", choices=("spot", "usdm", "coinm"), default="spot")
    p.add_argument("--symbols", type=int, default=20)
    p.add_argument("--ban", type=float, default=80.0, help="418 Retry-After, seconds")
    return asyncio.run(probe(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
