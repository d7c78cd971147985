"""The new-alert form: one line in the alert grammar, checked as it is typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tuimon.alerts.rules import METRIC_NAMES, Rule, RuleError, parse_rule

HINT = "METRIC OP VALUE, e.g. spread_bps >= 5 · price crosses 3000 · move_pct_5m > 2"
OPERATORS = "> >= < <= crosses"

Check = Callable[[Rule], str | None]
"""The app's own checks on a parsed rule (market, duplicates, keys): a problem or None."""


class AlertFormScreen(ModalScreen[Rule | None]):
    """Modal form; dismisses with the new rule (enter, when it parses) or None (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close the form", show=False),
    ]

    def __init__(self, symbol: str, check: Check) -> None:
        super().__init__(id="alert-form")
        self.symbol = symbol
        self.check = check

    def compose(self) -> ComposeResult:
        """Title, the rule line, what is wrong with it (or the hint), the grammar."""
        with Vertical(id="alert-form-box"):
            yield Static(f"New alert on {self.symbol}", id="alert-form-title", markup=False)
            yield Input(value=f"{self.symbol} ", id="alert-form-input")
            yield Static(HINT, id="alert-form-status", markup=False)
            yield Static(
                f"metrics: {' '.join(METRIC_NAMES)}\noperators: {OPERATORS}\n"
                "enter adds it, escape closes",
                id="alert-form-help",
                markup=False,
            )

    def on_mount(self) -> None:
        """Focus the line, cursor after the symbol."""
        line = self.query_one(Input)
        line.focus()
        line.cursor_position = len(line.value)

    def problem(self, text: str) -> tuple[Rule | None, str | None]:
        """The rule the text makes, or why it does not make one."""
        try:
            rule = parse_rule(text)
        except RuleError as exc:
            return None, str(exc)
        return rule, self.check(rule)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        status = self.query_one("#alert-form-status", Static)
        if event.value.strip() == self.symbol:
            status.update(HINT)
            status.set_class(False, "-error")
            return
        rule, problem = self.problem(event.value)
        status.update(problem or f"ok: {rule.text if rule else ''}")
        status.set_class(problem is not None, "-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        rule, problem = self.problem(event.value)
        if rule is None or problem is not None:
            self.app.bell()
            status = self.query_one("#alert-form-status", Static)
            status.update(problem or HINT)
            status.set_class(True, "-error")
            return
        self.dismiss(rule)

    def action_cancel(self) -> None:
        """Close without a rule."""
        self.dismiss(None)
