"""User configuration: the watchlist and last selection per market, in a small TOML file.

Where: ``$TUIMON_CONFIG``, else ``$XDG_CONFIG_HOME/tuimon/config.toml``, else
``~/.config/tuimon/config.toml``. Read with the standard ``tomllib`` and validated strictly:
an unknown key or a wrong type yields one clear line naming the file and the key, and tuimon
starts with defaults instead of crashing. Written by hand (the file is tiny, so no TOML writer
dependency) and atomically: a temporary file in the same directory, then ``os.replace``.

No Textual here: the headless parts may read the config too.

Example::

    [spot]
    watchlist = ["BTCUSDT", "ETHUSDT"]
    selected = "BTCUSDT"

    [usdm]
    watchlist = ["BTCUSDT"]
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

MARKETS = ("spot", "usdm", "coinm")
MAX_WATCHLIST = 200
"""More rows than any terminal shows; a bound keeps a hand-edited file from flooding the feed."""

_SYMBOL = re.compile(r"^[A-Z0-9_\-]{1,32}$")
_MARKET_KEYS = {"watchlist", "selected"}


class ConfigError(Exception):
    """A problem with the config file; ``str()`` is one line naming the file (and key)."""


@dataclass(frozen=True, slots=True)
class MarketPrefs:
    """What tuimon remembers about one market."""

    watchlist: tuple[str, ...] = ()
    """Watched symbols in the user's order; empty means "use the default watchlist"."""
    selected: str | None = None
    """The symbol selected when tuimon last quit."""


@dataclass(frozen=True, slots=True)
class Config:
    """The whole config file."""

    markets: Mapping[str, MarketPrefs] = field(default_factory=dict)

    def prefs(self, market: str) -> MarketPrefs:
        """Preferences of a market (defaults when the file has none)."""
        return self.markets.get(market, MarketPrefs())

    def with_prefs(self, market: str, prefs: MarketPrefs) -> Config:
        """A copy with one market's preferences replaced."""
        return replace(self, markets={**self.markets, market: prefs})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the monitor UI starts from: command line merged with the config file."""

    market: str = "spot"
    watchlist: tuple[str, ...] = ()
    """Symbols to watch; empty means "pick a default" (the top pairs by quote volume)."""
    selected: str | None = None
    interval: str = "1m"
    fps: float = 10.0
    config: Config = field(default_factory=Config)
    config_path: Path | None = None
    """Where to persist the watchlist and selection; None disables saving (tests, screenshots)."""
    symbols_from_cli: bool = False
    """True when the watchlist came from the command line (unknown symbols are then fatal)."""
    problems: tuple[str, ...] = ()
    """Config problems to show once the UI is up (the app still starts with defaults)."""


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file path: ``TUIMON_CONFIG``, then XDG, then ``~/.config``."""
    environ = os.environ if env is None else env
    explicit = environ.get("TUIMON_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "tuimon" / "config.toml"


def load_config(path: Path) -> Config:
    """Read and validate the config file; a missing file is an empty config.

    Raises:
        ConfigError: one line naming the file and the offending key (or line, for syntax).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, str(path))


def parse_config(data: Mapping[str, Any], where: str) -> Config:
    """Validate a decoded TOML document into a :class:`Config`."""
    markets: dict[str, MarketPrefs] = {}
    for key, value in data.items():
        if key not in MARKETS:
            raise ConfigError(
                f"{where}: unknown key {key!r} (expected tables: {', '.join(MARKETS)})"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: key {key!r} must be a table like [{key}]")
        markets[key] = _parse_market(value, key, where)
    return Config(markets=markets)


def _parse_market(table: Mapping[str, Any], market: str, where: str) -> MarketPrefs:
    for key in table:
        if key not in _MARKET_KEYS:
            raise ConfigError(
                f"{where}: unknown key '{market}.{key}' (expected: watchlist, selected)"
            )
    watchlist: list[str] = []
    raw_list = table.get("watchlist", [])
    if not isinstance(raw_list, list) or not all(isinstance(s, str) for s in raw_list):
        raise ConfigError(f"{where}: key '{market}.watchlist' must be a list of strings")
    for item in raw_list:
        symbol = item.strip().upper()
        if not _SYMBOL.match(symbol):
            raise ConfigError(f"{where}: key '{market}.watchlist' has a bad symbol {item!r}")
        if symbol not in watchlist:
            watchlist.append(symbol)
    if len(watchlist) > MAX_WATCHLIST:
        raise ConfigError(
            f"{where}: key '{market}.watchlist' has {len(watchlist)} symbols "
            f"(at most {MAX_WATCHLIST})"
        )
    selected = table.get("selected")
    if selected is not None:
        if not isinstance(selected, str):
            raise ConfigError(f"{where}: key '{market}.selected' must be a string")
        selected = selected.strip().upper()
        if not _SYMBOL.match(selected):
            raise ConfigError(f"{where}: key '{market}.selected' has a bad symbol {selected!r}")
    return MarketPrefs(watchlist=tuple(watchlist), selected=selected)


def toml_string(text: str) -> str:
    """A TOML basic string with every character that needs it escaped."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def dumps_config(config: Config) -> str:
    """The config as TOML text (markets in a fixed order, so diffs stay small)."""
    lines = ["# tuimon config: written by tuimon on quit and on watchlist changes.", ""]
    for market in MARKETS:
        prefs = config.markets.get(market)
        if prefs is None:
            continue
        lines.append(f"[{market}]")
        items = ", ".join(toml_string(s) for s in prefs.watchlist)
        lines.append(f"watchlist = [{items}]")
        if prefs.selected is not None:
            lines.append(f"selected = {toml_string(prefs.selected)}")
        lines.append("")
    return "\n".join(lines)


def save_config(path: Path, config: Config) -> None:
    """Write the config atomically: a temporary file beside it, then ``os.replace``.

    Raises:
        ConfigError: the file could not be written (one line).
    """
    text = dumps_config(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
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


def load_settings(
    *,
    market: str,
    symbols: list[str] | tuple[str, ...] = (),
    interval: str = "1m",
    fps: float = 10.0,
    path: Path | None = None,
) -> Settings:
    """Merge the command line with the config file; config problems never stop tuimon."""
    path = path or config_path()
    problems: list[str] = []
    try:
        config = load_config(path)
    except ConfigError as exc:
        problems.append(f"{exc}; using defaults")
        config = Config()
    prefs = config.prefs(market)
    cli = tuple(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
    watchlist = cli or prefs.watchlist
    selected = prefs.selected if prefs.selected in watchlist else None
    if cli:
        selected = cli[0]
    return Settings(
        market=market,
        watchlist=watchlist,
        selected=selected,
        interval=interval,
        fps=fps,
        config=config,
        config_path=path,
        symbols_from_cli=bool(cli),
        problems=tuple(problems),
    )
