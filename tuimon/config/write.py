"""Writing tuimon's own values into the person's config, and nothing else.

Every write re-reads the file (the person may have edited it since tuimon started), refuses a
file that could not be fully read, edits it with ``tomlkit`` so comments, key order, blank lines
and unknown keys stay as written, checks with the standard ``tomllib`` that only the owned values
changed (and to what was asked), skips writes that change nothing, and replaces the file
atomically with its mode and owner.

Owned values: each market's ``watchlist`` and ``selected``, and the ``[[alerts]]`` tables.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Table

from tuimon.alerts.rules import DEFAULT_COOLDOWN, parse_rule
from tuimon.config.model import (
    ALERTS,
    MARKET_KEYS,
    MARKETS,
    AlertPrefs,
    Config,
    ConfigError,
    normalise_symbols,
)
from tuimon.config.read import parse_data, read_config, read_text

NEW_FILE_HEADER = (
    "# tuimon config. tuimon writes only each market's watchlist and selected, and the\n"
    "# [[alerts]] tables; everything else here is yours and is kept as you write it.\n"
)


def update_market_prefs(
    path: Path,
    market: str,
    *,
    watchlist: Sequence[str] | None = None,
    selected: str | None = None,
) -> bool:
    """Write a market's ``watchlist`` and/or ``selected`` (None: leave that value alone).

    Returns True when the file changed. Everything tuimon does not own stays byte for byte.

    Raises:
        ConfigError: one line; the file was not touched (it could not be fully read, it is
            read-only, or the directory is not writable).
    """
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r}")
    symbols = list(normalise_symbols(watchlist)) if watchlist is not None else None

    def edit(doc: tomlkit.TOMLDocument) -> None:
        table = _table(doc, market)
        if symbols is not None:
            _set_symbols(table, symbols)
        if selected is not None and str(table.get("selected", "")).strip().upper() != selected:
            table["selected"] = selected

    def asked(config: Config) -> bool:
        prefs = config.prefs(market)
        return (symbols is None or list(prefs.watchlist) == symbols) and (
            selected is None or prefs.selected == selected
        )

    return _edit(path, edit, asked)


def update_alerts(path: Path, alerts: Sequence[AlertPrefs]) -> bool:
    """Make the ``[[alerts]]`` tables hold ``alerts`` (matched by rule text, so a rule that
    stays keeps its table, its comments and its place; new ones go at the end)."""
    wanted = list(alerts)

    def edit(doc: tomlkit.TOMLDocument) -> None:
        current = doc.get(ALERTS)
        if not isinstance(current, AoT):
            if wanted:
                doc[ALERTS] = tomlkit.aot()
                current = doc[ALERTS]
            else:
                return
        assert isinstance(current, AoT)
        by_rule = {a.rule: a for a in wanted}
        kept: set[str] = set()
        for index in reversed(range(len(current))):
            table = current[index]
            try:
                text = parse_rule(str(table.get("rule", ""))).text
            except ValueError:
                text = ""
            prefs = by_rule.get(text)
            if prefs is None or text in kept:
                del current[index]
                continue
            kept.add(text)
            if table.get("enabled", True) != prefs.enabled:
                table["enabled"] = prefs.enabled
            if float(table.get("cooldown", DEFAULT_COOLDOWN)) != prefs.cooldown:
                table["cooldown"] = _number(prefs.cooldown)
        for prefs in wanted:
            if prefs.rule in kept:
                continue
            table = tomlkit.table()
            table["rule"] = prefs.rule
            if not prefs.enabled:
                table["enabled"] = False
            if prefs.cooldown != DEFAULT_COOLDOWN:
                table["cooldown"] = _number(prefs.cooldown)
            current.append(table)
        if not len(current):
            del doc[ALERTS]

    def asked(config: Config) -> bool:
        return sorted(config.alerts, key=lambda a: a.rule) == sorted(wanted, key=lambda a: a.rule)

    return _edit(path, edit, asked)


def _number(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def _edit(
    path: Path,
    edit: Callable[[tomlkit.TOMLDocument], None],
    asked: Callable[[Config], bool],
) -> bool:
    target = _write_target(path)
    loaded = read_config(target)
    if not loaded.savable:
        raise ConfigError(f"{loaded.errors[0]}; not saved")
    text, _ = read_text(target)
    try:
        doc = tomlkit.parse(text if text is not None else NEW_FILE_HEADER)
        edit(doc)
        new_text = tomlkit.dumps(doc)
    except TOMLKitError as exc:
        # tomllib read it, tomlkit cannot edit it (it refuses values nested over 100 deep):
        # the file stays as it is.
        reason = " ".join(str(exc).split())[:120]
        raise ConfigError(f"{target}: not saved: cannot edit this file ({reason})") from None
    if new_text == text:
        return False
    _check(text, new_text, target, asked)
    _atomic_write(target, new_text)
    return True


def _write_target(path: Path) -> Path:
    """The file to replace: through a symlink (dotfile managers link configs), never the link."""
    try:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError:
        return path


def _table(doc: tomlkit.TOMLDocument, market: str) -> Table:
    existing = doc.get(market)
    if existing is None:
        table = tomlkit.table()
        doc[market] = table
        return table
    assert isinstance(existing, dict), "validated by read_config"
    return existing  # type: ignore[return-value]  # a Table or an InlineTable: both mutable


def _set_symbols(table: Table, symbols: list[str]) -> None:
    """Make ``table["watchlist"]`` hold ``symbols``, editing the array in place where the
    change is removals and additions (the app's own edits), so the comments on the symbols
    that stay are kept."""
    current = table.get("watchlist")
    if not isinstance(current, Array):
        table["watchlist"] = symbols
        return
    if [str(s).strip().upper() for s in current] == symbols:
        return  # as written (case and spacing included)
    wanted = set(symbols)
    seen: set[str] = set()
    drop: list[int] = []
    for index, item in enumerate(current):
        symbol = str(item).strip().upper()
        if symbol not in wanted or symbol in seen:
            drop.append(index)
        else:
            seen.add(symbol)
    for index in reversed(drop):
        del current[index]
    kept = [str(s).strip().upper() for s in current]
    if kept != symbols[: len(kept)]:
        # Reordered: rewrite the values, still in the same array (its place and trivia stay).
        del current[:]
        current.extend(symbols)
        return
    current.extend(symbols[len(kept) :])


def _check(old: str | None, new: str, path: Path, asked: Callable[[Config], bool]) -> None:
    """Refuse to write unless the new text reads (with the standard parser) as the old data
    with only owned values changed, and those to what was asked."""
    before = tomllib.loads(old) if old is not None else {}
    try:
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a tomlkit bug
        raise ConfigError(f"{path}: not saved: the edit would not be valid TOML ({exc})") from None
    result = parse_data(after, path, new)
    if (
        _without_owned(before) != _without_owned(after)
        or not result.savable
        or not asked(result.config)
    ):
        raise ConfigError(f"{path}: not saved: the edit would change more than tuimon's values")


def _without_owned(data: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != ALERTS}
    for market in MARKETS:
        table = out.get(market)
        if isinstance(table, dict):
            rest = {k: v for k, v in table.items() if k not in MARKET_KEYS}
            if rest:
                out[market] = rest
            else:
                out.pop(market)
    return out


def _atomic_write(path: Path, text: str) -> None:
    """Temp file in the same directory, then ``os.replace``; the file keeps its mode and owner.

    A file without its owner's write bit is the person saying "do not write": refused even for
    root (who could write it anyway).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if info is not None and not info.st_mode & stat.S_IWUSR:
        raise ConfigError(f"{path}: read-only; not saved")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                if info is not None:
                    os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
                    with contextlib.suppress(PermissionError):
                        os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
