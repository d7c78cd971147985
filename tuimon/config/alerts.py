"""``[[alerts]]`` and ``[notify]``: validated like the rest, one line per problem."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tuimon.alerts.rules import DEFAULT_COOLDOWN, MAX_COOLDOWN, RuleError, parse_rule
from tuimon.config.context import Context
from tuimon.config.model import ALERTS, NOTIFY, AlertPrefs, NotifyPrefs

MAX_ALERTS = 200
"""A bound on a hand-edited list (each rule is evaluated every frame)."""
_ALERT_KEYS = ("rule", "enabled", "cooldown")
_NOTIFY_KEYS = ("toast", "bell", "desktop", "command", "command_timeout")
DESKTOP_KINDS = ("osc9", "osc777", "off")
MAX_HOOK_TIMEOUT = 60.0


def _seconds(value: Any, high: float) -> float | None:
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= high:
        return None
    return float(value)


def parse_alerts(raw: Any, ctx: Context) -> tuple[AlertPrefs, ...]:
    """``[[alerts]]`` tables, each ``rule = "SYMBOL METRIC OP VALUE"`` (+ enabled, cooldown)."""
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        ctx.error(f"key {ALERTS!r} must be [[alerts]] tables with a 'rule'", ALERTS)
        return ()
    if len(raw) > MAX_ALERTS:
        ctx.error(f"{len(raw)} [[alerts]] tables (at most {MAX_ALERTS})", ALERTS)
        return ()
    out: list[AlertPrefs] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        where = (ALERTS, str(index))
        for key in table:
            if key not in _ALERT_KEYS:
                ctx.unknown(ALERTS, key, _ALERT_KEYS, *where)
        text = table.get("rule")
        if not isinstance(text, str):
            ctx.error('[[alerts]] needs rule = "SYMBOL METRIC OP VALUE"', *where)
            continue
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            ctx.error("key 'alerts.enabled' must be true or false", *where, "enabled")
            continue
        cooldown = _seconds(table.get("cooldown", DEFAULT_COOLDOWN), MAX_COOLDOWN)
        if cooldown is None:
            ctx.error(
                f"key 'alerts.cooldown' must be seconds from 0 to {MAX_COOLDOWN:g}",
                *where,
                "cooldown",
            )
            continue
        try:
            rule = parse_rule(text, enabled=enabled, cooldown=cooldown)
        except RuleError as exc:
            ctx.error(f"bad alert {text!r}: {exc}", *where, "rule")
            continue
        if rule.text in seen:
            ctx.warnings.append(f"{ctx.at(*where)}: alert {rule.text!r} is listed twice")
            continue
        seen.add(rule.text)
        out.append(AlertPrefs(rule.text, rule.enabled, rule.cooldown))
    return tuple(out)


def parse_notify(table: Mapping[str, Any], ctx: Context) -> NotifyPrefs:
    """``[notify]``: toast, bell, desktop (osc9/osc777/off), command (argv), command_timeout."""
    for key in table:
        if key not in _NOTIFY_KEYS:
            ctx.unknown(NOTIFY, key, _NOTIFY_KEYS)
    prefs = NotifyPrefs()
    values: dict[str, Any] = {}
    for key in ("toast", "bell"):
        value = table.get(key, getattr(prefs, key))
        if not isinstance(value, bool):
            ctx.error(f"key 'notify.{key}' must be true or false", NOTIFY, key)
            value = getattr(prefs, key)
        values[key] = value
    desktop = table.get("desktop", prefs.desktop)
    if desktop not in DESKTOP_KINDS:
        ctx.error(
            f"key 'notify.desktop' must be one of {', '.join(DESKTOP_KINDS)}", NOTIFY, "desktop"
        )
        desktop = prefs.desktop
    command = table.get("command", [])
    if not isinstance(command, list) or not all(isinstance(a, str) and a for a in command):
        # A shell string would need a shell to split it, and a shell runs whatever the
        # alert's text says: argv only.
        ctx.error(
            'key \'notify.command\' must be an argv list like ["notify-send", "tuimon"] '
            "(not a shell string)",
            NOTIFY,
            "command",
        )
        command = []
    timeout = _seconds(table.get("command_timeout", prefs.command_timeout), MAX_HOOK_TIMEOUT)
    if timeout is None or timeout == 0:
        ctx.error(
            f"key 'notify.command_timeout' must be seconds above 0, at most {MAX_HOOK_TIMEOUT:g}",
            NOTIFY,
            "command_timeout",
        )
        timeout = prefs.command_timeout
    return NotifyPrefs(
        toast=values["toast"],
        bell=values["bell"],
        desktop=desktop,
        command=tuple(command),
        command_timeout=timeout,
    )
