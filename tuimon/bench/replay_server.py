"""Serve a recorded feed to every client as fast as the kernel moves bytes, then close.

Run by the ingest benchmark (:mod:`tuimon.bench.ingest`) in its own process. The frames are
serialised once, at start, with websockets' own Frame.serialize, and written to each client's
socket in one go after the handshake, so the producer costs next to nothing and the figures
measure the consumers.
(Sending frame by frame with ``await ws.send`` capped both consumers at the sender's speed.)
Usage: python -m tuimon.bench.replay_server FRAMES_FILE (one frame per line).
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode


async def main(frames: list[bytes]) -> None:
    blob = b"".join(
        Frame(Opcode.TEXT, frame).serialize(mask=False, extensions=[]) for frame in frames
    )

    async def blast(ws: ServerConnection) -> None:
        ws.transport.write(blob)  # text frames, as the exchange sends, all at once
        await ws.close()

    async with serve(blast, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)  # noqa: T201 - the parent reads the port from stdout
        await asyncio.Future()


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as source:
        recorded = [line for line in source.read().splitlines() if line]
    asyncio.run(main(recorded))
