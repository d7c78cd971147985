"""The soak's fault plan: which simulator fault to inject next, drawn from a seeded RNG.

Every fault is one the simulator already implements (``tuimon/sim/faults.py`` for the market
side, ``PRIVATE_FAULT_PARAMS`` in ``tuimon/sim/private/sim.py`` for the account side); this
module only chooses them, with parameters that keep the soak going (REST bans of a few seconds,
silences mostly shorter than the client's 15 s watchdog) while the client's obedience stays real.
Each injection returns the simulator's :class:`~tuimon.sim.faults.FaultRecord`, whose
``applied`` counter says how often it actually took effect.

Weights: a fault that drops every book (a disconnect, a silence of everything, a gap on every
symbol, serverShutdown, a non-UTF-8 frame) costs a snapshot per book: 20 x 50 = 1000 weight on
spot, 20 x 20 = 400 on futures. At a fault every 2 s, such faults are kept to ~13 % (~4 a
minute), so the resyncs fit the client's REST budget (90 % of 6000 / 2400 a minute). With the
first weights (~27 %, ~8 a minute) the budget ran out for good: books waited up to a minute for
snapshots, holding every diff meanwhile, and account reconciles waited behind them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tuimon.sim import MALFORMED_KINDS, FaultRecord, SimServer

WATCHDOG_S = 15.0
"""The client's silence watchdog (ConnectionConfig.silence_timeout): a longer silence must
make it reconnect; a shorter one must not."""


@dataclass(slots=True)
class Fault:
    """One kind of fault the plan can draw: a label, a weight and how to inject it."""

    label: str
    weight: float
    inject: Callable[[SimServer, random.Random, list[str]], FaultRecord]


@dataclass(slots=True)
class Injected:
    """Per label: the simulator's records of every injection."""

    records: list[FaultRecord] = field(default_factory=list)

    @property
    def asked(self) -> int:
        return len(self.records)

    @property
    def applied(self) -> int:
        return sum(r.applied for r in self.records)

    @property
    def idle(self) -> int:
        """Injections that never took effect (a REST fault no request met, a gap no event)."""
        return sum(1 for r in self.records if r.applied == 0)


def _one(rng: random.Random, symbols: list[str]) -> str:
    return rng.choice(symbols)


def market_faults(market: str) -> list[Fault]:
    """The market-side faults for a market (serverShutdown exists on spot only)."""
    faults = [
        Fault("disconnect (abrupt)", 0.5,
              lambda sim, rng, s: sim.inject("disconnect", abrupt=True)),
        Fault("disconnect (close frame)", 0.3,
              lambda sim, rng, s: sim.inject("disconnect", abrupt=False,
                                             code=rng.choice((1000, 1001, 1011)))),
        Fault("silence (one symbol)", 2.0,
              lambda sim, rng, s: sim.inject("silence", _one(rng, s),
                                             seconds=round(rng.uniform(1.0, 4.0), 2))),
        Fault("silence (all, < watchdog)", 0.4,
              lambda sim, rng, s: sim.inject("silence", seconds=round(rng.uniform(1.0, 5.0), 2))),
        Fault("silence (all, > watchdog)", 0.1,
              lambda sim, rng, s: sim.inject("silence", seconds=WATCHDOG_S + rng.uniform(1, 3))),
        Fault("gap (one symbol)", 2.0,
              lambda sim, rng, s: sim.inject("gap", _one(rng, s), count=rng.randint(1, 3))),
        Fault("gap (all symbols)", 0.2,
              lambda sim, rng, s: sim.inject("gap", count=1)),
        Fault("stale", 2.0,
              lambda sim, rng, s: sim.inject("stale", _one(rng, s), age=rng.randint(1, 6),
                                             count=rng.randint(1, 3))),
        Fault("duplicate", 2.0,
              lambda sim, rng, s: sim.inject("duplicate", _one(rng, s), count=rng.randint(1, 3))),
        Fault("rest_429 + Retry-After", 1.0,
              lambda sim, rng, s: sim.inject("rest_429", count=rng.randint(1, 2),
                                             retry_after=rng.randint(1, 3))),
        Fault("rest_418 + Retry-After", 0.6,
              lambda sim, rng, s: sim.inject("rest_418", retry_after=rng.randint(2, 4))),
        Fault("slow_rest", 0.5,
              lambda sim, rng, s: sim.inject("slow_rest", seconds=round(rng.uniform(0.5, 2), 2))),
        Fault("malformed", 0.7,
              lambda sim, rng, s: sim.inject(
                  "malformed", kinds=rng.sample(MALFORMED_KINDS, rng.randint(1, 3)),
                  huge_bytes=rng.randint(100_000, 1_000_000))),
    ]
    if market == "spot":
        faults.append(Fault("serverShutdown", 0.4,
                            lambda sim, rng, s: sim.inject("server_shutdown",
                                                           delay=round(rng.uniform(0.1, 1), 2))))
    return faults


def user_faults(market: str) -> list[Fault]:
    """The account-side faults (none on COIN-M: the simulator has no private side there)."""
    if market not in ("spot", "usdm"):
        return []
    faults = [
        Fault("user: disconnect", 1.0,
              lambda sim, rng, s: sim.private.inject("disconnect", abrupt=rng.random() < 0.7)),
        Fault("user: disconnect during fills", 1.0,
              lambda sim, rng, s: sim.private.inject("disconnect_during_fills",
                                                     fills=rng.randint(1, 4))),
    ]
    if market == "spot":
        faults += [
            Fault("user: eventStreamTerminated", 1.0,
                  lambda sim, rng, s: sim.private.inject("stream_terminated")),
            Fault("user: serverShutdown", 0.7,
                  lambda sim, rng, s: sim.private.inject("server_shutdown",
                                                         delay=round(rng.uniform(0.1, 1), 2))),
        ]
    else:
        faults.append(Fault("user: listenKeyExpired", 1.0,
                            lambda sim, rng, s: sim.private.inject("listen_key_expired")))
    return faults


class FaultPlan:
    """Draws faults by weight from a seeded RNG and keeps the simulator's records per label."""

    def __init__(self, market: str, seed: int, symbols: list[str]) -> None:
        self.rng = random.Random(f"soak-faults:{market}:{seed}")
        self.symbols = symbols
        self.faults = market_faults(market) + user_faults(market)
        self.weights = [f.weight for f in self.faults]
        self.injected: dict[str, Injected] = {f.label: Injected() for f in self.faults}

    def next_delay(self, mean: float) -> float:
        """Seconds to the next fault: uniform around ``mean`` (not periodic, so no fault keeps
        landing on the same phase of the client's timers)."""
        return self.rng.uniform(0.5 * mean, 1.5 * mean)

    def inject(self, sim: SimServer) -> Fault:
        fault = self.rng.choices(self.faults, self.weights)[0]
        self.injected[fault.label].records.append(fault.inject(sim, self.rng, self.symbols))
        return fault

    @property
    def total(self) -> int:
        return sum(i.asked for i in self.injected.values())
