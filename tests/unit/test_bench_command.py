"""``tuimon bench`` end to end with the smallest budget (hidden ``--smoke``): every section runs,
the JSON has its keys and every figure is positive. No timing is asserted: the figures of a
one-second run on a shared machine mean nothing, only that they were measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the terminal run needs a pty")


def test_bench_smoke_json(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUIMON_")}
    env["TUIMON_CONFIG"] = str(tmp_path / "config.toml")  # never the user's watchlist
    done = subprocess.run(
        [sys.executable, "-m", "tuimon", "bench", "--smoke", "--json"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    assert data["plan"] == "smoke" and data["machine"]["cores"] >= 1
    assert data["machine"]["tuimon"] and data["machine"]["cpu"]
    ingest = data["ingest"]
    assert ingest["frames"] > 0
    assert set(ingest["msgs_per_s"]) == {"bare", "tuimon", "wire", "recv"}
    assert all(rate > 0 for rate in ingest["msgs_per_s"].values())
    assert ingest["ratio_tuimon_bare"] > 0
    book = data["book"]
    assert book["rows"][0]["name"].startswith("tuimon")
    assert all(row[k] > 0 for row in book["rows"] for k in ("apply_us", "raw_us", "top_us"))
    assert book["tops_equal"] is True
    (run,) = data["terminal"]["runs"]
    assert (run["mode"], run["size"], run["exit_status"], run["traceback"]) == (
        "demo", "120x40", 0, False
    )
    assert run["first_live_s"] > 0 and run["cpu_pct_one_core"] > 0 and run["bytes_per_s"] > 0
    assert [goal["status"] for goal in data["goals"]][3:] == ["not measured", "not measured"]
    assert "tuimon bench: terminal: demo at 120x40" in done.stderr  # progress: stderr only
