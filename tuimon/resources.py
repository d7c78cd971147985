"""Where tuimon's shipped files live (the ``.tcss`` styles), installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STYLE_FILES = (
    "app.tcss",
    "ticker_grid.tcss",
    "depth_ladder.tcss",
    "kline.tcss",
    "orders.tcss",
    "health_bar.tcss",
    "help.tcss",
    "search.tcss",
    "alerts.tcss",
    "screener.tcss",
)
"""Every stylesheet, in load order (later files may refine earlier ones)."""


def styles_dir() -> Path:
    """The styles directory: packaged ``tuimon/styles`` (wheel), else ``<checkout>/styles``."""
    packaged = resources.files("tuimon") / "styles"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "styles"


def style_paths() -> list[Path]:
    """Absolute paths of every stylesheet (a relative CSS_PATH would resolve beside the App)."""
    base = styles_dir()
    return [base / name for name in STYLE_FILES]
