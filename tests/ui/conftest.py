"""UI test fixtures; the helpers live in ``ui_helpers.py`` (importable from here)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_helpers import sample_app  # noqa: E402 - needs the path above

from tuimon.ui.app import TuimonApp  # noqa: E402


@pytest.fixture
def make_app() -> Callable[..., TuimonApp]:
    """Builder of seeded apps (see :func:`ui_helpers.sample_app`)."""
    return sample_app
