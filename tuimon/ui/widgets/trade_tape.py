"""Trades tape of the selected symbol: newest first, one line per aggregate trade.

``HH:MM:SS.mmm  price  qty  ▲`` (UTC, ms): ``▲`` the taker bought, ``▼`` the taker sold (an
aggTrade's ``m: true`` means the buyer was the maker, so the taker sold). Prints whose notional
reaches the large-print threshold of the symbol's quote asset (``[tape] large`` in the config,
else a default) are drawn bold and reversed, which reads without colour too. A hole in the
aggregate ids is a ``gap: N trades missed`` row, a futures liquidation a ``LIQ`` row, and with
keys your own fills are ``YOU`` rows that flash for :data:`FLASH_SECONDS`.

Rows are rebuilt only when the symbol's tape (or the account's fills) changed, at most once a
frame; :class:`CachedRowsWidget` then repaints only the cells that differ.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from tuimon.clock import Clock
from tuimon.config.tape import large_threshold
from tuimon.protocol.decimals import exact_product
from tuimon.protocol.models import Liquidation, Trade
from tuimon.protocol.user_models import Fill
from tuimon.store import Store, topics
from tuimon.store.tape import Gap
from tuimon.ui.format import DOWN, UP, decimals_of, fmt_decimal, fmt_qty
from tuimon.ui.widgets.rows import CachedRowsWidget, Spans

FLASH_SECONDS = 3.0
"""How long one of your fills stays highlighted in the tape."""
TAPE_EVERY = 0.2
"""Seconds between rebuilds while trades stream (5 Hz, the ladder's pace). Every new trade
shifts every row, so each rebuild rewrites the pane: at 10 Hz a busy symbol's tape was a
third of the terminal's bytes at 160x48. A symbol switch, a fill and a flash ending still
show in the same frame."""
_DUE = TAPE_EVERY * 0.75
"""A frame this long after the last rebuild is due: timer jitter must not skip a whole frame."""
_ALONE = TAPE_EVERY * 1.5
"""Without a ladder beat (its book idle or stale) the tape keeps its own, slightly slower pace.

Why follow the ladder: Textual repaints one box around all the changed regions of a frame,
rendering every widget line inside it, so a tape repainted in the ladder's frames shares
that pass instead of paying for one of its own (the A/B runs on the shared 2-core machine
could not tell the two apart; it costs nothing either way)."""
QTY_WIDTH = 10

Row = tuple[object, Spans]


def fmt_trade_time(ms: int) -> str:
    """UTC ``HH:MM:SS.mmm`` (exchange times are UTC)."""
    seconds, millis = divmod(ms, 1000)
    return f"{time.strftime('%H:%M:%S', time.gmtime(seconds))}.{millis:03d}"


class TradeTape(CachedRowsWidget, can_focus=True):
    """The selected symbol's trades, read from the Store at frame rate."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trade-tape--header",
        "trade-tape--buy",
        "trade-tape--sell",
        "trade-tape--buy-large",
        "trade-tape--sell-large",
        "trade-tape--gap",
        "trade-tape--liq",
        "trade-tape--fill",
        "trade-tape--fill-flash",
        "trade-tape--muted",
    }
    DEFAULT_CSS = """
    TradeTape { height: 1fr; }
    """
    COMPONENT_PREFIX = "trade-tape"

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        large: Mapping[str, Decimal] | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self.store = store
        self.clock = clock
        self.symbol: str | None = None
        self.large = dict(large or {})
        """``[tape] large`` overrides per quote asset."""
        self._version: int | None = None
        self._fills_key: object = None
        self._flash_until = 0
        self._trades_pending = False
        """New trades arrived since the last rebuild (held until :data:`TAPE_EVERY` passed)."""
        self._built_at: float | None = None

    def set_symbol(self, symbol: str | None) -> None:
        """Show another symbol's tape now (not at the next frame)."""
        if symbol != self.symbol:
            self.symbol = symbol
            self.flush(set(), force=True)

    def flush(
        self,
        dirty: set[str],
        force: bool = False,
        now: float | None = None,
        beat: bool = False,
    ) -> None:
        """Rebuild when this symbol's tape or fills changed, or a fill's flash ended.

        ``now`` (monotonic seconds) paces new trades; None rebuilds at once. ``beat``: the
        ladder rebuilt in this frame, so new trades show now (see :data:`_ALONE`).
        """
        symbol = self.symbol
        if not self.display or symbol is None and not force:
            return
        now_ms = self.clock.wall_ms()
        changed = force or topics.SYMBOLS in dirty
        if symbol is not None and topics.trades_topic(symbol) in dirty:
            self._trades_pending = True
        if topics.ACCOUNT in dirty:
            key = self._fills_signature()
            changed = changed or key != self._fills_key
        if self._flash_until and now_ms >= self._flash_until:
            changed = True  # a flash ended: draw that fill plain
        if self._trades_pending and not changed:
            since = None if now is None or self._built_at is None else now - self._built_at
            due = since is None or (since >= _DUE and beat) or since >= _ALONE
            if due:
                tape = self.store.tapes.get(symbol) if symbol else None
                changed = (tape.version if tape is not None else None) != self._version
                self._trades_pending = False
        if changed:
            self._rebuild(repaint_all=force)
            self._trades_pending = False
            self._built_at = now

    def _fills_signature(self) -> object:
        account = self.store.account
        if not account.enabled or self.symbol is None:
            return None
        return tuple(f.trade_id for f in account.fills if f.symbol == self.symbol)[:64]

    def threshold(self) -> Decimal | None:
        """Notional (quote asset) from which a print of this symbol is large."""
        info = self.store.symbols.get(self.symbol) if self.symbol else None
        if info is None or not info.quote_asset:
            return None
        return large_threshold(info.quote_asset, self.large)

    def row_items(self, width: int, height: int) -> list[Row]:
        """Header, then the newest entries that fit (fills merged in by time)."""
        store = self.store
        symbol = self.symbol
        tape = store.tapes.get(symbol) if symbol else None
        self._version = tape.version if tape is not None else None
        self._fills_key = self._fills_signature()
        info = store.symbols.get(symbol) if symbol else None
        places = decimals_of(info.tick_size if info else None)
        qty_places = decimals_of(info.step_size if info else None, default=4)
        threshold = self.threshold()
        contract = info.contract_size if info is not None else None
        quote = info.quote_asset if info is not None else ""
        label = "Trades"
        if threshold is not None:
            label += f"  large ≥ {_short(threshold)} {quote}"
        header = f"{label}  (UTC)" if len(label) + 7 <= width else label
        rows: list[Row] = [(("h", header, width), [(header[:width].ljust(width), "header")])]
        if symbol is None:
            return rows
        n = max(0, height - 1)
        if tape is None or not tape.entries:
            text = "waiting for trades…"
            rows.append((("w", width), [(text, "muted")]))
            return rows
        now_ms = self.clock.wall_ms()
        flash_until = 0
        price_w = max(9, len(fmt_decimal(tape.entries[-1].price, places)) + 1) if (
            type(tape.entries[-1]) is Trade
        ) else 10
        fills = self._recent_fills(n)
        fill_index = 0
        for entry in reversed(tape.entries):
            if len(rows) > n:
                break
            entry_ms = entry.time if type(entry) is Gap else entry.trade_time  # type: ignore[union-attr]
            while fill_index < len(fills) and fills[fill_index].time_ms >= entry_ms:
                fill = fills[fill_index]
                fill_index += 1
                row, until = self._fill_row(fill, places, qty_places, price_w, width, now_ms)
                flash_until = max(flash_until, until)
                rows.append(row)
                if len(rows) > n:
                    break
            if len(rows) > n:
                break
            if type(entry) is Trade:
                rows.append(
                    self._trade_row(entry, places, qty_places, price_w, threshold, contract)
                )
            elif type(entry) is Gap:
                text = f"── gap: {entry.missed:,} trades missed ──"
                if len(text) > width:
                    text = f"gap: {entry.missed:,} missed"
                rows.append((("g", entry.after_id, width), [(text.center(width), "gap")]))
            elif type(entry) is Liquidation:
                rows.append(self._liquidation_row(entry, places, qty_places, price_w))
        self._flash_until = flash_until
        return rows[: max(1, height)]

    def _recent_fills(self, limit: int) -> list[Fill]:
        account = self.store.account
        if not account.enabled or self.symbol is None:
            return []
        out = [f for f in account.fills if f.symbol == self.symbol][:limit]
        return sorted(out, key=lambda f: f.time_ms, reverse=True)

    @staticmethod
    def _trade_row(
        trade: Trade,
        places: int,
        qty_places: int,
        price_w: int,
        threshold: Decimal | None,
        contract: Decimal | None,
    ) -> Row:
        side = "sell" if trade.buyer_is_maker else "buy"
        large = False
        if threshold is not None:
            # COIN-M quantities are contracts worth contract_size of the quote asset each.
            notional = (
                exact_product(trade.qty, contract)
                if contract is not None
                else exact_product(trade.price, trade.qty)
            )
            large = notional >= threshold
        glyph = DOWN if side == "sell" else UP
        text = (
            f"{fmt_trade_time(trade.trade_time)} "
            f"{fmt_decimal(trade.price, places):>{price_w}} "
            f"{fmt_qty(trade.qty, qty_places, QTY_WIDTH):>{QTY_WIDTH}} {glyph}"
        )
        if large:
            text += " ★"
        kind = f"{side}-large" if large else side
        return ("t", trade.trade_id, price_w, large), [(text, kind)]

    @staticmethod
    def _liquidation_row(liq: Liquidation, places: int, qty_places: int, price_w: int) -> Row:
        glyph = DOWN if liq.side == "SELL" else UP
        qty = liq.filled if liq.filled else liq.qty
        price = liq.avg_price if liq.filled else liq.price
        text = (
            f"{fmt_trade_time(liq.trade_time)} {fmt_decimal(price, places):>{price_w}} "
            f"{fmt_qty(qty, qty_places, QTY_WIDTH):>{QTY_WIDTH}} {glyph} LIQ"
        )
        return ("l", liq.trade_time, liq.side, str(qty), price_w), [(text, "liq")]

    @staticmethod
    def _fill_row(
        fill: Fill, places: int, qty_places: int, price_w: int, width: int, now_ms: int
    ) -> tuple[Row, int]:
        glyph = UP if fill.side == "BUY" else DOWN
        text = (
            f"{fmt_trade_time(fill.time_ms)} {fmt_decimal(fill.price, places):>{price_w}} "
            f"{fmt_qty(fill.qty, qty_places, QTY_WIDTH):>{QTY_WIDTH}} {glyph} YOU"
        )
        until = fill.time_ms + int(FLASH_SECONDS * 1000)
        flashing = now_ms < until
        kind = "fill-flash" if flashing else "fill"
        return (("f", fill.trade_id, flashing, price_w), [(text.ljust(width), kind)]), (
            until if flashing else 0
        )


def _short(value: Decimal) -> str:
    """``100k``, ``1.5M``, ``30``: a threshold at a glance."""
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if value >= size:
            scaled = (value / size).normalize()
            return f"{scaled:f}{suffix}"
    return f"{value.normalize():f}"
