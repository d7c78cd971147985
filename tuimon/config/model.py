"""The config's typed records: what tuimon understood of the file, and what the monitor starts
from. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from tuimon.alerts.rules import DEFAULT_COOLDOWN

MARKETS = ("spot", "usdm", "coinm")
MAX_WATCHLIST = 200
"""More rows than any terminal shows; a bound keeps a hand-edited file from flooding the feed."""

MAX_CONFIG_BYTES = 1 << 20
"""A config is a few hundred bytes; anything past a megabyte is not one (and is not loaded)."""

SYMBOL = re.compile(r"^[A-Z0-9_\-]{1,32}$")
ACCOUNT = "account"
ALERTS = "alerts"
NOTIFY = "notify"
MARKET_KEYS = ("watchlist", "selected")
NOT_SAVED = "changes will not be saved until the file is fixed"
"""Said with every error: the person must know their edits in the app are not kept."""


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
        try:
            path = Path(text).expanduser()
        except RuntimeError:
            # "~nosuchuser/keys.toml" (or no home at all): kept as written, so the key loader
            # says the file does not exist instead of a property raising.
            path = Path(text)
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
        """Nothing configured."""
        return self.key_file is None and self.private_key_path is None


@dataclass(frozen=True, slots=True)
class AlertPrefs:
    """One ``[[alerts]]`` table: a rule in the alert grammar, on or off, its cooldown."""

    rule: str
    """Canonical text (``BTCUSDT spread_bps >= 5``): also its identity when saved."""
    enabled: bool = True
    cooldown: float = DEFAULT_COOLDOWN


@dataclass(frozen=True, slots=True)
class NotifyPrefs:
    """``[notify]``: how a fired alert reaches the person."""

    toast: bool = True
    bell: bool = True
    desktop: str = "osc9"
    """``osc9``, ``osc777`` or ``off``: a desktop notification through the terminal."""
    command: tuple[str, ...] = ()
    """An argv list run per alert, the alert as JSON on stdin (never a shell string)."""
    command_timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class Config:
    """What tuimon understood of the config file."""

    markets: Mapping[str, MarketPrefs] = field(default_factory=dict)
    account: AccountPrefs = field(default_factory=AccountPrefs)
    alerts: tuple[AlertPrefs, ...] = ()
    notify: NotifyPrefs = field(default_factory=NotifyPrefs)
    large_prints: Mapping[str, Decimal] = field(default_factory=dict)
    """``[tape] large``: notional per quote asset from which a trade is highlighted."""

    def prefs(self, market: str) -> MarketPrefs:
        """Preferences of a market (defaults when the file has none)."""
        return self.markets.get(market, MarketPrefs())

    def with_prefs(self, market: str, prefs: MarketPrefs) -> Config:
        """A copy with one market's preferences replaced."""
        return replace(self, markets={**self.markets, market: prefs})


def normalise_symbols(raw: Sequence[str]) -> tuple[str, ...]:
    """Upper-case, stripped, first occurrence kept."""
    return tuple(dict.fromkeys(s.strip().upper() for s in raw if s.strip()))


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The result of reading the config file: what was understood, and what was not."""

    path: Path
    config: Config = field(default_factory=Config)
    warnings: tuple[str, ...] = ()
    """Unknown keys (file, key and line): kept in the file, otherwise ignored."""
    errors: tuple[str, ...] = ()
    """Why the file could not be fully read; while there are any, nothing is written to it."""
    exists: bool = False

    @property
    def savable(self) -> bool:
        """True when tuimon may write its own values back into this file."""
        return not self.errors

    @property
    def problems(self) -> tuple[str, ...]:
        """Every line to show the person: errors first (each says nothing is saved)."""
        return (*(f"{e}; {NOT_SAVED}" for e in self.errors), *self.warnings)

    def checked(self) -> Config:
        """The config, or :class:`ConfigError` with the first error (for commands that must
        refuse a broken file rather than run on defaults)."""
        if self.errors:
            more = len(self.errors) - 1
            raise ConfigError(self.errors[0] + (f" (and {more} more)" if more else ""))
        return self.config


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the monitor UI starts from: command line merged with the config file."""

    market: str = "spot"
    watchlist: tuple[str, ...] = ()
    """Symbols to watch; empty means "pick a default" (the top pairs by quote volume)."""
    selected: str | None = None
    """The symbol to select first, when it is in the final watchlist."""
    interval: str = "1m"
    fps: float = 10.0
    config: Config = field(default_factory=Config)
    config_path: Path | None = None
    """Where to persist the watchlist and selection; None disables saving (tests, --demo)."""
    config_savable: bool = True
    """False when the file could not be fully read: then nothing is ever written to it."""
    symbols_from_cli: bool = False
    """True when the watchlist came from the command line (unknown symbols are then fatal)."""
    problems: tuple[str, ...] = ()
    """Config problems to show once the UI is up (the app still starts)."""
