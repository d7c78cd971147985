"""Help: every key binding, generated from the BINDINGS the app really uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.app import App


def _bindings(source: Iterable[BindingType]) -> list[Binding]:
    return list(Binding.make_bindings(source))


def binding_rows(app: App[object]) -> list[tuple[str, str]]:
    """(keys, description) for every described binding, keys merged per description.

    Sources: the BINDINGS of the app's classes (tuimon's own, then Textual's ``ctrl+q``) and
    the command palette.
    """
    bindings: list[Binding] = []
    for cls in type(app).__mro__:
        if "BINDINGS" in vars(cls):
            bindings.extend(_bindings(vars(cls)["BINDINGS"]))
    rows: dict[str, list[str]] = {}
    for binding in bindings:
        description = binding.description or binding.tooltip
        if not description or binding.action.endswith("copy_text"):
            continue
        keys = rows.setdefault(description, [])
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    if app.ENABLE_COMMAND_PALETTE:
        palette = Binding(app.COMMAND_PALETTE_BINDING, "command_palette")
        rows.setdefault("Command palette (search symbols, intervals)", []).append(
            app.get_key_display(palette)
        )
    return [(" ".join(keys), description) for description, keys in rows.items()]


def help_text(app: App[object]) -> str:
    """The help body: one aligned line per binding."""
    rows = binding_rows(app)
    width = max(len(keys) for keys, _ in rows)
    lines = [f"{keys:>{width}}  {description}" for keys, description in rows]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Modal list of bindings; escape or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close help", show=False),
    ]

    def compose(self) -> ComposeResult:
        """Title, bindings, a note on symbols."""
        with VerticalScroll(id="help-box"):
            yield Static("tuimon: keys", id="help-title")
            yield Static(help_text(self.app), id="help-body", markup=False)
            yield Static(
                "Colours are optional: ▲/▼ and +/− carry direction; the ladder says when a book "
                "is not live. Press escape or ? to close.",
                id="help-note",
                markup=False,
            )
