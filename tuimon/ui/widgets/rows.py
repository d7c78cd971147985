"""Row diffing shared by the line-API panes (depth ladder, orders pane).

A pane keeps each row as a cached :class:`~textual.strip.Strip` plus the row's cells as
(text, one style code per cell). When a row changes, only the span of cells whose character
or style differs is repainted: Textual writes a refreshed region's row up to its right edge,
so an unchanged tail costs nothing on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

_CODES: dict[str, str] = {}


def style_code(kind: str) -> str:
    """A one-character code per style kind (for cell-by-cell diffs)."""
    code = _CODES.get(kind)
    if code is None:
        code = _CODES[kind] = chr(0x41 + len(_CODES))
    return code


def changed_span(old: tuple[str, str], new: tuple[str, str]) -> tuple[int, int]:
    """[x0, x1) of the cells whose character or style differ."""
    old_text, old_codes = old
    new_text, new_codes = new
    n = min(len(old_text), len(new_text))
    x0 = 0
    while x0 < n and old_text[x0] == new_text[x0] and old_codes[x0] == new_codes[x0]:
        x0 += 1
    if x0 == n:
        return (x0, max(len(old_text), len(new_text))) if len(old_text) != len(new_text) else (0, 0)
    x1 = n
    while (
        x1 > x0 and old_text[x1 - 1] == new_text[x1 - 1] and old_codes[x1 - 1] == new_codes[x1 - 1]
    ):
        x1 -= 1
    return x0, x1


Spans = Sequence[tuple[str, str]]
"""One row as (text, style kind) spans; kind "" is the widget's own style."""


class CachedRowsWidget(Widget):
    """A line-API widget whose rows are cached Strips, repainted changed-cell span by span.

    Subclasses give :meth:`row_items` (each row's comparison key and spans) and set
    ``COMPONENT_PREFIX``: a span's kind ``k`` is drawn with component class ``<prefix>--k``.
    """

    COMPONENT_PREFIX: ClassVar[str] = ""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.rebuilds = 0
        """Row rebuilds so far (tests check a pane stays idle when nothing changed)."""
        self._row_keys: list[object] = []
        self._strips: list[Strip] = []
        self._cells: list[tuple[str, str]] = []
        self._styles: dict[str, Style] = {}

    def row_items(self, width: int, height: int) -> Sequence[tuple[object, Spans]]:
        """Every row for a size as (key compared with the cached row's key, spans)."""
        raise NotImplementedError

    def can_build(self) -> bool:
        """False while there is nothing to draw yet."""
        return True

    def row_texts(self) -> list[str]:
        """Plain text of every row (tests and debugging)."""
        return [strip.text for strip in self._strips]

    def notify_style_update(self) -> None:
        """Styles changed (a state class, a theme): rebuild rows with the new colours."""
        super().notify_style_update()
        self._styles = {}
        if self.is_mounted:
            # Component styles settle after this node's own: rebuild once they have.
            self.call_after_refresh(self._restyle)

    def _restyle(self) -> None:
        self._styles = {}
        self._rebuild(repaint_all=True)

    def on_resize(self) -> None:
        """Rows follow the size."""
        self._rebuild(repaint_all=True)

    def render_line(self, y: int) -> Strip:
        """One cached row."""
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _rebuild(self, *, repaint_all: bool) -> None:
        width, height = self.size
        if width <= 0 or height <= 0 or not self.can_build():
            return
        self.rebuilds += 1
        rows = self.row_items(width, height)
        if len(rows) != len(self._row_keys) or repaint_all:
            self._row_keys = [key for key, _ in rows]
            built = [self._build(spans, width) for _, spans in rows]
            self._strips = [strip for strip, _ in built]
            self._cells = [cells for _, cells in built]
            self.refresh()
            return
        # One refresh for all the changed rows: each call walks the widget's geometry.
        regions = [
            region
            for y, (key, spans) in enumerate(rows)
            if (region := self._replace(y, key, spans)) is not None
        ]
        if regions:
            self.refresh(*regions)

    def update_row(self, y: int, key: object, spans: Spans) -> None:
        """Replace one cached row if its key changed, repainting only its changed cells."""
        region = self._replace(y, key, spans)
        if region is not None:
            self.refresh(region)

    def _replace(self, y: int, key: object, spans: Spans) -> Region | None:
        """Rebuild row ``y`` if its key changed; the region of its changed cells, if any."""
        if not 0 <= y < len(self._row_keys) or self._row_keys[y] == key:
            return None
        self._row_keys[y] = key
        strip, cells = self._build(spans, self.size.width)
        x0, x1 = changed_span(self._cells[y], cells)
        self._strips[y] = strip
        self._cells[y] = cells
        if x1 <= x0:
            return None
        # Just the changed cells of this row (Textual writes the row up to x1, so an
        # unchanged tail such as a long bar costs nothing on the wire).
        return Region(x0, y, x1 - x0, 1)

    def _build(self, spans: Spans, width: int) -> tuple[Strip, tuple[str, str]]:
        """The row's Strip (adjacent spans of one style merged: fewer escape sequences) and
        its cells as (text, style code per cell) for diffing."""
        merged: list[list[str]] = []
        for text, kind in spans:
            if not text:
                continue
            if merged and merged[-1][1] == kind:
                merged[-1][0] += text
            else:
                merged.append([text, kind])
        segments = [Segment(text, self._style(kind)) for text, kind in merged]
        strip = Strip(segments).adjust_cell_length(width, self._style("")).crop(0, width)
        plain = "".join(text for text, _ in merged)
        codes = "".join(style_code(kind) * len(text) for text, kind in merged)
        return strip, (plain.ljust(width)[:width], codes.ljust(width)[:width])

    def _style(self, kind: str) -> Style:
        # Resolving a style walks the DOM; the cache lives until the styles change.
        # Full (not partial) component styles: translucent theme colours such as
        # "$error 45%" are blended over the widget's background here.
        style = self._styles.get(kind)
        if style is None:
            if kind:
                style = self.get_component_rich_style(f"{self.COMPONENT_PREFIX}--{kind}")
            else:
                style = self.rich_style
            self._styles[kind] = style
        return style
