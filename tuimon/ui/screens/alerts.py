"""The alert rules: each with its current value and when it last fired; enable, disable, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

REFRESH_EVERY = 0.5
"""Seconds between refreshes of the "now" column while the screen is up."""


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One rule as the screen shows it (already formatted)."""

    rule: str
    enabled: bool
    now: str
    fired: str
    cooldown: str
    note: str = ""
    """Why the rule cannot fire here (no keys, not streamed), or empty."""


class AlertBoard(Protocol):
    """What the screen needs from the app."""

    def alert_rows(self) -> list[AlertRow]:
        """Every rule, in the config's order."""
        ...

    def toggle_alert(self, rule: str) -> None:
        """Enable a disabled rule, disable an enabled one (and save)."""
        ...

    def delete_alert(self, rule: str) -> None:
        """Remove a rule (and save)."""
        ...

    def action_new_alert(self) -> None:
        """Open the form on the selected symbol."""
        ...


COLUMNS = ("on", "rule", "now", "last fired", "cooldown", "note")


class AlertsScreen(ModalScreen[None]):
    """Modal list of the rules."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close the alert list", show=False),
        Binding("space,e", "toggle", "Enable / disable the rule", show=False),
        Binding("delete,x", "delete", "Delete the rule", show=False),
        Binding("n", "new", "New alert on the selected symbol", show=False),
    ]

    def __init__(self, board: AlertBoard) -> None:
        super().__init__(id="alerts")
        self.board = board

    def compose(self) -> ComposeResult:
        """Title, table, keys."""
        with Vertical(id="alerts-box"):
            yield Static("Alerts", id="alerts-title")
            yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                "space enable/disable · x delete · n new · escape close",
                id="alerts-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        """Columns once; rows now and every :data:`REFRESH_EVERY`."""
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        self.refresh_rows()
        self.set_interval(REFRESH_EVERY, self.refresh_rows, name="alerts-refresh")
        table.focus()

    def on_screen_resume(self) -> None:
        """Back from the form: show the new rule."""
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Diff the table against the board: update cells that changed, add and remove rows."""
        table = self.query_one(DataTable)
        rows = {row.rule: row for row in self.board.alert_rows()}
        for key in [k for k in table.rows if k.value not in rows]:
            table.remove_row(key)
        present = {k.value for k in table.rows}
        for text, row in rows.items():
            cells = (
                "✓" if row.enabled else "✗",
                row.rule,
                row.now,
                row.fired,
                row.cooldown,
                row.note,
            )
            if text not in present:
                table.add_row(*cells, key=text)
                continue
            for name, value in zip(COLUMNS, cells, strict=True):
                if table.get_cell(text, name) != value:
                    table.update_cell(text, name, value)
        title = self.query_one("#alerts-title", Static)
        title.update(f"Alerts ({len(rows)})" if rows else "Alerts: none yet (n adds one)")

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def action_toggle(self) -> None:
        """Enable or disable the highlighted rule."""
        rule = self._selected()
        if rule is None:
            self.app.bell()
            return
        self.board.toggle_alert(rule)
        self.refresh_rows()

    def action_delete(self) -> None:
        """Delete the highlighted rule."""
        rule = self._selected()
        if rule is None:
            self.app.bell()
            return
        self.board.delete_alert(rule)
        self.refresh_rows()

    def action_new(self) -> None:
        """The form, on top of this list."""
        self.board.action_new_alert()
