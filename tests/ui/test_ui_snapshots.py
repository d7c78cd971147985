"""SVG snapshots of the real app over seeded data with a frozen clock (no feed, no network).

Update after looking at the report: ``.venv/bin/pytest tests/ui --snapshot-update``.
"""

from __future__ import annotations

from ui_helpers import no_blink, sample_app, settle

from tuimon.ui.sample import SYMBOLS


def test_main_80x24(snap_compare) -> None:
    assert snap_compare(sample_app(), terminal_size=(80, 24), run_before=settle)


def test_main_160x48(snap_compare) -> None:
    assert snap_compare(sample_app(), terminal_size=(160, 48), run_before=settle)


def test_main_120x40_resized_to_80x24(snap_compare) -> None:
    """Issue 12 §6: the demo's 20 symbols at 120x40, then the window shrinks to 80x24. The
    grid says "Symbol 9/20" and nothing is left at the right edge (a scrollbar thumb was)."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        pilot.app.flush_frame()
        await pilot.pause()

    app = sample_app(watchlist=tuple(s[0] for s in SYMBOLS[:20]))
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


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


# The main snapshots above carry the sample account (orders, balances, fills); these show the
# pane's other states.


def test_account_empty(snap_compare) -> None:
    """Keys work, nothing open: each section says so."""
    assert snap_compare(sample_app(account="empty"), terminal_size=(100, 30), run_before=settle)


def test_account_no_keys(snap_compare) -> None:
    """No keys: market data as usual, the pane says how to add keys (short form at 80x24)."""
    assert snap_compare(sample_app(account="none"), terminal_size=(80, 24), run_before=settle)


def test_account_auth_error(snap_compare) -> None:
    """Keys refused: NOT LIVE and the one-line reason, nothing shown as live."""
    assert snap_compare(sample_app(account="auth"), terminal_size=(120, 40), run_before=settle)


def test_account_usdm_positions(snap_compare) -> None:
    """USDⓈ-M: margin balances and positions with entry, mark and unrealized PnL."""
    app = sample_app(market="usdm")
    assert snap_compare(app, terminal_size=(160, 48), run_before=settle)
