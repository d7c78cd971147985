"""Reading the config: never raises; errors and warnings each one line with file and line."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from tuimon.config.alerts import parse_alerts, parse_notify
from tuimon.config.context import Context, line_of
from tuimon.config.model import (
    ACCOUNT,
    ALERTS,
    MARKET_KEYS,
    MARKETS,
    MAX_CONFIG_BYTES,
    MAX_WATCHLIST,
    NOTIFY,
    SYMBOL,
    AccountPrefs,
    AlertPrefs,
    Config,
    ConfigFile,
    MarketPrefs,
    NotifyPrefs,
    Settings,
    normalise_symbols,
)
from tuimon.config.tape import TAPE, parse_tape

_ACCOUNT_KEYS = ("key_file", "private_key_path")
_SECRET_KEYS = {"api_key", "api_secret", "secret", "private_key", "private_key_passphrase"}


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file path: ``TUIMON_CONFIG``, then XDG, then ``~/.config``."""
    environ = os.environ if env is None else env
    explicit = environ.get("TUIMON_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "tuimon" / "config.toml"


def read_text(path: Path) -> tuple[str | None, str | None]:
    """The file's text (None when it does not exist), or an error line."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except IsADirectoryError:
        return None, f"{path}: is a directory, not a config file"
    except OSError as exc:
        return None, f"{path}: cannot read: {exc.strerror or exc}"
    if len(raw) > MAX_CONFIG_BYTES:
        return None, f"{path}: larger than {MAX_CONFIG_BYTES >> 20} MB, not a tuimon config"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"{path}: not UTF-8 text (byte {exc.start})"


def read_config(path: Path) -> ConfigFile:
    """Read and validate the config file. Never raises: see :class:`ConfigFile`."""
    text, error = read_text(path)
    if error is not None:
        return ConfigFile(path, errors=(error,), exists=True)
    if text is None:
        return ConfigFile(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return ConfigFile(path, errors=(f"{path}: invalid TOML: {exc}",), exists=True)
    except RecursionError:  # tomllib recurses: arrays or tables nested a few hundred deep
        return ConfigFile(path, errors=(f"{path}: invalid TOML: nested too deeply",), exists=True)
    return parse_data(data, path, text)


def load_config(path: Path) -> Config:
    """The config, refusing a file that could not be fully read.

    Raises:
        ConfigError: one line naming the file and the offending key (or line, for syntax).
    """
    return read_config(path).checked()


def parse_config(data: Mapping[str, Any], where: str, base_dir: Path | None = None) -> Config:
    """Validate an already decoded document (strict: the first error raises ConfigError)."""
    loaded = parse_data(data, Path(where), None, base_dir)
    return loaded.checked()


def parse_data(
    data: Mapping[str, Any], path: Path, text: str | None, base_dir: Path | None = None
) -> ConfigFile:
    """Validate a decoded document (``text``, when given, places problems on their lines)."""
    where = str(path)
    errors: list[str] = []
    warnings: list[str] = []
    markets: dict[str, MarketPrefs] = {}
    account = AccountPrefs(base_dir=base_dir or path.parent)
    alerts: tuple[AlertPrefs, ...] = ()
    notify = NotifyPrefs()
    large_prints: dict[str, Decimal] = {}
    context = Context(where, text, errors, warnings)
    for key, value in data.items():
        if key == ALERTS:
            alerts = parse_alerts(value, context)
            continue
        if key not in (*MARKETS, ACCOUNT, NOTIFY, TAPE):
            warnings.append(
                f"{where}{line_of(text, (key,))}: unknown key {key!r} ignored "
                f"(tuimon reads: {', '.join((*MARKETS, ACCOUNT, ALERTS, NOTIFY, TAPE))})"
            )
            continue
        if not isinstance(value, dict):
            errors.append(
                f"{where}{line_of(text, (key,))}: key {key!r} must be a table like [{key}]"
            )
            continue
        if key == ACCOUNT:
            account = _parse_account(value, context, account)
        elif key == NOTIFY:
            notify = parse_notify(value, context)
        elif key == TAPE:
            large_prints = parse_tape(value, context)
        else:
            markets[key] = _parse_market(value, key, context)
    return ConfigFile(
        path,
        Config(
            markets=markets,
            account=account,
            alerts=alerts,
            notify=notify,
            large_prints=large_prints,
        ),
        warnings=tuple(warnings),
        errors=tuple(errors),
        exists=True,
    )


def _parse_account(table: Mapping[str, Any], ctx: Context, empty: AccountPrefs) -> AccountPrefs:
    values: dict[str, str | None] = {key: None for key in _ACCOUNT_KEYS}
    failed = False
    for key, value in table.items():
        if key in _SECRET_KEYS:
            # Never echo the value: it may be the secret itself.
            ctx.errors.append(
                f"{ctx.at(ACCOUNT, key)}: key '{ACCOUNT}.{key}' is not allowed: keys and "
                "secrets do not go in the config; put them in a key file named by "
                "'account.key_file' (chmod 600) or in the environment"
            )
            failed = True
        elif key not in _ACCOUNT_KEYS:
            ctx.unknown(ACCOUNT, key, _ACCOUNT_KEYS)
        elif not isinstance(value, str) or not value.strip():
            ctx.errors.append(
                f"{ctx.at(ACCOUNT, key)}: key '{ACCOUNT}.{key}' must be a non-empty path string"
            )
            failed = True
        else:
            values[key] = value.strip()
    if failed:
        # A half-read [account] could send the wrong key; the account stays off until fixed.
        return empty
    return replace(empty, key_file=values["key_file"], private_key_path=values["private_key_path"])


def _parse_market(table: Mapping[str, Any], market: str, ctx: Context) -> MarketPrefs:
    for key in table:
        if key not in MARKET_KEYS:
            ctx.unknown(market, key, MARKET_KEYS)
    watchlist = _parse_watchlist(table.get("watchlist", []), market, ctx)
    selected = table.get("selected")
    if selected is not None:
        if not isinstance(selected, str) or not SYMBOL.match(selected.strip().upper()):
            shown = selected if isinstance(selected, str) else type(selected).__name__
            ctx.errors.append(
                f"{ctx.at(market, 'selected')}: key '{market}.selected' must be a symbol "
                f"string, got {shown!r}"
            )
            selected = None
        else:
            selected = selected.strip().upper()
    return MarketPrefs(watchlist=watchlist, selected=selected)


def _parse_watchlist(raw: Any, market: str, ctx: Context) -> tuple[str, ...]:
    where = ctx.at(market, "watchlist")
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        ctx.errors.append(f"{where}: key '{market}.watchlist' must be a list of strings")
        return ()
    symbols = normalise_symbols(raw)
    bad = [item for item in raw if not SYMBOL.match(item.strip().upper())]
    if bad:
        ctx.errors.append(f"{where}: key '{market}.watchlist' has a bad symbol {bad[0]!r}")
        return ()
    if len(symbols) > MAX_WATCHLIST:
        ctx.errors.append(
            f"{where}: key '{market}.watchlist' has {len(symbols)} symbols (at most "
            f"{MAX_WATCHLIST})"
        )
        return ()
    return symbols


def load_settings(
    *,
    market: str,
    symbols: list[str] | tuple[str, ...] = (),
    interval: str = "1m",
    fps: float = 10.0,
    path: Path | None = None,
    save: bool = True,
) -> Settings:
    """Merge the command line with the config file; config problems never stop the monitor.

    ``save=False`` (``--demo``) reads the person's file but never writes it.
    """
    path = path or config_path()
    loaded = read_config(path)
    prefs = loaded.config.prefs(market)
    cli = normalise_symbols(symbols)
    watchlist = cli or prefs.watchlist
    selected = cli[0] if cli else prefs.selected
    return Settings(
        market=market,
        watchlist=watchlist,
        selected=selected,
        interval=interval,
        fps=fps,
        config=loaded.config,
        config_path=path if save else None,
        config_savable=loaded.savable,
        symbols_from_cli=bool(cli),
        problems=loaded.problems,
    )
