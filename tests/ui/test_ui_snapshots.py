"""SVG snapshots of the real app over seeded data with a frozen clock (no feed, no network).

Update after looking at the report: ``.venv/bin/pytest tests/ui --snapshot-update``.
"""

from __future__ import annotations

from ui_helpers import no_blink, sample_app, settle


def test_main_80x24(snap_compare) -> None:
    assert snap_compare(sample_app(), terminal_size=(80, 24), run_before=settle)


def test_main_160x48(snap_compare) -> None:
    assert snap_compare(sample_app(), terminal_size=(160, 48), run_before=settle)


def test_help_screen(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(sample_app(), terminal_size=(100, 40), run_before=run_before)


def test_stale_disconnected(snap_compare) -> None:
    """Connection dropped: red health bar, ladder dimmed and labelled, never shown as live."""
    assert snap_compare(sample_app(stale=True), terminal_size=(120, 36), run_before=settle)


def test_symbol_search(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", "e", "t", "h")
        await no_blink(pilot)

    assert snap_compare(sample_app(), terminal_size=(100, 30), run_before=run_before)
