"""The config package (tuimon/config) under fuzzing.

Reading: random bytes, random text and random TOML documents (tuimon's tables with random and
hostile values, unknown tables with comments) give a typed result and never a stray exception:
read_config a ConfigFile, load_settings a Settings, load_config a Config or ConfigError, and the
account paths resolve without raising. Writing (update_market_prefs, update_alerts through
tomlkit): a bool or ConfigError; after a write everything tuimon does not own reads back
unchanged, the unknown tables' comments are still there, and the file says what was asked.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import event, example, given
from hypothesis import strategies as st

from tuimon.config import (
    MARKETS,
    AccountPrefs,
    AlertPrefs,
    Config,
    ConfigError,
    ConfigFile,
    MarketPrefs,
    NotifyPrefs,
    Settings,
    load_config,
    load_settings,
    parse_config,
    read_config,
    update_alerts,
    update_market_prefs,
)
from tuimon.config.model import ALERTS, MARKET_KEYS

SYMBOLS = ["BTCUSDT", "ETHUSDT", "btcusdt ", "SOL-USD", "币安人生USDT", "", "A" * 40, "x y"]
RULES = ["BTCUSDT price > 30000", "ETHUSDT spread_bps >= 5", "* fill > 0", "BTCUSDT moon > 1",
         "BTCUSDT price > 1e999999", "BTCUSDT imbalance crosses 2", ""]

toml_scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.sampled_from([*SYMBOLS, *RULES, "osc9", "off", "~nosuchuser/k.toml", "a\x00b", "/"]),
)
toml_values = st.recursive(
    toml_scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=10,
)


def mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any] = toml_values) -> Any:
    return st.integers(0, 5).flatmap(lambda n: usual if n else other)


def value(v: Any) -> str:
    """A TOML value as inline text (tomlkit.item makes tables of dicts, arrays of tables of
    lists of dicts; inline forms are what a value position needs)."""
    if isinstance(v, dict):
        pairs = (f"{tomlkit.item(str(k)).as_string()} = {value(x)}" for k, x in v.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return tomlkit.item(v).as_string()


GOOD_SYMBOLS = ["BTCUSDT", "ETHUSDT", "btcusdt ", "SOL-USD"]
GOOD_NOTIFY = {"toast": st.booleans(), "bell": st.booleans(),
               "desktop": st.sampled_from(["osc9", "osc777", "off"]),
               "command": st.just(["notify-send", "tuimon"]),
               "command_timeout": st.sampled_from([1, 5.5, 60])}


@st.composite
def documents(draw: st.DrawFn, hostile: bool = True) -> str:
    """A config as a person writes it: tuimon's tables, unknown ones with comments, in any
    order; ``hostile``: tuimon's own values are sometimes of the wrong type or invalid."""

    def pick(usual: st.SearchStrategy[Any]) -> Any:
        return draw(mostly(usual) if hostile else usual)

    symbols = SYMBOLS if hostile else GOOD_SYMBOLS
    parts: list[str] = []
    markets = [*MARKETS, "nope"] if hostile else list(MARKETS)
    for market in draw(st.lists(st.sampled_from(markets), max_size=3, unique=True)):
        lines = [f"[{market}]"]
        if draw(st.booleans()):
            watch = pick(st.lists(st.sampled_from(symbols), max_size=6))
            lines.append(f"watchlist = {value(watch)}")
        if draw(st.booleans()):
            lines.append(f"selected = {value(pick(st.sampled_from(symbols)))}")
        if not draw(st.integers(0, 4)):
            lines.append(f"extra = {value(draw(toml_values))}  # and me x")
        parts.append("\n".join(lines))
    if draw(st.booleans()):
        keys = ["key_file", "private_key_path", "api_secret", "other"] if hostile else [
            "key_file", "private_key_path"]
        key = draw(st.sampled_from(keys))
        path = pick(st.sampled_from(["keys.toml", "~nosuchuser/k.toml", "/abs/k.pem", "a b"]))
        parts.append(f"[account]\n{key} = {value(path)}")
    if draw(st.booleans()):
        key = draw(st.sampled_from(sorted(GOOD_NOTIFY)))
        parts.append(f"[notify]\n{key} = {value(pick(GOOD_NOTIFY[key]))}")
    rules = RULES if hostile else RULES[:3]
    for rule in draw(st.lists(st.sampled_from(rules), max_size=3, unique=not hostile)):
        lines = ["[[alerts]]", f"rule = {value(pick(st.just(rule)))}"]
        if draw(st.booleans()):
            lines.append(f"enabled = {value(pick(st.booleans()))}")
        if draw(st.booleans()):
            lines.append(f"cooldown = {value(pick(st.integers(0, 10**5)))}")
        parts.append("\n".join(lines))
    for n in range(draw(st.integers(0, 2))):
        parts.append(f"[mine{n}]\n# keep me {n}\nk = {value(draw(toml_values))}  # and me {n}")
    order = draw(st.permutations(parts))
    return "\n\n".join(order) + "\n"


contents = st.one_of(
    documents().map(str.encode),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
)

counter = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("config")


def write(folder: Path, content: bytes) -> Path:
    path = folder / f"c{next(counter)}.toml"
    path.write_bytes(content)
    return path


def check_loaded(loaded: ConfigFile) -> None:
    assert isinstance(loaded, ConfigFile)
    config = loaded.config
    assert isinstance(config, Config)
    for market, prefs in config.markets.items():
        assert market in MARKETS and isinstance(prefs, MarketPrefs)
        assert all(type(s) is str and s == s.strip().upper() for s in prefs.watchlist)
        assert prefs.selected is None or type(prefs.selected) is str
    account = config.account
    assert isinstance(account, AccountPrefs)
    for path in (account.key_file_path, account.private_key_file):  # never raise
        assert path is None or isinstance(path, Path)
    assert all(isinstance(a, AlertPrefs) for a in config.alerts)
    assert isinstance(config.notify, NotifyPrefs)
    for line in (*loaded.errors, *loaded.warnings, *loaded.problems):
        assert type(line) is str and line and "\n" not in line, line


@given(contents)
@example(b"a = " + b"[" * 3000 + b"]" * 3000)  # tomllib: RecursionError
@example(b"a = " + b"{b = " * 600 + b"1" + b"}" * 600)
@example(b'[account]\nkey_file = "~nosuchuser/keys.toml"\n')  # expanduser: RuntimeError
@example(b"\xff\xfe[spot]")
def test_reading_never_raises(folder, content):
    path = write(folder, content)
    loaded = read_config(path)
    check_loaded(loaded)
    settings = load_settings(market="spot", path=path)
    assert isinstance(settings, Settings) and settings.config_savable == loaded.savable
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert not loaded.savable and "\n" not in str(exc)
    else:
        assert loaded.savable and isinstance(config, Config)


@given(st.dictionaries(st.sampled_from([*MARKETS, "account", "alerts", "notify", "x"]),
                       toml_values, max_size=4))
def test_parse_config_of_decoded_data(data):
    try:
        config = parse_config(data, "<cli>")
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(config, Config)


def without_owned(data: dict[str, Any]) -> dict[str, Any]:
    """An independent copy of the rule of what tuimon owns (not the module's own helper)."""
    out = {k: v for k, v in data.items() if k != ALERTS}
    for market in MARKETS:
        if isinstance(out.get(market), dict):
            rest = {k: v for k, v in out[market].items() if k not in MARKET_KEYS}
            if rest:
                out[market] = rest
            else:
                del out[market]
    return out


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "# keep me" in line
            or "# and me" in line]


alert_prefs = st.lists(
    st.builds(AlertPrefs, st.sampled_from(RULES[:3]), st.booleans(),
              st.sampled_from([0.0, 5.0, 60.0, 90.5])),
    max_size=3,
    unique_by=lambda a: a.rule,
)


@given(
    st.one_of(documents(hostile=False), documents()),
    st.sampled_from(MARKETS),
    st.one_of(st.none(), st.lists(st.sampled_from(["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
                                  max_size=4)),
    st.one_of(st.none(), st.sampled_from(["BTCUSDT", "ETHUSDT"])),
    st.one_of(st.none(), alert_prefs),
)
@example("x = " + "[" * 150 + "]" * 150 + "\n", "spot", ["BTCUSDT"], None, None)  # tomlkit: > 100
def test_writes_keep_what_tuimon_does_not_own(folder, text, market, watchlist, selected, alerts):
    path = write(folder, text.encode())
    before = read_config(path)
    try:
        changed = update_market_prefs(path, market, watchlist=watchlist, selected=selected)
        if alerts is not None:
            changed = update_alerts(path, alerts) or changed
    except ConfigError as exc:
        assert "\n" not in str(exc)
        if not before.savable:
            assert path.read_text() == text  # an unreadable file is never touched
        event("refused: " + ("unreadable" if not before.savable else str(exc)[-40:]))
        return
    event("written" if changed else "unchanged")
    assert before.savable  # a file that could not be fully read is never written
    new_text = path.read_text()
    if not changed:
        assert new_text == text
    old, new = tomllib.loads(text), tomllib.loads(new_text)
    assert without_owned(new) == without_owned(old)
    assert comments(text) == comments(new_text)
    after = read_config(path)
    assert after.savable, after.errors
    prefs = after.config.prefs(market)
    if watchlist is not None:
        assert list(prefs.watchlist) == list(dict.fromkeys(watchlist))
    if selected is not None:
        assert prefs.selected == selected
    if alerts is not None:
        assert sorted(after.config.alerts, key=lambda a: a.rule) == sorted(
            alerts, key=lambda a: a.rule)
