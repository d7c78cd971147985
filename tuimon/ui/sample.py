"""Deterministic sample market state for snapshot tests, README screenshots and benchmarks.

Everything goes through the same Store mutators the market feed uses (``set_symbols``,
``apply_mini_ticker``, ``apply_snapshot``, ``load_klines``, ``set_connected``, ``note_message``),
from a seeded generator that makes Decimals from integers: no floats, no network, no clock
reads beyond the injected clock. The sample account goes through the AccountStore's own
mutators the user-data worker uses (``set_connection``, ``reconcile`` with buffered events,
``set_live``, ``apply``), so the pane shows what a real session would have built.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from tuimon.clock import Clock, FrozenClock
from tuimon.protocol.models import DepthSnapshot, Kline, Level, MiniTicker, SymbolInfo
from tuimon.protocol.streams import depth_stream
from tuimon.protocol.user_models import (
    AccountSnapshot,
    Balance,
    MarginBalance,
    Order,
    OrderUpdate,
    Position,
)
from tuimon.store import Store
from tuimon.ui.format import INTERVAL_MS

if TYPE_CHECKING:
    from tuimon.config import Config
    from tuimon.ui.app import TuimonApp

# symbol, base, quote, tick size, step size, reference price
SYMBOLS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("BTCUSDT", "BTC", "USDT", "0.01000000", "0.00001000", "97123.45"),
    ("ETHUSDT", "ETH", "USDT", "0.01000000", "0.00010000", "3421.17"),
    ("BNBUSDT", "BNB", "USDT", "0.01000000", "0.00100000", "612.30"),
    ("SOLUSDT", "SOL", "USDT", "0.01000000", "0.00100000", "187.42"),
    ("XRPUSDT", "XRP", "USDT", "0.00010000", "0.10000000", "2.3417"),
    ("DOGEUSDT", "DOGE", "USDT", "0.00001000", "1.00000000", "0.32145"),
    ("ADAUSDT", "ADA", "USDT", "0.00010000", "0.10000000", "0.9876"),
    ("TRXUSDT", "TRX", "USDT", "0.00010000", "0.10000000", "0.2411"),
    ("LINKUSDT", "LINK", "USDT", "0.01000000", "0.01000000", "23.45"),
    ("AVAXUSDT", "AVAX", "USDT", "0.01000000", "0.01000000", "38.12"),
    ("DOTUSDT", "DOT", "USDT", "0.00100000", "0.01000000", "7.123"),
    ("LTCUSDT", "LTC", "USDT", "0.01000000", "0.00100000", "104.55"),
    ("PEPEUSDT", "PEPE", "USDT", "0.00000001", "1.00000000", "0.00001987"),
    ("SHIBUSDT", "SHIB", "USDT", "0.00000001", "1.00000000", "0.00002211"),
    ("NEARUSDT", "NEAR", "USDT", "0.00100000", "0.10000000", "5.412"),
    ("UNIUSDT", "UNI", "USDT", "0.00100000", "0.01000000", "13.870"),
    ("ATOMUSDT", "ATOM", "USDT", "0.00100000", "0.01000000", "6.905"),
    ("APTUSDT", "APT", "USDT", "0.00100000", "0.01000000", "9.874"),
    ("ARBUSDT", "ARB", "USDT", "0.00010000", "0.10000000", "0.7841"),
    ("OPUSDT", "OP", "USDT", "0.00100000", "0.01000000", "1.874"),
    ("ETHBTC", "ETH", "BTC", "0.00001000", "0.00010000", "0.03522"),
    ("ETHFIUSDT", "ETHFI", "USDT", "0.00100000", "0.10000000", "2.117"),
    ("ETHUSDC", "ETH", "USDC", "0.01000000", "0.00010000", "3420.90"),
    ("BTCUSDC", "BTC", "USDC", "0.01000000", "0.00001000", "97110.02"),
    ("SOLBTC", "SOL", "BTC", "0.00000100", "0.00100000", "0.001930"),
)

WATCHLIST = tuple(s[0] for s in SYMBOLS[:12])
ROUTE = "spot"


@dataclass(frozen=True, slots=True)
class Sample:
    """What :func:`fill_store` put in the store."""

    watchlist: tuple[str, ...]
    selected: str
    interval: str


def _dec(rng: random.Random, low: int, high: int, places: int) -> Decimal:
    return Decimal(rng.randint(low, high)).scaleb(-places)


def symbol_table() -> dict[str, SymbolInfo]:
    """exchangeInfo of the sample market."""
    return {
        sym: SymbolInfo(sym, "TRADING", base, quote, Decimal(tick), Decimal(step))
        for sym, base, quote, tick, step, _ in SYMBOLS
    }


def fill_store(
    store: Store,
    clock: Clock,
    *,
    seed: int = 7,
    watchlist: tuple[str, ...] = WATCHLIST,
    selected: str = "BTCUSDT",
    interval: str = "1m",
    levels: int = 60,
    candles: int = 240,
) -> Sample:
    """Symbols, tickers for every symbol, one live book and klines for ``selected``."""
    rng = random.Random(seed)
    table = symbol_table()
    store.set_symbols(table)
    store.set_connected(ROUTE, True)
    now = clock.wall_ms()
    refs = {s[0]: Decimal(s[5]) for s in SYMBOLS}
    last: dict[str, Decimal] = {}
    for symbol, info in table.items():
        last[symbol] = apply_ticker(store, info, refs[symbol], rng, now).close
    symbol_info = table[selected]
    store.book(selected)
    store.apply_snapshot(selected, depth_snapshot(symbol_info, last[selected], rng, levels))
    store.route_book(selected, ROUTE, depth_stream(selected))
    store.load_klines(
        selected, interval, klines(symbol_info, last[selected], rng, interval, candles, now)
    )
    store.note_message(ROUTE, now - 42)
    return Sample(watchlist=watchlist, selected=selected, interval=interval)


def apply_ticker(
    store: Store, info: SymbolInfo, ref: Decimal, rng: random.Random, now: int
) -> MiniTicker:
    """One mini ticker around ``ref`` (24 h change within ±8 %), applied to the store."""
    ticker = make_ticker(info, ref, rng, now)
    store.apply_mini_ticker(ticker)
    return ticker


def make_ticker(info: SymbolInfo, ref: Decimal, rng: random.Random, now: int) -> MiniTicker:
    """One mini ticker around ``ref`` (24 h change within ±8 %)."""
    tick = info.tick_size.normalize()
    change_bp = rng.randint(-800, 800)
    close = (ref * (1 + Decimal(rng.randint(-50, 50)) / 10_000)).quantize(tick)
    open_ = (close / (1 + Decimal(change_bp) / 10_000)).quantize(tick)
    high = (max(close, open_) * (1 + _dec(rng, 5, 300, 4) / 100)).quantize(tick)
    low = (min(close, open_) * (1 - _dec(rng, 5, 300, 4) / 100)).quantize(tick)
    volume = _dec(rng, 10_000, 900_000_000, 2)
    quote_volume = (volume * close).quantize(Decimal("0.01"))
    return MiniTicker(info.symbol, now, close, open_, high, low, volume, quote_volume)


_MARKET_QUOTES = (("USDT", 60), ("USDC", 15), ("FDUSD", 8), ("BTC", 10), ("ETH", 7))


def fill_market(store: Store, clock: Clock, *, count: int = 420, seed: int = 11) -> list[str]:
    """A whole market for the screener: the sample symbols plus ``count`` seeded made-up
    ones (exchangeInfo entries and one ``!miniTicker@arr``-style batch through
    ``apply_market_tickers``). Returns the symbols added."""
    rng = random.Random(seed)
    table = dict(store.symbols or symbol_table())
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    quotes = [q for q, weight in _MARKET_QUOTES for _ in range(weight)]
    refs: dict[str, Decimal] = {s[0]: Decimal(s[5]) for s in SYMBOLS}
    added: list[str] = []
    while len(added) < count:
        base = "".join(rng.choice(letters) for _ in range(rng.randint(2, 5)))
        quote = rng.choice(quotes)
        symbol = base + quote
        if symbol in table:
            continue
        exponent = rng.randint(-5, 3)  # prices from 0.00001 to 9999
        ref = Decimal(rng.randint(1000, 9999)).scaleb(exponent - 3)
        tick = Decimal(1).scaleb(min(0, exponent - 4))
        table[symbol] = SymbolInfo(symbol, "TRADING", base, quote, tick, Decimal("0.01"))
        refs[symbol] = ref
        added.append(symbol)
    store.set_symbols(table)
    now = clock.wall_ms()
    store.apply_market_tickers(
        [make_ticker(info, refs[sym], rng, now) for sym, info in table.items() if sym in refs]
    )
    return added


def depth_snapshot(
    info: SymbolInfo, mid: Decimal, rng: random.Random, levels: int
) -> DepthSnapshot:
    """A plausible book: one tick spread, sizes growing away from the touch."""
    tick = info.tick_size.normalize()
    step = info.step_size.normalize()
    best_bid = mid.quantize(tick)
    best_ask = best_bid + tick
    bids: list[Level] = []
    asks: list[Level] = []
    bid, ask = best_bid, best_ask
    for i in range(levels):
        bids.append((bid, _size(rng, step, i)))
        asks.append((ask, _size(rng, step, i)))
        bid -= tick * rng.randint(1, 3)
        ask += tick * rng.randint(1, 3)
    return DepthSnapshot(last_update_id=1_000, bids=tuple(bids), asks=tuple(asks))


def _size(rng: random.Random, step: Decimal, i: int) -> Decimal:
    units = rng.randint(1, 400) * (1 + i // 4)
    size = (step * units * 37).quantize(step)
    return size if size > 0 else step


def klines(
    info: SymbolInfo,
    ref: Decimal,
    rng: random.Random,
    interval: str,
    count: int,
    now: int,
) -> list[Kline]:
    """A seeded random walk of closed candles ending (forming candle) at ``ref``."""
    step = INTERVAL_MS.get(interval, 60_000)
    tick = info.tick_size.normalize()
    start = (now // step - count + 1) * step
    price = ref
    walk: list[tuple[Decimal, Decimal, Decimal, Decimal]] = []
    for _ in range(count):
        open_ = price.quantize(tick)
        close = (open_ * (1 + Decimal(rng.randint(-40, 42)) / 10_000)).quantize(tick)
        high = (max(open_, close) * (1 + _dec(rng, 0, 15, 4) / 100)).quantize(tick)
        low = (min(open_, close) * (1 - _dec(rng, 0, 15, 4) / 100)).quantize(tick)
        walk.append((open_, high, low, close))
        price = close
    shift = ref.quantize(tick) - walk[-1][3]  # end the walk exactly at the last price
    out: list[Kline] = []
    for i, prices in enumerate(walk):
        open_, high, low, close = (p + shift for p in prices)
        volume = _dec(rng, 100, 90_000, 2)
        open_time = start + i * step
        out.append(
            Kline(
                info.symbol,
                now,
                interval,
                open_time,
                open_time + step - 1,
                open_,
                high,
                low,
                close,
                volume,
                (volume * close).quantize(Decimal("0.01")),
                rng.randint(10, 900),
                i < count - 1,
            )
        )
    return out


def make_stale(store: Store, *, disconnected: bool = True) -> None:
    """Drop the connection (or silence it) the way the feed reports it."""
    if disconnected:
        store.set_connected(ROUTE, False, "connection closed (1006)")
        store.set_status(f"{ROUTE}: connection closed (1006), reconnecting in 2.0 s")
        store.note_reconnect(ROUTE)


AUTH_STATUS = (
    "API key rejected (-2015): unknown or deleted key, IP not whitelisted, or the key lacks "
    "read permission (enable 'Enable Reading' for this key) (retrying in 60 s)"
)
"""What the user-data worker leaves in ``account.status`` after a -2015."""

ACCOUNT_KINDS = ("demo", "empty", "none", "auth", "connecting")
"""Sample accounts: seeded orders/balances/fills (and positions on usdm), a live account with
nothing in it, no keys, keys refused, and a session still connecting."""

_MIN = 60_000


def _order(
    market: str,
    symbol: str,
    order_id: int,
    side: str,
    price: str,
    qty: str,
    *,
    executed: str = "0",
    type_: str = "LIMIT",
    created: int,
    updated: int | None = None,
) -> Order:
    status = "NEW" if Decimal(executed) == 0 else "PARTIALLY_FILLED"
    if Decimal(executed) == Decimal(qty):
        status = "FILLED"
    return Order(
        market=market,
        symbol=symbol,
        order_id=order_id,
        client_order_id=f"sample-{order_id}",
        side=side,
        type=type_,
        time_in_force="GTC",
        price=Decimal(price),
        stop_price=Decimal(0),
        orig_qty=Decimal(qty),
        executed_qty=Decimal(executed),
        cum_quote=Decimal(executed) * Decimal(price),
        status=status,
        created_ms=created,
        update_ms=updated if updated is not None else created,
    )


def _trade(order: Order, last_qty: str, trade_id: int) -> OrderUpdate:
    commission_asset = "USDT" if order.market != "spot" or order.side == "SELL" else "BNB"
    return OrderUpdate(
        order=order,
        event_time=order.update_ms,
        exec_type="TRADE",
        last_qty=Decimal(last_qty),
        last_price=order.price,
        commission=Decimal("0.0012"),
        commission_asset=commission_asset,
        trade_id=trade_id,
        maker=True,
    )


# symbol, order id, side, price, quantity, executed, age (ms), spot type (usdm: LIMIT)
_SAMPLE_ORDERS = (
    ("BTCUSDT", 4_100_001, "BUY", "96500.00", "0.01500", "0.00500", 3 * _MIN + 12_000, "LIMIT"),
    ("ETHUSDT", 4_100_002, "BUY", "3350.00", "0.5000", "0", 12 * _MIN, "LIMIT"),
    ("SOLUSDT", 4_100_003, "SELL", "195.00", "12.500", "0", 125 * _MIN, "LIMIT_MAKER"),
    ("BTCUSDT", 4_100_004, "SELL", "98000.00", "0.02000", "0", 45_000, "LIMIT"),
    ("XRPUSDT", 4_100_005, "BUY", "2.2500", "800.0", "0", 26 * 60 * _MIN, "LIMIT"),
)
# asset, free, locked (one unknown to the tickers: BETH has no BETHUSDT, so no value)
_SPOT_BALANCES = (
    ("USDT", "12345.67", "1447.50"),
    ("BTC", "0.41230000", "0.02000000"),
    ("ETH", "3.50000000", "0"),
    ("BNB", "12.30400000", "0"),
    ("SOL", "27.50000000", "12.50000000"),
    ("DOGE", "1500.00000000", "0"),
    ("BETH", "0.05000000", "0"),
)
# symbol, signed amount, entry, mark, unrealized PnL (= amount × (mark − entry))
_POSITIONS = (
    ("BTCUSDT", "0.050", "95100.0", "96822.37", "86.12"),
    ("ETHUSDT", "-1.200", "3450.00", "3408.17", "50.20"),
)


def fill_account(store: Store, clock: Clock, kind: str = "demo") -> None:
    """Put a sample account (see :data:`ACCOUNT_KINDS`) in ``store.account``."""
    account = store.account
    market = store.market
    futures = store.futures
    if kind == "none":
        from tuimon.feeds.credentials import NO_KEYS_HELP

        account.disable(NO_KEYS_HELP)
        return
    if kind == "connecting":
        account.set_status("connecting")
        return
    if kind == "auth":
        account.set_connection(False, AUTH_STATUS)
        return
    now = clock.wall_ms()
    account.set_connection(True, "subscribing")
    if kind == "empty":
        nothing: tuple[Balance | MarginBalance, ...] = ()
        account.reconcile(AccountSnapshot(market, (), nothing, now, () if futures else None))
        account.set_live("live")
        return

    def order(
        symbol: str,
        order_id: int,
        side: str,
        price: str,
        qty: str,
        executed: str,
        age: int,
        type_: str = "LIMIT",
        updated_ago: int | None = None,
    ) -> Order:
        updated = now - (age if updated_ago is None else updated_ago)
        return _order(
            market,
            symbol,
            order_id,
            side,
            price,
            qty,
            executed=executed,
            type_="LIMIT" if futures else type_,
            created=now - age,
            updated=updated,
        )

    orders = tuple(order(*row) for row in _SAMPLE_ORDERS)
    balances: tuple[Balance | MarginBalance, ...]
    if futures:
        balances = (
            MarginBalance("USDT", Decimal("25000.00"), Decimal("25000.00"), now - _MIN),
            MarginBalance("BNB", Decimal("2.000"), Decimal("2.000"), now - _MIN),
        )
        positions = tuple(
            Position(
                symbol,
                "BOTH",
                Decimal(amount),
                Decimal(entry),
                None,
                Decimal(mark),
                Decimal(pnl),
                "cross",
                now - 5 * _MIN,
            )
            for symbol, amount, entry, mark, pnl in _POSITIONS
        )
        snapshot = AccountSnapshot(market, orders, balances, 0, positions, now - 2 * _MIN)
    else:
        balances = tuple(
            Balance(asset, Decimal(free), Decimal(locked), now - 10 * _MIN)
            for asset, free, locked in _SPOT_BALANCES
        )
        snapshot = AccountSnapshot(market, orders, balances, now - 10 * _MIN, None, now - 2 * _MIN)
    # Buffered while the REST snapshot loaded, both newer than it: an order that filled (it
    # never reaches the open list) and a partial fill of the BTC bid.
    filled = order(
        "ETHUSDT", 4_099_990, "SELL", "3420.00", "0.2500", "0.2500", 30 * _MIN, updated_ago=90_000
    )
    partial = order(
        "BTCUSDT",
        4_100_001,
        "BUY",
        "96500.00",
        "0.01500",
        "0.00750",
        3 * _MIN + 12_000,
        updated_ago=_MIN,
    )
    account.reconcile(
        snapshot, [_trade(filled, "0.2500", 77_001), _trade(partial, "0.00250", 77_002)]
    )
    account.set_live("live")
    # Then live: the SOL offer fills in part.
    sol = order(
        "SOLUSDT",
        4_100_003,
        "SELL",
        "195.00",
        "12.500",
        "4.000",
        125 * _MIN,
        "LIMIT_MAKER",
        updated_ago=20_000,
    )
    account.apply(_trade(sol, "4.000", 77_003))


SAMPLE_ALERT_RULES: tuple[tuple[str, bool], ...] = (
    ("BTCUSDT price > 95000", True),
    ("BTCUSDT spread_bps >= 5", True),
    ("ETHUSDT move_pct_5m > 2", True),
    ("SOLUSDT change_pct < -5", False),
    ("* fill > 0", True),
)
"""Rules of the alert screenshots: one that fires on the sample data, one whose window is not
known yet, a disabled one, and a fill rule."""


def sample_alert_config() -> Config:
    """A config holding :data:`SAMPLE_ALERT_RULES` (default [notify])."""
    from tuimon.config import AlertPrefs, Config

    return Config(alerts=tuple(AlertPrefs(rule, enabled) for rule, enabled in SAMPLE_ALERT_RULES))


def build_sample_app(
    *,
    watchlist: tuple[str, ...] = WATCHLIST,
    selected: str = "BTCUSDT",
    stale: bool = False,
    config_path: Path | None = None,
    live: bool = False,
    uptime_ms: int = 754_000,
    market: str = "spot",
    account: str = "demo",
    config: Config | None = None,
    market_size: int = 0,
) -> TuimonApp:
    """The real app (via the factory) over a seeded store and a frozen clock, no feed.

    ``market_size`` > 0 adds that many made-up symbols and every symbol's mini ticker for
    the screener (:func:`fill_market`).

    ``market`` is ``spot`` or ``usdm`` (the same sample symbols; the account then has margin
    balances and positions). ``account`` is one of :data:`ACCOUNT_KINDS`. ``stale`` drops
    the market connection and the account's.
    """
    from tuimon.config import Config, Settings
    from tuimon.ui.factory import build_app

    clock = FrozenClock()
    store = Store(market, clock=clock, futures=market != "spot")
    clock.advance(uptime_ms)
    fill_store(store, clock, watchlist=watchlist, selected=selected)
    fill_account(store, clock, account)
    if market_size:
        fill_market(store, clock, count=market_size)
    if stale:
        make_stale(store)
        if store.account.enabled:
            store.account.set_connection(False, "reconnecting: disconnected")
    settings = Settings(
        market=market,
        watchlist=watchlist,
        selected=selected,
        config=config or Config(),
        config_path=config_path,
    )
    return build_app(settings, store=store, clock=clock, live=live)
