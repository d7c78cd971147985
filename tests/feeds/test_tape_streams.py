"""The selected symbol's trades and mark streams: names, routes, and a switch that moves them
live (SUBSCRIBE/UNSUBSCRIBE on the same socket, asked of the simulator's subscription index)."""

from __future__ import annotations

from feed_helpers import WAIT, running_feed

from tuimon.feeds.market import Watch
from tuimon.protocol.endpoints import Market, Route
from tuimon.protocol.streams import route_of


async def test_usdm_streams_and_routes() -> None:
    async with running_feed("usdm", ["BTCUSDT", "ETHUSDT"]) as (_sim, _store, feed):
        one = frozenset({"BTCUSDT"})
        wanted = feed.streams_for(Watch(one, one, one, "1m", trades=one, marks=one))
        assert {"btcusdt@aggTrade", "btcusdt@forceOrder", "btcusdt@markPrice@1s"} <= wanted
        for stream in ("btcusdt@aggTrade", "btcusdt@forceOrder", "btcusdt@markPrice@1s"):
            assert route_of(Market.USDM, stream) is Route.MARKET  # never /public (§1.2)


async def test_spot_has_no_futures_streams() -> None:
    async with running_feed("spot", ["BTCUSDT"]) as (_sim, _store, feed):
        one = frozenset({"BTCUSDT"})
        wanted = feed.streams_for(Watch(one, one, one, "1m", trades=one, marks=one))
        assert "btcusdt@aggTrade" in wanted
        assert not any("markPrice" in s or "forceOrder" in s for s in wanted)


async def test_switching_moves_trades_and_mark_streams() -> None:
    symbols = ["BTCUSDT", "ETHUSDT"]
    async with running_feed("usdm", symbols) as (sim, store, feed):
        every = frozenset(symbols)
        btc, eth = frozenset({"BTCUSDT"}), frozenset({"ETHUSDT"})
        feed.set_watch(Watch(every, btc, btc, "1m", trades=btc, marks=btc))
        assert await store.wait_until(
            lambda s: "BTCUSDT" in s.marks and len(s.tapes["BTCUSDT"].entries) > 0, WAIT
        )
        feed.set_watch(Watch(every, eth, eth, "1m", trades=eth, marks=eth))
        assert "BTCUSDT" not in store.tapes  # an unwatched tape is dropped at once
        assert "BTCUSDT" not in store.marks  # and its mark: frozen, it would pass for current
        assert await store.wait_until(
            lambda s: "ETHUSDT" in s.marks and len(s.tapes["ETHUSDT"].entries) > 0, WAIT
        )

        def btc_gone(_s: object) -> bool:
            return not any(
                name.startswith("btcusdt@") and name != "btcusdt@miniTicker" and conns
                for name, conns in sim.subscribers.items()
            )

        assert await store.wait_until(btc_gone, WAIT)
        desired = {x for c in feed._connections.values() for x in c.desired}
        for name in ("ethusdt@aggTrade", "ethusdt@forceOrder", "ethusdt@markPrice@1s"):
            assert name in desired
        assert not any(x.startswith("btcusdt@") and "miniTicker" not in x for x in desired)
        eth_streams = ("ethusdt@aggTrade", "ethusdt@forceOrder", "ethusdt@markPrice@1s")
        # The server's own subscription index: what it will send (control frames are paced).
        assert await store.wait_until(
            lambda s: all(sim.subscribers.get(name) for name in eth_streams), WAIT
        )
        assert sim.stats.control_errors == 0
        tape = store.tapes["ETHUSDT"]
        ids = [t.trade_id for t in tape.trades()]
        assert ids == sorted(ids)


async def test_marks_of_several_symbols_are_seeded_by_one_request() -> None:
    symbols = ["BTCUSDT", "ETHUSDT"]
    async with running_feed("usdm", symbols) as (sim, store, feed):
        every = frozenset(symbols)
        calls: list[tuple[str, dict]] = []
        real_get = feed.rest.get

        async def spy(name, params=None, weight=1):
            calls.append((name, dict(params or {})))
            return await real_get(name, params, weight)

        feed.rest.get = spy  # type: ignore[method-assign]
        feed.set_watch(Watch(every, frozenset(), frozenset(), "1m", marks=every))
        await feed.wait_seeded(WAIT)
        assert [c for c in calls if c[0] == "premiumIndex"] == [("premiumIndex", {})]
        assert set(store.marks) == every  # every contract answered; only the watched kept
