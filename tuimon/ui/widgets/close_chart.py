"""A sparkline of closes drawn with the line API, repainting only the columns that changed.

One candle per column, newest at the right edge, bar heights in eighths of a cell. Textual's
``Sparkline`` colours every cell on its own gradient and repaints the whole widget for any
change: a forming candle that ticks a few times a second then costs kilobytes of terminal
output each time. Here a tick that moves only the last bar repaints one column, and the bars
share one style per row, so the escape sequences stay few (``kline.tcss`` has the colours).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

_BARS = " ▁▂▃▄▅▆▇█"


def levels(closes: Sequence[Decimal], height: int) -> list[int]:
    """Bar height of each close in eighths of a cell (1 … 8·height), scaled to the window."""
    if not closes or height <= 0:
        return []
    low, high = min(closes), max(closes)
    top = height * 8
    if high == low:
        return [top // 2] * len(closes)
    span = high - low
    return [1 + int((c - low) * (top - 1) / span) for c in closes]


def cell(level: int, row_from_bottom: int) -> str:
    """The block character of one cell of a bar."""
    eighths = level - row_from_bottom * 8
    if eighths <= 0:
        return " "
    return _BARS[min(8, eighths)]


class CloseChart(Widget):
    """Bars of closes; call :meth:`set_closes` with a new window."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"close-chart--bar", "close-chart--last"}

    DEFAULT_CSS = """
    CloseChart { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._closes: tuple[Decimal, ...] = ()
        self._levels: list[int] = []
        self._scale: tuple[object, ...] = ()
        self._strips: list[Strip] = []
        self._bar_styles: tuple[Style, Style] | None = None
        self.columns_repainted = 0
        """Columns repainted by the last update (tests read it; a full repaint counts all)."""

    def set_closes(self, closes: Sequence[Decimal]) -> None:
        """Show these closes (oldest first); only changed columns are repainted."""
        closes = tuple(closes)
        if closes == self._closes:
            return
        self._closes = closes
        self._update()

    def on_resize(self) -> None:
        """New size: new scale, full repaint."""
        self._scale = ()
        self._update()

    def notify_style_update(self) -> None:
        """Colours changed: rebuild every row."""
        super().notify_style_update()
        self._bar_styles = None
        if self.is_mounted:
            self.call_after_refresh(self._restyle)

    def _restyle(self) -> None:
        self._bar_styles = None
        self._scale = ()
        self._update()

    def render_line(self, y: int) -> Strip:
        """One cached row."""
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _update(self) -> None:
        width, height = self.size
        if width <= 0 or height <= 0:
            return
        closes = self._closes[-width:]
        new = [0] * (width - len(closes)) + levels(closes, height)
        scale = (width, height, min(closes, default=None), max(closes, default=None))
        old = self._levels
        self._levels = new
        self._strips = [self._row(new, height - 1 - y, width) for y in range(height)]
        if scale != self._scale or len(old) != len(new):
            self._scale = scale
            self.columns_repainted = width
            self.refresh()
            return
        # The last column is styled apart, so a shift of "last" repaints both columns.
        changed = [x for x in range(width) if old[x] != new[x]]
        self.columns_repainted = len(changed)
        for start, stop in _runs(changed):
            self.refresh(Region(start, 0, stop - start, height))

    def _row(self, bar_levels: list[int], row_from_bottom: int, width: int) -> Strip:
        text = "".join(cell(level, row_from_bottom) for level in bar_levels)
        if self._bar_styles is None:
            self._bar_styles = (
                self.get_component_rich_style("close-chart--bar"),
                self.get_component_rich_style("close-chart--last"),
            )
        bar, last = self._bar_styles
        segments = [Segment(text[:-1], bar), Segment(text[-1:], last)]
        return Strip(segments, width)


def _runs(xs: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs of sorted integers as (start, stop) pairs."""
    runs: list[tuple[int, int]] = []
    for x in xs:
        if runs and runs[-1][1] == x:
            runs[-1] = (runs[-1][0], x + 1)
        else:
            runs.append((x, x + 1))
    return runs
