"""JSON payload builders for streams and REST, shaped like the recorded frames (§4, §5, §7).

Each builder is called at most once per tick per stream; the serialized bytes are shared by every
subscriber. Key sets and key order follow the recorded payloads in
/work/shared/data/binance-recorded and the reference examples.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from tuimon.sim.fmt import percent
from tuimon.sim.klines import (
    DAY,
    K_C,
    K_CT,
    K_F,
    K_H,
    K_L,
    K_LID,
    K_N,
    K_O,
    K_Q,
    K_T,
    K_TBQ,
    K_TBV,
    K_V,
    CandleView,
)
from tuimon.sim.marks import INTEREST_RATE, Liquidation, fmt8, next_funding_time, price8
from tuimon.sim.model import (
    T_AGG,
    T_FIRST,
    T_LAST,
    T_MAKER,
    T_PARTS,
    T_PRICE,
    T_QTY,
    T_TIME,
    AggTrade,
    DiffWindow,
    SymbolModel,
    TradeRow,
)

dumps = orjson.dumps


def _levels(sm: SymbolModel, levels: dict[int, int], descending: bool) -> list[list[str]]:
    price, qty = sm.fmt.price, sm.fmt.qty
    return [[price(p), qty(q)] for p, q in sorted(levels.items(), reverse=descending)]


def depth_diff(sm: SymbolModel, w: DiffWindow, event_ms: int, prev_u: int) -> bytes:
    """depthUpdate. Spot: U/u only. Futures: adds T and pu (previous event's u) (§4.2)."""
    if sm.futures:
        # Recorded futures diffs list both sides in ascending price order.
        d: dict[str, Any] = {"e": "depthUpdate", "E": event_ms, "T": w.last_time, "s": sm.symbol}
        if sm.spec.pair is not None:
            d["ps"] = sm.spec.pair
        d["U"] = w.first_id
        d["u"] = w.last_id
        d["pu"] = prev_u
        d["b"] = _levels(sm, w.bids, False)
        d["a"] = _levels(sm, w.asks, False)
        return dumps(d)
    return dumps({
        "e": "depthUpdate", "E": event_ms, "s": sm.symbol, "U": w.first_id, "u": w.last_id,
        "b": _levels(sm, w.bids, True), "a": _levels(sm, w.asks, False),
    })


def partial_spot(sm: SymbolModel, levels: int) -> bytes:
    """Spot partial book (<s>@depth<N>): lastUpdateId + top levels, no symbol (§4.1)."""
    last_id, bids, asks = sm.snapshot(levels)
    return dumps({"lastUpdateId": last_id, "bids": bids, "asks": asks})


def partial_futures(sm: SymbolModel, levels: int, w: DiffWindow, event_ms: int,
                    prev_u: int) -> bytes:
    """Futures partial book: same shape as the diff event, with the top N levels (§4.2)."""
    _, bids, asks = sm.snapshot(levels)
    d: dict[str, Any] = {"e": "depthUpdate", "E": event_ms, "T": w.last_time, "s": sm.symbol}
    if sm.spec.pair is not None:
        d["ps"] = sm.spec.pair
    d.update({"U": w.first_id, "u": w.last_id, "pu": prev_u, "b": bids, "a": asks})
    return dumps(d)


def book_ticker(sm: SymbolModel, top: tuple[int, int, int, int, int], event_ms: int) -> bytes:
    uid, bb, bq, ba, aq = top
    price, qty = sm.fmt.price, sm.fmt.qty
    if sm.futures:
        d: dict[str, Any] = {"e": "bookTicker", "u": uid, "E": event_ms,
                             "T": sm.last_update_time, "s": sm.symbol}
        if sm.spec.pair is not None:
            d["ps"] = sm.spec.pair
        d.update({"b": price(bb), "B": qty(bq), "a": price(ba), "A": qty(aq)})
        return dumps(d)
    # Spot bookTicker has no e/E (§4.1).
    return dumps({"u": uid, "s": sm.symbol, "b": price(bb), "B": qty(bq), "a": price(ba),
                  "A": qty(aq)})


def current_book_ticker(sm: SymbolModel, event_ms: int) -> bytes:
    return book_ticker(sm, (sm.last_id, *sm.top), event_ms)


def trade(sm: SymbolModel, agg: AggTrade, part: tuple[int, int], event_ms: int) -> bytes:
    """Spot @trade; buyer/seller order ids b/a were removed in 2024 (§0)."""
    tid, q = part
    return dumps({
        "e": "trade", "E": event_ms, "s": sm.symbol, "t": tid, "p": sm.fmt.price(agg.price),
        "q": sm.fmt.qty(q), "T": agg.time, "m": agg.buyer_maker, "M": True,
    })


def agg_trade(sm: SymbolModel, agg: AggTrade, event_ms: int) -> bytes:
    price, qty = sm.fmt.price(agg.price), sm.fmt.qty(agg.qty)
    if sm.futures:
        # Futures: adds nq (qty without RPI fills), no M (§4.2).
        return dumps({
            "e": "aggTrade", "E": event_ms, "s": sm.symbol, "a": agg.agg_id, "p": price,
            "q": qty, "nq": qty, "f": agg.first_id, "l": agg.last_id, "T": agg.time,
            "m": agg.buyer_maker,
        })
    return dumps({
        "e": "aggTrade", "E": event_ms, "s": sm.symbol, "a": agg.agg_id, "p": price, "q": qty,
        "f": agg.first_id, "l": agg.last_id, "T": agg.time, "m": agg.buyer_maker, "M": True,
    })


def _kline_body(sm: SymbolModel, interval: str, c: CandleView, final: bool) -> dict[str, Any]:
    f = sm.fmt
    return {
        "t": c[K_T], "T": c[K_CT], "s": sm.symbol, "i": interval, "f": c[K_F], "L": c[K_LID],
        "o": f.price(c[K_O]), "c": f.price(c[K_C]), "h": f.price(c[K_H]), "l": f.price(c[K_L]),
        "v": f.qty(c[K_V]), "n": c[K_N], "x": final, "q": f.quote(c[K_Q]),
        "V": f.qty(c[K_TBV]), "Q": f.quote(c[K_TBQ]), "B": "0",
    }


def kline(sm: SymbolModel, interval: str, c: CandleView, final: bool, event_ms: int) -> bytes:
    return dumps({"e": "kline", "E": event_ms, "s": sm.symbol,
                  "k": _kline_body(sm, interval, c, final)})


def kline_row(sm: SymbolModel, c: CandleView) -> list[Any]:
    """REST klines row: [open, o, h, l, c, v, close, q, n, V, Q, "0"]."""
    f = sm.fmt
    return [c[K_T], f.price(c[K_O]), f.price(c[K_H]), f.price(c[K_L]), f.price(c[K_C]),
            f.qty(c[K_V]), c[K_CT], f.quote(c[K_Q]), c[K_N], f.qty(c[K_TBV]),
            f.quote(c[K_TBQ]), "0"]


def mini_ticker_dict(sm: SymbolModel, event_ms: int) -> dict[str, Any]:
    st, f = sm.stats, sm.fmt
    return {"e": "24hrMiniTicker", "E": event_ms, "s": sm.symbol, "c": f.price(st.c),
            "o": f.price(st.o), "h": f.price(st.h), "l": f.price(st.l), "v": f.qty(st.v),
            "q": f.quote(st.q)}


def ticker_dict(sm: SymbolModel, event_ms: int) -> dict[str, Any]:
    st, f = sm.stats, sm.fmt
    d: dict[str, Any] = {
        "e": "24hrTicker", "E": event_ms, "s": sm.symbol, "p": f.price(st.c - st.o),
        "P": percent(st.c - st.o, st.o), "w": f.vwap(st.q, st.v, st.c),
    }
    if not sm.futures:
        d["x"] = f.price(st.o)  # last price before the window; the window opens at o
    d.update({"c": f.price(st.c), "Q": f.qty(st.last_qty)})
    if not sm.futures:
        bb, bq, ba, aq = sm.top
        d.update({"b": f.price(bb), "B": f.qty(bq), "a": f.price(ba), "A": f.qty(aq)})
    d.update({
        "o": f.price(st.o), "h": f.price(st.h), "l": f.price(st.l), "v": f.qty(st.v),
        "q": f.quote(st.q), "O": event_ms - DAY, "C": event_ms, "F": st.first_id,
        "L": st.last_id, "n": st.n,
    })
    return d


def mark_price_dict(sm: SymbolModel, event_ms: int) -> dict[str, Any]:
    """markPriceUpdate from the symbol's index/mark/funding model (§4.2, tuimon.sim.marks)."""
    m = sm.marks
    assert m is not None
    tick = sm.fmt.tick
    mark = price8(m.mark(), tick)
    index = price8(m.index(), tick)
    d: dict[str, Any] = {"e": "markPriceUpdate", "E": event_ms, "s": sm.symbol}
    if sm.spec.pair is not None:
        d["ps"] = sm.spec.pair
    d.update({"p": mark, "i": index, "P": index, "r": fmt8(m.funding_rate()), "ap": mark,
              "T": next_funding_time(event_ms)})
    return d


def force_order(sm: SymbolModel, liq: Liquidation, event_ms: int) -> bytes:
    """forceOrder: the latest liquidation order of the symbol (§4.2); COIN-M adds ps."""
    f = sm.fmt
    avg = Decimal(liq.quote) / liq.filled * f.tick if liq.filled else Decimal(0)
    o: dict[str, Any] = {"s": sm.symbol}
    if sm.spec.pair is not None:
        o["ps"] = sm.spec.pair
    o.update({
        "S": liq.side, "o": "LIMIT", "f": "IOC", "q": f.qty(liq.qty), "p": f.price(liq.price),
        "ap": f.price_from_decimal(avg), "X": "FILLED" if liq.filled == liq.qty else "EXPIRED",
        "l": f.qty(liq.filled), "z": f.qty(liq.filled), "T": liq.time,
    })
    return dumps({"e": "forceOrder", "E": event_ms, "o": o})


def premium_index(sm: SymbolModel, now_ms: int) -> dict[str, Any]:
    """GET premiumIndex entry: USDⓈ-M shape, COIN-M adds pair (UM/CM docs Mark Price)."""
    m = sm.marks
    assert m is not None
    tick = sm.fmt.tick
    index = price8(m.index(), tick)
    d: dict[str, Any] = {"symbol": sm.symbol}
    if sm.spec.pair is not None:
        d["pair"] = sm.spec.pair
    d.update({
        "markPrice": price8(m.mark(), tick), "indexPrice": index,
        "estimatedSettlePrice": index, "lastFundingRate": fmt8(m.funding_rate()),
        "interestRate": fmt8(INTEREST_RATE), "nextFundingTime": next_funding_time(now_ms),
        "time": now_ms,
    })
    return d


def rest_agg_trade(sm: SymbolModel, row: TradeRow) -> dict[str, Any]:
    """GET aggTrades row; futures have no M (UM/CM docs, recorded responses)."""
    f = sm.fmt
    d: dict[str, Any] = {
        "a": row[T_AGG], "p": f.price(row[T_PRICE]), "q": f.qty(row[T_QTY]),
        "f": row[T_FIRST], "l": row[T_LAST], "T": row[T_TIME], "m": bool(row[T_MAKER]),
    }
    if not sm.futures:
        d["M"] = True
    return d


def rest_trades(sm: SymbolModel, row: TradeRow) -> list[dict[str, Any]]:
    """GET trades rows of one aggregate trade: spot / USDⓈ-M / COIN-M shapes."""
    f = sm.fmt
    px = row[T_PRICE]
    price = f.price(px)
    maker = bool(row[T_MAKER])
    out = []
    for i in range(T_PARTS, len(row)):
        q = row[i]
        d: dict[str, Any] = {"id": row[T_FIRST] + i - T_PARTS, "price": price, "qty": f.qty(q)}
        if f.contract_size is not None:
            d["baseQty"] = f.quote(f.quote_units(px, q))  # COIN-M: base-asset amount
        else:
            d["quoteQty"] = f.quote(f.quote_units(px, q))
        d["time"] = row[T_TIME]
        d["isBuyerMaker"] = maker
        if not sm.futures:
            d["isBestMatch"] = True
        out.append(d)
    return out


def rest_ticker(sm: SymbolModel, now_ms: int, mini: bool = False) -> dict[str, Any]:
    """GET ticker/24hr entry (spot FULL/MINI, futures shape)."""
    st, f = sm.stats, sm.fmt
    if mini:
        return {
            "symbol": sm.symbol, "openPrice": f.price(st.o), "highPrice": f.price(st.h),
            "lowPrice": f.price(st.l), "lastPrice": f.price(st.c), "volume": f.qty(st.v),
            "quoteVolume": f.quote(st.q), "openTime": now_ms - DAY, "closeTime": now_ms,
            "firstId": st.first_id, "lastId": st.last_id, "count": st.n,
        }
    d: dict[str, Any] = {
        "symbol": sm.symbol, "priceChange": f.price(st.c - st.o),
        "priceChangePercent": percent(st.c - st.o, st.o), "weightedAvgPrice": f.vwap(
            st.q, st.v, st.c),
    }
    if not sm.futures:
        bb, bq, ba, aq = sm.top
        d.update({"prevClosePrice": f.price(st.o), "lastPrice": f.price(st.c),
                  "lastQty": f.qty(st.last_qty), "bidPrice": f.price(bb), "bidQty": f.qty(bq),
                  "askPrice": f.price(ba), "askQty": f.qty(aq)})
    else:
        d.update({"lastPrice": f.price(st.c), "lastQty": f.qty(st.last_qty)})
    d.update({
        "openPrice": f.price(st.o), "highPrice": f.price(st.h), "lowPrice": f.price(st.l),
        "volume": f.qty(st.v), "quoteVolume": f.quote(st.q), "openTime": now_ms - DAY,
        "closeTime": now_ms, "firstId": st.first_id, "lastId": st.last_id, "count": st.n,
    })
    if sm.spec.pair is not None:
        d["pair"] = sm.spec.pair
    return d
