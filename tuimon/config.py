"""User configuration: the watchlist and last selection per market, in a TOML file that is the
person's own.

Where: ``$TUIMON_CONFIG``, else ``$XDG_CONFIG_HOME/tuimon/config.toml``, else
``~/.config/tuimon/config.toml``.

Reading (:func:`read_config`) never raises and sorts what it finds into two kinds:

- **errors**: the file could not be fully read (unreadable, not UTF-8, a TOML syntax error, a
  known key with a wrong type or a bad value, a secret in ``[account]``). The parts that could be
  read are used, the rest falls back to defaults, and *nothing is ever written to the file*
  until it is fixed: tuimon never writes over a file it could not fully read.
- **warnings**: keys tuimon does not know, named with their line. They are kept as written.

Writing (:func:`update_market_prefs`) changes only the values tuimon owns (a market's
``watchlist`` and ``selected``). It re-reads the file first (the person may have edited it
since), edits it with ``tomlkit`` so comments, key order, blank lines, unknown keys and other
tables stay exactly as written, checks with the standard ``tomllib`` that everything it does not
own reads back unchanged, and then writes atomically (a temporary file in the same directory,
then ``os.replace``) with the file's permissions and owner. A write that would change nothing
does not touch the file. A symlinked config is written through the link.

No Textual here: the headless parts read the config too.

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
import stat
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Array, Table

MARKETS = ("spot", "usdm", "coinm")
MAX_WATCHLIST = 200
"""More rows than any terminal shows; a bound keeps a hand-edited file from flooding the feed."""

MAX_CONFIG_BYTES = 1 << 20
"""A config is a few hundred bytes; anything past a megabyte is not one (and is not loaded)."""

_SYMBOL = re.compile(r"^[A-Z0-9_\-]{1,32}$")
ACCOUNT = "account"
_MARKET_KEYS = ("watchlist", "selected")
_ACCOUNT_KEYS = ("key_file", "private_key_path")
_SECRET_KEYS = {"api_key", "api_secret", "secret", "private_key", "private_key_passphrase"}
_NEW_FILE_HEADER = (
    "# tuimon config. tuimon writes only each market's watchlist and selected;\n"
    "# everything else here is yours and is kept as you write it.\n"
)
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
        """Nothing configured."""
        return self.key_file is None and self.private_key_path is None


@dataclass(frozen=True, slots=True)
class Config:
    """What tuimon understood of the config file."""

    markets: Mapping[str, MarketPrefs] = field(default_factory=dict)
    account: AccountPrefs = field(default_factory=AccountPrefs)

    def prefs(self, market: str) -> MarketPrefs:
        """Preferences of a market (defaults when the file has none)."""
        return self.markets.get(market, MarketPrefs())

    def with_prefs(self, market: str, prefs: MarketPrefs) -> Config:
        """A copy with one market's preferences replaced."""
        return replace(self, markets={**self.markets, market: prefs})


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


# ----------------------------------------------------------------------------- reading


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file path: ``TUIMON_CONFIG``, then XDG, then ``~/.config``."""
    environ = os.environ if env is None else env
    explicit = environ.get("TUIMON_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "tuimon" / "config.toml"


def _read_text(path: Path) -> tuple[str | None, str | None]:
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
    text, error = _read_text(path)
    if error is not None:
        return ConfigFile(path, errors=(error,), exists=True)
    if text is None:
        return ConfigFile(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return ConfigFile(path, errors=(f"{path}: invalid TOML: {exc}",), exists=True)
    return _validate(data, path, text)


def load_config(path: Path) -> Config:
    """The config, refusing a file that could not be fully read.

    Raises:
        ConfigError: one line naming the file and the offending key (or line, for syntax).
    """
    return read_config(path).checked()


def parse_config(data: Mapping[str, Any], where: str, base_dir: Path | None = None) -> Config:
    """Validate an already decoded document (strict: the first error raises ConfigError)."""
    loaded = _validate(data, Path(where), None, base_dir)
    return loaded.checked()


def _validate(
    data: Mapping[str, Any], path: Path, text: str | None, base_dir: Path | None = None
) -> ConfigFile:
    where = str(path)
    errors: list[str] = []
    warnings: list[str] = []
    markets: dict[str, MarketPrefs] = {}
    account = AccountPrefs(base_dir=base_dir or path.parent)
    for key, value in data.items():
        if key not in (*MARKETS, ACCOUNT):
            warnings.append(
                f"{where}{_line_of(text, (key,))}: unknown key {key!r} ignored "
                f"(tuimon reads: {', '.join(MARKETS)}, {ACCOUNT})"
            )
            continue
        if not isinstance(value, dict):
            errors.append(
                f"{where}{_line_of(text, (key,))}: key {key!r} must be a table like [{key}]"
            )
            continue
        context = _Context(where, text, errors, warnings)
        if key == ACCOUNT:
            account = _parse_account(value, context, account)
        else:
            markets[key] = _parse_market(value, key, context)
    return ConfigFile(
        path,
        Config(markets=markets, account=account),
        warnings=tuple(warnings),
        errors=tuple(errors),
        exists=True,
    )


@dataclass(slots=True)
class _Context:
    """Where problems go while one file is validated."""

    where: str
    text: str | None
    errors: list[str]
    warnings: list[str]

    def at(self, *keys: str) -> str:
        return f"{self.where}{_line_of(self.text, keys)}"

    def unknown(self, table: str, key: str, expected: Sequence[str]) -> None:
        self.warnings.append(
            f"{self.at(table, key)}: unknown key '{table}.{key}' ignored "
            f"(expected: {', '.join(expected)})"
        )


def _parse_account(table: Mapping[str, Any], ctx: _Context, empty: AccountPrefs) -> AccountPrefs:
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


def _parse_market(table: Mapping[str, Any], market: str, ctx: _Context) -> MarketPrefs:
    for key in table:
        if key not in _MARKET_KEYS:
            ctx.unknown(market, key, _MARKET_KEYS)
    watchlist = _parse_watchlist(table.get("watchlist", []), market, ctx)
    selected = table.get("selected")
    if selected is not None:
        if not isinstance(selected, str) or not _SYMBOL.match(selected.strip().upper()):
            shown = selected if isinstance(selected, str) else type(selected).__name__
            ctx.errors.append(
                f"{ctx.at(market, 'selected')}: key '{market}.selected' must be a symbol "
                f"string, got {shown!r}"
            )
            selected = None
        else:
            selected = selected.strip().upper()
    return MarketPrefs(watchlist=watchlist, selected=selected)


def _parse_watchlist(raw: Any, market: str, ctx: _Context) -> tuple[str, ...]:
    where = ctx.at(market, "watchlist")
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        ctx.errors.append(f"{where}: key '{market}.watchlist' must be a list of strings")
        return ()
    symbols = normalise_symbols(raw)
    bad = [item for item in raw if not _SYMBOL.match(item.strip().upper())]
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


def normalise_symbols(raw: Sequence[str]) -> tuple[str, ...]:
    """Upper-case, stripped, first occurrence kept."""
    return tuple(dict.fromkeys(s.strip().upper() for s in raw if s.strip()))


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]#]+?)\s*\]\]?\s*(#.*)?$")


def _bare(key: str) -> str:
    return key.strip().strip("\"'").strip()


def _line_of(text: str | None, keys: Sequence[str]) -> str:
    """``:LINE`` where ``keys`` (a table, or a table and a key) is defined, else ``""``.

    tomllib and tomlkit keep no positions, so this scans the lines: it follows table headers
    and plain or dotted keys, which covers how people write a small config. Best effort: a key
    it cannot place is still named, only without a line.
    """
    if text is None:
        return ""
    table: tuple[str, ...] = ()
    want = tuple(keys)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = tuple(_bare(p) for p in header.group(1).split("."))
            if table == want:
                return f":{number}"
            continue
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        path = table + tuple(_bare(p) for p in line.split("=", 1)[0].split("."))
        if path[: len(want)] == want:
            return f":{number}"
    return ""


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


# ----------------------------------------------------------------------------- writing


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
    target = _write_target(path)
    loaded = read_config(target)
    if not loaded.savable:
        raise ConfigError(f"{loaded.errors[0]}; not saved")
    text, _ = _read_text(target)
    doc = tomlkit.parse(text) if text is not None else tomlkit.parse(_NEW_FILE_HEADER)
    table = _market_table(doc, market)
    if watchlist is not None:
        _set_symbols(table, list(normalise_symbols(watchlist)))
    if selected is not None and str(table.get("selected", "")).strip().upper() != selected:
        table["selected"] = selected
    new_text = tomlkit.dumps(doc)
    if new_text == text:
        return False
    _check_only_owned_changed(text, new_text, market, watchlist, selected, target)
    _atomic_write(target, new_text)
    return True


def _write_target(path: Path) -> Path:
    """The file to replace: through a symlink (dotfile managers link configs), never the link."""
    try:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError:
        return path


def _market_table(doc: tomlkit.TOMLDocument, market: str) -> Table:
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


def _check_only_owned_changed(
    old: str | None,
    new: str,
    market: str,
    watchlist: Sequence[str] | None,
    selected: str | None,
    path: Path,
) -> None:
    """Refuse to write unless the new text reads (with the standard parser) as the old data
    with only the owned values changed to what was asked."""
    before = tomllib.loads(old) if old is not None else {}
    try:
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a tomlkit bug
        raise ConfigError(f"{path}: not saved: the edit would not be valid TOML ({exc})") from None
    prefs = after.get(market, {})
    ok = (watchlist is None or prefs.get("watchlist") == list(normalise_symbols(watchlist))) and (
        selected is None or prefs.get("selected") == selected
    )
    if not ok or _without_owned(before, market) != _without_owned(after, market):
        raise ConfigError(f"{path}: not saved: the edit would change more than tuimon's values")


def _without_owned(data: Mapping[str, Any], market: str) -> dict[str, Any]:
    out = dict(data)
    table = out.get(market)
    if isinstance(table, dict):
        rest = {k: v for k, v in table.items() if k not in _MARKET_KEYS}
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
