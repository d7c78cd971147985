"""Where validation problems go, and the line a key was written on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]#]+?)\s*\]\]?\s*(#.*)?$")


@dataclass(slots=True)
class Context:
    """Collects one file's errors and warnings while it is validated."""

    where: str
    text: str | None
    errors: list[str]
    warnings: list[str]

    def at(self, *keys: str) -> str:
        """``FILE:LINE`` of a key path (``FILE`` alone when the line is not found)."""
        return f"{self.where}{line_of(self.text, keys)}"

    def error(self, message: str, *keys: str) -> None:
        self.errors.append(f"{self.at(*keys)}: {message}")

    def unknown(self, table: str, key: str, expected: Sequence[str], *where: str) -> None:
        self.warnings.append(
            f"{self.at(*(where or (table,)), key)}: unknown key '{table}.{key}' ignored "
            f"(expected: {', '.join(expected)})"
        )


def _bare(key: str) -> str:
    return key.strip().strip("\"'").strip()


def line_of(text: str | None, keys: Sequence[str]) -> str:
    """``:LINE`` where ``keys`` (a table, or a table and a key) is defined, else ``""``.

    tomllib and tomlkit keep no positions, so this scans the lines: it follows ``[table]`` and
    ``[[array]]`` headers (the n-th ``[[alerts]]`` is the path ``("alerts", "n")``, from 0) and
    plain or dotted keys, which covers how people write a small config. Best effort: a key it
    cannot place is still named, only without a line.
    """
    if text is None:
        return ""
    want = tuple(keys)
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = tuple(_bare(p) for p in header.group(1).split("."))
            if line.lstrip().startswith("[["):
                index = arrays.get(table, 0)
                arrays[table] = index + 1
                table = (*table, str(index))
            if table[: len(want)] == want:
                return f":{number}"
            continue
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        path = table + tuple(_bare(p) for p in line.split("=", 1)[0].split("."))
        if path[: len(want)] == want:
            return f":{number}"
    return ""
