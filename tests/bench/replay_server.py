"""Blast a recorded feed at every client as fast as the socket takes it, then close.

Run by bench_ingest.py in its own process so the sender does not share a core's event loop with
the consumer being measured. Usage: replay_server.py FRAMES_FILE (one frame per line).
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, serve


async def main(frames: list[str]) -> None:

    async def blast(ws: ServerConnection) -> None:
        for frame in frames:
            await ws.send(frame)  # str: text frames, as the exchange sends
        await ws.close()

    async with serve(blast, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as source:
        recorded = [line.decode() for line in source.read().splitlines() if line]
    asyncio.run(main(recorded))
