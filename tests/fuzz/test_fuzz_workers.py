"""The workers' ingest under fuzzing: whatever bytes arrive, ingest returns, counts the bad ones
and keeps the Store consistent (a frame never ends a session).

The market worker gets frames for a synced book, a waiting book and unknown symbols; the user
worker gets events applied live to its AccountStore, and WS API responses with a request
outstanding.
"""

from __future__ import annotations

from decimal import Decimal

from fuzz_strategies import dumps, event_shaped, mutated, raw_frames, recorded_user_frames
from hypothesis import example, given
from hypothesis import strategies as st

from tuimon.clock import FrozenClock
from tuimon.feeds.credentials import Credentials
from tuimon.feeds.market import MarketFeed
from tuimon.feeds.proxy import ProxyRules
from tuimon.feeds.rest import RestClient
from tuimon.feeds.user import UserFeed
from tuimon.protocol.endpoints import Market, resolve_endpoints
from tuimon.protocol.models import BadFrame, DepthSnapshot
from tuimon.protocol.parse import parse_frame
from tuimon.protocol.signing import HmacSigner, Secret
from tuimon.protocol.user_parse import parse_user_frame
from tuimon.store import Store
from tuimon.store.account import AccountStore, account_json

ONE = Decimal(1)


def market_feed() -> tuple[Store, MarketFeed, list[str]]:
    endpoints = resolve_endpoints(Market.SPOT, env={})
    store = Store("spot", futures=False, clock=FrozenClock())
    proxies = ProxyRules.direct()
    feed = MarketFeed(store, endpoints, rest=RestClient(endpoints, proxies=proxies),
                      clock=store.clock, proxies=proxies)
    wanted: list[str] = []
    feed._want_snapshot = wanted.append  # type: ignore[method-assign]  # no loop, no REST here
    store.book("A")
    store.apply_snapshot("A", DepthSnapshot(1, ((Decimal(10), ONE),), ((Decimal(11), ONE),)))
    store.book("B")  # waiting for its snapshot
    return store, feed, wanted


def depth_frames(symbol: str) -> st.SearchStrategy[bytes]:
    return event_shaped().map(
        lambda e: dumps({"stream": "a@depth", "data": {**e, "e": "depthUpdate", "s": symbol}})
    )


@given(st.lists(st.one_of(raw_frames, depth_frames("A"), depth_frames("B")), max_size=4))
@example([b'{"stream":"a@depth","data":{"e":"depthUpdate","E":1,"s":"A","U":2,"u":2,'
          b'"b":[["1e999999","1"]],"a":[]}}'])
def test_market_ingest(frames):
    store, feed, _ = market_feed()
    bad = 0
    for raw in frames:
        assert feed.ingest("spot", raw) is None
        bad += isinstance(parse_frame(raw)[1], BadFrame)
    assert store.health.bad_frames == bad == feed.bad_frames.count


def user_feed(market: str) -> tuple[AccountStore, UserFeed]:
    endpoints = resolve_endpoints(Market(market), env={})
    credentials = Credentials(Secret("k" * 64), HmacSigner(Secret("s" * 64)), "test")
    account = AccountStore(market)
    feed = UserFeed(account, endpoints, credentials, proxies=ProxyRules.direct())
    return account, feed


@given(
    st.sampled_from(["spot", "usdm"]),
    st.lists(st.one_of(raw_frames, mutated(list(recorded_user_frames())).map(dumps)), max_size=4),
)
def test_user_ingest(market, frames):
    account, feed = user_feed(market)
    bad = 0
    for raw in frames:
        feed._ingest(raw)
        bad += isinstance(parse_user_frame(raw), BadFrame)
    assert account.stats.bad_frames == bad == feed.bad_frames.count
    account_json(account)  # what the pane and `snapshot --private` show stays printable
