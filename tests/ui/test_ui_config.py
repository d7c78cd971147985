"""Config: XDG path order, strict validation with one-line messages, atomic hand-written TOML."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from tuimon.config import (
    Config,
    ConfigError,
    MarketPrefs,
    config_path,
    dumps_config,
    load_config,
    load_settings,
    save_config,
    toml_string,
)


def test_path_order(tmp_path) -> None:
    home = Path.home()
    assert config_path({"TUIMON_CONFIG": "/x/c.toml", "XDG_CONFIG_HOME": "/y"}) == Path("/x/c.toml")
    assert config_path({"XDG_CONFIG_HOME": "/y"}) == Path("/y/tuimon/config.toml")
    assert config_path({}) == home / ".config" / "tuimon" / "config.toml"


def test_fixture_points_config_at_tmp() -> None:
    assert "TUIMON_CONFIG" in os.environ
    assert config_path() == Path(os.environ["TUIMON_CONFIG"])


def test_missing_file_is_empty_config(tmp_path) -> None:
    assert load_config(tmp_path / "none.toml") == Config()


def test_round_trip(tmp_path) -> None:
    path = tmp_path / "sub" / "config.toml"
    config = Config(
        {
            "spot": MarketPrefs(("BTCUSDT", "ETHUSDT"), "ETHUSDT"),
            "coinm": MarketPrefs(("BTCUSD_PERP",), None),
        }
    )
    save_config(path, config)
    assert load_config(path) == config
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ("spot = 1\n", "key 'spot' must be a table"),
        ("[spot]\nwatchlist = 'BTCUSDT'\n", "key 'spot.watchlist' must be a list of strings"),
        ("[spot]\nwatchlist = [1]\n", "key 'spot.watchlist' must be a list of strings"),
        ("[spot]\nselected = 3\n", "key 'spot.selected' must be a string"),
        ("[spot]\nfavourites = []\n", "unknown key 'spot.favourites'"),
        ("[spot]\nwatchlist = ['BTC USDT']\n", "bad symbol"),
        ("[spot\n", "invalid TOML"),
    ],
)
def test_strict_validation_names_file_and_key(tmp_path, text, fragment) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_bad_config_still_starts_with_defaults(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[spot]\nwatchlist = 42\n")
    settings = load_settings(market="spot", path=path)
    assert settings.watchlist == ()
    assert len(settings.problems) == 1
    assert "spot.watchlist" in settings.problems[0]


def test_settings_merge(tmp_path) -> None:
    path = tmp_path / "config.toml"
    save_config(path, Config({"spot": MarketPrefs(("BTCUSDT", "ETHUSDT"), "ETHUSDT")}))
    from_file = load_settings(market="spot", path=path)
    assert from_file.watchlist == ("BTCUSDT", "ETHUSDT")
    assert from_file.selected == "ETHUSDT"
    assert not from_file.symbols_from_cli
    cli = load_settings(market="spot", symbols=["solusdt", "SOLUSDT", "xrpusdt"], path=path)
    assert cli.watchlist == ("SOLUSDT", "XRPUSDT")
    assert cli.selected == "SOLUSDT"
    assert cli.symbols_from_cli
    other = load_settings(market="usdm", path=path)
    assert other.watchlist == ()


@pytest.mark.parametrize("text", ['a"b', "back\\slash", "tab\there", "new\nline", "bell\x07", "é✓"])
def test_toml_string_escaping_round_trips(text) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_dump_is_valid_toml() -> None:
    text = dumps_config(Config({"usdm": MarketPrefs(("BTCUSDT",), "BTCUSDT")}))
    assert tomllib.loads(text) == {"usdm": {"watchlist": ["BTCUSDT"], "selected": "BTCUSDT"}}


def test_unwritable_config_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot write"):
        save_config(blocker / "config.toml", Config())


# ----------------------------------------------------------------------------- [account]


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


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[account]\nkeyfile = 'x'\n", "unknown key 'account.keyfile'"),
        ("[account]\nkey_file = 3\n", "key 'account.key_file' must be a non-empty path string"),
        ("[account]\nkey_file = ''\n", "key 'account.key_file' must be a non-empty path string"),
        ("account = 'x'\n", "key 'account' must be a table"),
    ],
)
def test_account_table_is_strict(tmp_path, text, fragment) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert fragment in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("key", ["api_key", "api_secret", "private_key_passphrase"])
def test_secrets_in_the_config_are_refused_without_echoing_them(tmp_path, key) -> None:
    path = _write(tmp_path, f'[account]\n{key} = "s3cr3t-value-123"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"'account.{key}' is not allowed" in message and "key file" in message
    assert "s3cr3t-value-123" not in message


def test_account_table_survives_saving_prefs(tmp_path) -> None:
    """The app rewrites the config on quit: the [account] table must come back as written."""
    path = _write(tmp_path, '[spot]\nwatchlist = ["BTCUSDT"]\n\n[account]\nkey_file = "k.toml"\n')
    config = load_config(path)
    save_config(path, config.with_prefs("spot", MarketPrefs(("ETHUSDT",), "ETHUSDT")))
    again = load_config(path)
    assert again.account.key_file == "k.toml"  # still relative, still beside the config
    assert again.account.key_file_path == tmp_path / "k.toml"
    assert again.prefs("spot").watchlist == ("ETHUSDT",)
    assert tomllib.loads(path.read_text())["account"] == {"key_file": "k.toml"}
