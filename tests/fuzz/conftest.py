"""Hypothesis profiles for the fuzz suite.

``ci`` (the default): derandomised (the same examples on every run, so a failure reproduces
and CI is never flaky), a few hundred examples per property, no deadline (a shared 2-core
machine has slow moments) and no example database (no state between runs). The whole
directory runs in well under a minute with it.

``long``: ``HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/fuzz`` for local runs: random,
20x the examples, and the local example database so a failure found once is tried first
next time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=200,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=4000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
