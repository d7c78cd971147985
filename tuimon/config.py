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

    [account]
    key_file = "binance-keys.toml"        # api_key + api_secret or private_key_path
    private_key_path = "ed25519.pem"      # with BINANCE_API_KEY from the environment

``[account]`` names *where* keys are (paths, relative to this file's directory); it never holds
a key or a secret itself (``api_key``/``api_secret`` there are refused with a hint), so this
file needs no private permissions. The key file and the PEM do: reading them warns when other
users can read them (:func:`tuimon.feeds.credentials.permission_warning`).
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
ACCOUNT = "account"
_ACCOUNT_KEYS = ("key_file", "private_key_path")
_SECRET_KEYS = {"api_key", "api_secret", "secret", "private_key", "private_key_passphrase"}


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
class AccountPrefs:
    """Where the API keys are: paths as written in the file, resolved against its directory."""

    key_file: str | None = None
    """A TOML key file (``api_key`` with ``api_secret`` or ``private_key_path``)."""
    private_key_path: str | None = None
    """An Ed25519/RSA PEM; the API key then comes from ``BINANCE_API_KEY``."""
    base_dir: Path | None = None
    """The config file's directory (relative paths are relative to it)."""

    def _resolve(self, text: str | None) -> Path | None:
        if not text:
            return None
        path = Path(text).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    @property
    def key_file_path(self) -> Path | None:
        """``key_file`` as a path (None when not set)."""
        return self._resolve(self.key_file)

    @property
    def private_key_file(self) -> Path | None:
        """``private_key_path`` as a path (None when not set)."""
        return self._resolve(self.private_key_path)

    @property
    def empty(self) -> bool:
        """Nothing configured (the table is then not written back)."""
        return self.key_file is None and self.private_key_path is None


@dataclass(frozen=True, slots=True)
class Config:
    """The whole config file."""

    markets: Mapping[str, MarketPrefs] = field(default_factory=dict)
    account: AccountPrefs = field(default_factory=AccountPrefs)

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


def parse_config(data: Mapping[str, Any], where: str, base_dir: Path | None = None) -> Config:
    """Validate a decoded TOML document into a :class:`Config`.

    ``base_dir`` anchors relative paths of ``[account]`` (default: the directory of ``where``).
    """
    markets: dict[str, MarketPrefs] = {}
    account = AccountPrefs()
    for key, value in data.items():
        if key not in (*MARKETS, ACCOUNT):
            raise ConfigError(
                f"{where}: unknown key {key!r} (expected tables: {', '.join(MARKETS)}, {ACCOUNT})"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: key {key!r} must be a table like [{key}]")
        if key == ACCOUNT:
            account = _parse_account(value, where, base_dir or Path(where).parent)
        else:
            markets[key] = _parse_market(value, key, where)
    return Config(markets=markets, account=account)


def _parse_account(table: Mapping[str, Any], where: str, base_dir: Path) -> AccountPrefs:
    for key in table:
        if key in _SECRET_KEYS:
            # Never echo the value: it may be the secret itself.
            raise ConfigError(
                f"{where}: key '{ACCOUNT}.{key}' is not allowed: keys and secrets do not go in "
                "the config; put them in a key file named by 'account.key_file' (chmod 600) "
                "or in the environment"
            )
        if key not in _ACCOUNT_KEYS:
            raise ConfigError(
                f"{where}: unknown key '{ACCOUNT}.{key}' (expected: {', '.join(_ACCOUNT_KEYS)})"
            )
    values: dict[str, str | None] = {}
    for key in _ACCOUNT_KEYS:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where}: key '{ACCOUNT}.{key}' must be a non-empty path string")
        values[key] = value.strip() if isinstance(value, str) else None
    return AccountPrefs(
        key_file=values["key_file"],
        private_key_path=values["private_key_path"],
        base_dir=base_dir,
    )


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
    account = config.account
    if not account.empty:
        # Kept as written (relative paths stay relative to this file).
        lines.append(f"[{ACCOUNT}]")
        if account.key_file is not None:
            lines.append(f"key_file = {toml_string(account.key_file)}")
        if account.private_key_path is not None:
            lines.append(f"private_key_path = {toml_string(account.private_key_path)}")
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
