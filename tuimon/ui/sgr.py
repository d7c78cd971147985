"""Fewer bytes per frame on the wire: select graphic rendition (SGR) only where it changes.

Textual renders every segment as ``ESC[<full style>m text ESC[0m``: a reset after each run and
the whole truecolor style (``1;38;2;r;g;b;48;2;r;g;b``, ~35 bytes) before the next, even when
the next run has the same style, or differs from it only in its foreground. Measured over the
monitor's steady state, escape codes were ~60 % of the terminal output.

:class:`SgrCompactor` rewrites one driver write so that the terminal shows the same cells
with the same attributes: a style is sent only just before text is printed under it, as the
shortest switch from the style the terminal has (the codes that change, or a reset and the
full style when that is shorter), and an ``ESC[0m`` at the end of the write restores the
state Textual assumes between writes. Cursor moves and line feeds do not print, so the style
carries across them; any other control sequence (an erase, which paints with the current
background, a mode switch, an OSC) first gets exactly the state Textual asked for.
Codes it does not know are never translated: that style is sent whole after a reset.

Pure string work, no Textual import (the driver wrapper lives in :mod:`tuimon.ui.app`).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\x1b\[([0-9;:?<=>]*)([ -/]*[@-~])|[\r\n]+|\x1b")
"""A control sequence (CSI: parameters in group 1, final byte in group 2), line feeds, or any
other escape (a bare ESC; what follows it passes through as it is)."""
_SGR_PARAMS = re.compile(r"[0-9;]*")
_MOVES = frozenset("HfABCDEFG")
"""CSI finals that only move the cursor: nothing is painted, so a style carries across."""

_ON = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53")
"""The attributes Rich emits, in its order."""
_CLEARS = {
    "22": ("1", "2"),
    "23": ("3",),
    "24": ("4", "21"),
    "25": ("5", "6"),
    "27": ("7",),
    "28": ("8",),
    "29": ("9",),
    "54": ("51", "52"),
    "55": ("53",),
}
_OFF = {on: off for off, ons in _CLEARS.items() for on in ons}
"""How to switch off each attribute (22 switches off bold *and* dim, 24 both underlines)."""
_ORDER = {slot: i for i, slot in enumerate((*_ON, "fg", "bg"))}

State = tuple[tuple[str, str], ...]
"""What the terminal draws with: (slot, code) pairs in :data:`_ORDER`; slots are the
attributes' own codes, "fg" and "bg". () is no style."""
UNKNOWN: State = (("?", "?"),)
"""After an SGR this module does not read: only a reset leaves it."""


def apply_sgr(state: State, params: str) -> State:
    """The state after one SGR (it adds to the state unless it resets), or :data:`UNKNOWN`
    for codes this module does not translate."""
    codes = params.split(";") if params else ["0"]
    if state is UNKNOWN and codes[0] not in ("0", ""):
        return UNKNOWN
    slots = dict(state) if state is not UNKNOWN else {}
    i = 0
    while i < len(codes):
        code = codes[i]
        if code in ("38", "48"):
            mode = codes[i + 1] if i + 1 < len(codes) else ""
            size = 5 if mode == "2" else 3 if mode == "5" else 0
            if not size or i + size > len(codes):
                return UNKNOWN
            slots["fg" if code == "38" else "bg"] = ";".join(codes[i : i + size])
            i += size
            continue
        number = int(code) if code.isdigit() else -1
        if code in ("0", ""):
            slots = {}
        elif code in _OFF:
            slots[code] = code
        elif code in _CLEARS:
            for slot in _CLEARS[code]:
                slots.pop(slot, None)
        elif 30 <= number <= 37 or 90 <= number <= 97:
            slots["fg"] = code
        elif 40 <= number <= 47 or 100 <= number <= 107:
            slots["bg"] = code
        elif number in (39, 49):
            slots.pop("fg" if number == 39 else "bg", None)
        else:
            return UNKNOWN
        i += 1
    return tuple(sorted(slots.items(), key=lambda item: _ORDER[item[0]]))


def transition(have: State, want: State) -> str:
    """The shortest SGR taking the terminal from ``have`` to ``want`` (both known)."""
    if not want:
        return "\x1b[0m"
    full = ";".join(code for _, code in want)
    full = f"\x1b[0;{full}m" if have else f"\x1b[{full}m"
    if have is UNKNOWN:
        return full
    wanted = dict(want)
    codes: list[str] = []
    for slot, _ in have:
        if slot not in wanted:
            codes.append("39" if slot == "fg" else "49" if slot == "bg" else _OFF[slot])
    # One code can switch two attributes off (22: bold and dim): a kept one goes back on.
    cleared = set(codes)
    had = dict(have)
    for slot, code in want:
        if had.get(slot) != code or _OFF.get(slot) in cleared:
            codes.append(code)
    delta = f"\x1b[{';'.join(codes)}m"
    return delta if len(delta) < len(full) else full


class SgrCompactor:
    """Rewrites driver writes; caches states and switches (a frame uses a few dozen styles)."""

    def __init__(self) -> None:
        self._applied: dict[tuple[State, str], State] = {}
        self._switch: dict[tuple[State, State], str] = {}

    def _apply(self, state: State, params: str) -> State:
        key = (state, params)
        after = self._applied.get(key)
        if after is None:
            after = self._applied[key] = apply_sgr(state, params)
        return after

    def _to(self, have: State, want: State) -> str:
        key = (have, want)
        sequence = self._switch.get(key)
        if sequence is None:
            sequence = self._switch[key] = transition(have, want)
        return sequence

    def compact(self, data: str) -> str:
        """``data`` with the same effect on the terminal, in fewer bytes. Assumes (as Textual
        does) that no style is set when a write starts, and leaves none set at its end."""
        if "\x1b[" not in data:
            return data
        out: list[str] = []
        append = out.append
        have: State = ()  # what the terminal has
        want: State = ()  # what the input has asked for by now
        pos = 0
        for match in _TOKEN.finditer(data):
            start = match.start()
            if start > pos:  # text: printed under the wanted style
                if want != have:
                    append(self._to(have, want))
                    have = want
                append(data[pos:start])
            pos = match.end()
            params, final = match.group(1, 2)
            plain = params is not None and _SGR_PARAMS.fullmatch(params) is not None
            if final == "m" and plain:
                after = self._apply(want, params)
                if after is not UNKNOWN:
                    want = after
                    continue
            elif (final in _MOVES and plain) or final is None and match.group() != "\x1b":
                append(match.group())  # a cursor move or line feeds: nothing painted
                continue
            # Anything else (an erase paints with the current background; a mode switch; an
            # OSC; an SGR not read here): the terminal gets exactly the state asked for first.
            if want != have:
                append(self._to(have, want))
                have = want
            append(match.group())
            if final == "m":
                have = want = UNKNOWN
        if pos < len(data):
            if want != have:
                append(self._to(have, want))
                have = want
            append(data[pos:])
        if have:
            append("\x1b[0m")
        return "".join(out)
