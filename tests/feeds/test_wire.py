"""The sans-I/O transport against a plain websockets server: fragments, pings, closes, errors."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.server import ServerConnection, serve

from tuimon.feeds import wire


async def test_messages_fragments_pings_and_close_code():
    got: list[bytes] = []
    pong_seen = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        await ws.send('{"a":1}')
        await ws.send(["{\"frag", "mented\":", "true}"])  # one message in three frames
        pong = await ws.ping(b"hi")
        await pong
        pong_seen.set()
        echoed = await ws.recv()
        await ws.send(echoed)
        await ws.close(1001, "going away")

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = await wire.connect(f"ws://127.0.0.1:{port}/stream?streams=x", got.append)
        conn.send_text('{"method":"LIST_SUBSCRIPTIONS","id":1}')
        with pytest.raises(Exception, match="1001"):
            await conn.wait_closed()
    assert pong_seen.is_set()  # our side answered the server's ping
    assert got == [b'{"a":1}', b'{"fragmented":true}', b'{"method":"LIST_SUBSCRIPTIONS","id":1}']
    assert conn.frames == 3


async def test_each_read_ends_with_one_read_end_after_its_messages():
    """on_read_end follows the last message of every TCP read that delivered any: never before
    a message, never twice in a row, and the last event is one (however TCP cut the stream)."""
    events: list[str] = []
    sent = 200

    async def burst(ws: ServerConnection) -> None:
        for n in range(sent):
            await ws.send(f'{{"n":{n}}}')
        await ws.close()

    async with serve(burst, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = await wire.connect(
            f"ws://127.0.0.1:{port}/",
            lambda raw: events.append("m"),
            on_read_end=lambda: events.append("end"),
        )
        with pytest.raises(Exception, match="1000"):
            await conn.wait_closed()
    assert events.count("m") == sent
    assert events[0] == "m" and events[-1] == "end"
    assert "end,end" not in ",".join(events)
    assert 1 <= events.count("end") <= sent


async def test_handshake_refusal_raises_and_handler_bug_closes_loudly():
    async def refuse(connection, request):  # noqa: ARG001
        return connection.respond(404, "no such route\n")

    async with serve(lambda ws: asyncio.sleep(0), "127.0.0.1", 0, process_request=refuse) as s:
        port = s.sockets[0].getsockname()[1]
        with pytest.raises(wire.WireClosed, match="HTTP 404"):
            await wire.connect(f"ws://127.0.0.1:{port}/stream?streams=x", print)

    async def chatty(ws: ServerConnection) -> None:
        await ws.send("boom")
        await ws.wait_closed()

    def broken(raw: bytes) -> None:
        raise RuntimeError("bug in the handler")

    async with serve(chatty, "127.0.0.1", 0) as s:
        port = s.sockets[0].getsockname()[1]
        conn = await wire.connect(f"ws://127.0.0.1:{port}/", broken)
        with pytest.raises(RuntimeError, match="bug in the handler"):
            await conn.wait_closed()


async def test_bad_url_is_a_one_line_error():
    with pytest.raises(wire.WireClosed, match="bad URL"):
        await wire.connect("http://not-a-websocket", print)


async def test_a_handshake_that_times_out_closes_its_socket():
    """A server that accepts TCP and never answers: TimeoutError, and our socket is closed
    (the server sees EOF) rather than left open until garbage collection."""
    eof = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass  # swallow the handshake request, answer nothing
        eof.set()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TimeoutError):
            await wire.connect(f"ws://127.0.0.1:{port}/stream", lambda _raw: None,
                               open_timeout=0.2)
        await asyncio.wait_for(eof.wait(), 5.0)
    finally:
        server.close()
        await server.wait_closed()
