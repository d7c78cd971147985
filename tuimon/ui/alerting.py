"""Alerts inside the monitor: the rules, their engine, delivery, and saving them.

The engine is evaluated on its own timer, not in the frame flush, so alerts keep firing while a
modal (help, search, the alert list) is up and no frame is drawn. Delivery is a toast, the bell
and a desktop notification through the terminal (each switchable in ``[notify]``) plus the
optional command hook, which runs in its own task and never stalls the app.

Rules come from the config's ``[[alerts]]`` and from the form; every change is saved in place
(``update_alerts``: the person's other tables and comments stay). Under ``--demo`` (no config
path) changes stay in memory, as the watchlist does.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from tuimon.alerts.engine import AlertEngine, AlertEvent
from tuimon.alerts.notify import HookRunner, desktop_sequence
from tuimon.alerts.rules import (
    ANY_SYMBOL,
    Metric,
    Rule,
    RuleError,
    check_market,
    parse_rule,
)
from tuimon.config import AlertPrefs, ConfigError, update_alerts
from tuimon.config.alerts import MAX_ALERTS
from tuimon.ui.format import fmt_age
from tuimon.ui.screens.alert_form import AlertFormScreen
from tuimon.ui.screens.alerts import AlertRow, AlertsScreen

if TYPE_CHECKING:
    from tuimon.ui.app import TuimonApp

log = logging.getLogger(__name__)

EVALUATE_EVERY = 0.25
"""Seconds between evaluations: tickers arrive once a second, books every 100 ms."""
MAX_ALERT_BOOKS = 10
"""Order books streamed only for alert rules (spread, imbalance, stale), beyond the selected
one: each costs a depth stream and a REST snapshot's weight."""


def _rule(prefs: AlertPrefs) -> Rule | None:
    try:
        return parse_rule(prefs.rule, enabled=prefs.enabled, cooldown=prefs.cooldown)
    except RuleError:
        return None  # the config reader already refused it with a message


class AppAlerts:
    """The monitor's alert rules and what happens when one fires."""

    def __init__(self, app: TuimonApp) -> None:
        self.app = app
        settings = app.settings
        self.prefs: list[AlertPrefs] = list(settings.config.alerts)
        self.notify_prefs = settings.config.notify
        self.engine = AlertEngine(app.clock, self._rules())
        self.hook = HookRunner(
            self.notify_prefs.command, self.notify_prefs.command_timeout, self._hook_failed
        )
        self.fired: list[AlertEvent] = []
        """Every alert fired this run, oldest first (tests and the health bar read it)."""

    def _rules(self) -> list[Rule]:
        return [rule for rule in map(_rule, self.prefs) if rule is not None]

    # ------------------------------------------------------------------ what to stream

    def tickers(self) -> frozenset[str]:
        """Symbols the rules read a ticker of (only ones this market lists)."""
        known = self.app.store.symbols
        return frozenset(s for s in self.engine.ticker_symbols if s in known)

    def books(self) -> frozenset[str]:
        """Order books the rules need, at most :data:`MAX_ALERT_BOOKS` (in rule order)."""
        known = self.app.store.symbols
        wanted = [r.symbol for r in self.engine.rules if r.symbol in self.engine.book_symbols]
        return frozenset(list(dict.fromkeys(s for s in wanted if s in known))[:MAX_ALERT_BOOKS])

    def marks(self) -> frozenset[str]:
        """Symbols a ``funding_rate`` rule reads (their mark price stream carries the rate)."""
        known = self.app.store.symbols
        return frozenset(
            r.symbol for r in self.engine.rules if r.metric.value == "funding_rate" and
            r.symbol in known
        )

    # ------------------------------------------------------------------ evaluation, delivery

    def check(self) -> list[AlertEvent]:
        """Evaluate every rule once and deliver what fired."""
        store = self.app.store
        self.engine.seed_from_klines(store)
        fired = self.engine.evaluate(store)
        for event in fired:
            self.deliver(event)
        return fired

    def deliver(self, event: AlertEvent) -> None:
        """Toast, bell, desktop notification, hook: each as ``[notify]`` says."""
        app, prefs = self.app, self.notify_prefs
        self.fired.append(event)
        del self.fired[:-MAX_ALERTS]
        log.info("alert: %s", event.summary)
        app.main.health.note(f"alert: {event.summary}")
        if prefs.toast:
            app.notify(event.summary, title=f"alert: {event.symbol}", severity="warning")
        if prefs.bell:
            app.bell()
        sequence = desktop_sequence(prefs.desktop, event)
        if sequence is not None:
            app.write_terminal(sequence)
        self.hook.submit(event)

    def _hook_failed(self, problem: str) -> None:
        log.warning("%s", problem)
        self.app.main.health.note(problem)
        self.app.notify(problem, title="alert hook", severity="error")

    async def close(self) -> None:
        """Stop the hook runner (a hook still running is killed)."""
        await self.hook.close()

    # ------------------------------------------------------------------ the form and the list

    def problem(self, rule: Rule) -> str | None:
        """Why the form must not add this rule here (None: it may)."""
        app = self.app
        try:
            check_market(rule, futures=app.store.futures)
        except RuleError as exc:
            return str(exc)
        if any(p.rule == rule.text for p in self.prefs):
            return f"already a rule: {rule.text}"
        if len(self.prefs) >= MAX_ALERTS:
            return f"at most {MAX_ALERTS} alerts"
        known = app.store.symbols
        if rule.symbol != ANY_SYMBOL and known and rule.symbol not in known:
            return f"unknown symbol on {app.store.market}: {rule.symbol}"
        return None

    def open_form(self) -> None:
        """The form on the selected symbol."""
        symbol = self.app.symbol
        if symbol is None:
            self.app.bell()
            return

        def added(rule: Rule | None) -> None:
            if rule is not None:
                self.add(rule)

        self.app.push_screen(AlertFormScreen(symbol, self.problem), added)

    def open_list(self) -> None:
        """The rule list."""
        self.app.push_screen(AlertsScreen(self))

    def action_new_alert(self) -> None:
        """The list's ``n``: the form on top of it."""
        self.open_form()

    def add(self, rule: Rule) -> None:
        """A new rule from the form: evaluated from now on, saved."""
        self.prefs.append(AlertPrefs(rule.text, rule.enabled, rule.cooldown))
        self._changed(f"alert added: {rule.text}")

    def toggle_alert(self, rule: str) -> None:
        """Enable or disable a rule."""
        for index, prefs in enumerate(self.prefs):
            if prefs.rule == rule:
                self.prefs[index] = replace(prefs, enabled=not prefs.enabled)
                state = "enabled" if not prefs.enabled else "disabled"
                self._changed(f"alert {state}: {rule}")
                return

    def delete_alert(self, rule: str) -> None:
        """Remove a rule."""
        before = len(self.prefs)
        self.prefs = [p for p in self.prefs if p.rule != rule]
        if len(self.prefs) != before:
            self._changed(f"alert deleted: {rule}")

    def _changed(self, what: str) -> None:
        self.engine.set_rules(self._rules())
        self.app.follow_alert_symbols()
        self.app.main.health.note(what)
        self.save()

    def save(self) -> None:
        """Write the rules into the config (in place), unless saving is off."""
        settings = self.app.settings
        if settings.config_path is None or not settings.config_savable:
            return  # --demo and tests keep rules in memory; an unreadable file is never written
        try:
            update_alerts(settings.config_path, self.prefs)
        except ConfigError as exc:
            self.app.notify(str(exc), title="config", severity="error")

    def alert_rows(self) -> list[AlertRow]:
        """Every rule as the list shows it."""
        app = self.app
        store, now_ms = app.store, app.clock.wall_ms()
        by_text = {rule.text: rule for rule in self.engine.rules}
        books = self.books()
        rows: list[AlertRow] = []
        for prefs in self.prefs:
            rule = by_text.get(prefs.rule)
            if rule is None:
                continue
            value = self.engine.current(store, rule) if rule.enabled else None
            fired_ms = self.engine.last_fired_ms(rule)
            ago = None if fired_ms is None else max(0, now_ms - fired_ms) / 1000
            rows.append(
                AlertRow(
                    rule=rule.text,
                    enabled=rule.enabled,
                    now="—" if value is None else str(value),
                    fired="—" if ago is None else f"{fmt_age(ago)} ago",
                    cooldown=f"{rule.cooldown:g}s",
                    note=self._note(rule, books),
                )
            )
        return rows

    def _note(self, rule: Rule, books: frozenset[str]) -> str:
        store = self.app.store
        try:
            check_market(rule, futures=store.futures)
        except RuleError as exc:
            return str(exc)
        if rule.metric is Metric.FILL:
            return "" if store.account.enabled else "needs API keys"
        if store.symbols and rule.symbol not in store.symbols:
            return f"not on {store.market}"
        if rule.symbol in self.engine.book_symbols and rule.symbol not in books:
            return f"book not streamed (over {MAX_ALERT_BOOKS})"
        return ""
