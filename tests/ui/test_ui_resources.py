"""Styles ship with the package and load; the app reads without colour (NO_COLOR)."""

from __future__ import annotations

from textual.filter import Monochrome, NoColor
from ui_helpers import sample_app, settle

from tuimon.resources import STYLE_FILES, style_paths, styles_dir


def test_every_stylesheet_exists_and_is_absolute() -> None:
    base = styles_dir()
    assert base.is_dir()
    paths = style_paths()
    assert [p.name for p in paths] == list(STYLE_FILES)
    assert all(p.is_absolute() and p.is_file() for p in paths)
    on_disk = {p.name for p in base.glob("*.tcss")}
    assert on_disk == set(STYLE_FILES), "a .tcss file is missing from STYLE_FILES"


async def test_app_loads_every_stylesheet() -> None:
    app = sample_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        loaded = {str(path) for path in app.css_path}
        assert loaded == {str(p) for p in style_paths()}


async def test_no_color_reads_without_colour(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = sample_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any(isinstance(f, (Monochrome, NoColor)) for f in app._filters)
        svg = app.export_screenshot()  # renders every line through the filter
        assert "▲" in svg or "+" in svg
        grid = app.main.grid
        assert grid.get_cell("ETHUSDT", "change").plain.strip().startswith("+")
        assert grid.get_cell("BTCUSDT", "change").plain.strip().startswith("−")
        assert "● live" in app.main.ladder.row_texts()[0]
