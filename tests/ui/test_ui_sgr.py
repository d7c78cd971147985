"""SgrCompactor: fewer bytes, the same cells with the same attributes.

Checked two ways: a reference SGR interpreter (every printed character must carry the same
attributes, and every control sequence must meet the same state, in the same order), and pyte
(the screens after each write must be equal, colours included).
"""

from __future__ import annotations

import re

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st

from tuimon.ui.sgr import UNKNOWN, SgrCompactor, apply_sgr, transition

STYLES = [
    "1;38;2;221;237;249;48;2;1;120;212",
    "38;2;224;224;224;48;2;39;39;39",
    "38;2;209;126;146;48;2;39;39;39",
    "1;38;2;209;126;146;48;2;75;44;52",
    "7;38;2;99;43;57;48;2;30;30;30",
    "2;38;2;120;120;120;48;2;30;30;30",
    "1;2;3;38;5;196",
    "4;21;31;41",
    "4;97;100",
    "5;6;9;51;53;39;49",
    "48;2;30;30;30",
    "8",
    "0",
    "",
]
_ON = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53"}
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


def reference_sgr(state: dict[str, str], params: str) -> dict[str, str]:
    """A reference interpreter, written from ECMA-48 / xterm, not from the module."""
    codes = params.split(";") if params else ["0"]
    state = dict(state)
    i = 0
    while i < len(codes):
        code = codes[i]
        if code in ("38", "48"):
            size = 5 if codes[i + 1] == "2" else 3
            state["fg" if code == "38" else "bg"] = ":".join(codes[i + 1 : i + size])
            i += size
            continue
        n = int(code or 0)
        if n == 0:
            state = {}
        elif code in _ON:
            state[code] = "on"
        elif code in _CLEARS:
            for slot in _CLEARS[code]:
                state.pop(slot, None)
        elif 30 <= n <= 37 or 90 <= n <= 97:
            state["fg"] = code
        elif n == 39:
            state.pop("fg", None)
        elif 40 <= n <= 47 or 100 <= n <= 107:
            state["bg"] = code
        elif n == 49:
            state.pop("bg", None)
        else:
            raise AssertionError(f"unexpected code {code}")
        i += 1
    return state


TOKEN = re.compile(r"\x1b\[([0-9;]*)m|(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)")


def trace(data: str, state: dict[str, str] | None = None) -> list[tuple[str, tuple]]:
    """(character or control, attributes in force) in order; cursor moves and line feeds
    included (a style carried across them must not matter, but their order does)."""
    state = dict(state or {})
    out: list[tuple[str, tuple]] = []
    pos = 0
    for match in TOKEN.finditer(data):
        out += [(ch, tuple(sorted(state.items()))) for ch in data[pos : match.start()]]
        pos = match.end()
        if match.group(1) is not None:
            state = reference_sgr(state, match.group(1))
        else:
            control = match.group(2)
            moves = control in ("\r", "\n") or control[-1] in "HfABCDEFG"
            out.append((control, () if moves else tuple(sorted(state.items()))))
    out += [(ch, tuple(sorted(state.items()))) for ch in data[pos:]]
    out.append(("<end>", tuple(sorted(state.items()))))
    return out


def textual_run(params: str, text: str) -> str:
    """How Textual writes one segment (textual.strip.Strip.render_style)."""
    return f"\x1b[{params}m{text}\x1b[0m" if params else text


pieces = st.one_of(
    st.builds(textual_run, st.sampled_from(STYLES), st.text("ab █│", min_size=1, max_size=4)),
    st.builds(lambda y, x: f"\x1b[{y};{x}H", st.integers(1, 6), st.integers(1, 20)),
    st.sampled_from(["\r\n", "\x1b[K", "\x1b[2J", "\x1b[?25l", "\x07", "\x1b[0m"]),
    st.builds(lambda p: f"\x1b[{p}m", st.sampled_from(STYLES)),  # a bare style switch
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.lists(pieces, max_size=30).map("".join), min_size=1, max_size=4))
def test_same_attributes_for_every_character_and_control(writes: list[str]) -> None:
    compactor = SgrCompactor()
    for body in writes:
        data = body + "\x1b[0m"  # as Textual's writes do, each ends with no style set
        compact = compactor.compact(data)
        assert trace(compact) == trace(data)
        assert len(compact) <= len(data)


def test_a_textual_row_shrinks_and_looks_the_same_on_a_terminal() -> None:
    grey, red = STYLES[1], STYLES[2]
    row = (
        "\x1b[3;1H"
        + textual_run(grey, " ETHUSDT       ")
        + textual_run(grey, " ")
        + textual_run(red, "  3,098.21 ▼")
        + textual_run(grey, " ")
        + "\r\n\x1b[4;1H"
        + textual_run(grey, "  2,960.51 ")
    )
    compact = SgrCompactor().compact(row)
    # One full style, one foreground switch, back to grey, and the final reset.
    assert compact == (
        f"\x1b[3;1H\x1b[{grey}m ETHUSDT        \x1b[38;2;209;126;146m  3,098.21 ▼"
        f"\x1b[38;2;224;224;224m \r\n\x1b[4;1H  2,960.51 \x1b[0m"
    )
    assert len(compact.encode()) < 0.6 * len(row.encode())
    screens = []
    for data in (row, compact):
        screen = pyte.Screen(30, 6)
        pyte.Stream(screen).feed(data)
        screens.append([[screen.buffer[y][x] for x in range(30)] for y in range(6)])
    assert screens[0] == screens[1]


def test_unreadable_sgr_passes_through_and_the_next_style_is_sent_whole() -> None:
    data = "\x1b[1mA\x1b[4:3mB\x1b[0m\x1b[1mC\x1b[0m"
    compact = SgrCompactor().compact(data)
    assert compact == "\x1b[1mA\x1b[4:3mB\x1b[0;1mC\x1b[0m"


def test_apply_and_transition() -> None:
    assert apply_sgr((("1", "1"),), "0") == ()
    assert apply_sgr((), "1;38;5;196;48;2;1;2;3") == (
        ("1", "1"), ("fg", "38;5;196"), ("bg", "48;2;1;2;3")
    )
    assert apply_sgr((("1", "1"),), "31") == (("1", "1"), ("fg", "31"))  # adds, no reset
    assert apply_sgr((("4", "4"), ("21", "21")), "24") == ()
    assert apply_sgr((), "38;2;1") is UNKNOWN  # truncated colour: never translated
    assert apply_sgr((), "73") is UNKNOWN
    assert apply_sgr(UNKNOWN, "1") is UNKNOWN and apply_sgr(UNKNOWN, "0;1") == (("1", "1"),)
    bold_dim = apply_sgr((), "1;2;38;2;10;20;30")
    dim = apply_sgr((), "2;38;2;10;20;30")
    assert transition(bold_dim, dim) == "\x1b[22;2m"  # 22 ends both: dim goes back on
    assert transition(dim, ()) == "\x1b[0m"
    assert transition(UNKNOWN, dim) == "\x1b[0;2;38;2;10;20;30m"
    assert transition((("1", "1"),), (("2", "2"),)) == "\x1b[0;2m"  # shorter than 22;2


def test_text_without_escapes_is_untouched() -> None:
    assert SgrCompactor().compact("plain\r\n") == "plain\r\n"
