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

Writing (:mod:`tuimon.config.write`) changes only the values tuimon owns (a market's
``watchlist`` and ``selected``, and the ``[[alerts]]`` tables). It re-reads the file first (the
person may have edited it since), edits it with ``tomlkit`` so comments, key order, blank lines,
unknown keys and other tables stay exactly as written, checks with the standard ``tomllib`` that
everything it does not own reads back unchanged, and then writes atomically (a temporary file in
the same directory, then ``os.replace``) with the file's permissions and owner. A write that
would change nothing does not touch the file. A symlinked config is written through the link.

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

    [notify]                              # how alerts reach you (all optional)
    toast = true
    bell = true
    desktop = "osc9"                      # osc9, osc777 or off
    command = ["notify-send", "tuimon"]   # argv (never a shell string); alert JSON on stdin
    command_timeout = 5

    [[alerts]]
    rule = "BTCUSDT spread_bps >= 5"      # SYMBOL METRIC OP VALUE
    cooldown = 60                         # seconds before it may fire again
    enabled = true

``[account]`` names *where* keys are (paths, relative to this file's directory); it never holds
a key or a secret itself (``api_key``/``api_secret`` there are refused with a hint), so this
file needs no private permissions. The key file and the PEM do: reading them warns when other
users can read them (:func:`tuimon.feeds.credentials.permission_warning`).
"""

from __future__ import annotations

from tuimon.config.model import (
    ACCOUNT,
    ALERTS,
    MARKETS,
    MAX_WATCHLIST,
    NOT_SAVED,
    NOTIFY,
    AccountPrefs,
    AlertPrefs,
    Config,
    ConfigError,
    ConfigFile,
    MarketPrefs,
    NotifyPrefs,
    Settings,
    normalise_symbols,
)
from tuimon.config.read import (
    config_path,
    load_config,
    load_settings,
    parse_config,
    read_config,
)
from tuimon.config.write import update_alerts, update_market_prefs

__all__ = [
    "ACCOUNT",
    "ALERTS",
    "MARKETS",
    "MAX_WATCHLIST",
    "NOTIFY",
    "NOT_SAVED",
    "AccountPrefs",
    "AlertPrefs",
    "Config",
    "ConfigError",
    "ConfigFile",
    "MarketPrefs",
    "NotifyPrefs",
    "Settings",
    "config_path",
    "load_config",
    "load_settings",
    "normalise_symbols",
    "parse_config",
    "read_config",
    "update_alerts",
    "update_market_prefs",
]
