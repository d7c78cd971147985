"""Row diffing shared by the line-API panes (depth ladder, orders pane).

A pane keeps each row as a cached :class:`~textual.strip.Strip` plus the row's cells as
(text, one style code per cell). When a row changes, only the span of cells whose character
or style differs is repainted: Textual writes a refreshed region's row up to its right edge,
so an unchanged tail costs nothing on the wire.
"""

from __future__ import annotations

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
