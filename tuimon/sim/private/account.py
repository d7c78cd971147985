"""The simulated account: a seeded script that places, fills and cancels orders and moves money.

``SpotAccount`` keeps free/locked balances exactly (Decimal, no rounding drift: every amount is
a price with at most 2 decimals times a quantity with at most 5, well inside 8 decimals).
``FuturesAccount`` keeps a USDT margin wallet and one-way (``BOTH``) positions with weighted
entry prices, realized PnL on reductions and a mark price that follows the last fill.

Every action returns the event payloads Binance would send for it, with the real shapes
(reference §6.2, §6.3): ``executionReport`` + ``outboundAccountPosition`` (+ ``balanceUpdate``)
on spot, ``ORDER_TRADE_UPDATE`` + ``ACCOUNT_UPDATE`` on USDⓈ-M. ``truth()`` is the state the
client must end up with, in the client's JSON view shape.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

Event = dict[str, Any]
Clock = Callable[[], int]

ZERO = Decimal(0)
Q8 = Decimal("0.00000001")
SPOT_FEE = Decimal("0.001")
FUTURES_FEE = Decimal("0.0004")

ACTIONS = ("place", "partial_fill", "fill", "cancel", "deposit")
# Open orders the seeded script lets the account have. Placing and closing are about equally
# likely, so the count is a random walk whose peak keeps growing (seed 7 passes 50 after about
# 1100 actions, under 20 min of --demo); at the cap a seeded "place" becomes a fill or a cancel
# instead. 50 is far above what a test's few hundred steps reach, and a panel a person can read.
MAX_OPEN_ORDERS = 50


def f8(value: Decimal) -> str:
    """Spot style: 8 decimals."""
    return f"{value.quantize(Q8, ROUND_HALF_EVEN):f}"


def plain(value: Decimal) -> str:
    """Shortest exact text (futures style: "0.050", "95270.2")."""
    text = f"{value:f}"
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    base: str
    quote: str
    price: Decimal
    tick: Decimal
    step: Decimal


SPOT_INSTRUMENTS = (
    Instrument("BTCUSDT", "BTC", "USDT", Decimal("95000.00"), Decimal("0.01"), Decimal("0.00001")),
    Instrument("ETHUSDT", "ETH", "USDT", Decimal("3100.00"), Decimal("0.01"), Decimal("0.0001")),
    Instrument("BNBUSDT", "BNB", "USDT", Decimal("880.00"), Decimal("0.01"), Decimal("0.001")),
)
FUTURES_INSTRUMENTS = (
    Instrument("BTCUSDT", "BTC", "USDT", Decimal("95000.0"), Decimal("0.1"), Decimal("0.001")),
    Instrument("ETHUSDT", "ETH", "USDT", Decimal("3100.00"), Decimal("0.01"), Decimal("0.001")),
)


@dataclass(slots=True)
class SimOrder:
    inst: Instrument
    order_id: int
    client_id: str
    side: str
    price: Decimal
    qty: Decimal
    created: int
    updated: int
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed


class _Script:
    """What both account kinds share: orders, ids, the seeded choice of the next action."""

    instruments: tuple[Instrument, ...]

    def __init__(self, rng: random.Random, clock: Clock) -> None:
        self.rng = rng
        self.clock = clock
        self.orders: dict[int, SimOrder] = {}
        self.next_order_id = 4_000_000 + rng.randrange(1_000_000)
        self.next_trade_id = 90_000_000 + rng.randrange(1_000_000)
        self.next_exec_id = 1
        self.actions = 0

    def _order_id(self) -> int:
        self.next_order_id += 1
        return self.next_order_id

    def _trade_id(self) -> int:
        self.next_trade_id += 1
        return self.next_trade_id

    def _client_id(self) -> str:
        return f"sim-{self.rng.getrandbits(40):010x}"

    def _limit_price(self, inst: Instrument, side: str) -> Decimal:
        # Resting limit orders a little away from the seed price.
        away = Decimal(self.rng.randint(5, 300)) / Decimal(10_000)
        factor = 1 - away if side == "BUY" else 1 + away
        return (inst.price * factor).quantize(inst.tick, ROUND_DOWN)

    def _lots(self, inst: Instrument, low: int, high: int) -> Decimal:
        return inst.step * self.rng.randint(low, high)

    def pick_action(self) -> str:
        if not self.orders:
            return "place"
        roll = self.rng.random()
        if roll < 0.35 or len(self.orders) < 2:
            if len(self.orders) >= MAX_OPEN_ORDERS:
                return "fill" if roll < 0.175 else "cancel"
            return "place"
        if roll < 0.60:
            return "partial_fill"
        if roll < 0.78:
            return "fill"
        if roll < 0.95:
            return "cancel"
        return "deposit"

    def step(self, action: str | None = None) -> list[Event]:
        """Perform one action (seeded choice when None) and return the events it produced."""
        action = action or self.pick_action()
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
        self.actions += 1
        now = self.clock()
        if action == "place":
            return self.place(now)
        if action in ("partial_fill", "fill"):
            order = self._pick_order()
            if order is None:
                return self.place(now)
            qty = order.remaining
            if action == "partial_fill":
                lots = int(order.remaining / order.inst.step)
                if lots >= 2:
                    qty = order.inst.step * self.rng.randint(1, lots - 1)
            return self.fill(order, qty, now)
        if action == "cancel":
            order = self._pick_order()
            return self.place(now) if order is None else self.cancel(order, now)
        return self.deposit(now)

    def _pick_order(self) -> SimOrder | None:
        if not self.orders:
            return None
        return self.orders[self.rng.choice(sorted(self.orders))]

    # Implemented by the two account kinds.
    def place(self, now: int) -> list[Event]:
        raise NotImplementedError

    def fill(self, order: SimOrder, qty: Decimal, now: int) -> list[Event]:
        raise NotImplementedError

    def cancel(self, order: SimOrder, now: int) -> list[Event]:
        raise NotImplementedError

    def deposit(self, now: int) -> list[Event]:
        raise NotImplementedError


# =============================================================================== spot


class SpotAccount(_Script):
    """Spot balances (free/locked) and limit orders."""

    instruments = SPOT_INSTRUMENTS

    def __init__(self, rng: random.Random, clock: Clock) -> None:
        super().__init__(rng, clock)
        self.free: dict[str, Decimal] = {
            "USDT": Decimal(rng.randint(20_000, 40_000)),
            "BTC": Decimal(rng.randint(30, 80)) / 100,
            "ETH": Decimal(rng.randint(3, 9)),
            "BNB": Decimal(rng.randint(10, 40)),
        }
        self.locked: dict[str, Decimal] = {asset: ZERO for asset in self.free}
        self.update_time = clock()

    # ---------------------------------------------------------------- actions
    def place(self, now: int) -> list[Event]:
        inst = self.rng.choice(self.instruments)
        side = self.rng.choice(("BUY", "SELL"))
        price = self._limit_price(inst, side)
        qty = self._lots(inst, 20, 200) if inst.symbol == "BTCUSDT" else self._lots(inst, 5, 60)
        if side == "BUY":
            cost = price * qty
            if cost > self.free[inst.quote]:
                side, price = "SELL", self._limit_price(inst, "SELL")
        if side == "SELL" and qty > self.free[inst.base]:
            qty = (self.free[inst.base] / 2).quantize(inst.step, ROUND_DOWN)
            if qty <= 0:
                return self.deposit(now)
        order = SimOrder(inst, self._order_id(), self._client_id(), side, price, qty, now, now)
        self.orders[order.order_id] = order
        touched = self._lock(order, order.qty)
        return [self._report(order, "NEW", now), self._position(touched, now)]

    def fill(self, order: SimOrder, qty: Decimal, now: int) -> list[Event]:
        inst = order.inst
        quote_qty = order.price * qty
        order.executed += qty
        order.cum_quote += quote_qty
        order.updated = now
        order.status = "FILLED" if order.executed == order.qty else "PARTIALLY_FILLED"
        if order.side == "BUY":
            fee = (qty * SPOT_FEE).quantize(Q8, ROUND_HALF_EVEN)
            fee_asset = inst.base
            self.locked[inst.quote] -= quote_qty
            self.free[inst.base] += qty - fee
        else:
            fee = (quote_qty * SPOT_FEE).quantize(Q8, ROUND_HALF_EVEN)
            fee_asset = inst.quote
            self.locked[inst.base] -= qty
            self.free[inst.quote] += quote_qty - fee
        if order.status == "FILLED":
            del self.orders[order.order_id]
        report = self._report(order, "TRADE", now, last_qty=qty, fee=fee, fee_asset=fee_asset,
                              trade_id=self._trade_id())
        return [report, self._position([inst.base, inst.quote], now)]

    def cancel(self, order: SimOrder, now: int) -> list[Event]:
        touched = self._lock(order, -order.remaining)
        order.status = "CANCELED"
        order.updated = now
        del self.orders[order.order_id]
        return [self._report(order, "CANCELED", now), self._position(touched, now)]

    def deposit(self, now: int) -> list[Event]:
        asset = self.rng.choice(sorted(self.free))
        amount = Decimal(self.rng.randint(1, 500)) / (100 if asset == "USDT" else 10_000)
        self.free[asset] += amount
        return [
            {"e": "balanceUpdate", "E": now, "a": asset, "d": f8(amount), "T": now},
            self._position([asset], now),
        ]

    def _lock(self, order: SimOrder, qty: Decimal) -> list[str]:
        inst = order.inst
        asset = inst.quote if order.side == "BUY" else inst.base
        amount = order.price * qty if order.side == "BUY" else qty
        self.free[asset] -= amount
        self.locked[asset] += amount
        return [asset]

    # ---------------------------------------------------------------- payloads
    def _report(self, order: SimOrder, exec_type: str, now: int, *, last_qty: Decimal = ZERO,
                fee: Decimal = ZERO, fee_asset: str | None = None,
                trade_id: int = -1) -> Event:
        self.next_exec_id += 1
        return {
            "e": "executionReport", "E": now, "s": order.inst.symbol, "c": order.client_id,
            "S": order.side, "o": "LIMIT", "f": "GTC", "q": f8(order.qty), "p": f8(order.price),
            "P": f8(ZERO), "F": f8(ZERO), "g": -1, "C": "", "x": exec_type, "X": order.status,
            "r": "NONE", "i": order.order_id, "l": f8(last_qty), "z": f8(order.executed),
            "L": f8(order.price if last_qty else ZERO), "n": f8(fee) if fee_asset else "0",
            "N": fee_asset, "T": now, "t": trade_id, "I": self.next_exec_id,
            "w": order.status in ("NEW", "PARTIALLY_FILLED"), "m": bool(last_qty),
            "M": False, "O": order.created, "Z": f8(order.cum_quote),
            "Y": f8(order.price * last_qty), "Q": f8(ZERO), "W": order.created,
            "V": "EXPIRE_MAKER",
        }

    def _position(self, assets: list[str], now: int) -> Event:
        self.update_time = now
        return {
            "e": "outboundAccountPosition", "E": now, "u": now,
            "B": [{"a": a, "f": f8(self.free[a]), "l": f8(self.locked[a])}
                  for a in sorted(set(assets))],
        }

    # ---------------------------------------------------------------- REST bodies
    def rest_account(self, omit_zero: bool) -> Event:
        balances = [
            {"asset": a, "free": f8(self.free[a]), "locked": f8(self.locked[a])}
            for a in sorted(self.free)
            if not omit_zero or self.free[a] or self.locked[a]
        ]
        return {
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {"maker": "0.00100000", "taker": "0.00100000",
                                "buyer": "0.00000000", "seller": "0.00000000"},
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False,
            "updateTime": self.update_time, "accountType": "SPOT", "balances": balances,
            "permissions": ["SPOT"], "uid": 354937868,
        }

    def rest_open_orders(self, symbol: str | None) -> list[Event]:
        return [
            {
                "symbol": o.inst.symbol, "orderId": o.order_id, "orderListId": -1,
                "clientOrderId": o.client_id, "price": f8(o.price), "origQty": f8(o.qty),
                "executedQty": f8(o.executed), "cummulativeQuoteQty": f8(o.cum_quote),
                "status": o.status, "timeInForce": "GTC", "type": "LIMIT", "side": o.side,
                "stopPrice": f8(ZERO), "icebergQty": f8(ZERO), "time": o.created,
                "updateTime": o.updated, "isWorking": True, "workingTime": o.created,
                "origQuoteOrderQty": f8(ZERO), "selfTradePreventionMode": "EXPIRE_MAKER",
            }
            for o in sorted(self.orders.values(), key=lambda o: o.order_id)
            if symbol is None or o.inst.symbol == symbol
        ]

    # ---------------------------------------------------------------- truth
    def truth(self) -> dict[str, Any]:
        balances = {
            a: {"free": plain(self.free[a]), "locked": plain(self.locked[a])}
            for a in sorted(self.free)
            if self.free[a] or self.locked[a]
        }
        return {"balances": balances, "open_orders": _truth_orders(self.orders),
                "positions": []}


def _truth_orders(orders: dict[int, SimOrder]) -> list[dict[str, Any]]:
    return [
        {
            "symbol": o.inst.symbol, "order_id": o.order_id, "client_order_id": o.client_id,
            "side": o.side, "type": "LIMIT", "price": plain(o.price), "orig_qty": plain(o.qty),
            "executed_qty": plain(o.executed), "status": o.status,
        }
        for o in sorted(orders.values(), key=lambda o: (o.inst.symbol, o.order_id))
    ]


# =============================================================================== USDⓈ-M


@dataclass(slots=True)
class SimPosition:
    amount: Decimal = ZERO
    entry: Decimal = ZERO
    realized: Decimal = ZERO
    updated: int = 0


class FuturesAccount(_Script):
    """A USDT-margined cross account in one-way mode."""

    instruments = FUTURES_INSTRUMENTS

    def __init__(self, rng: random.Random, clock: Clock) -> None:
        super().__init__(rng, clock)
        now = clock()
        self.wallet = Decimal(rng.randint(5_000, 20_000))
        self.wallet_updated = now
        self.positions: dict[str, SimPosition] = {i.symbol: SimPosition() for i in self.instruments}
        self.mark: dict[str, Decimal] = {i.symbol: i.price for i in self.instruments}

    # ---------------------------------------------------------------- actions
    def place(self, now: int) -> list[Event]:
        inst = self.rng.choice(self.instruments)
        side = self.rng.choice(("BUY", "SELL"))
        order = SimOrder(inst, self._order_id(), self._client_id(), side,
                         self._limit_price(inst, side), self._lots(inst, 2, 40), now, now)
        self.orders[order.order_id] = order
        return [self._order_update(order, "NEW", now)]

    def fill(self, order: SimOrder, qty: Decimal, now: int) -> list[Event]:
        inst = order.inst
        price = order.price
        order.executed += qty
        order.cum_quote += price * qty
        order.updated = now
        order.status = "FILLED" if order.executed == order.qty else "PARTIALLY_FILLED"
        fee = (price * qty * FUTURES_FEE).quantize(Q8, ROUND_HALF_EVEN)
        realized = self._trade(inst.symbol, qty if order.side == "BUY" else -qty, price, now)
        self.wallet += realized - fee
        self.wallet_updated = now
        if order.status == "FILLED":
            del self.orders[order.order_id]
        update = self._order_update(order, "TRADE", now, last_qty=qty, fee=fee,
                                    realized=realized, trade_id=self._trade_id())
        return [update, self._account_update("ORDER", now, [inst.symbol])]

    def _trade(self, symbol: str, delta: Decimal, price: Decimal, now: int) -> Decimal:
        """Apply a signed quantity to the position; returns the realized PnL."""
        pos = self.positions[symbol]
        amount, entry = pos.amount, pos.entry
        new_amount = amount + delta
        realized = ZERO
        if amount == 0 or (amount > 0) == (delta > 0):
            total = abs(amount) * entry + abs(delta) * price
            entry = (total / abs(new_amount)).quantize(Q8, ROUND_HALF_EVEN)
        else:
            closed = min(abs(amount), abs(delta))
            realized = closed * (price - entry) * (1 if amount > 0 else -1)
            if new_amount == 0:
                entry = ZERO
            elif (new_amount > 0) != (amount > 0):
                entry = price  # flipped through zero: the rest opened at this price
        pos.amount, pos.entry, pos.updated = new_amount, entry, now
        pos.realized += realized
        self.mark[symbol] = price
        return realized

    def cancel(self, order: SimOrder, now: int) -> list[Event]:
        order.status = "CANCELED"
        order.updated = now
        del self.orders[order.order_id]
        return [self._order_update(order, "CANCELED", now)]

    def deposit(self, now: int) -> list[Event]:
        # A transfer in from the spot wallet; futures has no balanceUpdate event.
        amount = Decimal(self.rng.randint(100, 5000)) / 100
        self.wallet += amount
        self.wallet_updated = now
        return [self._account_update("DEPOSIT", now, [], change=amount)]

    # ---------------------------------------------------------------- payloads
    def _unrealized(self, symbol: str) -> Decimal:
        pos = self.positions[symbol]
        return (pos.amount * (self.mark[symbol] - pos.entry)).quantize(Q8, ROUND_HALF_EVEN)

    def _order_update(self, order: SimOrder, exec_type: str, now: int, *,
                      last_qty: Decimal = ZERO, fee: Decimal = ZERO,
                      realized: Decimal = ZERO, trade_id: int = 0) -> Event:
        avg = (order.cum_quote / order.executed).quantize(order.inst.tick * Decimal("0.01"),
                                                          ROUND_HALF_EVEN) \
            if order.executed else ZERO
        return {
            "e": "ORDER_TRADE_UPDATE", "E": now, "T": now,
            "o": {
                "s": order.inst.symbol, "c": order.client_id, "S": order.side, "o": "LIMIT",
                "f": "GTC", "q": plain(order.qty), "p": plain(order.price), "ap": plain(avg),
                "sp": "0", "x": exec_type, "X": order.status, "i": order.order_id,
                "l": plain(last_qty), "z": plain(order.executed),
                "L": plain(order.price if last_qty else ZERO),
                "N": "USDT" if last_qty else None, "n": plain(fee) if last_qty else None,
                "T": now, "t": trade_id, "b": "0", "a": "0", "m": bool(last_qty),
                "R": False, "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH", "cp": False,
                "rp": plain(realized), "pP": False, "si": 0, "ss": 0, "V": "EXPIRE_MAKER",
                "pm": "NONE", "gtd": 0,
            },
        }

    def _account_update(self, reason: str, now: int, symbols: list[str],
                        change: Decimal = ZERO) -> Event:
        wallet = plain(self.wallet)
        positions = []
        for symbol in symbols:
            pos = self.positions[symbol]
            positions.append({
                "s": symbol, "pa": plain(pos.amount), "ep": plain(pos.entry),
                "bep": plain(pos.entry), "cr": plain(pos.realized),
                "up": plain(self._unrealized(symbol)), "mt": "cross", "iw": "0", "ps": "BOTH",
            })
        return {
            "e": "ACCOUNT_UPDATE", "E": now, "T": now,
            "a": {"m": reason, "B": [{"a": "USDT", "wb": wallet, "cw": wallet,
                                      "bc": plain(change)}],
                  "P": positions},
        }

    # ---------------------------------------------------------------- REST bodies
    def rest_open_orders(self, symbol: str | None) -> list[Event]:
        rows = []
        for o in sorted(self.orders.values(), key=lambda o: o.order_id):
            if symbol is not None and o.inst.symbol != symbol:
                continue
            avg = o.cum_quote / o.executed if o.executed else ZERO
            rows.append({
                "avgPrice": plain(avg.quantize(Decimal("0.00001"), ROUND_HALF_EVEN)),
                "clientOrderId": o.client_id, "cumQuote": plain(o.cum_quote),
                "executedQty": plain(o.executed), "orderId": o.order_id,
                "origQty": plain(o.qty), "origType": "LIMIT", "price": plain(o.price),
                "reduceOnly": False, "side": o.side, "positionSide": "BOTH",
                "status": o.status, "stopPrice": "0", "closePosition": False,
                "symbol": o.inst.symbol, "time": o.created, "timeInForce": "GTC",
                "type": "LIMIT", "updateTime": o.updated, "workingType": "CONTRACT_PRICE",
                "priceProtect": False, "priceMatch": "NONE",
                "selfTradePreventionMode": "EXPIRE_MAKER", "goodTillDate": 0,
            })
        return rows

    def _unrealized_total(self) -> Decimal:
        return sum((self._unrealized(s) for s in self.positions), ZERO)

    def rest_balance(self) -> list[Event]:
        wallet = plain(self.wallet)
        return [{
            "accountAlias": "SgsR", "asset": "USDT", "balance": wallet,
            "crossWalletBalance": wallet, "crossUnPnl": plain(self._unrealized_total()),
            "availableBalance": wallet, "maxWithdrawAmount": wallet, "marginAvailable": True,
            "updateTime": self.wallet_updated,
        }]

    def rest_account(self) -> Event:
        wallet = plain(self.wallet)
        unrealized = plain(self._unrealized_total())
        return {
            "totalInitialMargin": "0", "totalMaintMargin": "0", "totalWalletBalance": wallet,
            "totalUnrealizedProfit": unrealized, "totalMarginBalance": wallet,
            "totalPositionInitialMargin": "0", "totalOpenOrderInitialMargin": "0",
            "totalCrossWalletBalance": wallet, "totalCrossUnPnl": unrealized,
            "availableBalance": wallet, "maxWithdrawAmount": wallet,
            "assets": [{
                "asset": "USDT", "walletBalance": wallet, "unrealizedProfit": unrealized,
                "marginBalance": wallet, "maintMargin": "0", "initialMargin": "0",
                "positionInitialMargin": "0", "openOrderInitialMargin": "0",
                "crossWalletBalance": wallet, "crossUnPnl": unrealized,
                "availableBalance": wallet, "maxWithdrawAmount": wallet,
                "updateTime": self.wallet_updated,
            }],
            "positions": [
                {"symbol": s, "positionSide": "BOTH", "positionAmt": plain(p.amount),
                 "unrealizedProfit": plain(self._unrealized(s)), "isolatedMargin": "0",
                 "notional": plain(p.amount * self.mark[s]), "isolatedWallet": "0",
                 "initialMargin": "0", "maintMargin": "0", "updateTime": p.updated}
                for s, p in sorted(self.positions.items()) if p.amount
            ],
        }

    def rest_account_v2(self) -> Event:
        """GET /fapi/v2/account: v3's totals plus the account flags, and a position row for
        every symbol (v3 lists only open positions) with v2's leverage fields (UM docs
        Account-Information-V2)."""
        v3 = self.rest_account()
        head = {"feeTier": 0, "feeBurn": True, "canTrade": True, "canDeposit": True,
                "canWithdraw": True, "updateTime": 0, "multiAssetsMargin": False,
                "tradeGroupId": -1}
        totals = {k: v for k, v in v3.items() if k not in ("assets", "positions")}
        assets = [{**a, "marginAvailable": True} for a in v3["assets"]]
        positions = [
            {"symbol": s, "initialMargin": "0", "maintMargin": "0",
             "unrealizedProfit": plain(self._unrealized(s)), "positionInitialMargin": "0",
             "openOrderInitialMargin": "0", "leverage": "20", "isolated": False,
             "entryPrice": plain(p.entry), "maxNotional": "25000000", "bidNotional": "0",
             "askNotional": "0", "positionSide": "BOTH", "positionAmt": plain(p.amount),
             "updateTime": p.updated}
            for s, p in sorted(self.positions.items())
        ]
        return {**head, **totals, "assets": assets, "positions": positions}

    def rest_position_risk(self, symbol: str | None) -> list[Event]:
        return [
            {
                "symbol": s, "positionSide": "BOTH", "positionAmt": plain(p.amount),
                "entryPrice": plain(p.entry), "breakEvenPrice": plain(p.entry),
                "markPrice": plain(self.mark[s]), "unRealizedProfit": plain(self._unrealized(s)),
                "liquidationPrice": "0", "isolatedMargin": "0",
                "notional": plain(p.amount * self.mark[s]), "marginAsset": "USDT",
                "isolatedWallet": "0", "initialMargin": "0", "maintMargin": "0",
                "positionInitialMargin": "0", "openOrderInitialMargin": "0", "adl": 1,
                "bidNotional": "0", "askNotional": "0", "updateTime": p.updated,
            }
            for s, p in sorted(self.positions.items())
            if p.amount and (symbol is None or s == symbol)
        ]

    # ---------------------------------------------------------------- truth
    def truth(self) -> dict[str, Any]:
        balances = {}
        if self.wallet:
            balances["USDT"] = {"wallet": plain(self.wallet), "cross_wallet": plain(self.wallet)}
        positions = [
            {"symbol": s, "position_side": "BOTH", "amount": plain(p.amount),
             "entry_price": plain(p.entry), "mark_price": plain(self.mark[s]),
             "unrealized_pnl": plain(self._unrealized(s))}
            for s, p in sorted(self.positions.items()) if p.amount
        ]
        return {"balances": balances, "open_orders": _truth_orders(self.orders),
                "positions": positions}
