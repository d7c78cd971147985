"""The shapes of the busy market streams, for typed decoding with msgspec (the fast path).

A combined-stream frame of a ``depthUpdate``, ``24hrMiniTicker`` or ``kline`` event decodes in
one C pass straight into these Structs (a depth diff into its record,
:class:`~tuimon.protocol.models.DepthDiff`, itself a Struct): field names, integer types (a
JSON float or ``true`` is not an int here either) and the level arrays are checked by the
decoder; unknown keys are skipped, as the general parser ignores them. Prices and quantities
stay strings: the strict decimal grammar is applied to them afterwards (``levels_ok``,
``parse_decimal``), never msgspec's own number parsing, and nothing here is ever a float. A
depth level must be exactly two strings here (``tuple[str, str]``, checked in C); the general
parser reads the first two items of a longer array, so such a frame goes there and gets the
same record.

This module only recognises the common, well-formed case. Anything it refuses (another event,
a control reply, a missing key, a wrong type, invalid JSON) goes to the general parser in
:mod:`tuimon.protocol.parse`, which gives the same records and the same one-line reasons it
always did; see :func:`tuimon.protocol.parse.parse_frame`.
"""

from __future__ import annotations

import msgspec

from tuimon.protocol.models import DepthDiff, WireInt

Int = WireInt


# gc=False: these Structs never form reference cycles (strings, ints, nested Structs),
# so the collector need not track them: one less object per frame for gen-0 collections.
class MiniTickerWire(msgspec.Struct, tag_field="e", tag="24hrMiniTicker", gc=False):
    """``24hrMiniTicker`` as sent."""

    E: Int
    s: str
    c: str
    o: str
    h: str
    l: str  # noqa: E741 (the exchange's key)
    v: str
    q: str


class CandleWire(msgspec.Struct, gc=False):
    """The ``k`` object of a kline event."""

    t: Int
    T: Int
    i: str
    o: str
    c: str
    h: str
    l: str  # noqa: E741 (the exchange's key)
    v: str
    q: str
    x: bool
    n: Int = 0


class KlineWire(msgspec.Struct, tag_field="e", tag="kline", gc=False):
    """``kline`` as sent."""

    E: Int
    s: str
    k: CandleWire


class Envelope(msgspec.Struct, gc=False):
    """A combined-stream frame ``{"stream": ..., "data": ...}`` of one of the busy events."""

    stream: str
    data: DepthDiff | MiniTickerWire | KlineWire


decode_envelope = msgspec.json.Decoder(Envelope).decode
"""bytes → :class:`Envelope`; raises (msgspec errors, RecursionError) on anything else."""

DECODE_ERRORS = (msgspec.MsgspecError, RecursionError, ValueError)
"""What :func:`decode_envelope` raises for input it does not take (DecodeError and
ValidationError are MsgspecErrors; a deeply nested unknown key raises RecursionError)."""
