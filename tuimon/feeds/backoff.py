"""Reconnect delays: exponential, jittered, capped (reference §3, §8)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delay before the next connection attempt.

    Jitter spreads reconnects of many clients after an exchange-wide drop, and the cap keeps us
    far under the 300 connection attempts per 5 minutes per IP.
    """

    base: float = 0.5
    cap: float = 30.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Delay after one more failure: ``base * 2**n`` capped, times a jitter in [0.5, 1)."""
        delay = min(self.cap, self.base * (2 ** min(self.failures, 16)))
        self.failures += 1
        return delay * (0.5 + self.rng.random() / 2)

    def reset(self) -> None:
        """A connection worked: start again from the base delay."""
        self.failures = 0
