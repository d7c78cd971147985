"""SVG snapshots of the trades tape and the futures header (seeded sample, frozen clock).

Update after looking at the report: ``.venv/bin/pytest tests/ui/test_ui_tape_snapshots.py
--snapshot-update``.
"""

from __future__ import annotations

from ui_helpers import sample_app, settle


async def _show_tape(pilot) -> None:
    await settle(pilot)
    await pilot.press("t")
    await pilot.pause()
    pilot.app.flush_frame()
    await pilot.pause()


def test_tape_80x24(snap_compare) -> None:
    """Spot at 80x24 after ``t``: newest first, the large print, the gap row, the header."""
    assert snap_compare(sample_app(account="none"), terminal_size=(80, 24), run_before=_show_tape)


def test_futures_header_and_tape_80x24(snap_compare) -> None:
    """USDⓈ-M: the mark/index/funding line with its countdown, a liquidation in the tape."""
    app = sample_app(market="usdm", account="none")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_show_tape)


def test_futures_120x40(snap_compare) -> None:
    """USDⓈ-M at 120x40 with the sample account: header line, tape, positions."""
    app = sample_app(market="usdm")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_show_tape)


def test_tape_beside_the_chart_160x48(snap_compare) -> None:
    """Wide, ``t`` puts the tape beside the chart (the default screen has none)."""
    assert snap_compare(sample_app(), terminal_size=(160, 48), run_before=_show_tape)
