"""Convert the real Binance captures in ../shared/data/binance-recorded into tuimon recordings.

Usage: .venv/bin/python scripts/convert_recorded.py [OUT_DIR] [--data DIR]
Writes spot.tmrec, binance-us.tmrec, usdm.tmrec and coinm.tmrec; replay them with
``tuimon snapshot SYMBOL --replay OUT_DIR/usdm.tmrec`` or serve them with
``tuimon sim --replay OUT_DIR/usdm.tmrec``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tuimon.recording.convert import convert_all

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("recordings"))
    parser.add_argument(
        "--data",
        type=Path,
        default=HERE.parent / "shared" / "data" / "binance-recorded" / "cryptofeed-sample-data",
    )
    args = parser.parse_args()
    for done in convert_all(args.data, args.out):
        note = " (exchangeInfo synthesized)" if done.synthesized_exchange_info else ""
        print(  # noqa: T201 - a script's report
            f"{done.path}: {done.frames} frames, {done.rest} REST responses, "
            f"symbols {' '.join(done.symbols)}{note}"
        )


if __name__ == "__main__":
    main()
