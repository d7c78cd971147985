"""The fault matrix reuses the worker helpers of tests/feeds and tests/private: put their folders
on the path (the same module objects as there, not copies under another name)."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent.parent
for folder in (_TESTS / "feeds", _TESTS / "private", _TESTS / "matrix"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
