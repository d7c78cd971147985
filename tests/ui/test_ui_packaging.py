"""Screenshots come from the real app; the styles ship inside the wheel.

The wheel test builds and installs a wheel (needs pip and, for build isolation, the network),
so it runs only with ``TUIMON_WHEEL_TEST=1``.
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tuimon.resources import STYLE_FILES

ROOT = Path(__file__).resolve().parents[2]


def _load_export_script():
    spec = importlib.util.spec_from_file_location(
        "export_screenshots", ROOT / "scripts" / "export_screenshots.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_export_screenshots_writes_every_screen(tmp_path) -> None:
    script = _load_export_script()
    written = await script.export(tmp_path)
    names = {p.name for p in written}
    assert names == {
        "main-80x24.svg",
        "main-160x48.svg",
        "help.svg",
        "stale-disconnected.svg",
        "symbol-search.svg",
        "account-usdm.svg",
        "account-no-keys.svg",
        "alert-fired.svg",
        "alert-list.svg",
        "alert-form.svg",
        "screener.svg",
    }
    for path in written:
        text = path.read_text()
        assert text.startswith("<svg") and "tuimon" in text
    assert "DISCONNECTED" in (tmp_path / "stale-disconnected.svg").read_text()
    assert "Positions" in (tmp_path / "account-usdm.svg").read_text()
    assert "No&#160;API&#160;keys" in (tmp_path / "account-no-keys.svg").read_text()
    assert "Screener" in (tmp_path / "screener.svg").read_text()


@pytest.mark.skipif(os.environ.get("TUIMON_WHEEL_TEST") != "1", reason="set TUIMON_WHEEL_TEST=1")
def test_wheel_ships_styles_and_runs_outside_the_checkout(tmp_path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("tuimon-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"tuimon/styles/{name}" for name in STYLE_FILES} <= names
    # tuimon bench runs from the wheel: its benchmarks and their replay server ship too.
    assert {"tuimon/bench/command.py", "tuimon/bench/replay_server.py"} <= names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    code = (
        "import asyncio, tuimon, tuimon.resources as r\n"
        "from tuimon.ui.sample import build_sample_app\n"
        "assert r.styles_dir().is_relative_to(r.Path(tuimon.__file__).parent), r.styles_dir()\n"
        "async def main():\n"
        "    app = build_sample_app()\n"
        "    async with app.run_test(size=(80, 24)) as pilot:\n"
        "        while app.frame_timer is None:\n"
        "            await pilot.pause()\n"
        "        app.flush_frame()\n"
        "        print(app.main.ladder.row_texts()[0])\n"
        "asyncio.run(main())\n"
    )
    deps = site.getsitepackages()[0]
    env = {**os.environ, "PYTHONPATH": f"{target}{os.pathsep}{deps}"}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "live" in result.stdout
