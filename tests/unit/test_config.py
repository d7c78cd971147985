"""Config: the person's file is never lost. Strict about what tuimon reads, tolerant of what it
does not know, and writing back only its own values with everything else kept as written."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from tuimon.config import (
    NOT_SAVED,
    Config,
    ConfigError,
    MarketPrefs,
    config_path,
    load_config,
    load_settings,
    read_config,
    update_market_prefs,
)

ISSUE_FILE = """\
[account]
key_file = "keys.toml"

[spot]
watchlist = ["ETHUSDT", "BTCUSDT", "SOLUSDT"]
colour_theme = "nord"
"""

COMMENTED = """\
# My tuimon setup -- hand written.

[spot]   # the spot market
# majors first
watchlist = [
  "BTCUSDT",  # the king
  "ETHUSDT",
  "SOLUSDT",  # fast
]
selected = "BTCUSDT"  # where I start

[usdm]
watchlist = ["BTCUSDT"]

[account]
key_file = "keys.toml"   # chmod 600

[my_notes]
text = "tuimon must keep this"
"""


def _write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_path_order() -> None:
    home = Path.home()
    assert config_path({"TUIMON_CONFIG": "/x/c.toml", "XDG_CONFIG_HOME": "/y"}) == Path("/x/c.toml")
    assert config_path({"XDG_CONFIG_HOME": "/y"}) == Path("/y/tuimon/config.toml")
    assert config_path({}) == home / ".config" / "tuimon" / "config.toml"


def test_fixture_points_config_at_tmp() -> None:
    assert "TUIMON_CONFIG" in os.environ
    assert config_path() == Path(os.environ["TUIMON_CONFIG"])


def test_missing_file_is_empty_and_savable(tmp_path) -> None:
    loaded = read_config(tmp_path / "none.toml")
    assert loaded.config == Config() and loaded.savable and not loaded.exists
    assert load_config(tmp_path / "none.toml") == Config()


# ----------------------------------------------------------------------------- unknown keys


def test_unknown_key_is_a_warning_with_its_line_and_the_file_is_used(tmp_path) -> None:
    path = _write(tmp_path, ISSUE_FILE)
    loaded = read_config(path)
    assert loaded.savable and not loaded.errors
    assert loaded.config.prefs("spot").watchlist == ("ETHUSDT", "BTCUSDT", "SOLUSDT")
    assert loaded.config.account.key_file == "keys.toml"
    (warning,) = loaded.warnings
    assert f"{path}:6:" in warning and "'spot.colour_theme'" in warning
    assert "\n" not in warning


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("colour = 1\n", "unknown key 'colour'", 1),
        ("\n[theme]\nname = 'x'\n", "unknown key 'theme'", 2),
        ("[spot]\n\nfavourites = []\n", "'spot.favourites'", 3),
        ("spot.favourites = []\n", "'spot.favourites'", 1),
        ("[account]\nkeyfile = 'x'\n", "'account.keyfile'", 2),
        ("[[watch]]\nrule = 'x'\n", "unknown key 'watch'", 1),
        ("[notify]\nsound = true\n", "'notify.sound'", 2),
        ("[[alerts]]\nrule = 'BTCUSDT price > 1'\n[[alerts]]\nrule = 'ETHUSDT price > 1'\n"
         "colour = 1\n", "'alerts.colour'", 5),
    ],
)
def test_unknown_keys_are_named_with_a_line(tmp_path, text, fragment, line) -> None:
    path = _write(tmp_path, text)
    loaded = read_config(path)
    assert loaded.savable
    (warning,) = loaded.warnings
    assert fragment in warning and f"{path}:{line}:" in warning


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("spot = 1\n", "key 'spot' must be a table"),
        ("[spot]\nwatchlist = 'BTCUSDT'\n", "key 'spot.watchlist' must be a list of strings"),
        ("[spot]\nwatchlist = [1]\n", "key 'spot.watchlist' must be a list of strings"),
        ("[spot]\nselected = 3\n", "key 'spot.selected' must be a symbol string"),
        ("[spot]\nwatchlist = ['BTC USDT']\n", "bad symbol"),
        ("[spot\n", "invalid TOML"),
        ('[spot]\nwatchlist = ["BTCUSDT"\n', "invalid TOML"),
        ("[account]\nkey_file = 3\n", "key 'account.key_file' must be a non-empty path string"),
        ("[account]\nkey_file = ''\n", "key 'account.key_file' must be a non-empty path string"),
        ("account = 'x'\n", "key 'account' must be a table"),
    ],
)
def test_errors_name_file_and_key_and_stop_saving(tmp_path, text, fragment) -> None:
    path = _write(tmp_path, text)
    loaded = read_config(path)
    assert not loaded.savable
    assert any(fragment in e and str(path) in e for e in loaded.errors)
    assert all(NOT_SAVED in p for p in loaded.problems[: len(loaded.errors)])
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_errors_keep_the_parts_that_could_be_read(tmp_path) -> None:
    path = _write(tmp_path, '[spot]\nwatchlist = 42\n\n[account]\nkey_file = "k.toml"\n')
    loaded = read_config(path)
    assert loaded.config.account.key_file == "k.toml"
    assert loaded.config.prefs("spot").watchlist == ()
    assert "spot.watchlist" in loaded.errors[0] and f"{path}:2:" in loaded.errors[0]


def test_not_utf8_and_huge_files_are_errors(tmp_path) -> None:
    assert "not UTF-8" in read_config(_write_bytes(tmp_path, b"\xff\xfe[spot]")).errors[0]
    huge = _write_bytes(tmp_path, b"#" * (2 << 20))
    assert "larger than" in read_config(huge).errors[0]


def _write_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "raw.toml"
    path.write_bytes(data)
    return path


def test_a_directory_is_a_clear_error_and_never_written(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()
    loaded = read_config(path)
    assert loaded.errors == (f"{path}: is a directory, not a config file",)
    with pytest.raises(ConfigError, match="is a directory"):
        update_market_prefs(path, "spot", selected="BTCUSDT")
    assert path.is_dir() and not list(path.iterdir())


@pytest.mark.parametrize("key", ["api_key", "api_secret", "private_key_passphrase"])
def test_secrets_in_the_config_are_refused_without_echoing_them(tmp_path, key) -> None:
    path = _write(tmp_path, f'[account]\nkey_file = "k.toml"\n{key} = "s3cr3t-value-123"\n')
    loaded = read_config(path)
    assert loaded.config.account.empty  # a half-read [account] is not used
    message = loaded.errors[0]
    assert f"'account.{key}' is not allowed" in message and "key file" in message
    assert f"{path}:3:" in message
    assert all("s3cr3t-value-123" not in p for p in loaded.problems)


def test_bad_config_still_starts_with_defaults_and_says_nothing_is_saved(tmp_path) -> None:
    path = _write(tmp_path, "[spot]\nwatchlist = 42\n")
    settings = load_settings(market="spot", path=path)
    assert settings.watchlist == ()
    assert not settings.config_savable
    (problem,) = settings.problems
    assert "spot.watchlist" in problem and NOT_SAVED in problem


# ----------------------------------------------------------------------------- settings


def test_settings_merge(tmp_path) -> None:
    path = _write(tmp_path, '[spot]\nwatchlist = ["BTCUSDT", "ethusdt "]\nselected = "ETHUSDT"\n')
    from_file = load_settings(market="spot", path=path)
    assert from_file.watchlist == ("BTCUSDT", "ETHUSDT")
    assert from_file.selected == "ETHUSDT"
    assert not from_file.symbols_from_cli and from_file.config_path == path
    cli = load_settings(market="spot", symbols=["solusdt", "SOLUSDT", "xrpusdt"], path=path)
    assert cli.watchlist == ("SOLUSDT", "XRPUSDT")
    assert cli.selected == "SOLUSDT"
    assert cli.symbols_from_cli
    assert load_settings(market="usdm", path=path).watchlist == ()
    assert load_settings(market="spot", path=path, save=False).config_path is None


def test_account_paths_resolve_against_the_config_directory(tmp_path) -> None:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '[account]\nkey_file = "keys/binance.toml"\nprivate_key_path = "/abs/ed25519.pem"\n'
    )
    account = load_config(path).account
    assert account.key_file_path == tmp_path / "conf" / "keys" / "binance.toml"
    assert account.private_key_file == Path("/abs/ed25519.pem")
    home = load_config(_write(tmp_path, '[account]\nkey_file = "~/k.toml"\n')).account
    assert home.key_file_path == Path.home() / "k.toml"
    assert load_config(_write(tmp_path, "")).account.key_file_path is None


# ----------------------------------------------------------------------------- writing


def test_saving_changes_only_tuimons_values_and_keeps_everything_else(tmp_path) -> None:
    path = _write(tmp_path, COMMENTED)
    assert update_market_prefs(
        path, "spot", watchlist=["BTCUSDT", "SOLUSDT", "XRPUSDT"], selected="SOLUSDT"
    )
    text = path.read_text()
    expected = (
        COMMENTED.replace('  "ETHUSDT",\n', "")
        .replace('  "SOLUSDT",  # fast\n', '  "SOLUSDT",  # fast\n  "XRPUSDT",\n')
        .replace('selected = "BTCUSDT"  # where I start', 'selected = "SOLUSDT"  # where I start')
    )
    assert text == expected
    data = tomllib.loads(text)
    assert data["my_notes"] == {"text": "tuimon must keep this"}
    assert data["spot"] == {"watchlist": ["BTCUSDT", "SOLUSDT", "XRPUSDT"], "selected": "SOLUSDT"}


def test_unknown_keys_survive_a_save(tmp_path) -> None:
    path = _write(tmp_path, ISSUE_FILE)
    update_market_prefs(path, "spot", selected="BTCUSDT")
    data = tomllib.loads(path.read_text())
    assert data["spot"]["colour_theme"] == "nord"
    assert data["account"] == {"key_file": "keys.toml"}
    assert data["spot"]["watchlist"] == ["ETHUSDT", "BTCUSDT", "SOLUSDT"]
    assert path.read_text().startswith(ISSUE_FILE.rstrip("\n"))


def test_a_save_that_changes_nothing_does_not_touch_the_file(tmp_path) -> None:
    path = _write(tmp_path, '[spot]\nwatchlist = ["btcusdt"]\nselected = "btcusdt"\n')
    before = path.stat().st_mtime_ns
    assert not update_market_prefs(path, "spot", watchlist=["BTCUSDT"], selected="BTCUSDT")
    assert path.stat().st_mtime_ns == before
    assert path.read_text() == '[spot]\nwatchlist = ["btcusdt"]\nselected = "btcusdt"\n'


def test_reordered_watchlist_rewrites_only_that_array(tmp_path) -> None:
    path = _write(tmp_path, '# top\n[spot]\nwatchlist = ["A1", "B1"]  # mine\nx = 1\n')
    update_market_prefs(path, "spot", watchlist=["B1", "A1"])
    assert path.read_text() == '# top\n[spot]\nwatchlist = ["B1", "A1"]  # mine\nx = 1\n'


def test_a_new_file_and_a_new_table(tmp_path) -> None:
    path = tmp_path / "sub" / "config.toml"
    update_market_prefs(path, "usdm", watchlist=["BTCUSDT"], selected="BTCUSDT")
    assert path.read_text().startswith("# tuimon config.")
    assert load_config(path).prefs("usdm") == MarketPrefs(("BTCUSDT",), "BTCUSDT")
    update_market_prefs(path, "coinm", watchlist=["BTCUSD_PERP"])
    assert tomllib.loads(path.read_text())["usdm"]["watchlist"] == ["BTCUSDT"]
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_inline_and_dotted_tables_are_edited_where_they_are(tmp_path) -> None:
    path = _write(tmp_path, 'spot = { watchlist = ["A1"] }\nusdm.watchlist = ["B1"]\n')
    update_market_prefs(path, "spot", watchlist=["A1", "C1"])
    update_market_prefs(path, "usdm", selected="B1")
    data = tomllib.loads(path.read_text())
    assert data == {
        "spot": {"watchlist": ["A1", "C1"]},
        "usdm": {"watchlist": ["B1"], "selected": "B1"},
    }


@pytest.mark.parametrize(
    "text",
    ["[spot\n", "[spot]\nwatchlist = 42\n", '[account]\napi_key = "x"\n', "\xff"],
)
def test_a_file_that_could_not_be_fully_read_is_never_written(tmp_path, text) -> None:
    path = tmp_path / "config.toml"
    data = text.encode("latin-1") if text == "\xff" else text.encode()
    path.write_bytes(data)
    with pytest.raises(ConfigError, match="not saved"):
        update_market_prefs(path, "spot", watchlist=["BTCUSDT"], selected="BTCUSDT")
    assert path.read_bytes() == data


def test_writes_keep_the_mode(tmp_path) -> None:
    path = _write(tmp_path, '[spot]\nwatchlist = ["A1"]\n')
    path.chmod(0o640)
    update_market_prefs(path, "spot", selected="A1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_read_only_file_is_refused_clearly(tmp_path) -> None:
    path = _write(tmp_path, '[spot]\nwatchlist = ["A1"]\n')
    path.chmod(0o444)
    with pytest.raises(ConfigError) as info:
        update_market_prefs(path, "spot", selected="A1")
    assert str(info.value) == f"{path}: read-only; not saved"
    assert path.read_text() == '[spot]\nwatchlist = ["A1"]\n'


def test_an_unwritable_directory_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="Not a directory; not saved"):
        update_market_prefs(blocker / "config.toml", "spot", selected="A1")


def test_a_symlinked_config_is_written_through_the_link(tmp_path) -> None:
    real = _write(tmp_path, '[spot]\nwatchlist = ["A1"]\n', name="dotfiles.toml")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    update_market_prefs(link, "spot", selected="A1")
    assert link.is_symlink()
    assert tomllib.loads(real.read_text())["spot"]["selected"] == "A1"


def test_concurrent_edits_by_the_person_are_kept(tmp_path) -> None:
    """The file is re-read at save time: what the person added while tuimon ran stays."""
    path = _write(tmp_path, '[spot]\nwatchlist = ["A1"]\n')
    loaded = read_config(path)
    path.write_text(path.read_text() + "\n[later]\nnote = 'added by hand'\n")
    assert loaded.savable
    update_market_prefs(path, "spot", selected="A1")
    assert tomllib.loads(path.read_text())["later"] == {"note": "added by hand"}
