"""Print the fault matrix as the README's markdown table, with the times measured now.

Run by hand (not collected by pytest): ``.venv/bin/python tests/matrix/matrix_table.py``.
It runs every cell exactly as tests/matrix/test_fault_matrix.py does (the same table, the same
runner and assertions) and prints, per market, when the health showed the fault and how long
the state took to be right again after it, next to the bound the cell asserts.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE.parent / "feeds", HERE.parent / "private", HERE, HERE.parent):
    sys.path.insert(0, str(folder))

from matrix_helpers import MARKETS, CellResult, run_cell  # noqa: E402
from test_fault_matrix import TABLE  # noqa: E402


def cell_text(result: CellResult) -> str:
    return (f"shown {result.shown_after:.3f} s, right {result.recovery:.3f} s after "
            f"(≤ {result.case.bound:.2f})")


async def main() -> None:
    results: dict[tuple[str, str], CellResult] = {}
    for case in TABLE:
        for market in case.markets:
            results[(case.name, market)] = await run_cell(market, case)
            print(f"{case.name} {market}: {cell_text(results[(case.name, market)])}",
                  file=sys.stderr)
    notes: list[str] = []
    print("| fault (worker) | what it does | " + " | ".join(MARKETS) + " | tuimon's answer |")
    print("|---|---|" + "---|" * len(MARKETS) + "---|")
    for case in TABLE:
        if case.absent and case.absent not in notes:
            notes.append(case.absent)
        mark = f"— ({notes.index(case.absent) + 1})" if case.absent else ""
        cells = [cell_text(results[(case.name, m)]) if m in case.markets else mark
                 for m in MARKETS]
        name = case.name.removeprefix("user-")
        print(f"| `{name}` ({case.worker}) | {case.does} | " + " | ".join(cells)
              + f" | {case.answer}. Shows: {case.shows_text} |")
    print()
    for number, reason in enumerate(notes, start=1):
        print(f"({number}) {reason}.  ")

if __name__ == "__main__":
    asyncio.run(main())
